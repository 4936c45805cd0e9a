//! The seat chart kept in memory (ADR 0012) against PostgreSQL: a repository reuses the chart it
//! read while the show's `chart_version` is unchanged — bookings never change it — and reads the
//! seats again after any write to the show's seats or classes, whether through its own import,
//! another instance's, or plain SQL. The seats' states are always read live.

#[path = "tx_contract/support.rs"]
#[allow(dead_code)]
mod tx_contract_support;

use std::sync::Arc;

use boxoffice_domain::catalog::SeatStatus;
use boxoffice_domain::import::{PricingRow, SeatRow};
use boxoffice_domain::ports::CatalogRepository;
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::seat_map::SeatMap;
use boxoffice_domain::values::SeatLabel;
use boxoffice_infra_postgres::{Db, PgCatalogRepository, PoolConfig};
use diesel::connection::SimpleConnection;
use diesel::{PgConnection, QueryableByName, RunQueryDsl};
use tx_contract_support::*;

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::Int8)]
    chart_version: i64,
}

fn stored_version(conn: &mut PgConnection, show: i64) -> i64 {
    diesel::sql_query(format!("SELECT chart_version FROM shows WHERE id = {show}"))
        .get_result::<Version>(conn)
        .unwrap()
        .chart_version
}

fn labels(map: &SeatMap) -> Vec<String> {
    map.seats().map(|(p, _)| p.label.clone()).collect()
}

fn status_of(map: &SeatMap, label: &str) -> SeatStatus {
    map.seats()
        .find(|(p, _)| p.label == label)
        .map(|(_, s)| s.status())
        .unwrap_or_else(|| panic!("no seat {label}"))
}

fn seat_row(line: u64, label: &str, class: &str) -> SeatRow {
    SeatRow {
        line,
        external_id: None,
        label: SeatLabel::parse(label).unwrap(),
        class: class.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chart_is_reused_while_its_version_holds_and_reread_after_any_seat_write() {
    let (test_db, mut sql) = world();
    let cfg = PoolConfig::default();
    let a = PgCatalogRepository::new(Db::connect(test_db.url(), &cfg).unwrap());
    let b = PgCatalogRepository::new(Db::connect(test_db.url(), &cfg).unwrap());

    let first = a.list_seats(SHOW, now()).await.unwrap();
    assert_eq!(first.chart().version(), stored_version(&mut sql, SHOW));
    assert_eq!(
        labels(&first),
        [
            "B1", "B2", "B3", "B4", "B5", "A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9",
            "A10"
        ]
    );
    let again = a.list_seats(SHOW, now()).await.unwrap();
    assert!(
        Arc::ptr_eq(first.chart(), again.chart()),
        "an unchanged chart is reused"
    );

    // A hold and a confirmed booking: the states change, the chart version does not.
    let before = stored_version(&mut sql, SHOW);
    sql.batch_execute(
        "INSERT INTO bookings (id, reference, show_id, status, customer_name, email, quantity,
                               total_amount, currency, created_at, updated_at, expires_at)
         VALUES ('00000000-0000-0000-0000-0000000000c1', 'BX-CHART0001', 1, 'held', 'Ada',
                 'ada@example.com', 1, 1000, 'USD', '2030-06-01T19:55:00Z',
                 '2030-06-01T19:55:00Z', '2030-06-01T20:05:00Z'),
                ('00000000-0000-0000-0000-0000000000c2', 'BX-CHART0002', 1, 'confirmed', 'Bo',
                 'bo@example.com', 1, 500, 'USD', '2030-06-01T19:55:00Z',
                 '2030-06-01T19:55:00Z', NULL);
         INSERT INTO booking_items (booking_id, show_id, seat_id, seat_class_id, label, quantity,
                                    price, tier)
         VALUES ('00000000-0000-0000-0000-0000000000c1', 1, 1101, 11, 'A1', 1, 1000, 'min'),
                ('00000000-0000-0000-0000-0000000000c2', 1, 1201, 12, 'B1', 1, 500, 'min');",
    )
    .unwrap();
    assert_eq!(
        stored_version(&mut sql, SHOW),
        before,
        "bookings keep the version"
    );
    let sold = a.list_seats(SHOW, now()).await.unwrap();
    assert!(Arc::ptr_eq(first.chart(), sold.chart()));
    assert_eq!(status_of(&sold, "A1"), SeatStatus::Held);
    assert_eq!(status_of(&sold, "B1"), SeatStatus::Booked);
    assert_eq!(status_of(&sold, "A2"), SeatStatus::Available);
    let stalls = sold
        .show
        .classes
        .iter()
        .find(|c| c.name == "stalls")
        .unwrap();
    assert_eq!((stalls.total_seats, stalls.held_seats), (10, 1));
    // Once the hold is past due its seat is free again, from the same chart.
    let later = a.list_seats(SHOW, now() + minutes(10)).await.unwrap();
    assert!(Arc::ptr_eq(first.chart(), later.chart()));
    assert_eq!(status_of(&later, "A1"), SeatStatus::Available);

    // Another instance imports a seat and moves A2 to the balcony: `a` sees both at once.
    b.import_seats(
        SHOW,
        vec![seat_row(2, "A2", "balcony"), seat_row(3, "C1", "gallery")],
    )
    .await
    .unwrap();
    let after_import = stored_version(&mut sql, SHOW);
    assert_ne!(after_import, before);
    let imported = a.list_seats(SHOW, now()).await.unwrap();
    assert_eq!(imported.chart().version(), after_import);
    assert_eq!(
        labels(&imported),
        [
            "A2", "B1", "B2", "B3", "B4", "B5", "C1", "A1", "A3", "A4", "A5", "A6", "A7", "A8",
            "A9", "A10"
        ]
    );
    let gallery = imported
        .show
        .classes
        .iter()
        .find(|c| c.name == "gallery")
        .unwrap();
    assert_eq!(gallery.total_seats, 1);

    // Prices only: a new version too (the classes' rows were written); prices are read live.
    b.import_pricing(
        SHOW,
        vec![PricingRow {
            line: 2,
            external_id: None,
            class: "gallery".into(),
            prices: TierPrices {
                min_price: Some(100),
                normal_price: Some(200),
                max_price: Some(300),
            },
        }],
    )
    .await
    .unwrap();
    let priced = a.list_seats(SHOW, now()).await.unwrap();
    assert_ne!(priced.chart().version(), after_import);
    let gallery = priced
        .show
        .classes
        .iter()
        .find(|c| c.name == "gallery")
        .unwrap();
    assert_eq!(gallery.prices.normal_price, Some(200));

    // Plain SQL: a relabelled seat and a deleted one.
    sql.batch_execute(
        "UPDATE seats SET label = 'A3b' WHERE id = 1103;
         DELETE FROM seats WHERE id = 1110;",
    )
    .unwrap();
    let edited = a.list_seats(SHOW, now()).await.unwrap();
    let l = labels(&edited);
    assert!(l.contains(&"A3b".to_owned()) && !l.contains(&"A3".to_owned()));
    assert!(!l.contains(&"A10".to_owned()));
    assert_eq!(edited.chart().version(), stored_version(&mut sql, SHOW));

    // Only the written show's version moved; every version is distinct.
    let other = stored_version(&mut sql, OTHER_SHOW);
    assert_ne!(other, stored_version(&mut sql, SHOW));
    let ga = a.list_seats(GA, now()).await.unwrap();
    assert_eq!(ga.seats().len(), 0);
    assert_eq!(ga.chart().version(), stored_version(&mut sql, GA));
}
