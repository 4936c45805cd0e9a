//! `WebhookStore` on PostgreSQL: the `webhooks` and `webhook_deliveries` tables, and the outbox
//! row of each delivery (topic `webhook`), which carries its delivery state.

use async_trait::async_trait;
use boxoffice_domain::account::Role;
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::outbox::{OutboxStatus, Topic};
use boxoffice_domain::webhooks::{
    AttemptRecord, NewDelivery, NewWebhook, PendingAttempt, Targets, Webhook, WebhookDelivery,
    WebhookStore, WebhookTarget,
};
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Bool, Int4, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use serde_json::Value;
use uuid::Uuid;

use crate::schema::{events, webhook_deliveries, webhooks};
use crate::{map_db_error, Db, TxError};

#[derive(Clone)]
pub struct PgWebhookStore {
    db: Db,
}

impl PgWebhookStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn topic(raw: &str) -> Result<Topic, DomainError> {
    Topic::parse(raw).ok_or_else(|| DomainError::internal(format!("unknown webhook topic {raw:?}")))
}

fn topics(raw: &[String]) -> Result<Vec<Topic>, DomainError> {
    raw.iter().map(|t| topic(t)).collect()
}

fn names(events: &[Topic]) -> Vec<String> {
    events.iter().map(|t| t.as_str().to_owned()).collect()
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: Uuid,
    owner_id: Uuid,
    url: String,
    events: Vec<String>,
    active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = DomainError;

    fn try_from(r: WebhookRow) -> Result<Self, DomainError> {
        Ok(Webhook {
            id: r.id,
            owner_id: r.owner_id,
            url: r.url,
            events: topics(&r.events)?,
            active: r.active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

fn find(conn: &mut PgConnection, id: Uuid) -> Result<Webhook, DomainError> {
    webhooks::table
        .find(id)
        .select(WebhookRow::as_select())
        .first(conn)
        .optional()
        .map_err(map_db_error)?
        .ok_or_else(|| DomainError::not_found("webhook", id))?
        .try_into()
}

#[derive(QueryableByName)]
struct TargetRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    owner_id: Uuid,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    owner_active: bool,
    #[diesel(sql_type = Array<Text>)]
    events: Vec<String>,
    #[diesel(sql_type = Bool)]
    active: bool,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

impl TryFrom<TargetRow> for WebhookTarget {
    type Error = DomainError;

    fn try_from(r: TargetRow) -> Result<Self, DomainError> {
        Ok(WebhookTarget {
            id: r.id,
            owner_id: r.owner_id,
            owner_role: Role::parse(&r.role)
                .map_err(|_| DomainError::internal(format!("unknown role {:?}", r.role)))?,
            owner_active: r.owner_active,
            events: topics(&r.events)?,
            active: r.active,
            created_at: r.created_at,
        })
    }
}

/// A delivery with its outbox row's state.
#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    webhook_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    source_message_id: Uuid,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Int4)]
    attempts: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Int4>)]
    last_status: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    next_attempt_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    delivered_at: Option<DateTime<Utc>>,
}

impl TryFrom<DeliveryRow> for WebhookDelivery {
    type Error = DomainError;

    fn try_from(r: DeliveryRow) -> Result<Self, DomainError> {
        let status = OutboxStatus::parse(&r.status).ok_or_else(|| {
            DomainError::internal(format!("unknown outbox status {:?}", r.status))
        })?;
        Ok(WebhookDelivery {
            id: r.id,
            webhook_id: r.webhook_id,
            source_message_id: r.source_message_id,
            topic: topic(&r.topic)?,
            payload: r.payload,
            status,
            attempts: u32::try_from(r.attempts).unwrap_or(0),
            last_attempt_at: r.last_attempt_at,
            last_status: r.last_status.and_then(|s| u16::try_from(s).ok()),
            last_error: r.last_error,
            next_attempt_at: r.next_attempt_at,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        })
    }
}

const PENDING: OutboxStatus = OutboxStatus::Pending;

/// The deliveries with their state (`next_attempt_at` only while pending); a `WHERE` follows.
fn delivery_select() -> String {
    format!(
        "SELECT d.id, d.webhook_id, d.source_message_id, d.topic, d.payload, o.status, \
         d.attempts, d.last_attempt_at, d.last_status, d.last_error, \
         CASE WHEN o.status = '{pending}' THEN o.next_attempt_at END AS next_attempt_at, \
         d.created_at, o.delivered_at \
         FROM webhook_deliveries d JOIN outbox o ON o.webhook_delivery_id = d.id",
        pending = PENDING.as_str()
    )
}

fn find_delivery(
    conn: &mut PgConnection,
    webhook_id: Option<Uuid>,
    id: Uuid,
) -> Result<WebhookDelivery, DomainError> {
    diesel::sql_query(format!(
        "{} WHERE d.id = $1 AND ($2::uuid IS NULL OR d.webhook_id = $2)",
        delivery_select()
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Nullable<SqlUuid>, _>(webhook_id)
    .get_result::<DeliveryRow>(conn)
    .optional()
    .map_err(map_db_error)?
    .ok_or_else(|| DomainError::not_found("webhook delivery", id))?
    .try_into()
}

#[derive(QueryableByName)]
struct AttemptRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    topic: String,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    secret: Vec<u8>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[async_trait]
impl WebhookStore for PgWebhookStore {
    async fn create(&self, w: NewWebhook) -> Result<Webhook, DomainError> {
        self.db
            .run(move |conn| {
                diesel::insert_into(webhooks::table)
                    .values((
                        webhooks::id.eq(w.id),
                        webhooks::owner_id.eq(w.owner_id),
                        webhooks::url.eq(&w.url),
                        webhooks::events.eq(names(&w.events)),
                        webhooks::secret.eq(&w.sealed_secret),
                        webhooks::active.eq(true),
                        webhooks::created_at.eq(w.created_at),
                        webhooks::updated_at.eq(w.created_at),
                    ))
                    .returning(WebhookRow::as_returning())
                    .get_result(conn)
                    .map_err(map_db_error)?
                    .try_into()
            })
            .await
    }

    async fn list(&self, owner: Option<Uuid>, page: Page) -> Result<Paged<Webhook>, DomainError> {
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = webhooks::table.into_boxed::<diesel::pg::Pg>();
                    if let Some(o) = owner {
                        q = q.filter(webhooks::owner_id.eq(o));
                    }
                    q
                };
                let total: i64 = build().count().get_result(conn).map_err(map_db_error)?;
                let rows: Vec<WebhookRow> = build()
                    .order((webhooks::created_at.desc(), webhooks::id.desc()))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(WebhookRow::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                let items = rows
                    .into_iter()
                    .map(Webhook::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn get(&self, id: Uuid) -> Result<Webhook, DomainError> {
        self.db.run(move |conn| find(conn, id)).await
    }

    async fn delete(&self, id: Uuid) -> Result<(), DomainError> {
        self.db
            .run(move |conn| {
                // The deliveries and their outbox rows go with it (ON DELETE CASCADE).
                let n = diesel::delete(webhooks::table.find(id))
                    .execute(conn)
                    .map_err(map_db_error)?;
                if n == 0 {
                    return Err(DomainError::not_found("webhook", id));
                }
                Ok(())
            })
            .await
    }

    async fn targets(&self, topic: Topic, event_id: Option<i64>) -> Result<Targets, DomainError> {
        self.db
            .run(move |conn| {
                let organizer_id: Option<Uuid> = match event_id {
                    None => None,
                    Some(event_id) => events::table
                        .find(event_id)
                        .select(events::organizer_id)
                        .first::<Option<Uuid>>(conn)
                        .optional()
                        .map_err(map_db_error)?
                        .flatten(),
                };
                let rows: Vec<TargetRow> = diesel::sql_query(
                    "SELECT w.id, w.owner_id, u.role, u.active AS owner_active, w.events, \
                     w.active, w.created_at \
                     FROM webhooks w JOIN users u ON u.id = w.owner_id \
                     WHERE w.active AND w.events @> ARRAY[$1]::text[] \
                     ORDER BY w.created_at, w.id",
                )
                .bind::<Text, _>(topic.as_str())
                .load(conn)
                .map_err(map_db_error)?;
                let webhooks = rows
                    .into_iter()
                    .map(WebhookTarget::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Targets {
                    organizer_id,
                    webhooks,
                })
            })
            .await
    }

    async fn fan_out(&self, deliveries: Vec<NewDelivery>) -> Result<u64, DomainError> {
        self.db
            .transaction(move |conn| {
                let mut written = 0u64;
                for d in &deliveries {
                    // The webhook is locked against its deletion (a deleted one gets nothing);
                    // a delivery it has for this message already is left as it is. The outbox
                    // row's message id is the delivery's id.
                    let n = diesel::sql_query(
                        "WITH hook AS (SELECT id FROM webhooks WHERE id = $2 FOR KEY SHARE), \
                         d AS (INSERT INTO webhook_deliveries \
                                 (id, webhook_id, source_message_id, topic, payload, created_at) \
                               SELECT $1, hook.id, $3, $4, $5, $6 FROM hook \
                               ON CONFLICT (webhook_id, source_message_id) DO NOTHING \
                               RETURNING id, created_at) \
                         INSERT INTO outbox (message_id, topic, webhook_delivery_id, at, \
                                             next_attempt_at) \
                         SELECT d.id, $7, d.id, d.created_at, d.created_at FROM d",
                    )
                    .bind::<SqlUuid, _>(d.id)
                    .bind::<SqlUuid, _>(d.webhook_id)
                    .bind::<SqlUuid, _>(d.source_message_id)
                    .bind::<Text, _>(d.topic.as_str())
                    .bind::<Jsonb, _>(&d.payload)
                    .bind::<Timestamptz, _>(d.created_at)
                    .bind::<Text, _>(Topic::Webhook.as_str())
                    .execute(conn)?;
                    written += n as u64;
                }
                Ok::<_, TxError>(written)
            })
            .await
    }

    async fn pending_attempt(&self, delivery_id: Uuid) -> Result<PendingAttempt, DomainError> {
        self.db
            .run(move |conn| {
                let r: AttemptRow = diesel::sql_query(
                    "SELECT d.id, d.topic, d.payload, w.url, w.secret \
                     FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                     WHERE d.id = $1",
                )
                .bind::<SqlUuid, _>(delivery_id)
                .get_result(conn)
                .optional()
                .map_err(map_db_error)?
                .ok_or_else(|| DomainError::not_found("webhook delivery", delivery_id))?;
                Ok(PendingAttempt {
                    delivery_id: r.id,
                    topic: topic(&r.topic)?,
                    payload: r.payload,
                    url: r.url,
                    sealed_secret: r.secret,
                })
            })
            .await
    }

    async fn record_attempt(
        &self,
        delivery_id: Uuid,
        record: AttemptRecord,
    ) -> Result<(), DomainError> {
        self.db
            .run(move |conn| {
                diesel::update(webhook_deliveries::table.find(delivery_id))
                    .set((
                        webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                        webhook_deliveries::last_attempt_at.eq(Some(record.at)),
                        webhook_deliveries::last_status.eq(record.status.map(i32::from)),
                        webhook_deliveries::last_error.eq(record.error),
                    ))
                    .execute(conn)
                    .map_err(map_db_error)?;
                Ok(())
            })
            .await
    }

    async fn deliveries(
        &self,
        webhook_id: Uuid,
        page: Page,
    ) -> Result<Paged<WebhookDelivery>, DomainError> {
        self.db
            .run(move |conn| {
                let total = diesel::sql_query(
                    "SELECT count(*) AS n FROM webhook_deliveries WHERE webhook_id = $1",
                )
                .bind::<SqlUuid, _>(webhook_id)
                .get_result::<Count>(conn)
                .map_err(map_db_error)?
                .n;
                let rows: Vec<DeliveryRow> = diesel::sql_query(format!(
                    "{} WHERE d.webhook_id = $1 ORDER BY d.created_at DESC, d.id \
                     LIMIT $2 OFFSET $3",
                    delivery_select()
                ))
                .bind::<SqlUuid, _>(webhook_id)
                .bind::<BigInt, _>(page.limit)
                .bind::<BigInt, _>(page.offset)
                .load(conn)
                .map_err(map_db_error)?;
                let items = rows
                    .into_iter()
                    .map(WebhookDelivery::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn get_delivery(
        &self,
        webhook_id: Uuid,
        delivery_id: Uuid,
    ) -> Result<WebhookDelivery, DomainError> {
        self.db
            .run(move |conn| find_delivery(conn, Some(webhook_id), delivery_id))
            .await
    }

    async fn redeliver(
        &self,
        delivery_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<WebhookDelivery, DomainError> {
        self.db
            .transaction(move |conn| {
                let n = diesel::sql_query(format!(
                    "UPDATE outbox SET status = '{pending}', attempts = 0, next_attempt_at = $2, \
                     delivered_at = NULL WHERE webhook_delivery_id = $1",
                    pending = PENDING.as_str()
                ))
                .bind::<SqlUuid, _>(delivery_id)
                .bind::<Timestamptz, _>(now)
                .execute(conn)?;
                if n == 0 {
                    return Err(DomainError::not_found("webhook delivery", delivery_id).into());
                }
                Ok(find_delivery(conn, None, delivery_id)?)
            })
            .await
    }
}
