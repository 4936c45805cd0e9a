//! `CatalogRepository` on PostgreSQL.

use std::collections::HashMap;
use std::sync::LazyLock;

use async_trait::async_trait;
use boxoffice_domain::catalog::{
    City, Event, EventDetail, EventFilter, Layout, NewCity, NewEvent, NewShow, NewVenue, Page,
    Paged, SeatClassAvailability, SeatDetail, SeatStatus, SeatView, Show, ShowDetail, ShowKind,
    Venue,
};
use boxoffice_domain::import::{ImportSummary, PricingRow, SeatRow};
use boxoffice_domain::ports::CatalogRepository;
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::{ConflictCode, DomainError};
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, Int8, Nullable, Text, Timestamptz};

use crate::models::*;
use crate::rules::past_due_sql;
use crate::schema::*;
use crate::{map_db_error, Db, TxError};

/// Seats inserted per statement (PostgreSQL allows 65535 bind parameters).
const SEAT_CHUNK: usize = 5_000;

#[derive(Clone)]
pub struct PgCatalogRepository {
    db: Db,
}

impl PgCatalogRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn paged<T>(items: Vec<T>, total: i64, page: Page) -> Paged<T> {
    Paged { items, total, page }
}

fn find_show(conn: &mut PgConnection, id: i64) -> Result<ShowRow, TxError> {
    shows::table
        .find(id)
        .select(ShowRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("show", id).into())
}

fn ensure_exists<T>(found: Option<T>, entity: &'static str, id: i64) -> Result<T, TxError> {
    found.ok_or_else(|| DomainError::not_found(entity, id).into())
}

/// Per class: seats, seats in live holds, seats in active bookings (past-due holds not counted).
static CLASS_COUNTS_SQL: LazyLock<String> = LazyLock::new(|| {
    let due = past_due_sql("b", "$2");
    format!(
        "SELECT sc.id, sc.show_id, sc.name, sc.min_price, sc.normal_price, sc.max_price, \
  (SELECT count(*) FROM seats s WHERE s.seat_class_id = sc.id) AS total_seats, \
  (SELECT count(*) FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id \
     WHERE bi.seat_class_id = sc.id AND bi.active AND b.status = 'held' AND NOT {due}) \
     AS held_seats, \
  (SELECT count(*) FROM booking_items bi WHERE bi.seat_class_id = sc.id AND bi.active) \
  - (SELECT count(*) FROM booking_items bi JOIN bookings b ON b.id = bi.booking_id \
     WHERE bi.seat_class_id = sc.id AND bi.active AND {due}) \
     AS active_seats \
FROM seat_classes sc WHERE sc.show_id = ANY($1) ORDER BY sc.show_id, sc.name"
    )
});

/// General-admission places of past-due holds per show (free again, even before the reaper
/// writes `expired`).
static DUE_PLACES_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT b.show_id, COALESCE(sum(b.quantity), 0)::bigint AS places FROM bookings b \
WHERE {} AND b.show_id = ANY($1) GROUP BY b.show_id",
        past_due_sql("b", "$2")
    )
});

#[derive(QueryableByName)]
struct DuePlacesRow {
    #[diesel(sql_type = Int8)]
    show_id: i64,
    #[diesel(sql_type = Int8)]
    places: i64,
}

/// Seat classes with their counts, for several shows, grouped by show id.
/// Seats of past-due holds count as free (`now` is the clock of the caller).
pub(crate) fn class_counts(
    conn: &mut PgConnection,
    show_ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<SeatClassAvailability>>, TxError> {
    let rows: Vec<ClassCountsRow> = diesel::sql_query(CLASS_COUNTS_SQL.as_str())
        .bind::<Array<Int8>, _>(show_ids)
        .bind::<Timestamptz, _>(now)
        .load(conn)?;
    let mut out: HashMap<i64, Vec<SeatClassAvailability>> = HashMap::new();
    for r in rows {
        out.entry(r.show_id).or_default().push(r.into());
    }
    Ok(out)
}

/// Adds the places of past-due general-admission holds back to `free_places`.
pub(crate) fn free_due_places(
    conn: &mut PgConnection,
    shows: &mut [Show],
    now: DateTime<Utc>,
) -> Result<(), TxError> {
    let general: Vec<i64> = shows
        .iter()
        .filter(|s| s.kind == ShowKind::General)
        .map(|s| s.id)
        .collect();
    if general.is_empty() {
        return Ok(());
    }
    let due: Vec<DuePlacesRow> = diesel::sql_query(DUE_PLACES_SQL.as_str())
        .bind::<Array<Int8>, _>(&general)
        .bind::<Timestamptz, _>(now)
        .load(conn)?;
    for d in due {
        if let Some(show) = shows.iter_mut().find(|s| s.id == d.show_id) {
            let places = u32::try_from(d.places).unwrap_or(0);
            show.free_places = show.free_places.map(|f| {
                f.saturating_add(places)
                    .min(show.capacity.unwrap_or(u32::MAX))
            });
        }
    }
    Ok(())
}

fn show_details(
    conn: &mut PgConnection,
    rows: Vec<ShowRow>,
    now: DateTime<Utc>,
) -> Result<Vec<ShowDetail>, TxError> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut counts = class_counts(conn, &ids, now)?;
    let mut shows = rows
        .into_iter()
        .map(Show::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    free_due_places(conn, &mut shows, now)?;
    Ok(shows
        .into_iter()
        .map(|show| {
            let classes = counts.remove(&show.id).unwrap_or_default();
            ShowDetail { show, classes }
        })
        .collect())
}

fn event_detail(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<EventDetail, TxError> {
    let row = events::table
        .find(id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()?;
    let event = Event::try_from(ensure_exists(row, "event", id)?)?;
    let show_rows = shows::table
        .filter(shows::event_id.eq(id))
        .order((shows::starts_at, shows::id))
        .select(ShowRow::as_select())
        .load(conn)?;
    Ok(EventDetail {
        event,
        shows: show_details(conn, show_rows, now)?,
    })
}

fn insert_show(conn: &mut PgConnection, event_id: i64, show: &NewShow) -> Result<i64, TxError> {
    if let Some(v) = show.venue_id {
        let found: Option<i64> = venues::table
            .find(v)
            .select(venues::id)
            .first(conn)
            .optional()?;
        ensure_exists(found, "venue", v)?;
    }
    let (kind, capacity, price) = match &show.layout {
        Layout::General { capacity, price } => (
            ShowKind::General,
            Some(
                i32::try_from(*capacity)
                    .map_err(|_| DomainError::invalid("capacity", "too large"))?,
            ),
            *price,
        ),
        Layout::Seated { .. } => (ShowKind::Seated, None, None),
    };
    let show_id: i64 = diesel::insert_into(shows::table)
        .values((
            shows::event_id.eq(event_id),
            shows::venue_id.eq(show.venue_id),
            shows::screen_name.eq(show.screen_name.trim()),
            shows::starts_at.eq(show.starts_at),
            shows::ends_at.eq(show.ends_at),
            shows::kind.eq(kind.as_str()),
            shows::currency.eq(show.currency.as_str()),
            shows::capacity.eq(capacity),
            shows::free_places.eq(capacity),
            shows::price.eq(price),
        ))
        .returning(shows::id)
        .get_result(conn)?;
    if let Layout::Seated {
        classes,
        seats: new_seats,
    } = &show.layout
    {
        let class_rows: Vec<_> = classes
            .iter()
            .map(|c| {
                (
                    seat_classes::show_id.eq(show_id),
                    seat_classes::name.eq(c.name.trim()),
                    seat_classes::min_price.eq(c.prices.min_price),
                    seat_classes::normal_price.eq(c.prices.normal_price),
                    seat_classes::max_price.eq(c.prices.max_price),
                )
            })
            .collect();
        let ids: Vec<(i64, String)> = diesel::insert_into(seat_classes::table)
            .values(&class_rows)
            .returning((seat_classes::id, seat_classes::name))
            .get_results(conn)?;
        let class_id: HashMap<String, i64> = ids.into_iter().map(|(i, n)| (n, i)).collect();
        for chunk in new_seats.chunks(SEAT_CHUNK) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|s| {
                    (
                        seats::show_id.eq(show_id),
                        seats::seat_class_id.eq(class_id.get(s.class.trim()).copied().unwrap_or(0)),
                        seats::label.eq(s.label.as_str()),
                        seats::row_label.eq(s.label.row()),
                        seats::seat_number.eq(s.label.number() as i32),
                        seats::external_ref.eq(s.external_ref.as_deref()),
                    )
                })
                .collect();
            diesel::insert_into(seats::table)
                .values(&rows)
                .execute(conn)?;
        }
        refresh_seat_counts(conn, show_id)?;
    }
    Ok(show_id)
}

/// Keeps `seat_classes.seat_count` equal to the seats of each class of the show (same
/// transaction as the seat writes).
fn refresh_seat_counts(conn: &mut PgConnection, show_id: i64) -> Result<(), TxError> {
    diesel::sql_query(
        "UPDATE seat_classes sc SET seat_count = \
         (SELECT count(*) FROM seats s WHERE s.seat_class_id = sc.id) WHERE sc.show_id = $1",
    )
    .bind::<Int8, _>(show_id)
    .execute(conn)?;
    Ok(())
}

fn show_detail(
    conn: &mut PgConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<ShowDetail, TxError> {
    let row = find_show(conn, id)?;
    let mut v = show_details(conn, vec![row], now)?;
    v.pop()
        .ok_or_else(|| DomainError::Internal("show vanished".into()).into())
}

#[derive(QueryableByName)]
struct SeatViewRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Text)]
    label: String,
    #[diesel(sql_type = Text)]
    row_label: String,
    #[diesel(sql_type = diesel::sql_types::Int4)]
    seat_number: i32,
    #[diesel(sql_type = Int8)]
    seat_class_id: i64,
    #[diesel(sql_type = Text)]
    class_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    external_ref: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    booking_status: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    held_until: Option<DateTime<Utc>>,
    #[diesel(sql_type = Int8)]
    show_id: i64,
}

impl From<SeatViewRow> for SeatView {
    fn from(r: SeatViewRow) -> Self {
        let status = match r.booking_status.as_deref() {
            None => SeatStatus::Available,
            Some("held") => SeatStatus::Held,
            Some(_) => SeatStatus::Booked,
        };
        SeatView {
            id: r.id,
            label: r.label,
            row: r.row_label,
            number: u32::try_from(r.seat_number).unwrap_or(0),
            class_id: r.seat_class_id,
            class: r.class_name,
            held_until: if status == SeatStatus::Held {
                r.held_until
            } else {
                None
            },
            status,
            external_ref: r.external_ref,
        }
    }
}

/// Seats with the status of the active booking that has them; a past-due hold (`$2` is now)
/// leaves its seats available.
/// A seat with its class and, when an active booking has it (a past-due hold does not), that
/// booking's status and deadline.
static SEATS_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT s.id, s.label, s.row_label, s.seat_number, s.seat_class_id, sc.name AS class_name, \
       s.external_ref, b.status AS booking_status, b.expires_at AS held_until, s.show_id \
FROM seats s \
JOIN seat_classes sc ON sc.id = s.seat_class_id \
LEFT JOIN (booking_items bi JOIN bookings b ON b.id = bi.booking_id AND NOT {}) \
       ON bi.seat_id = s.id AND bi.active ",
        past_due_sql("b", "$2")
    )
});

const SEAT_ORDER: &str =
    " ORDER BY sc.name, length(s.row_label), s.row_label, s.seat_number, s.label";

#[derive(QueryableByName)]
struct ClassPriceRow {
    #[diesel(sql_type = Int8)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Int8>)]
    min_price: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    normal_price: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    max_price: Option<i64>,
}

fn list_seats_tx(
    conn: &mut PgConnection,
    show_id: i64,
    now: DateTime<Utc>,
) -> Result<(ShowDetail, Vec<SeatView>), TxError> {
    let show = Show::try_from(find_show(conn, show_id)?)?;
    let classes: Vec<ClassPriceRow> = diesel::sql_query(
        "SELECT id, name, min_price, normal_price, max_price FROM seat_classes WHERE show_id = $1 ORDER BY name",
    )
    .bind::<Int8, _>(show_id)
    .load(conn)?;
    let rows: Vec<SeatViewRow> =
        diesel::sql_query(format!("{} WHERE s.show_id = $1 {SEAT_ORDER}", *SEATS_SQL))
            .bind::<Int8, _>(show_id)
            .bind::<Timestamptz, _>(now)
            .load(conn)?;
    let seats: Vec<SeatView> = rows.into_iter().map(SeatView::from).collect();
    // Class counts derived from the same snapshot of seats: one query fewer on a hot read path.
    let mut classes: Vec<SeatClassAvailability> = classes
        .into_iter()
        .map(|c| SeatClassAvailability {
            id: c.id,
            name: c.name,
            prices: TierPrices {
                min_price: c.min_price,
                normal_price: c.normal_price,
                max_price: c.max_price,
            },
            total_seats: 0,
            held_seats: 0,
            booked_seats: 0,
        })
        .collect();
    let index: HashMap<i64, usize> = classes.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
    for s in &seats {
        if let Some(&i) = index.get(&s.class_id) {
            let c = &mut classes[i];
            c.total_seats += 1;
            match s.status {
                SeatStatus::Held => c.held_seats += 1,
                SeatStatus::Booked => c.booked_seats += 1,
                SeatStatus::Available => {}
            }
        }
    }
    Ok((ShowDetail { show, classes }, seats))
}

fn seated_show_for_import(conn: &mut PgConnection, show_id: i64) -> Result<ShowRow, TxError> {
    let show = find_show(conn, show_id)?;
    if show.kind != ShowKind::Seated.as_str() {
        return Err(DomainError::Conflict {
            code: ConflictCode::NotSeated,
            message: format!("show {show_id} is general admission: it has no seat map"),
        }
        .into());
    }
    Ok(show)
}

fn import_seats_tx(
    conn: &mut PgConnection,
    show_id: i64,
    rows: Vec<SeatRow>,
) -> Result<ImportSummary, TxError> {
    seated_show_for_import(conn, show_id)?;
    // Serialise imports of one show (bookings are not blocked).
    diesel::sql_query("SELECT pg_advisory_xact_lock(1, $1::int)")
        .bind::<diesel::sql_types::Integer, _>((show_id % i64::from(i32::MAX)) as i32)
        .execute(conn)?;
    let mut class_ids: HashMap<String, i64> = seat_classes::table
        .filter(seat_classes::show_id.eq(show_id))
        .select((seat_classes::name, seat_classes::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    for r in &rows {
        if !class_ids.contains_key(&r.class) {
            let id: i64 = diesel::insert_into(seat_classes::table)
                .values((
                    seat_classes::show_id.eq(show_id),
                    seat_classes::name.eq(&r.class),
                ))
                .returning(seat_classes::id)
                .get_result(conn)?;
            class_ids.insert(r.class.clone(), id);
        }
    }
    #[derive(QueryableByName)]
    struct Existing {
        #[diesel(sql_type = Int8)]
        id: i64,
        #[diesel(sql_type = Text)]
        label: String,
        #[diesel(sql_type = Int8)]
        seat_class_id: i64,
        #[diesel(sql_type = Nullable<Text>)]
        external_ref: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        booked: bool,
    }
    let existing: Vec<Existing> = diesel::sql_query(
        "SELECT s.id, s.label, s.seat_class_id, s.external_ref, \
         EXISTS (SELECT 1 FROM booking_items bi WHERE bi.seat_id = s.id AND bi.active) AS booked \
         FROM seats s WHERE s.show_id = $1",
    )
    .bind::<Int8, _>(show_id)
    .load(conn)?;
    let existing: HashMap<String, Existing> =
        existing.into_iter().map(|e| (e.label.clone(), e)).collect();
    let mut summary = ImportSummary {
        rows: rows.len() as u64,
        ..Default::default()
    };
    let mut new_rows = Vec::new();
    for r in &rows {
        let class_id = class_ids[&r.class];
        match existing.get(r.label.as_str()) {
            None => {
                summary.created += 1;
                new_rows.push((
                    seats::show_id.eq(show_id),
                    seats::seat_class_id.eq(class_id),
                    seats::label.eq(r.label.as_str().to_owned()),
                    seats::row_label.eq(r.label.row().to_owned()),
                    seats::seat_number.eq(r.label.number() as i32),
                    seats::external_ref.eq(r.external_id.clone()),
                ));
            }
            Some(e) if e.seat_class_id == class_id && e.external_ref == r.external_id => {
                summary.unchanged += 1;
            }
            Some(e) => {
                if e.booked && e.seat_class_id != class_id {
                    return Err(DomainError::InvalidCsv {
                        line: r.line,
                        column: Some("seat_class".into()),
                        problem: format!(
                            "seat '{}' is in an active booking: its class cannot change",
                            r.label
                        ),
                    }
                    .into());
                }
                summary.updated += 1;
                diesel::update(seats::table.find(e.id))
                    .set((
                        seats::seat_class_id.eq(class_id),
                        seats::external_ref.eq(r.external_id.as_deref()),
                    ))
                    .execute(conn)?;
            }
        }
    }
    for chunk in new_rows.chunks(SEAT_CHUNK) {
        diesel::insert_into(seats::table)
            .values(chunk)
            .execute(conn)?;
    }
    refresh_seat_counts(conn, show_id)?;
    Ok(summary)
}

fn import_pricing_tx(
    conn: &mut PgConnection,
    show_id: i64,
    rows: Vec<PricingRow>,
) -> Result<ImportSummary, TxError> {
    seated_show_for_import(conn, show_id)?;
    let mut summary = ImportSummary {
        rows: rows.len() as u64,
        ..Default::default()
    };
    for r in rows {
        type ClassRow = (i64, Option<i64>, Option<i64>, Option<i64>, Option<String>);
        let current: Option<ClassRow> = seat_classes::table
            .filter(seat_classes::show_id.eq(show_id))
            .filter(seat_classes::name.eq(&r.class))
            .select((
                seat_classes::id,
                seat_classes::min_price,
                seat_classes::normal_price,
                seat_classes::max_price,
                seat_classes::external_ref,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let p = r.prices;
        match current {
            None => {
                diesel::insert_into(seat_classes::table)
                    .values((
                        seat_classes::show_id.eq(show_id),
                        seat_classes::name.eq(&r.class),
                        seat_classes::min_price.eq(p.min_price),
                        seat_classes::normal_price.eq(p.normal_price),
                        seat_classes::max_price.eq(p.max_price),
                        seat_classes::external_ref.eq(&r.external_id),
                    ))
                    .execute(conn)?;
                summary.created += 1;
            }
            Some((id, min, normal, max, ext))
                if (min, normal, max) == (p.min_price, p.normal_price, p.max_price)
                    && ext == r.external_id =>
            {
                let _ = id;
                summary.unchanged += 1;
            }
            Some((id, ..)) => {
                diesel::update(seat_classes::table.find(id))
                    .set((
                        seat_classes::min_price.eq(p.min_price),
                        seat_classes::normal_price.eq(p.normal_price),
                        seat_classes::max_price.eq(p.max_price),
                        seat_classes::external_ref.eq(&r.external_id),
                    ))
                    .execute(conn)?;
                summary.updated += 1;
            }
        }
    }
    Ok(summary)
}

#[async_trait]
impl CatalogRepository for PgCatalogRepository {
    async fn create_city(&self, city: NewCity) -> Result<City, DomainError> {
        self.db
            .run(move |conn| {
                diesel::insert_into(cities::table)
                    .values((
                        cities::name.eq(city.name.as_str()),
                        cities::country.eq(&city.country),
                        cities::latitude.eq(city.latitude),
                        cities::longitude.eq(city.longitude),
                    ))
                    .returning(CityRow::as_returning())
                    .get_result(conn)
                    .map(City::from)
                    .map_err(|e| match map_db_error(e) {
                        DomainError::Conflict { .. } => DomainError::Conflict {
                            code: ConflictCode::Duplicate,
                            message: format!(
                                "a city named '{}' already exists in {}",
                                city.name.as_str(),
                                city.country
                            ),
                        },
                        other => other,
                    })
            })
            .await
    }

    async fn list_cities(&self, page: Page) -> Result<Paged<City>, DomainError> {
        self.db
            .run(move |conn| {
                let total = cities::table
                    .select(count_star())
                    .first(conn)
                    .map_err(map_db_error)?;
                let items = cities::table
                    .order((cities::name, cities::id))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(CityRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                Ok(paged(
                    items.into_iter().map(City::from).collect(),
                    total,
                    page,
                ))
            })
            .await
    }

    async fn create_venue(&self, venue: NewVenue) -> Result<Venue, DomainError> {
        self.db
            .transaction(move |conn| {
                let city: Option<i64> = cities::table
                    .find(venue.city_id)
                    .select(cities::id)
                    .for_key_share()
                    .first(conn)
                    .optional()?;
                ensure_exists(city, "city", venue.city_id)?;
                Ok(diesel::insert_into(venues::table)
                    .values((
                        venues::city_id.eq(venue.city_id),
                        venues::name.eq(venue.name.as_str()),
                        venues::address.eq(&venue.address),
                        venues::latitude.eq(venue.latitude),
                        venues::longitude.eq(venue.longitude),
                    ))
                    .returning(VenueRow::as_returning())
                    .get_result(conn)?
                    .into())
            })
            .await
    }

    async fn list_venues(
        &self,
        city_id: Option<i64>,
        page: Page,
    ) -> Result<Paged<Venue>, DomainError> {
        self.db
            .run(move |conn| {
                let mut q = venues::table.into_boxed();
                let mut c = venues::table.into_boxed();
                if let Some(id) = city_id {
                    q = q.filter(venues::city_id.eq(id));
                    c = c.filter(venues::city_id.eq(id));
                }
                let total = c.select(count_star()).first(conn).map_err(map_db_error)?;
                let items = q
                    .order((venues::name, venues::id))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(VenueRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                Ok(paged(
                    items.into_iter().map(Venue::from).collect(),
                    total,
                    page,
                ))
            })
            .await
    }

    async fn create_event(
        &self,
        event: NewEvent,
        show: Option<NewShow>,
    ) -> Result<EventDetail, DomainError> {
        self.db
            .transaction(move |conn| {
                let city: Option<i64> = cities::table
                    .find(event.city_id)
                    .select(cities::id)
                    .for_key_share()
                    .first(conn)
                    .optional()?;
                ensure_exists(city, "city", event.city_id)?;
                if let Some(v) = event.venue_id {
                    let venue_city: Option<i64> = venues::table
                        .find(v)
                        .select(venues::city_id)
                        .for_key_share()
                        .first(conn)
                        .optional()?;
                    if ensure_exists(venue_city, "venue", v)? != event.city_id {
                        return Err(DomainError::invalid(
                            "venue_id",
                            format!("venue {v} is not in city {}", event.city_id),
                        )
                        .into());
                    }
                }
                let id: i64 = diesel::insert_into(events::table)
                    .values((
                        events::title.eq(&event.title),
                        events::description.eq(&event.description),
                        events::event_type.eq(event.event_type.as_str()),
                        events::city_id.eq(event.city_id),
                        events::venue_id.eq(event.venue_id),
                        events::organizer_id.eq(event.organizer_id),
                    ))
                    .returning(events::id)
                    .get_result(conn)?;
                if let Some(mut s) = show {
                    if s.venue_id.is_none() {
                        s.venue_id = event.venue_id;
                    }
                    insert_show(conn, id, &s)?;
                }
                // A new event has no bookings: any instant gives the same counts.
                event_detail(conn, id, Utc::now())
            })
            .await
    }

    async fn list_events(
        &self,
        filter: EventFilter,
        page: Page,
    ) -> Result<Paged<Event>, DomainError> {
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = events::table.into_boxed();
                    if let Some(c) = filter.city_id {
                        q = q.filter(events::city_id.eq(c));
                    }
                    if let Some(t) = filter.event_type {
                        q = q.filter(events::event_type.eq(t.as_str()));
                    }
                    if filter.from.is_some() || filter.to.is_some() {
                        let mut s = shows::table
                            .select(shows::event_id)
                            .into_boxed::<diesel::pg::Pg>();
                        if let Some(f) = filter.from {
                            s = s.filter(shows::starts_at.ge(f));
                        }
                        if let Some(t) = filter.to {
                            s = s.filter(shows::starts_at.lt(t));
                        }
                        q = q.filter(events::id.eq_any(s));
                    }
                    q
                };
                let total: i64 = build()
                    .select(count_star())
                    .first(conn)
                    .map_err(map_db_error)?;
                let rows = build()
                    .order((events::created_at.desc(), events::id.desc()))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(EventRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                let items = rows
                    .into_iter()
                    .map(Event::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(paged(items, total, page))
            })
            .await
    }

    async fn get_event(&self, id: i64, now: DateTime<Utc>) -> Result<EventDetail, DomainError> {
        self.db
            .run(move |conn| event_detail(conn, id, now).map_err(TxError::into_domain))
            .await
    }

    async fn event_organizer(&self, event_id: i64) -> Result<Option<uuid::Uuid>, DomainError> {
        self.db
            .run(move |conn| {
                let row: Option<Option<uuid::Uuid>> = events::table
                    .find(event_id)
                    .select(events::organizer_id)
                    .first(conn)
                    .optional()
                    .map_err(crate::map_db_error)?;
                row.ok_or_else(|| DomainError::not_found("event", event_id))
            })
            .await
    }

    async fn show_organizer(&self, show_id: i64) -> Result<Option<uuid::Uuid>, DomainError> {
        self.db
            .run(move |conn| {
                let row: Option<Option<uuid::Uuid>> = shows::table
                    .inner_join(events::table)
                    .filter(shows::id.eq(show_id))
                    .select(events::organizer_id)
                    .first(conn)
                    .optional()
                    .map_err(crate::map_db_error)?;
                row.ok_or_else(|| DomainError::not_found("show", show_id))
            })
            .await
    }

    async fn create_show(&self, event_id: i64, show: NewShow) -> Result<ShowDetail, DomainError> {
        self.db
            .transaction(move |conn| {
                let found: Option<i64> = events::table
                    .find(event_id)
                    .select(events::id)
                    .for_key_share()
                    .first(conn)
                    .optional()?;
                ensure_exists(found, "event", event_id)?;
                let id = insert_show(conn, event_id, &show)?;
                // A new show has no bookings: any instant gives the same counts.
                show_detail(conn, id, Utc::now())
            })
            .await
    }

    async fn get_show(&self, id: i64, now: DateTime<Utc>) -> Result<ShowDetail, DomainError> {
        self.db
            .run(move |conn| show_detail(conn, id, now).map_err(TxError::into_domain))
            .await
    }

    async fn list_seats(
        &self,
        show_id: i64,
        now: DateTime<Utc>,
    ) -> Result<(ShowDetail, Vec<SeatView>), DomainError> {
        // One read-only transaction: the seats and the class counts come from one snapshot.
        self.db
            .run(move |conn| {
                conn.build_transaction()
                    .read_only()
                    .repeatable_read()
                    .run(|c| list_seats_tx(c, show_id, now))
                    .map_err(TxError::into_domain)
            })
            .await
    }

    async fn get_seat(&self, id: i64, now: DateTime<Utc>) -> Result<SeatDetail, DomainError> {
        self.db
            .run(move |conn| {
                let rows: Vec<SeatViewRow> =
                    diesel::sql_query(format!("{} WHERE s.id = $1", *SEATS_SQL))
                        .bind::<Int8, _>(id)
                        .bind::<Timestamptz, _>(now)
                        .load(conn)
                        .map_err(map_db_error)?;
                let row = rows
                    .into_iter()
                    .next()
                    .ok_or_else(|| DomainError::not_found("seat", id))?;
                let show_id = row.show_id;
                let seat = SeatView::from(row);
                let show = find_show(conn, show_id).map_err(TxError::into_domain)?;
                let mut counts =
                    class_counts(conn, &[show_id], now).map_err(TxError::into_domain)?;
                let class = counts
                    .remove(&show_id)
                    .unwrap_or_default()
                    .into_iter()
                    .find(|c| c.id == seat.class_id)
                    .ok_or_else(|| DomainError::Internal("seat class vanished".into()))?;
                Ok(SeatDetail {
                    seat,
                    show_id,
                    currency: currency(&show.currency)?,
                    class,
                })
            })
            .await
    }

    async fn import_seats(
        &self,
        show_id: i64,
        rows: Vec<SeatRow>,
    ) -> Result<ImportSummary, DomainError> {
        self.db
            .bulk_transaction(move |conn| import_seats_tx(conn, show_id, rows))
            .await
    }

    async fn import_pricing(
        &self,
        show_id: i64,
        rows: Vec<PricingRow>,
    ) -> Result<ImportSummary, DomainError> {
        self.db
            .bulk_transaction(move |conn| import_pricing_tx(conn, show_id, rows))
            .await
    }
}
