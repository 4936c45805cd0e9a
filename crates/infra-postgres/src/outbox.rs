//! `OutboxStore` on PostgreSQL: the delivery side of the `outbox` table (its rows are written
//! by the booking transactions, `tx.rs` and `prepared.rs`).

use async_trait::async_trait;
use boxoffice_domain::outbox::{AfterFailure, OutboxMessage, Topic};
use boxoffice_domain::ports::{ClaimedMessage, OutboxStore};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Int4, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::schema::outbox;
use crate::{map_db_error, Db};

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const DEAD: &str = "dead";

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
    #[diesel(sql_type = SqlUuid)]
    booking_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = Int4)]
    attempts: i32,
}

impl TryFrom<ClaimedRow> for ClaimedMessage {
    type Error = DomainError;

    fn try_from(r: ClaimedRow) -> Result<Self, DomainError> {
        let topic = Topic::parse(&r.topic)
            .ok_or_else(|| DomainError::internal(format!("unknown outbox topic {:?}", r.topic)))?;
        Ok(ClaimedMessage {
            id: r.id,
            message: OutboxMessage {
                message_id: r.message_id,
                topic,
                booking_id: r.booking_id,
                at: r.at,
            },
            attempts: u32::try_from(r.attempts).unwrap_or(0),
        })
    }
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
                let rows: Vec<ClaimedRow> = diesel::sql_query(
                    "UPDATE outbox o SET attempts = o.attempts + 1, next_attempt_at = $2 \
                     FROM (SELECT id FROM outbox WHERE status = 'pending' \
                           AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3 \
                           FOR UPDATE SKIP LOCKED) due \
                     WHERE o.id = due.id \
                     RETURNING o.id, o.message_id, o.topic, o.booking_id, o.at, o.attempts",
                )
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
                diesel::update(outbox::table.find(id).filter(outbox::status.eq(PENDING)))
                    .set((
                        outbox::status.eq(DELIVERED),
                        outbox::delivered_at.eq(Some(now)),
                        outbox::last_error.eq(None::<String>),
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
                let row = outbox::table.find(id).filter(outbox::status.eq(PENDING));
                match after {
                    AfterFailure::RetryAt(at) => diesel::update(row)
                        .set((
                            outbox::next_attempt_at.eq(at),
                            outbox::last_error.eq(Some(&error)),
                        ))
                        .execute(conn),
                    AfterFailure::Dead => diesel::update(row)
                        .set((outbox::status.eq(DEAD), outbox::last_error.eq(Some(&error))))
                        .execute(conn),
                }
                .map_err(map_db_error)?;
                Ok(())
            })
            .await
    }
}
