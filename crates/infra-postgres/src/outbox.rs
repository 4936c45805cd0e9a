//! `OutboxStore` on PostgreSQL: the delivery side of the `outbox` table (its rows are written
//! by the booking transactions, `tx.rs` and `prepared.rs`).

use async_trait::async_trait;
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::outbox::{About, AfterFailure, OutboxEntry, OutboxStatus, Topic};
use boxoffice_domain::ports::{ClaimedMessage, OutboxStore};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::schema::outbox;
use crate::{map_db_error, Db};

const PENDING: OutboxStatus = OutboxStatus::Pending;

#[derive(Clone)]
pub struct PgOutboxStore {
    db: Db,
}

impl PgOutboxStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = SqlUuid)]
    message_id: Uuid,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    booking_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<BigInt>)]
    notification_id: Option<i64>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    user_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    webhook_delivery_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Bytea>)]
    sealed: Option<Vec<u8>>,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

/// What a row is about: exactly one of its booking, its notification, its account and its
/// webhook delivery (a CHECK says so).
fn about(
    booking_id: Option<Uuid>,
    notification_id: Option<i64>,
    user_id: Option<Uuid>,
    webhook_delivery_id: Option<Uuid>,
) -> Result<About, DomainError> {
    match (booking_id, notification_id, user_id, webhook_delivery_id) {
        (Some(b), None, None, None) => Ok(About::Booking(b)),
        (None, Some(n), None, None) => Ok(About::Notification(n)),
        (None, None, Some(u), None) => Ok(About::Account(u)),
        (None, None, None, Some(d)) => Ok(About::WebhookDelivery(d)),
        _ => Err(DomainError::internal(
            "an outbox row is not about exactly one booking, notification, account or webhook \
             delivery",
        )),
    }
}

fn topic(raw: &str) -> Result<Topic, DomainError> {
    Topic::parse(raw).ok_or_else(|| DomainError::internal(format!("unknown outbox topic {raw:?}")))
}

impl TryFrom<ClaimedRow> for ClaimedMessage {
    type Error = DomainError;

    fn try_from(r: ClaimedRow) -> Result<Self, DomainError> {
        Ok(ClaimedMessage {
            id: r.id,
            message_id: r.message_id,
            topic: topic(&r.topic)?,
            about: about(
                r.booking_id,
                r.notification_id,
                r.user_id,
                r.webhook_delivery_id,
            )?,
            at: r.at,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            sealed: r.sealed,
        })
    }
}

/// A row of `outbox` as the admin sees it.
#[derive(Queryable, Selectable)]
#[diesel(table_name = outbox)]
struct EntryRow {
    id: i64,
    message_id: Uuid,
    topic: String,
    booking_id: Option<Uuid>,
    notification_id: Option<i64>,
    user_id: Option<Uuid>,
    webhook_delivery_id: Option<Uuid>,
    at: DateTime<Utc>,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    delivered_at: Option<DateTime<Utc>>,
}

impl TryFrom<EntryRow> for OutboxEntry {
    type Error = DomainError;

    fn try_from(r: EntryRow) -> Result<Self, DomainError> {
        let status = OutboxStatus::parse(&r.status).ok_or_else(|| {
            DomainError::internal(format!("unknown outbox status {:?}", r.status))
        })?;
        Ok(OutboxEntry {
            id: r.id,
            message_id: r.message_id,
            topic: topic(&r.topic)?,
            about: about(
                r.booking_id,
                r.notification_id,
                r.user_id,
                r.webhook_delivery_id,
            )?,
            at: r.at,
            status,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            delivered_at: r.delivered_at,
        })
    }
}

fn find(conn: &mut PgConnection, id: i64) -> Result<Option<OutboxEntry>, DomainError> {
    outbox::table
        .find(id)
        .select(EntryRow::as_select())
        .first(conn)
        .optional()
        .map_err(map_db_error)?
        .map(OutboxEntry::try_from)
        .transpose()
}

#[async_trait]
impl OutboxStore for PgOutboxStore {
    async fn claim_due(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<ClaimedMessage>, DomainError> {
        let until = now + lease;
        self.db
            .run(move |conn| {
                let rows: Vec<ClaimedRow> = diesel::sql_query(format!(
                    "UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $2 \
                     FROM (SELECT id FROM outbox WHERE status = '{pending}' \
                           AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3 \
                           FOR UPDATE SKIP LOCKED) due \
                     WHERE o.id = due.id \
                     RETURNING o.id, o.message_id, o.topic, o.booking_id, o.notification_id, \
                     o.user_id, o.webhook_delivery_id, o.sealed, o.at, o.attempts",
                    pending = PENDING.as_str()
                ))
                .bind::<Timestamptz, _>(now)
                .bind::<Timestamptz, _>(until)
                .bind::<BigInt, _>(limit)
                .load(conn)
                .map_err(map_db_error)?;
                let mut claimed = rows
                    .into_iter()
                    .map(ClaimedMessage::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                claimed.sort_by_key(|c| c.id);
                Ok(claimed)
            })
            .await
    }

    async fn mark_delivered(&self, id: i64, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.db
            .run(move |conn| {
                diesel::update(
                    outbox::table
                        .find(id)
                        .filter(outbox::status.eq(PENDING.as_str())),
                )
                .set((
                    outbox::status.eq(OutboxStatus::Delivered.as_str()),
                    outbox::delivered_at.eq(Some(now)),
                    outbox::last_error.eq(None::<String>),
                    // A secret the message carried is not kept past its delivery.
                    outbox::sealed.eq(None::<Vec<u8>>),
                ))
                .execute(conn)
                .map_err(map_db_error)?;
                Ok(())
            })
            .await
    }

    async fn mark_failed(
        &self,
        id: i64,
        error: String,
        after: AfterFailure,
    ) -> Result<(), DomainError> {
        self.db
            .run(move |conn| {
                let row = outbox::table
                    .find(id)
                    .filter(outbox::status.eq(PENDING.as_str()));
                match after {
                    AfterFailure::RetryAt(at) => diesel::update(row)
                        .set((
                            outbox::next_attempt_at.eq(at),
                            outbox::last_error.eq(Some(&error)),
                        ))
                        .execute(conn),
                    AfterFailure::Dead => diesel::update(row)
                        .set((
                            outbox::status.eq(OutboxStatus::Dead.as_str()),
                            outbox::last_error.eq(Some(&error)),
                            // A secret the message carried is not kept once it is given up.
                            outbox::sealed.eq(None::<Vec<u8>>),
                        ))
                        .execute(conn),
                }
                .map_err(map_db_error)?;
                Ok(())
            })
            .await
    }

    async fn list(
        &self,
        status: Option<OutboxStatus>,
        page: Page,
    ) -> Result<Paged<OutboxEntry>, DomainError> {
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = outbox::table.into_boxed::<diesel::pg::Pg>();
                    if let Some(s) = status {
                        q = q.filter(outbox::status.eq(s.as_str()));
                    }
                    q
                };
                let total: i64 = build().count().get_result(conn).map_err(map_db_error)?;
                let rows: Vec<EntryRow> = build()
                    .order(outbox::id.desc())
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(EntryRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                let items = rows
                    .into_iter()
                    .map(OutboxEntry::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn get(&self, id: i64) -> Result<OutboxEntry, DomainError> {
        self.db
            .run(move |conn| {
                find(conn, id)?.ok_or_else(|| DomainError::not_found("outbox message", id))
            })
            .await
    }

    async fn requeue(
        &self,
        id: i64,
        from: OutboxStatus,
        now: DateTime<Utc>,
    ) -> Result<Option<OutboxEntry>, DomainError> {
        self.db
            .run(move |conn| {
                let n = diesel::update(
                    outbox::table
                        .find(id)
                        .filter(outbox::status.eq(from.as_str())),
                )
                .set((
                    outbox::status.eq(PENDING.as_str()),
                    outbox::attempts.eq(0),
                    outbox::next_attempt_at.eq(now),
                ))
                .execute(conn)
                .map_err(map_db_error)?;
                if n == 0 {
                    return Ok(None);
                }
                find(conn, id)
            })
            .await
    }
}
