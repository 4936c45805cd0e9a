//! `CatalogRepository` on PostgreSQL.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use boxoffice_domain::catalog::{
    City, Event, EventDetail, EventFilter, Layout, NewCity, NewEvent, NewShow, NewVenue, Page,
    Paged, SeatDetail, ShowDetail, ShowKind, Venue,
};
use boxoffice_domain::import::{ImportSummary, PricingRow, SeatRow};
use boxoffice_domain::live::Signal;
use boxoffice_domain::ports::CatalogRepository;
use boxoffice_domain::seat_map::SeatMap;
use boxoffice_domain::time_zone::{ShowTime, TimeZone};
use boxoffice_domain::{ConflictCode, DomainError};
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Int8;

use crate::catalog_imports::{import_pricing_tx, import_seats_tx};
use crate::models::*;
use crate::schema::*;
use crate::seat_chart::ChartCache;
use crate::seat_map::{seat_detail, seat_map};
use crate::show_reads::{event_detail, show_detail};
use crate::{map_db_error, Db, TxError};

/// Seats inserted per statement (PostgreSQL allows 65535 bind parameters).
pub(crate) const SEAT_CHUNK: usize = 5_000;

#[derive(Clone)]
pub struct PgCatalogRepository {
    db: Db,
    /// The seat charts read so far, reused while their version is current (ADR 0012).
    charts: Arc<ChartCache>,
}

impl PgCatalogRepository {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            charts: Arc::default(),
        }
    }
}

fn paged<T>(items: Vec<T>, total: i64, page: Page) -> Paged<T> {
    Paged { items, total, page }
}

pub(crate) fn find_show(conn: &mut PgConnection, id: i64) -> Result<ShowRow, TxError> {
    shows::table
        .find(id)
        .select(ShowRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("show", id).into())
}

pub(crate) fn ensure_exists<T>(
    found: Option<T>,
    entity: &'static str,
    id: i64,
) -> Result<T, TxError> {
    found.ok_or_else(|| DomainError::not_found(entity, id).into())
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
pub(crate) fn refresh_seat_counts(conn: &mut PgConnection, show_id: i64) -> Result<(), TxError> {
    diesel::sql_query(
        "UPDATE seat_classes sc SET seat_count = \
         (SELECT count(*) FROM seats s WHERE s.seat_class_id = sc.id) WHERE sc.show_id = $1",
    )
    .bind::<Int8, _>(show_id)
    .execute(conn)?;
    Ok(())
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
                        venues::time_zone.eq(venue.time_zone.name()),
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
                    if let Some(o) = filter.organizer_id {
                        q = q.filter(events::organizer_id.eq(o));
                    }
                    if let Some(text) = &filter.text {
                        q = q.filter(crate::rules::event_matches_text(text));
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

    async fn show_time(&self, show_id: i64) -> Result<ShowTime, DomainError> {
        self.db
            .run(move |conn| {
                let row: Option<(DateTime<Utc>, Option<String>)> = shows::table
                    .left_join(venues::table)
                    .filter(shows::id.eq(show_id))
                    .select((shows::starts_at, venues::time_zone.nullable()))
                    .first(conn)
                    .optional()
                    .map_err(crate::map_db_error)?;
                let (starts_at, zone) =
                    row.ok_or_else(|| DomainError::not_found("show", show_id))?;
                Ok(ShowTime {
                    starts_at,
                    time_zone: TimeZone::from_stored(zone.as_deref()),
                })
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

    async fn list_seats(&self, show_id: i64, now: DateTime<Utc>) -> Result<SeatMap, DomainError> {
        // One statement: one round trip, one snapshot (no transaction needed).
        let charts = self.charts.clone();
        self.db
            .run(move |conn| seat_map(conn, &charts, show_id, now))
            .await
    }

    async fn get_seat(&self, id: i64, now: DateTime<Utc>) -> Result<SeatDetail, DomainError> {
        self.db.run(move |conn| seat_detail(conn, id, now)).await
    }

    async fn import_seats(
        &self,
        show_id: i64,
        rows: Vec<SeatRow>,
    ) -> Result<ImportSummary, DomainError> {
        self.db
            .bulk_transaction(move |conn| import_seats_tx(conn, show_id, rows))
            .await
            .inspect(|_| self.db.signal(Signal::Seats(vec![show_id])))
    }

    async fn import_pricing(
        &self,
        show_id: i64,
        rows: Vec<PricingRow>,
    ) -> Result<ImportSummary, DomainError> {
        self.db
            .bulk_transaction(move |conn| import_pricing_tx(conn, show_id, rows))
            .await
            .inspect(|_| self.db.signal(Signal::Seats(vec![show_id])))
    }
}
