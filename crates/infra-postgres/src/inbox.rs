//! `InboxStore` on PostgreSQL: the `notifications` table.

use async_trait::async_trait;
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::inbox::{
    Announcement, InboxStore, NewNotification, Notification, Recipients,
};
use boxoffice_domain::live::Signal;
use boxoffice_domain::outbox::Topic;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{notifications, outbox, users};
use crate::{map_db_error, Db};

#[derive(Clone)]
pub struct PgInboxStore {
    db: Db,
}

impl PgInboxStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = notifications)]
struct Row {
    id: i64,
    user_id: Uuid,
    topic: String,
    booking_id: Option<Uuid>,
    title: String,
    body: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl From<Row> for Notification {
    fn from(r: Row) -> Self {
        Notification {
            id: r.id,
            user_id: r.user_id,
            topic: r.topic,
            booking_id: r.booking_id,
            title: r.title,
            body: r.body,
            created_at: r.created_at,
            read_at: r.read_at,
        }
    }
}

#[async_trait]
impl InboxStore for PgInboxStore {
    async fn add(&self, n: NewNotification) -> Result<(), DomainError> {
        let user = n.user_id;
        self.db
            .run(move |conn| {
                diesel::insert_into(notifications::table)
                    .values((
                        notifications::user_id.eq(n.user_id),
                        notifications::message_id.eq(n.message_id),
                        notifications::topic.eq(&n.topic),
                        notifications::booking_id.eq(n.booking_id),
                        notifications::title.eq(&n.title),
                        notifications::body.eq(&n.body),
                        notifications::created_at.eq(n.created_at),
                    ))
                    .on_conflict(notifications::message_id)
                    .do_nothing()
                    .execute(conn)
                    .map_err(map_db_error)
            })
            .await
            .map(|written| {
                if written > 0 {
                    self.db.signal(Signal::Inbox(vec![user]));
                }
            })
    }

    async fn list(
        &self,
        user_id: Uuid,
        unread_only: bool,
        page: Page,
    ) -> Result<Paged<Notification>, DomainError> {
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = notifications::table
                        .filter(notifications::user_id.eq(user_id))
                        .into_boxed::<diesel::pg::Pg>();
                    if unread_only {
                        q = q.filter(notifications::read_at.is_null());
                    }
                    q
                };
                let total: i64 = build().count().get_result(conn).map_err(map_db_error)?;
                let rows: Vec<Row> = build()
                    .order(notifications::id.desc())
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(Row::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                Ok(Paged {
                    items: rows.into_iter().map(Notification::from).collect(),
                    total,
                    page,
                })
            })
            .await
    }

    async fn unread_count(&self, user_id: Uuid) -> Result<i64, DomainError> {
        self.db
            .run(move |conn| {
                notifications::table
                    .filter(notifications::user_id.eq(user_id))
                    .filter(notifications::read_at.is_null())
                    .count()
                    .get_result(conn)
                    .map_err(map_db_error)
            })
            .await
    }

    async fn mark_read(
        &self,
        user_id: Uuid,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Notification, DomainError> {
        self.db
            .run(move |conn| {
                let mine = notifications::table
                    .filter(notifications::id.eq(id))
                    .filter(notifications::user_id.eq(user_id));
                diesel::update(mine.filter(notifications::read_at.is_null()))
                    .set(notifications::read_at.eq(Some(now)))
                    .execute(conn)
                    .map_err(map_db_error)?;
                mine.select(Row::as_select())
                    .first(conn)
                    .optional()
                    .map_err(map_db_error)?
                    .map(Notification::from)
                    .ok_or_else(|| DomainError::not_found("notification", id))
            })
            .await
    }

    async fn mark_all_read(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<i64, DomainError> {
        self.db
            .run(move |conn| {
                let n = diesel::update(
                    notifications::table
                        .filter(notifications::user_id.eq(user_id))
                        .filter(notifications::read_at.is_null()),
                )
                .set(notifications::read_at.eq(Some(now)))
                .execute(conn)
                .map_err(map_db_error)?;
                Ok(n as i64)
            })
            .await
    }

    async fn get_with_email(&self, id: i64) -> Result<(Notification, String), DomainError> {
        self.db
            .run(move |conn| {
                let row: Option<(Row, String)> = notifications::table
                    .inner_join(users::table)
                    .filter(notifications::id.eq(id))
                    .select((Row::as_select(), users::email))
                    .first(conn)
                    .optional()
                    .map_err(map_db_error)?;
                let (row, email) = row.ok_or_else(|| DomainError::not_found("notification", id))?;
                Ok((Notification::from(row), email))
            })
            .await
    }

    async fn since(
        &self,
        users: Vec<Uuid>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, DomainError> {
        self.db
            .run(move |conn| {
                let rows: Vec<Row> = notifications::table
                    .filter(notifications::user_id.eq_any(&users))
                    .filter(notifications::id.gt(after))
                    .order(notifications::id.asc())
                    .limit(limit)
                    .select(Row::as_select())
                    .load(conn)
                    .map_err(map_db_error)?;
                Ok(rows.into_iter().map(Notification::from).collect())
            })
            .await
    }

    async fn push(&self, a: Announcement, now: DateTime<Utc>) -> Result<i64, DomainError> {
        self.db
            .bulk_transaction(move |conn| {
                let topic = Topic::Announcement.as_str();
                let recipients: Vec<Uuid> = match &a.recipients {
                    Recipients::AllActive => users::table
                        .filter(users::active.eq(true))
                        .select(users::id)
                        .load(conn)?,
                    Recipients::Users(ids) => {
                        let known: std::collections::HashSet<Uuid> = users::table
                            .filter(users::id.eq_any(ids))
                            .select(users::id)
                            .load::<Uuid>(conn)?
                            .into_iter()
                            .collect();
                        let unknown: Vec<String> = ids
                            .iter()
                            .filter(|id| !known.contains(id))
                            .map(Uuid::to_string)
                            .collect();
                        if !unknown.is_empty() {
                            return Err(DomainError::invalid(
                                "user_ids",
                                format!("unknown users: {}", unknown.join(", ")),
                            )
                            .into());
                        }
                        ids.clone()
                    }
                };
                let rows: Vec<_> = recipients
                    .iter()
                    .map(|u| {
                        (
                            notifications::user_id.eq(*u),
                            notifications::topic.eq(topic),
                            notifications::title.eq(&a.title),
                            notifications::body.eq(&a.body),
                            notifications::created_at.eq(now),
                        )
                    })
                    .collect();
                let mut written: Vec<i64> = Vec::with_capacity(rows.len());
                // At most 5 bind parameters a row: well under PostgreSQL's 65,535 per statement.
                for chunk in rows.chunks(10_000) {
                    let ids: Vec<i64> = diesel::insert_into(notifications::table)
                        .values(chunk)
                        .returning(notifications::id)
                        .get_results(conn)?;
                    written.extend(ids);
                }
                if a.email {
                    for chunk in written.chunks(10_000) {
                        let messages: Vec<_> = chunk
                            .iter()
                            .map(|n| {
                                (
                                    outbox::message_id.eq(Uuid::new_v4()),
                                    outbox::topic.eq(topic),
                                    outbox::notification_id.eq(Some(*n)),
                                    outbox::at.eq(now),
                                    outbox::next_attempt_at.eq(now),
                                )
                            })
                            .collect();
                        diesel::insert_into(outbox::table)
                            .values(&messages)
                            .execute(conn)?;
                    }
                }
                Ok((written.len() as i64, recipients))
            })
            .await
            .map(|(written, recipients)| {
                self.db.signal(Signal::Inbox(recipients));
                written
            })
    }
}
