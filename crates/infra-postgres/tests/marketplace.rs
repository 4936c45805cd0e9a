//! `PgCategoryRepository` and `PgServiceRepository` against PostgreSQL: categories unique by
//! name whatever its case, listed by name, active ones by default; services stored and read
//! back whole (availability included), the search's filters, text escaping, sorts and pages —
//! checked against the domain's own rule (`service_listed`) — updates, soft deletion, and the
//! tables' CHECKs.

use boxoffice_domain::catalog::Page;
use boxoffice_domain::marketplace::availability::{
    Availability, AvailabilityException, WeeklyInterval,
};
use boxoffice_domain::marketplace::catalog::{
    service_listed, CategoryRepository, NewCategory, NewService, Service, ServiceFilter,
    ServiceRepository, ServiceSort,
};
use boxoffice_domain::time_zone::TimeZone;
use boxoffice_domain::values::Currency;
use boxoffice_domain::{ConflictCode, DomainError};
use boxoffice_infra_postgres::{Db, PgCategoryRepository, PgServiceRepository, PoolConfig};
use boxoffice_testdb::TestDb;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc, Weekday};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use uuid::Uuid;

const PROVIDER: Uuid = Uuid::from_u128(0xb1);
const OTHER: Uuid = Uuid::from_u128(0xb2);

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 6, 1, 20, 0, 0).unwrap()
}

fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh database with two providers, the repositories over it, and a connection.
fn world() -> (
    TestDb,
    PgCategoryRepository,
    PgServiceRepository,
    PgConnection,
) {
    let db = TestDb::create(&database_url())
        .expect("test database (is PostgreSQL running? set DATABASE_URL)");
    let mut sql = PgConnection::establish(db.url()).expect("connect");
    sql.batch_execute(&format!(
        "INSERT INTO users (id, email, password_hash, role, active, created_at, updated_at) VALUES
           ('{PROVIDER}', 'p@example.com', 'x', 'provider', true, now(), now()),
           ('{OTHER}', 'q@example.com', 'x', 'provider', true, now(), now());"
    ))
    .expect("accounts");
    let pool = Db::connect(db.url(), &PoolConfig::default()).unwrap();
    (
        db,
        PgCategoryRepository::new(pool.clone()),
        PgServiceRepository::new(pool),
        sql,
    )
}

fn category(name: &str, active: bool) -> NewCategory {
    NewCategory {
        name: name.to_owned(),
        description: format!("all about {name}"),
        active,
    }
}

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn service(title: &str, category_id: i64, price: i64) -> NewService {
    NewService {
        title: title.to_owned(),
        description: String::new(),
        category_id,
        price,
        currency: Currency::parse("EUR").unwrap(),
        availability: Availability {
            time_zone: TimeZone::parse("Europe/Lisbon").unwrap(),
            weekly: vec![
                WeeklyInterval {
                    weekday: Weekday::Mon,
                    start: t(9, 0),
                    end: t(12, 30),
                },
                WeeklyInterval {
                    weekday: Weekday::Sun,
                    start: t(14, 0),
                    end: t(18, 0),
                },
            ],
            exceptions: vec![
                AvailabilityException::Closed {
                    date: NaiveDate::from_ymd_opt(2030, 12, 24).unwrap(),
                },
                AvailabilityException::Extra {
                    date: NaiveDate::from_ymd_opt(2030, 12, 28).unwrap(),
                    start: t(10, 0),
                    end: t(11, 15),
                },
            ],
            duration_minutes: 45,
            buffer_before_minutes: 5,
            buffer_after_minutes: 10,
            capacity: 3,
            min_notice_minutes: 120,
            max_advance_days: 60,
        },
        requires_acceptance: true,
        full_refund_hours_before: 48,
        late_refund_percent: 25,
        reminder_minutes_before: Some(60),
        image_urls: vec!["https://img.example.com/a.jpg".into()],
        active: true,
    }
}

fn duplicate(r: &Result<impl std::fmt::Debug, DomainError>) -> bool {
    matches!(
        r,
        Err(DomainError::Conflict {
            code: ConflictCode::Duplicate,
            ..
        })
    )
}

fn not_found(r: &Result<impl std::fmt::Debug, DomainError>, what: &str) -> bool {
    matches!(r, Err(DomainError::NotFound { entity, .. }) if *entity == what)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_are_unique_by_name_and_listed_by_name() {
    let (_db, categories, _, _sql) = world();
    let hair = categories
        .create(category("Hair", true), now())
        .await
        .unwrap();
    assert_eq!(hair.name, "Hair");
    assert_eq!(hair.description, "all about Hair");
    assert!(hair.active);
    assert_eq!(hair.created_at, now());
    assert!(duplicate(
        &categories.create(category("hAIR", true), now()).await
    ));
    let tutoring = categories
        .create(category("Tutoring", false), now())
        .await
        .unwrap();
    categories
        .create(category("Dentists", true), now())
        .await
        .unwrap();
    let active = categories.list(false, Page::default()).await.unwrap();
    let names: Vec<&str> = active.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!((names, active.total), (vec!["Dentists", "Hair"], 2));
    let all = categories
        .list(
            true,
            Page {
                limit: 2,
                offset: 1,
            },
        )
        .await
        .unwrap();
    let names: Vec<&str> = all.items.iter().map(|c| c.name.as_str()).collect();
    assert_eq!((names, all.total), (vec!["Hair", "Tutoring"], 3));
    assert_eq!(categories.get(tutoring.id).await.unwrap(), tutoring);
    assert!(not_found(&categories.get(999).await, "category"));
    let renamed = categories
        .update(tutoring.id, category("Lessons", true))
        .await
        .unwrap();
    assert_eq!((renamed.name.as_str(), renamed.active), ("Lessons", true));
    assert_eq!(renamed.created_at, tutoring.created_at);
    assert!(duplicate(
        &categories.update(tutoring.id, category("HAIR", true)).await
    ));
    // Its own name in another case is no clash.
    assert!(categories
        .update(hair.id, category("hair", true))
        .await
        .is_ok());
    assert!(not_found(
        &categories.update(999, category("X", true)).await,
        "category"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_is_stored_whole_and_read_back_the_same() {
    let (_db, categories, services, _sql) = world();
    let hair = categories
        .create(category("Hair", true), now())
        .await
        .unwrap();
    let fields = service("Haircut", hair.id, 2_500);
    let made = services
        .create(PROVIDER, fields.clone(), now())
        .await
        .unwrap();
    assert_eq!(made.provider_id, PROVIDER);
    assert_eq!(made.fields, fields);
    assert_eq!(
        (made.created_at, made.updated_at, made.deleted_at),
        (now(), now(), None)
    );
    assert_eq!(services.get(made.id).await.unwrap(), made);
    // No reminder, no pictures, no exceptions.
    let mut plain = service("Beard trim", hair.id, 900);
    plain.reminder_minutes_before = None;
    plain.image_urls.clear();
    plain.availability.exceptions.clear();
    let plain_made = services.create(OTHER, plain.clone(), now()).await.unwrap();
    assert_eq!(services.get(plain_made.id).await.unwrap().fields, plain);
    assert!(not_found(&services.get(999).await, "service"));
    let nowhere = services.create(PROVIDER, service("x", 999, 1), now()).await;
    assert!(not_found(&nowhere, "category"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_write_every_field_of_a_live_service_and_deletion_is_soft_and_once() {
    let (_db, categories, services, _sql) = world();
    let hair = categories
        .create(category("Hair", true), now())
        .await
        .unwrap();
    let nails = categories
        .create(category("Nails", true), now())
        .await
        .unwrap();
    let made = services
        .create(PROVIDER, service("Haircut", hair.id, 2_500), now())
        .await
        .unwrap();
    let later = now() + Duration::hours(1);
    let mut next = service("Manicure", nails.id, 3_000);
    next.reminder_minutes_before = None;
    next.availability.weekly.pop();
    next.active = false;
    let updated = services.update(made.id, next.clone(), later).await.unwrap();
    assert_eq!(updated.fields, next);
    assert_eq!((updated.created_at, updated.updated_at), (now(), later));
    assert_eq!(updated.provider_id, PROVIDER);
    assert!(not_found(
        &services.update(made.id, service("x", 999, 1), later).await,
        "category"
    ));
    assert!(not_found(
        &services.update(999, next.clone(), later).await,
        "service"
    ));
    let gone_at = later + Duration::hours(1);
    let deleted = services.delete(made.id, gone_at).await.unwrap();
    assert_eq!(
        (deleted.deleted_at, deleted.updated_at),
        (Some(gone_at), gone_at)
    );
    assert_eq!(deleted.fields, next);
    // Deleting again changes nothing; a deleted service is not updated.
    let again = services
        .delete(made.id, gone_at + Duration::hours(1))
        .await
        .unwrap();
    assert_eq!(again, deleted);
    assert_eq!(services.get(made.id).await.unwrap(), deleted);
    assert!(not_found(
        &services.update(made.id, next, gone_at).await,
        "service"
    ));
    assert!(not_found(&services.delete(999, gone_at).await, "service"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_lists_what_the_domain_rule_lists_in_order() {
    let (_db, categories, services, _sql) = world();
    let hair = categories
        .create(category("Hair", true), now())
        .await
        .unwrap();
    let lessons = categories
        .create(category("Lessons", true), now())
        .await
        .unwrap();
    let specs: [(&str, &str, i64, i64, Uuid, bool); 7] = [
        ("Haircut", "wash and cut", hair.id, 2_500, PROVIDER, true),
        ("Beard trim", "", hair.id, 900, PROVIDER, true),
        (
            "100% organic colour",
            "no ammonia",
            hair.id,
            6_000,
            OTHER,
            true,
        ),
        ("Colour_touch", "roots only", hair.id, 4_000, OTHER, false),
        (
            "Piano lesson",
            "for beginners: HAIR-raising",
            lessons.id,
            3_000,
            OTHER,
            true,
        ),
        ("Maths", r"a\b tutoring", lessons.id, 2_500, PROVIDER, true),
        ("Deleted haircut", "", hair.id, 100, PROVIDER, true),
    ];
    let mut all: Vec<Service> = Vec::new();
    for (n, (title, description, category_id, price, provider, active)) in
        specs.into_iter().enumerate()
    {
        let mut s = service(title, category_id, price);
        s.description = description.to_owned();
        s.active = active;
        let at = now() + Duration::minutes(n as i64);
        all.push(services.create(provider, s, at).await.unwrap());
    }
    let deleted = services
        .delete(all[6].id, now() + Duration::hours(1))
        .await
        .unwrap();
    all[6] = deleted;
    let filters = [
        ServiceFilter::default(),
        ServiceFilter {
            text: Some("hair".into()),
            ..ServiceFilter::default()
        },
        ServiceFilter {
            text: Some("100%".into()),
            ..ServiceFilter::default()
        },
        ServiceFilter {
            text: Some("r_t".into()),
            include_inactive: true,
            ..ServiceFilter::default()
        },
        ServiceFilter {
            text: Some(r"a\b".into()),
            ..ServiceFilter::default()
        },
        ServiceFilter {
            category_id: Some(hair.id),
            min_price: Some(900),
            max_price: Some(4_000),
            include_inactive: true,
            ..ServiceFilter::default()
        },
        ServiceFilter {
            provider_id: Some(OTHER),
            sort: ServiceSort::PriceAsc,
            ..ServiceFilter::default()
        },
        ServiceFilter {
            provider_id: Some(OTHER),
            include_inactive: true,
            sort: ServiceSort::PriceDesc,
            ..ServiceFilter::default()
        },
        ServiceFilter {
            min_price: Some(2_500),
            max_price: Some(2_500),
            sort: ServiceSort::PriceAsc,
            ..ServiceFilter::default()
        },
    ];
    for filter in filters {
        let mut expected: Vec<&Service> =
            all.iter().filter(|s| service_listed(s, &filter)).collect();
        match filter.sort {
            ServiceSort::PriceAsc => expected.sort_by_key(|s| (s.fields.price, s.id)),
            ServiceSort::PriceDesc => {
                expected.sort_by_key(|s| std::cmp::Reverse((s.fields.price, s.id)))
            }
            // The storage lists the newest first for a soonest search (the use case orders).
            ServiceSort::Newest | ServiceSort::Soonest => {
                expected.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)))
            }
        }
        let found = services
            .list(filter.clone(), Page::default())
            .await
            .unwrap();
        let ids: Vec<i64> = found.items.iter().map(|s| s.id).collect();
        let want: Vec<i64> = expected.iter().map(|s| s.id).collect();
        assert_eq!(ids, want, "{filter:?}");
        assert_eq!(found.total, want.len() as i64, "{filter:?}");
        for s in &found.items {
            assert_eq!(
                Some(s),
                all.iter().find(|a| a.id == s.id),
                "read back whole"
            );
        }
    }
    // The text cases the rule is about, spelt out.
    let titles = |items: &[Service]| -> Vec<String> {
        items.iter().map(|s| s.fields.title.clone()).collect()
    };
    let hair_text = services
        .list(
            ServiceFilter {
                text: Some("HAIR".into()),
                sort: ServiceSort::PriceAsc,
                ..ServiceFilter::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(titles(&hair_text.items), ["Haircut", "Piano lesson"]);
    let underscore = services
        .list(
            ServiceFilter {
                text: Some("r_t".into()),
                include_inactive: true,
                ..ServiceFilter::default()
            },
            Page::default(),
        )
        .await
        .unwrap();
    assert_eq!(titles(&underscore.items), ["Colour_touch"]);
    // Pages: the total counts them all.
    let page = services
        .list(
            ServiceFilter {
                sort: ServiceSort::PriceAsc,
                ..ServiceFilter::default()
            },
            Page {
                limit: 2,
                offset: 1,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.total, 5);
    assert_eq!(titles(&page.items), ["Haircut", "Maths"]);
}

#[test]
fn the_tables_refuse_what_the_domain_refuses() {
    let (_db, _, _, mut sql) = world();
    sql.batch_execute("INSERT INTO categories (id, name) VALUES (1, 'Hair');")
        .unwrap();
    let insert = |sql: &mut PgConnection, set: &str| {
        sql.batch_execute(&format!(
            "INSERT INTO services (provider_id, title, category_id, price, currency, time_zone,
                                   duration_minutes, max_advance_days, full_refund_hours_before,
                                   late_refund_percent, created_at, updated_at)
             VALUES ('{PROVIDER}', 'Haircut', 1, 100, 'EUR', 'UTC', 60, 90, 24, 50, now(), now());
             UPDATE services SET {set} WHERE id = (SELECT max(id) FROM services);"
        ))
    };
    assert!(insert(&mut sql, "price = 0").is_ok());
    for bad in [
        "price = -1",
        "price = 1000000000001",
        "currency = 'eur'",
        "title = ''",
        "time_zone = ' '",
        "duration_minutes = 4",
        "duration_minutes = 1441",
        "buffer_before_minutes = 241",
        "buffer_after_minutes = -1",
        "capacity = 0",
        "capacity = 1001",
        "min_notice_minutes = 43201",
        "max_advance_days = 0",
        "max_advance_days = 731",
        "full_refund_hours_before = 8761",
        "late_refund_percent = 101",
        "reminder_minutes_before = 0",
        "reminder_minutes_before = 10081",
        "weekly = '{}'",
        "exceptions = '\"x\"'",
        "image_urls = '{ftp://img.example.com/a.jpg}'",
        "image_urls = array_fill('https://a.example/'::text, ARRAY[11])",
        "image_urls = ARRAY[NULL]::text[]",
        "deleted_at = created_at - interval '1 second'",
    ] {
        let mut tx_ok = true;
        let _ = sql.transaction::<(), diesel::result::Error, _>(|c| {
            tx_ok = insert(c, bad).is_ok();
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(!tx_ok, "{bad} was accepted");
    }
    assert!(sql
        .batch_execute("INSERT INTO categories (name) VALUES ('HAIR')")
        .is_err());
    assert!(sql
        .batch_execute("INSERT INTO categories (name) VALUES ('')")
        .is_err());
}
