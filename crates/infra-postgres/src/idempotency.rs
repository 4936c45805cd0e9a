//! Idempotency keys (`idempotency_keys`). Each method is one transaction; `begin` commits the
//! in-progress row before the caller does its work, so a concurrent request with the same key
//! sees it.

use async_trait::async_trait;
use boxoffice_domain::idempotency::{
    decide, Begin, Decision, IdempotencyKey, IdempotencyRecord, IdempotencyRules, IdempotencyScope,
    KeyState, Lease, RequestHash, StoredResponse,
};
use boxoffice_domain::ports::IdempotencyStore;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::idempotency_keys as ik;
use crate::{Db, TxError};

const IN_PROGRESS: &str = "in_progress";
const COMPLETED: &str = "completed";

/// Expired rows deleted, at most, by one request that records a new key.
const CLEANUP_BATCH: i64 = 100;

/// The PostgreSQL idempotency store.
#[derive(Clone)]
pub struct PgIdempotencyStore {
    db: Db,
}

impl PgIdempotencyStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = ik)]
struct KeyRow {
    request_hash: Vec<u8>,
    status: String,
    response_status: Option<i32>,
    response_body: Option<Vec<u8>>,
    content_type: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl TryFrom<KeyRow> for IdempotencyRecord {
    type Error = DomainError;

    fn try_from(r: KeyRow) -> Result<Self, DomainError> {
        let corrupt = |what: &str| DomainError::internal(format!("stored idempotency key: {what}"));
        let request_hash =
            RequestHash::from_slice(&r.request_hash).ok_or_else(|| corrupt("request hash"))?;
        let state = match (r.status.as_str(), r.response_status, r.response_body) {
            (IN_PROGRESS, _, _) => KeyState::InProgress,
            (COMPLETED, Some(status), Some(body)) => KeyState::Completed(StoredResponse {
                status: u16::try_from(status).map_err(|_| corrupt("response status"))?,
                body,
                content_type: r.content_type,
            }),
            _ => return Err(corrupt("status")),
        };
        Ok(IdempotencyRecord {
            request_hash,
            state,
            started_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

/// Deletes up to [`CLEANUP_BATCH`] expired rows, skipping rows another transaction holds.
fn delete_expired(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM idempotency_keys WHERE (scope, key) IN ( \
           SELECT scope, key FROM idempotency_keys k WHERE {} \
           LIMIT $2 FOR UPDATE SKIP LOCKED)",
        crate::rules::key_expired_sql("k", "$1")
    ))
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::BigInt, _>(CLEANUP_BATCH)
    .execute(conn)
}

fn begin_tx(
    conn: &mut PgConnection,
    scope: &str,
    key: &str,
    request_hash: &[u8],
    now: DateTime<Utc>,
    rules: IdempotencyRules,
) -> Result<Begin, TxError> {
    let hash = RequestHash::from_slice(request_hash)
        .ok_or_else(|| DomainError::Internal("request hash is not 32 bytes".into()))?;
    let expires_at = now + rules.ttl;
    // A row deleted between the conflicting insert and the read (released by a failed attempt,
    // or cleaned up as expired) sends us round again; three rounds are plenty.
    for _ in 0..3 {
        let lease = Uuid::new_v4();
        let inserted = diesel::insert_into(ik::table)
            .values((
                ik::scope.eq(scope),
                ik::key.eq(key),
                ik::request_hash.eq(request_hash),
                ik::status.eq(IN_PROGRESS),
                ik::lease.eq(lease),
                ik::created_at.eq(now),
                ik::expires_at.eq(expires_at),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            let deleted = delete_expired(conn, now)?;
            if deleted > 0 {
                tracing::debug!(deleted, "deleted expired idempotency keys");
            }
            return Ok(Begin::Begun(Lease(lease)));
        }
        let row: Option<KeyRow> = ik::table
            .filter(ik::scope.eq(scope))
            .filter(ik::key.eq(key))
            .select(KeyRow::as_select())
            .for_update()
            .first(conn)
            .optional()?;
        let Some(row) = row else { continue };
        let record = IdempotencyRecord::try_from(row)?;
        return Ok(match decide(Some(&record), &hash, now, &rules) {
            Decision::Start | Decision::TakeOver => {
                // Expired, or abandoned by a process that died: a new attempt owns the row.
                diesel::update(
                    ik::table
                        .filter(ik::scope.eq(scope))
                        .filter(ik::key.eq(key)),
                )
                .set((
                    ik::request_hash.eq(request_hash),
                    ik::status.eq(IN_PROGRESS),
                    ik::lease.eq(lease),
                    ik::response_status.eq(None::<i32>),
                    ik::response_body.eq(None::<Vec<u8>>),
                    ik::content_type.eq(None::<String>),
                    ik::created_at.eq(now),
                    ik::completed_at.eq(None::<DateTime<Utc>>),
                    ik::expires_at.eq(expires_at),
                ))
                .execute(conn)?;
                Begin::Begun(Lease(lease))
            }
            Decision::Replay(response) => Begin::Replay(response),
            Decision::InProgress => Begin::InProgress,
            Decision::Mismatch => Begin::Mismatch,
        });
    }
    Ok(Begin::InProgress)
}

#[async_trait]
impl IdempotencyStore for PgIdempotencyStore {
    async fn begin(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: RequestHash,
        now: DateTime<Utc>,
        rules: IdempotencyRules,
    ) -> Result<Begin, DomainError> {
        let scope = scope.as_str().to_owned();
        let key = key.as_str().to_owned();
        self.db
            .transaction(move |conn| {
                begin_tx(conn, &scope, &key, request_hash.as_bytes(), now, rules)
            })
            .await
    }

    async fn complete(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        lease: Lease,
        response: StoredResponse,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        let scope = scope.as_str().to_owned();
        let key = key.as_str().to_owned();
        let updated = self
            .db
            .transaction(move |conn| {
                Ok(diesel::update(
                    ik::table
                        .filter(ik::scope.eq(&scope))
                        .filter(ik::key.eq(&key))
                        .filter(ik::lease.eq(lease.0))
                        .filter(ik::status.eq(IN_PROGRESS)),
                )
                .set((
                    ik::status.eq(COMPLETED),
                    ik::response_status.eq(i32::from(response.status)),
                    ik::response_body.eq(&response.body),
                    ik::content_type.eq(&response.content_type),
                    ik::completed_at.eq(now),
                    ik::expires_at.eq(expires_at),
                ))
                .execute(conn)?)
            })
            .await?;
        if updated == 0 {
            tracing::warn!(
                "an idempotent request finished after its key was taken over; its answer is not kept"
            );
        }
        Ok(())
    }

    async fn abandon(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        lease: Lease,
    ) -> Result<(), DomainError> {
        let scope = scope.as_str().to_owned();
        let key = key.as_str().to_owned();
        self.db
            .transaction(move |conn| {
                diesel::delete(
                    ik::table
                        .filter(ik::scope.eq(&scope))
                        .filter(ik::key.eq(&key))
                        .filter(ik::lease.eq(lease.0))
                        .filter(ik::status.eq(IN_PROGRESS)),
                )
                .execute(conn)?;
                Ok(())
            })
            .await
    }
}
