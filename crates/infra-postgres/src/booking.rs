//! `BookingRepository` on PostgreSQL: every change is ONE transaction running the domain's
//! use case (`boxoffice_domain::engine`) over [`crate::tx::PgTx`]; bookings of one show that
//! arrive together are coalesced into one transaction by [`crate::batch`]. The adapter adds
//! only what storage needs: locks in a fixed order, guarded updates, constraints.
//!
//! Seated: the requested seat rows are locked `FOR UPDATE` in id order (a fixed order, so two
//! bookings cannot deadlock); no shared row is updated, so bookings of different seats of one
//! show run in parallel across transactions. The partial unique index on active seats is the
//! last word. General admission: a guarded `UPDATE … SET free_places = free_places - n WHERE
//! free_places >= n` (and a CHECK constraint) keeps capacity from going below zero.

use async_trait::async_trait;
use boxoffice_domain::booking::{
    Booking, BookingCommand, BookingStatus, Places, HISTORY_ACTOR_SYSTEM, REASON_SHOW_ENDED,
};
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::engine::{appoint, cancel, change, expire, quote, BookingTerms};
use boxoffice_domain::marketplace::appointment::AppointmentCommand;
use boxoffice_domain::outbox::Topic;
use boxoffice_domain::payment::{HistoryEntry, RefundPolicy};
use boxoffice_domain::ports::{
    AppointmentFilter, BookingFilter, BookingRepository, Cancelled, ContactQuery,
};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::dsl::count_star;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use uuid::Uuid;

use crate::batch::{BatchStats, Batcher};
use crate::booking_reads::{bookings_from_rows, load_booking, load_history};
use crate::models::*;
use crate::rules::{reminder_due_sql, show_ended_sql};
use crate::schema::*;
use crate::{map_db_error, Db, TxError};

#[derive(Clone)]
pub struct PgBookingRepository {
    db: Db,
    batcher: Batcher,
}

impl PgBookingRepository {
    pub fn new(db: Db) -> Self {
        Self {
            batcher: Batcher::new(db.clone()),
            db,
        }
    }

    /// What the coalescing of bookings has done so far (ADR 0011).
    pub fn batch_stats(&self) -> BatchStats {
        self.batcher.stats()
    }
}

/// Confirmed bookings of shows that ended, then confirmed appointments that ended, become
/// `completed`, with their history rows and their outbox messages (the domain's topic of the
/// change): one statement each.
fn complete_ended_tx(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<u64, TxError> {
    let shows = complete_ended_of(conn, "shows s ON s.id = b.show_id", now, limit)?;
    let appointments =
        complete_ended_of(conn, "appointments s ON s.booking_id = b.id", now, limit)?;
    Ok(shows + appointments)
}

/// [`complete_ended_tx`] for the bookings joined to `source` (aliased `s`, with its `ends_at`).
fn complete_ended_of(
    conn: &mut PgConnection,
    source: &str,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<u64, TxError> {
    let n = diesel::sql_query(format!(
        "WITH due AS (SELECT b.id FROM bookings b JOIN {source} \
           WHERE b.status = '{confirmed}' AND {ended} \
           ORDER BY s.ends_at, b.id LIMIT $2 FOR UPDATE OF b SKIP LOCKED), \
         done AS (UPDATE bookings b SET status = '{completed}', updated_at = $1 \
           FROM due WHERE b.id = due.id RETURNING b.id), \
         news AS (INSERT INTO outbox (message_id, topic, booking_id, at, next_attempt_at) \
           SELECT gen_random_uuid(), '{topic}', id, $1, $1 FROM done) \
         INSERT INTO booking_history (booking_id, entity, entity_id, from_status, to_status, \
           actor, reason, at) \
         SELECT id, 'booking', id::text, '{confirmed}', '{completed}', $3, $4, $1 FROM done",
        confirmed = BookingStatus::Confirmed.as_str(),
        completed = BookingStatus::Completed.as_str(),
        topic =
            Topic::of_booking(Some(BookingStatus::Confirmed), BookingStatus::Completed).as_str(),
        ended = show_ended_sql("s", "$1"),
    ))
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .bind::<Text, _>(HISTORY_ACTOR_SYSTEM)
    .bind::<Text, _>(REASON_SHOW_ENDED)
    .execute(conn)?;
    Ok(n as u64)
}

/// The reminders due at `now`: one `appointment.reminder` outbox message per active appointment
/// of a booking the domain reminds, whose service has a reminder time that has come, not
/// reminded yet; each is marked reminded in the same statement (a reminder is written once).
fn remind_due_tx(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> Result<u64, TxError> {
    let reminded_statuses: Vec<&str> = BookingStatus::ALL
        .into_iter()
        .filter(|s| boxoffice_domain::marketplace::appointment::reminded(*s))
        .map(BookingStatus::as_str)
        .collect();
    let n = diesel::sql_query(format!(
        "WITH due AS (SELECT a.booking_id FROM appointments a \
           JOIN bookings b ON b.id = a.booking_id JOIN services s ON s.id = a.service_id \
           WHERE a.active AND a.reminded_at IS NULL AND s.reminder_minutes_before IS NOT NULL \
             AND b.status = ANY($3) AND {due} \
           ORDER BY a.starts_at, a.booking_id LIMIT $2 FOR UPDATE OF a SKIP LOCKED), \
         done AS (UPDATE appointments a SET reminded_at = $1 FROM due \
           WHERE a.booking_id = due.booking_id RETURNING a.booking_id) \
         INSERT INTO outbox (message_id, topic, booking_id, at, next_attempt_at) \
         SELECT gen_random_uuid(), '{topic}', booking_id, $1, $1 FROM done",
        due = reminder_due_sql("a", "s.reminder_minutes_before", "$1"),
        topic = Topic::AppointmentReminder.as_str(),
    ))
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .bind::<diesel::sql_types::Array<Text>, _>(reminded_statuses)
    .execute(conn)?;
    Ok(n as u64)
}

#[async_trait]
impl BookingRepository for PgBookingRepository {
    async fn remind_due(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError> {
        self.db
            .transaction(move |conn| remind_due_tx(conn, now, limit))
            .await
    }

    async fn book(
        &self,
        command: BookingCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError> {
        self.batcher.book(command, now).await
    }

    async fn get_booking(&self, id: Uuid) -> Result<Booking, DomainError> {
        self.db
            .run(move |conn| load_booking(conn, id).map_err(TxError::into_domain))
            .await
    }

    async fn booking_terms(&self, id: Uuid) -> Result<BookingTerms, DomainError> {
        self.db
            .run(move |conn| {
                let show_id: Option<i64> = bookings::table
                    .find(id)
                    .select(bookings::show_id)
                    .first(conn)
                    .optional()
                    .map_err(map_db_error)?
                    .ok_or_else(|| DomainError::not_found("booking", id))?;
                crate::appointments::terms(conn, id, show_id)
            })
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
                    let mut q = bookings::table.left_join(shows::table).into_boxed();
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
                let rows: Vec<(BookingRow, Option<i64>)> = build()
                    .order((bookings::created_at.desc(), bookings::id))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select((BookingRow::as_select(), shows::event_id.nullable()))
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
        policy: RefundPolicy,
    ) -> Result<Cancelled, DomainError> {
        self.db
            .engine(move |tx| cancel::cancel(tx, id, now, &actor, &reason, &policy))
            .await
    }

    async fn change_seats(
        &self,
        id: Uuid,
        places: Places,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError> {
        self.db
            .engine(move |tx| change::change_seats(tx, id, &places, now, &actor))
            .await
    }

    async fn expire_due(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError> {
        self.db
            .engine(move |tx| expire::expire_due(tx, now, limit))
            .await
    }

    async fn complete_ended(&self, now: DateTime<Utc>, limit: i64) -> Result<u64, DomainError> {
        self.db
            .transaction(move |conn| complete_ended_tx(conn, now, limit))
            .await
    }

    async fn history(&self, booking_id: Uuid) -> Result<Vec<HistoryEntry>, DomainError> {
        self.db
            .run(move |conn| load_history(conn, booking_id).map_err(TxError::into_domain))
            .await
    }

    async fn quote_inputs(
        &self,
        show_id: i64,
        places: Places,
        now: DateTime<Utc>,
    ) -> Result<boxoffice_domain::quote::QuoteInputs, DomainError> {
        self.db
            .engine(move |tx| quote::quote_inputs(tx, show_id, &places, now))
            .await
    }

    async fn book_appointment(
        &self,
        command: AppointmentCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError> {
        self.db
            .engine(move |tx| appoint::book_appointment(tx, &command, now))
            .await
    }

    async fn accept_appointment(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError> {
        self.db
            .engine(move |tx| appoint::accept(tx, id, now, &actor))
            .await
    }

    async fn decline_appointment(
        &self,
        id: Uuid,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Cancelled, DomainError> {
        self.db
            .engine(move |tx| appoint::decline(tx, id, now, &actor))
            .await
    }

    async fn move_appointment(
        &self,
        id: Uuid,
        starts_at: DateTime<Utc>,
        now: DateTime<Utc>,
        actor: String,
    ) -> Result<Booking, DomainError> {
        self.db
            .engine(move |tx| appoint::move_slot(tx, id, starts_at, now, &actor))
            .await
    }

    async fn find_appointments(
        &self,
        filter: AppointmentFilter,
        page: Page,
    ) -> Result<Paged<Booking>, DomainError> {
        self.db
            .run(move |conn| {
                crate::appointments::find(conn, &filter, page).map_err(TxError::into_domain)
            })
            .await
    }
}
