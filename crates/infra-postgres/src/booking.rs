//! `BookingRepository` on PostgreSQL: booking and cancelling are each one transaction.
//!
//! Seated: the requested seat rows are locked `FOR UPDATE` in id order (a fixed order, so two
//! bookings cannot deadlock), taken seats are read, the class occupancy is counted, and the
//! domain's `plan_seated` decides inside the transaction. No shared row is updated, so bookings of
//! different seats of one show run in parallel. The partial unique index on active seats is the
//! last word. General admission: a guarded `UPDATE … SET free_places = free_places - n WHERE
//! free_places >= n` (and a CHECK constraint) keeps capacity from going below zero.

use std::collections::HashMap;

use async_trait::async_trait;
use boxoffice_domain::booking::{
    plan_general, plan_seated, reference_from, Booking, BookingAction, BookingCommand, BookingItem,
    BookingPlan, BookingStatus, ClassSnapshot, Places, SeatSnapshot, ShowSnapshot,
};
use boxoffice_domain::catalog::{Page, Paged, Show, ShowKind};
use boxoffice_domain::payment::{HistoryEntity, HistoryEntry};
use boxoffice_domain::ports::{BookingFilter, BookingRepository, ContactQuery};
use boxoffice_domain::pricing::TierPrices;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::Text;
use uuid::Uuid;

use crate::models::*;
use crate::prepared::{ClassSnapshotQuery, ClassSnapshotRow, WritePlanQuery};
use crate::schema::*;
use crate::{map_db_error, Db, TxError};

#[derive(Clone)]
pub struct PgBookingRepository {
    db: Db,
}

impl PgBookingRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Stripes of the per-class sales counter (see migration 2026-11-22-000002).
const SALES_SLOTS: i64 = 32;

/// Sold-seat deltas per (class, slot) for (class, seat) pairs, ordered by (class, slot): every
/// writer touches counter rows in this one order, so two bookings cannot deadlock on them.
fn sales_groups(
    seats_of: impl Iterator<Item = (i64, i64)>,
    delta: i32,
) -> std::collections::BTreeMap<(i64, i16), i32> {
    let mut groups = std::collections::BTreeMap::new();
    for (class_id, seat_id) in seats_of {
        *groups
            .entry((class_id, seat_id.rem_euclid(SALES_SLOTS) as i16))
            .or_insert(0) += delta;
    }
    groups
}

/// Takes cancelled seats off their classes' sales counters (booking adds them in
/// `WritePlanQuery`).
fn uncount_sales(
    conn: &mut PgConnection,
    seats_of: impl Iterator<Item = (i64, i64)>,
) -> Result<(), TxError> {
    for ((class_id, slot), n) in sales_groups(seats_of, -1) {
        diesel::update(
            seat_class_sales::table
                .filter(seat_class_sales::seat_class_id.eq(class_id))
                .filter(seat_class_sales::slot.eq(slot)),
        )
        .set(seat_class_sales::sold.eq(seat_class_sales::sold + n))
        .execute(conn)?;
    }
    Ok(())
}

fn snapshot(show: &Show) -> ShowSnapshot {
    ShowSnapshot {
        id: show.id,
        kind: show.kind,
        starts_at: show.starts_at,
        currency: show.currency,
        price: show.price,
        free_places: show.free_places,
    }
}

fn load_show(conn: &mut PgConnection, id: i64) -> Result<Show, TxError> {
    let row = shows::table
        .find(id)
        .select(ShowRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("show", id))?;
    Ok(Show::try_from(row)?)
}

fn resolve_labels(
    conn: &mut PgConnection,
    show_id: i64,
    labels: &[String],
) -> Result<Vec<i64>, TxError> {
    let found: Vec<(i64, String)> = seats::table
        .filter(seats::show_id.eq(show_id))
        .filter(seats::label.eq_any(labels))
        .select((seats::id, seats::label))
        .load(conn)?;
    let by_label: HashMap<String, i64> = found.into_iter().map(|(i, l)| (l, i)).collect();
    let unknown: Vec<&str> = labels
        .iter()
        .filter(|l| !by_label.contains_key(*l))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(DomainError::invalid(
            "seat_labels",
            format!("unknown seats in show {show_id}: {}", unknown.join(", ")),
        )
        .into());
    }
    Ok(labels.iter().map(|l| by_label[l]).collect())
}

type ClassNames = HashMap<i64, String>;

fn plan_seats(
    conn: &mut PgConnection,
    show: &Show,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<(BookingPlan, ClassNames), TxError> {
    // Lock the requested seats in a fixed (id) order. A seat that an in-flight booking holds is
    // waited for: its booking may still fail, and a 409 must mean "taken" (ADR 0005).
    let locked: Vec<(i64, i64, i64, String, String, i32)> = seats::table
        .filter(seats::id.eq_any(ids))
        .order(seats::id)
        .select((
            seats::id,
            seats::show_id,
            seats::seat_class_id,
            seats::label,
            seats::row_label,
            seats::seat_number,
        ))
        .for_update()
        .load(conn)?;
    let taken: Vec<Option<i64>> = booking_items::table
        .filter(booking_items::seat_id.eq_any(ids))
        .filter(booking_items::active.eq(true))
        .select(booking_items::seat_id)
        .load(conn)?;
    let taken: std::collections::HashSet<i64> = taken.into_iter().flatten().collect();
    let seat_snaps: Vec<SeatSnapshot> = locked
        .into_iter()
        .map(|(id, show_id, class_id, label, row, number)| SeatSnapshot {
            id,
            show_id,
            class_id,
            label,
            row,
            number: u32::try_from(number).unwrap_or(0),
            taken: taken.contains(&id),
        })
        .collect();
    let mut class_ids: Vec<i64> = seat_snaps
        .iter()
        .filter(|s| s.show_id == show.id)
        .map(|s| s.class_id)
        .collect();
    class_ids.sort_unstable();
    class_ids.dedup();
    let rows: Vec<ClassSnapshotRow> = ClassSnapshotQuery { ids: &class_ids }.load(conn)?;
    let classes: Vec<ClassSnapshot> = rows
        .into_iter()
        .map(
            |(id, name, min_price, normal_price, max_price, total, sold)| ClassSnapshot {
                id,
                name,
                prices: TierPrices {
                    min_price,
                    normal_price,
                    max_price,
                },
                total_seats: total.max(0) as u64,
                sold_seats: sold.max(0) as u64,
            },
        )
        .collect();
    let plan = plan_seated(&snapshot(show), ids, &seat_snaps, &classes, now)?;
    let names = classes.into_iter().map(|c| (c.id, c.name)).collect();
    Ok((plan, names))
}

fn take_places(conn: &mut PgConnection, show: &Show, quantity: u32) -> Result<(), TxError> {
    let n = i32::try_from(quantity).unwrap_or(i32::MAX);
    let updated = diesel::update(
        shows::table
            .filter(shows::id.eq(show.id))
            .filter(shows::free_places.ge(n)),
    )
    .set(shows::free_places.eq(shows::free_places - n))
    .execute(conn)?;
    if updated == 0 {
        let free: Option<i32> = shows::table
            .find(show.id)
            .select(shows::free_places)
            .first(conn)?;
        return Err(DomainError::SoldOut {
            requested: quantity,
            available: free.and_then(|f| u32::try_from(f).ok()).unwrap_or(0),
        }
        .into());
    }
    Ok(())
}

fn write_plan(
    conn: &mut PgConnection,
    show: &Show,
    command: &BookingCommand,
    plan: &BookingPlan,
    now: DateTime<Utc>,
) -> Result<(Uuid, String), TxError> {
    let id = Uuid::new_v4();
    let reference = reference_from(rand::random::<u64>());
    let items = &plan.items;
    let groups = sales_groups(
        items.iter().filter_map(|i| Some((i.class_id?, i.seat_id?))),
        1,
    );
    WritePlanQuery {
        id,
        reference: reference.clone(),
        show_id: show.id,
        status: plan.status.as_str().to_owned(),
        name: command.buyer.name.as_str().to_owned(),
        phone: command.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        email: command.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        quantity: plan.quantity as i32,
        total_amount: plan.total_amount,
        currency: plan.currency.as_str().to_owned(),
        now,
        user_id: command.user_id,
        guest_token_hash: command.guest_token_hash.map(|h| h.as_bytes().to_vec()),
        actor: command.actor.clone(),
        seat_ids: items.iter().map(|i| i.seat_id).collect(),
        class_ids: items.iter().map(|i| i.class_id).collect(),
        labels: items.iter().map(|i| i.label.clone()).collect(),
        quantities: items.iter().map(|i| i.quantity as i32).collect(),
        prices: items.iter().map(|i| i.price).collect(),
        tiers: items
            .iter()
            .map(|i| i.tier.map(|t| t.as_str().to_owned()))
            .collect(),
        counter_classes: groups.keys().map(|(c, _)| *c).collect(),
        counter_slots: groups.keys().map(|(_, s)| *s).collect(),
        counter_sold: groups.values().copied().collect(),
    }
    .execute(conn)?;
    Ok((id, reference))
}

fn seats_on_general_admission(show: &Show) -> TxError {
    DomainError::invalid(
        "seat_ids",
        format!(
            "show {} is general admission: book a quantity, not seats",
            show.id
        ),
    )
    .into()
}

fn book_tx(
    conn: &mut PgConnection,
    command: &BookingCommand,
    now: DateTime<Utc>,
) -> Result<Booking, TxError> {
    let show = load_show(conn, command.show_id)?;
    let (plan, class_names) = match &command.places {
        Places::Quantity(q) => {
            let plan = plan_general(&snapshot(&show), *q, now)?;
            take_places(conn, &show, *q)?;
            (plan, ClassNames::new())
        }
        Places::SeatIds(ids) => {
            if show.kind != ShowKind::Seated {
                return Err(seats_on_general_admission(&show));
            }
            plan_seats(conn, &show, ids, now)?
        }
        Places::SeatLabels(labels) => {
            if show.kind != ShowKind::Seated {
                return Err(seats_on_general_admission(&show));
            }
            let labels: Vec<String> = labels.iter().map(|l| l.as_str().to_owned()).collect();
            let ids = resolve_labels(conn, show.id, &labels)?;
            plan_seats(conn, &show, &ids, now)?
        }
    };
    let (id, reference) = write_plan(conn, &show, command, &plan, now)?;
    // Built from what was just written: no second round trip on the hot path.
    Ok(Booking {
        id,
        reference,
        show_id: show.id,
        event_id: show.event_id,
        status: plan.status,
        customer_name: command.buyer.name.as_str().to_owned(),
        phone: command.buyer.phone.as_ref().map(|p| p.as_str().to_owned()),
        email: command.buyer.email.as_ref().map(|e| e.as_str().to_owned()),
        quantity: plan.quantity,
        total_amount: plan.total_amount,
        currency: plan.currency,
        items: plan
            .items
            .into_iter()
            .map(|i| BookingItem {
                seat_class: i.class_id.and_then(|c| class_names.get(&c).cloned()),
                seat_id: i.seat_id,
                label: i.label,
                quantity: i.quantity,
                price: i.price,
                tier: i.tier,
            })
            .collect(),
        created_at: now,
        updated_at: now,
        cancelled_at: None,
        user_id: command.user_id,
        guest_token_hash: command.guest_token_hash,
    })
}

fn load_items(
    conn: &mut PgConnection,
    booking_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<BookingItem>>, TxError> {
    let rows: Vec<ItemRow> = booking_items::table
        .left_join(seat_classes::table)
        .filter(booking_items::booking_id.eq_any(booking_ids))
        .order((booking_items::booking_id, booking_items::id))
        .select((
            booking_items::booking_id,
            booking_items::seat_id,
            booking_items::label,
            seat_classes::name.nullable(),
            booking_items::quantity,
            booking_items::price,
            booking_items::tier,
        ))
        .load(conn)?;
    let mut out: HashMap<Uuid, Vec<BookingItem>> = HashMap::new();
    for r in rows {
        out.entry(r.booking_id).or_default().push(r.into());
    }
    Ok(out)
}

fn bookings_from_rows(
    conn: &mut PgConnection,
    rows: Vec<(BookingRow, i64)>,
) -> Result<Vec<Booking>, TxError> {
    let ids: Vec<Uuid> = rows.iter().map(|(b, _)| b.id).collect();
    let mut items = load_items(conn, &ids)?;
    rows.into_iter()
        .map(|(b, event_id)| {
            let its = items.remove(&b.id).unwrap_or_default();
            Ok(booking_from(b, event_id, its)?)
        })
        .collect()
}

fn load_booking(conn: &mut PgConnection, id: Uuid) -> Result<Booking, TxError> {
    let row: Option<(BookingRow, i64)> = bookings::table
        .inner_join(shows::table)
        .filter(bookings::id.eq(id))
        .select((BookingRow::as_select(), shows::event_id))
        .first(conn)
        .optional()?;
    let row = row.ok_or_else(|| DomainError::not_found("booking", id))?;
    bookings_from_rows(conn, vec![row])?
        .pop()
        .ok_or_else(|| DomainError::Internal("booking vanished".into()).into())
}

fn cancel_tx(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    actor: &str,
    reason: &str,
) -> Result<Booking, TxError> {
    let row: Option<(String, i64, i32)> = bookings::table
        .find(id)
        .select((bookings::status, bookings::show_id, bookings::quantity))
        .for_update()
        .first(conn)
        .optional()?;
    let (status, show_id, quantity) = row.ok_or_else(|| DomainError::not_found("booking", id))?;
    let status = BookingStatus::parse(&status)
        .ok_or_else(|| DomainError::Internal(format!("stored status '{status}'")))?;
    let next = status.apply(BookingAction::Cancel)?;
    diesel::update(bookings::table.find(id))
        .set((
            bookings::status.eq(next.as_str()),
            bookings::cancelled_at.eq(Some(now)),
            bookings::updated_at.eq(now),
        ))
        .execute(conn)?;
    diesel::insert_into(booking_history::table)
        .values((
            booking_history::booking_id.eq(id),
            booking_history::entity.eq(HistoryEntity::Booking.as_str()),
            booking_history::entity_id.eq(id.to_string()),
            booking_history::from_status.eq(Some(status.as_str())),
            booking_history::to_status.eq(next.as_str()),
            booking_history::actor.eq(Some(actor)),
            booking_history::reason.eq(Some(reason)),
            booking_history::at.eq(now),
        ))
        .execute(conn)?;
    let freed: Vec<(Option<i64>, Option<i64>)> =
        diesel::update(booking_items::table.filter(booking_items::booking_id.eq(id)))
            .set(booking_items::active.eq(false))
            .returning((booking_items::seat_class_id, booking_items::seat_id))
            .get_results(conn)?;
    uncount_sales(conn, freed.into_iter().filter_map(|(c, s)| Some((c?, s?))))?;
    // General admission: give the places back.
    diesel::update(
        shows::table
            .filter(shows::id.eq(show_id))
            .filter(shows::kind.eq(ShowKind::General.as_str())),
    )
    .set(shows::free_places.eq(shows::free_places + quantity))
    .execute(conn)?;
    load_booking(conn, id)
}

type HistoryRow = (
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
);

fn load_history(conn: &mut PgConnection, id: Uuid) -> Result<Vec<HistoryEntry>, TxError> {
    let rows: Vec<HistoryRow> = booking_history::table
        .filter(booking_history::booking_id.eq(id))
        .order(booking_history::id)
        .select((
            booking_history::entity,
            booking_history::entity_id,
            booking_history::from_status,
            booking_history::to_status,
            booking_history::actor,
            booking_history::reason,
            booking_history::at,
        ))
        .load(conn)?;
    if rows.is_empty() {
        let exists: i64 = bookings::table
            .filter(bookings::id.eq(id))
            .select(count_star())
            .first(conn)?;
        if exists == 0 {
            return Err(DomainError::not_found("booking", id).into());
        }
    }
    rows.into_iter()
        .map(|(entity, entity_id, from, to, actor, reason, at)| {
            let entity = HistoryEntity::parse(&entity).ok_or_else(|| {
                DomainError::Internal(format!("stored history entity '{entity}'"))
            })?;
            Ok(HistoryEntry {
                at,
                entity,
                entity_id,
                from,
                to,
                actor,
                reason,
            })
        })
        .collect()
}

fn is_reference_clash(e: &TxError) -> bool {
    matches!(e, TxError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
        if info.constraint_name() == Some("bookings_reference_key"))
}

#[async_trait]
impl BookingRepository for PgBookingRepository {
    async fn book(
        &self,
        command: BookingCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError> {
        self.db
            .run(move |conn| {
                let mut attempt = 0;
                loop {
                    attempt += 1;
                    match conn.transaction::<_, TxError, _>(|c| book_tx(c, &command, now)) {
                        Ok(b) => return Ok(b),
                        // 50 random bits: a clash is rare; try again with a new reference.
                        Err(e) if attempt < 3 && is_reference_clash(&e) => continue,
                        Err(e) => return Err(e.into_domain()),
                    }
                }
            })
            .await
    }

    async fn get_booking(&self, id: Uuid) -> Result<Booking, DomainError> {
        self.db
            .run(move |conn| load_booking(conn, id).map_err(TxError::into_domain))
            .await
    }

    async fn find_bookings(
        &self,
        filter: BookingFilter,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        if filter.user_id.is_none() && filter.contact.is_none() {
            return Err(DomainError::Internal(
                "find_bookings needs a user or a contact".into(),
            ));
        }
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = bookings::table.inner_join(shows::table).into_boxed();
                    if let Some(user_id) = filter.user_id {
                        q = q.filter(bookings::user_id.eq(user_id));
                    }
                    match &filter.contact {
                        Some(ContactQuery::Email(e)) => q.filter(
                            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(bookings.email) = ")
                                .bind::<Text, _>(e.as_str().to_owned()),
                        ),
                        Some(ContactQuery::Phone(p)) => {
                            q.filter(bookings::phone.eq(p.as_str().to_owned()))
                        }
                        None => q,
                    }
                };
                let total: i64 = build()
                    .select(count_star())
                    .first(conn)
                    .map_err(map_db_error)?;
                let rows: Vec<(BookingRow, i64)> = build()
                    .order((bookings::created_at.desc(), bookings::id))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select((BookingRow::as_select(), shows::event_id))
                    .load(conn)
                    .map_err(map_db_error)?;
                let items = bookings_from_rows(conn, rows).map_err(TxError::into_domain)?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn cancel_booking(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
        reason: String,
    ) -> Result<Booking, DomainError> {
        self.db
            .transaction(move |conn| cancel_tx(conn, id, now, &actor, &reason))
            .await
    }

    async fn history(&self, booking_id: Uuid) -> Result<Vec<HistoryEntry>, DomainError> {
        self.db
            .run(move |conn| load_history(conn, booking_id).map_err(TxError::into_domain))
            .await
    }
}
