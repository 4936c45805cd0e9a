//! `CategoryRepository` and `ServiceRepository` on PostgreSQL: the `categories` and `services`
//! tables (issue 14, `docs/marketplace.md`). A service's weekly intervals and exceptions are
//! JSONB arrays in the API's own form (`{"weekday": "mon", "start": "09:00", "end": "12:30"}`,
//! `{"kind": "closed", "date": "2026-12-24"}`, `{"kind": "extra", "date", "start", "end"}`).

use async_trait::async_trait;
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::marketplace::availability::{
    clock_time, parse_clock_time, parse_weekday, weekday_name, Availability, AvailabilityException,
    ExceptionKind, WeeklyInterval,
};
use boxoffice_domain::marketplace::catalog::UpcomingAppointment;
use boxoffice_domain::marketplace::catalog::{
    Category, CategoryRepository, NewCategory, NewService, Service, ServiceFilter,
    ServiceRepository, ServiceSort,
};
use boxoffice_domain::marketplace::slots::BookedTime;
use boxoffice_domain::time_zone::TimeZone;
use boxoffice_domain::{ConflictCode, DomainError};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::catalog::ensure_exists;
use crate::models::{corrupt, currency, i32_of, u32_of};
use crate::schema::{categories, services};
use crate::{map_db_error, Db, TxError};

#[derive(Clone)]
pub struct PgCategoryRepository {
    db: Db,
}

impl PgCategoryRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(Clone)]
pub struct PgServiceRepository {
    db: Db,
}

impl PgServiceRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

// ---------- categories ----------

#[derive(Queryable, Selectable)]
#[diesel(table_name = categories)]
struct CategoryRow {
    id: i64,
    name: String,
    description: String,
    active: bool,
    created_at: DateTime<Utc>,
}

impl From<CategoryRow> for Category {
    fn from(r: CategoryRow) -> Self {
        Category {
            id: r.id,
            name: r.name,
            description: r.description,
            active: r.active,
            created_at: r.created_at,
        }
    }
}

/// A unique violation of the name as the 409 it is.
fn duplicate_name(e: diesel::result::Error, name: &str) -> DomainError {
    match map_db_error(e) {
        DomainError::Conflict { .. } => DomainError::conflict(
            ConflictCode::Duplicate,
            format!("a category named '{name}' exists already"),
        ),
        other => other,
    }
}

#[async_trait]
impl CategoryRepository for PgCategoryRepository {
    async fn create(
        &self,
        category: NewCategory,
        now: DateTime<Utc>,
    ) -> Result<Category, DomainError> {
        self.db
            .run(move |conn| {
                diesel::insert_into(categories::table)
                    .values((
                        categories::name.eq(&category.name),
                        categories::description.eq(&category.description),
                        categories::active.eq(category.active),
                        categories::created_at.eq(now),
                    ))
                    .returning(CategoryRow::as_returning())
                    .get_result(conn)
                    .map(Category::from)
                    .map_err(|e| duplicate_name(e, &category.name))
            })
            .await
    }

    async fn list(
        &self,
        include_inactive: bool,
        page: Page,
    ) -> Result<Paged<Category>, DomainError> {
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = categories::table.into_boxed();
                    if !include_inactive {
                        q = q.filter(categories::active.eq(true));
                    }
                    q
                };
                let total = build()
                    .select(count_star())
                    .first(conn)
                    .map_err(map_db_error)?;
                let items = build()
                    .order((categories::name, categories::id))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(CategoryRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                Ok(Paged {
                    items: items.into_iter().map(Category::from).collect(),
                    total,
                    page,
                })
            })
            .await
    }

    async fn get(&self, id: i64) -> Result<Category, DomainError> {
        self.db
            .run(move |conn| {
                categories::table
                    .find(id)
                    .select(CategoryRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(map_db_error)?
                    .map(Category::from)
                    .ok_or_else(|| DomainError::not_found("category", id))
            })
            .await
    }

    async fn update(&self, id: i64, category: NewCategory) -> Result<Category, DomainError> {
        self.db
            .run(move |conn| {
                diesel::update(categories::table.find(id))
                    .set((
                        categories::name.eq(&category.name),
                        categories::description.eq(&category.description),
                        categories::active.eq(category.active),
                    ))
                    .returning(CategoryRow::as_returning())
                    .get_result(conn)
                    .optional()
                    .map_err(|e| duplicate_name(e, &category.name))?
                    .map(Category::from)
                    .ok_or_else(|| DomainError::not_found("category", id))
            })
            .await
    }
}

// ---------- the stored form of the availability's lists ----------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredInterval {
    weekday: String,
    start: String,
    end: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredException {
    kind: String,
    date: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<String>,
}

fn weekly_json(weekly: &[WeeklyInterval]) -> Value {
    let rows: Vec<StoredInterval> = weekly
        .iter()
        .map(|w| StoredInterval {
            weekday: weekday_name(w.weekday).to_owned(),
            start: clock_time(w.start),
            end: clock_time(w.end),
        })
        .collect();
    serde_json::to_value(rows).unwrap_or_default()
}

fn exceptions_json(exceptions: &[AvailabilityException]) -> Value {
    let rows: Vec<StoredException> = exceptions
        .iter()
        .map(|e| match *e {
            AvailabilityException::Closed { date } => StoredException {
                kind: ExceptionKind::Closed.as_str().to_owned(),
                date,
                start: None,
                end: None,
            },
            AvailabilityException::Extra { date, start, end } => StoredException {
                kind: ExceptionKind::Extra.as_str().to_owned(),
                date,
                start: Some(clock_time(start)),
                end: Some(clock_time(end)),
            },
        })
        .collect();
    serde_json::to_value(rows).unwrap_or_default()
}

fn stored_time(raw: Option<&str>) -> Result<chrono::NaiveTime, DomainError> {
    let raw = raw.unwrap_or("");
    parse_clock_time(raw).map_err(|_| corrupt("time", raw))
}

fn weekly_of(v: Value) -> Result<Vec<WeeklyInterval>, DomainError> {
    let rows: Vec<StoredInterval> =
        serde_json::from_value(v).map_err(|e| corrupt("weekly", &e.to_string()))?;
    rows.into_iter()
        .map(|r| {
            Ok(WeeklyInterval {
                weekday: parse_weekday(&r.weekday).map_err(|_| corrupt("weekday", &r.weekday))?,
                start: stored_time(Some(&r.start))?,
                end: stored_time(Some(&r.end))?,
            })
        })
        .collect()
}

fn exceptions_of(v: Value) -> Result<Vec<AvailabilityException>, DomainError> {
    let rows: Vec<StoredException> =
        serde_json::from_value(v).map_err(|e| corrupt("exceptions", &e.to_string()))?;
    rows.into_iter()
        .map(|r| match ExceptionKind::parse(&r.kind) {
            Ok(ExceptionKind::Closed) => Ok(AvailabilityException::Closed { date: r.date }),
            Ok(ExceptionKind::Extra) => Ok(AvailabilityException::Extra {
                date: r.date,
                start: stored_time(r.start.as_deref())?,
                end: stored_time(r.end.as_deref())?,
            }),
            Err(_) => Err(corrupt("exception kind", &r.kind)),
        })
        .collect()
}

// ---------- services ----------

#[derive(Queryable, Selectable)]
#[diesel(table_name = services)]
struct ServiceRow {
    id: i64,
    provider_id: Uuid,
    title: String,
    description: String,
    category_id: i64,
    price: i64,
    currency: String,
    time_zone: String,
    weekly: Value,
    exceptions: Value,
    duration_minutes: i32,
    buffer_before_minutes: i32,
    buffer_after_minutes: i32,
    capacity: i32,
    min_notice_minutes: i32,
    max_advance_days: i32,
    requires_acceptance: bool,
    full_refund_hours_before: i32,
    late_refund_percent: i32,
    reminder_minutes_before: Option<i32>,
    image_urls: Vec<String>,
    active: bool,
    deleted_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ServiceRow> for Service {
    type Error = DomainError;

    fn try_from(r: ServiceRow) -> Result<Self, DomainError> {
        let time_zone =
            TimeZone::parse(&r.time_zone).map_err(|_| corrupt("time zone", &r.time_zone))?;
        Ok(Service {
            id: r.id,
            provider_id: r.provider_id,
            fields: NewService {
                title: r.title,
                description: r.description,
                category_id: r.category_id,
                price: r.price,
                currency: currency(&r.currency)?,
                availability: Availability {
                    time_zone,
                    weekly: weekly_of(r.weekly)?,
                    exceptions: exceptions_of(r.exceptions)?,
                    duration_minutes: u32_of(r.duration_minutes),
                    buffer_before_minutes: u32_of(r.buffer_before_minutes),
                    buffer_after_minutes: u32_of(r.buffer_after_minutes),
                    capacity: u32_of(r.capacity),
                    min_notice_minutes: u32_of(r.min_notice_minutes),
                    max_advance_days: u32_of(r.max_advance_days),
                },
                requires_acceptance: r.requires_acceptance,
                full_refund_hours_before: u32_of(r.full_refund_hours_before),
                late_refund_percent: u32_of(r.late_refund_percent),
                reminder_minutes_before: r.reminder_minutes_before.map(u32_of),
                image_urls: r.image_urls,
                active: r.active,
            },
            deleted_at: r.deleted_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// The columns a service's fields are written to (insert and update alike).
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = services)]
#[diesel(treat_none_as_null = true)]
struct ServiceValues {
    title: String,
    description: String,
    category_id: i64,
    price: i64,
    currency: String,
    time_zone: String,
    weekly: Value,
    exceptions: Value,
    duration_minutes: i32,
    buffer_before_minutes: i32,
    buffer_after_minutes: i32,
    capacity: i32,
    min_notice_minutes: i32,
    max_advance_days: i32,
    requires_acceptance: bool,
    full_refund_hours_before: i32,
    late_refund_percent: i32,
    reminder_minutes_before: Option<i32>,
    image_urls: Vec<String>,
    active: bool,
    updated_at: DateTime<Utc>,
}

impl ServiceValues {
    fn new(s: NewService, now: DateTime<Utc>) -> Self {
        let a = &s.availability;
        Self {
            currency: s.currency.as_str().to_owned(),
            time_zone: a.time_zone.name().to_owned(),
            weekly: weekly_json(&a.weekly),
            exceptions: exceptions_json(&a.exceptions),
            duration_minutes: i32_of(a.duration_minutes),
            buffer_before_minutes: i32_of(a.buffer_before_minutes),
            buffer_after_minutes: i32_of(a.buffer_after_minutes),
            capacity: i32_of(a.capacity),
            min_notice_minutes: i32_of(a.min_notice_minutes),
            max_advance_days: i32_of(a.max_advance_days),
            title: s.title,
            description: s.description,
            category_id: s.category_id,
            price: s.price,
            requires_acceptance: s.requires_acceptance,
            full_refund_hours_before: i32_of(s.full_refund_hours_before),
            late_refund_percent: i32_of(s.late_refund_percent),
            reminder_minutes_before: s.reminder_minutes_before.map(i32_of),
            image_urls: s.image_urls,
            active: s.active,
            updated_at: now,
        }
    }
}

/// The category a service is written into exists (locked against its deletion until commit).
fn category_exists(conn: &mut PgConnection, id: i64) -> Result<(), TxError> {
    let found: Option<i64> = categories::table
        .find(id)
        .select(categories::id)
        .for_key_share()
        .first(conn)
        .optional()?;
    ensure_exists(found, "category", id).map(|_| ())
}

pub(crate) fn find_service(conn: &mut PgConnection, id: i64) -> Result<Service, TxError> {
    services::table
        .find(id)
        .select(ServiceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("service", id))?
        .try_into()
        .map_err(TxError::Domain)
}

#[async_trait]
impl ServiceRepository for PgServiceRepository {
    async fn create(
        &self,
        provider_id: Uuid,
        service: NewService,
        now: DateTime<Utc>,
    ) -> Result<Service, DomainError> {
        self.db
            .transaction(move |conn| {
                category_exists(conn, service.category_id)?;
                let row = diesel::insert_into(services::table)
                    .values((
                        ServiceValues::new(service, now),
                        services::provider_id.eq(provider_id),
                        services::created_at.eq(now),
                    ))
                    .returning(ServiceRow::as_returning())
                    .get_result(conn)?;
                Ok(Service::try_from(row)?)
            })
            .await
    }

    async fn get(&self, id: i64) -> Result<Service, DomainError> {
        self.db
            .run(move |conn| find_service(conn, id).map_err(TxError::into_domain))
            .await
    }

    async fn list(&self, filter: ServiceFilter, page: Page) -> Result<Paged<Service>, DomainError> {
        self.db
            .run(move |conn| {
                let total: i64 = services::table
                    .filter(crate::rules::service_listed(&filter))
                    .select(count_star())
                    .first(conn)
                    .map_err(map_db_error)?;
                let q = services::table
                    .filter(crate::rules::service_listed(&filter))
                    .into_boxed();
                let q = match filter.sort {
                    ServiceSort::PriceAsc => q.order((services::price, services::id)),
                    ServiceSort::PriceDesc => {
                        q.order((services::price.desc(), services::id.desc()))
                    }
                    // The use case orders by free slots itself; the storage lists the newest.
                    ServiceSort::Newest | ServiceSort::Soonest => {
                        q.order((services::created_at.desc(), services::id.desc()))
                    }
                };
                let rows = q
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(ServiceRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                let items = rows
                    .into_iter()
                    .map(Service::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn update(
        &self,
        id: i64,
        service: NewService,
        now: DateTime<Utc>,
    ) -> Result<Service, DomainError> {
        self.db
            .transaction(move |conn| {
                category_exists(conn, service.category_id)?;
                let row = diesel::update(
                    services::table
                        .find(id)
                        .filter(services::deleted_at.is_null()),
                )
                .set(ServiceValues::new(service, now))
                .returning(ServiceRow::as_returning())
                .get_result(conn)
                .optional()?
                .ok_or_else(|| DomainError::not_found("service", id))?;
                Ok(Service::try_from(row)?)
            })
            .await
    }

    async fn delete(&self, id: i64, now: DateTime<Utc>) -> Result<Service, DomainError> {
        self.db
            .transaction(move |conn| {
                let marked = diesel::update(
                    services::table
                        .find(id)
                        .filter(services::deleted_at.is_null()),
                )
                .set((
                    services::deleted_at.eq(Some(now)),
                    services::updated_at.eq(now),
                ))
                .returning(ServiceRow::as_returning())
                .get_result(conn)
                .optional()?;
                match marked {
                    Some(row) => Ok(Service::try_from(row)?),
                    None => find_service(conn, id),
                }
            })
            .await
    }
    async fn booked_time(
        &self,
        provider_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<BookedTime>, DomainError> {
        self.db
            .run(move |conn| crate::appointments::booked_time(conn, provider_id, (from, to), now))
            .await
    }

    async fn upcoming_appointments(
        &self,
        service_id: i64,
        from: DateTime<Utc>,
    ) -> Result<Vec<UpcomingAppointment>, DomainError> {
        self.db
            .run(move |conn| {
                crate::appointments::upcoming(conn, service_id, from, from)
                    .map_err(TxError::into_domain)
            })
            .await
    }
}
