//! Accounts, refresh-token families and password resets. Each method is one transaction.

use async_trait::async_trait;
use boxoffice_domain::account::{
    refresh_token_state, NewRefreshToken, NewUser, RefreshTokenState, Role, Rotation, TokenHash,
    User, UserPatch,
};
use boxoffice_domain::catalog::{Page, Paged};
use boxoffice_domain::outbox::Topic;
use boxoffice_domain::ports::{AccountRepository, ResetNotice};
use boxoffice_domain::values::Email;
use boxoffice_domain::{AuthCode, DomainError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::models::UserRow;
use crate::schema::{outbox, password_reset_tokens, refresh_tokens, users};
use crate::{Db, TxError};

/// The PostgreSQL account store.
#[derive(Clone)]
pub struct PgAccountRepository {
    db: Db,
}

impl PgAccountRepository {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn load_user(conn: &mut PgConnection, id: Uuid) -> Result<User, TxError> {
    let row: Option<UserRow> = users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(r) => Ok(User::try_from(r)?),
        None => Err(DomainError::not_found("user", id).into()),
    }
}

/// Revokes the live tokens of one refresh-token family (one sign-in).
fn revoke_family(
    conn: &mut PgConnection,
    family_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// The columns a [`UserPatch`] may change; `None` leaves a column as it is.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct UserChanges<'a> {
    phone: Option<Option<&'a str>>,
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    address: Option<&'a str>,
    role: Option<&'static str>,
    active: Option<bool>,
    updated_at: DateTime<Utc>,
}

/// Revokes every live refresh token of a user.
fn revoke_user_tokens(
    conn: &mut PgConnection,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(now))
    .execute(conn)
}

#[async_trait]
impl AccountRepository for PgAccountRepository {
    async fn create_user(&self, user: NewUser, now: DateTime<Utc>) -> Result<User, DomainError> {
        self.db
            .transaction(move |conn| {
                let a = &user.account;
                let row: UserRow = diesel::insert_into(users::table)
                    .values((
                        users::id.eq(Uuid::new_v4()),
                        users::email.eq(a.email.as_str()),
                        users::phone.eq(a.phone.as_ref().map(|p| p.as_str())),
                        users::password_hash.eq(&user.password_hash),
                        users::first_name.eq(&a.first_name),
                        users::last_name.eq(&a.last_name),
                        users::address.eq(&a.address),
                        users::role.eq(a.role.as_str()),
                        users::active.eq(true),
                        users::created_at.eq(now),
                        users::updated_at.eq(now),
                    ))
                    .returning(UserRow::as_returning())
                    .get_result(conn)?;
                Ok(User::try_from(row)?)
            })
            .await
    }

    async fn get_user(&self, id: Uuid) -> Result<User, DomainError> {
        self.db
            .run(move |conn| load_user(conn, id).map_err(TxError::into_domain))
            .await
    }

    async fn find_credentials(&self, email: &Email) -> Result<Option<(User, String)>, DomainError> {
        let email = email.as_str().to_owned();
        self.db
            .run(move |conn| {
                let row: Option<(UserRow, String)> = users::table
                    .filter(
                        diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = ")
                            .bind::<diesel::sql_types::Text, _>(email),
                    )
                    .select((UserRow::as_select(), users::password_hash))
                    .first(conn)
                    .optional()
                    .map_err(crate::map_db_error)?;
                row.map(|(u, h)| Ok((User::try_from(u)?, h))).transpose()
            })
            .await
    }

    async fn list_users(&self, role: Option<Role>, page: Page) -> Result<Paged<User>, DomainError> {
        self.db
            .run(move |conn| {
                let build = || {
                    let mut q = users::table.into_boxed();
                    if let Some(r) = role {
                        q = q.filter(users::role.eq(r.as_str()));
                    }
                    q
                };
                let total: i64 = build()
                    .count()
                    .get_result(conn)
                    .map_err(crate::map_db_error)?;
                let rows: Vec<UserRow> = build()
                    .order((users::created_at.asc(), users::id.asc()))
                    .limit(page.limit)
                    .offset(page.offset)
                    .select(UserRow::as_select())
                    .load(conn)
                    .map_err(crate::map_db_error)?;
                let items = rows
                    .into_iter()
                    .map(User::try_from)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Paged { items, total, page })
            })
            .await
    }

    async fn update_user(
        &self,
        id: Uuid,
        patch: UserPatch,
        now: DateTime<Utc>,
    ) -> Result<User, DomainError> {
        self.db
            .transaction(move |conn| {
                // Lock the row: two admins changing one user serialise here.
                let exists: Option<Uuid> = users::table
                    .find(id)
                    .select(users::id)
                    .for_update()
                    .first(conn)
                    .optional()?;
                if exists.is_none() {
                    return Err(DomainError::not_found("user", id).into());
                }
                diesel::update(users::table.find(id))
                    .set(UserChanges {
                        phone: patch.phone.as_ref().map(|p| p.as_ref().map(|p| p.as_str())),
                        first_name: patch.first_name.as_deref(),
                        last_name: patch.last_name.as_deref(),
                        address: patch.address.as_deref(),
                        role: patch.role.map(Role::as_str),
                        active: patch.active,
                        updated_at: now,
                    })
                    .execute(conn)?;
                if patch.active == Some(false) {
                    revoke_user_tokens(conn, id, now)?;
                }
                load_user(conn, id)
            })
            .await
    }

    async fn store_refresh_token(
        &self,
        token: NewRefreshToken,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.db
            .transaction(move |conn| {
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::user_id.eq(token.user_id),
                        refresh_tokens::family_id.eq(token.family_id),
                        refresh_tokens::token_hash.eq(token.hash.as_bytes()),
                        refresh_tokens::created_at.eq(now),
                        refresh_tokens::expires_at.eq(token.expires_at),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn rotate_refresh_token(
        &self,
        presented: TokenHash,
        replacement: TokenHash,
        replacement_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Rotation, DomainError> {
        self.db
            .transaction(move |conn| {
                type Found = (
                    i64,
                    Uuid,
                    Uuid,
                    DateTime<Utc>,
                    Option<DateTime<Utc>>,
                    Option<DateTime<Utc>>,
                );
                // The row lock makes two concurrent rotations of one token serialise: the
                // second sees it used and revokes the family.
                let found: Option<Found> = refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(presented.as_bytes()))
                    .select((
                        refresh_tokens::id,
                        refresh_tokens::user_id,
                        refresh_tokens::family_id,
                        refresh_tokens::expires_at,
                        refresh_tokens::used_at,
                        refresh_tokens::revoked_at,
                    ))
                    .for_update()
                    .first(conn)
                    .optional()?;
                let Some((id, user_id, family_id, expires_at, used_at, revoked_at)) = found else {
                    return Ok(Rotation::Invalid);
                };
                match refresh_token_state(used_at, revoked_at, expires_at, now) {
                    RefreshTokenState::Invalid => return Ok(Rotation::Invalid),
                    RefreshTokenState::Reused => {
                        revoke_family(conn, family_id, now)?;
                        return Ok(Rotation::Reused);
                    }
                    RefreshTokenState::Current => {}
                }
                let user = load_user(conn, user_id)?;
                if !user.active {
                    return Ok(Rotation::Invalid);
                }
                diesel::update(refresh_tokens::table.find(id))
                    .set(refresh_tokens::used_at.eq(now))
                    .execute(conn)?;
                diesel::insert_into(refresh_tokens::table)
                    .values((
                        refresh_tokens::user_id.eq(user_id),
                        refresh_tokens::family_id.eq(family_id),
                        refresh_tokens::token_hash.eq(replacement.as_bytes()),
                        refresh_tokens::created_at.eq(now),
                        refresh_tokens::expires_at.eq(replacement_expires_at),
                    ))
                    .execute(conn)?;
                Ok(Rotation::Rotated { user })
            })
            .await
    }

    async fn revoke_refresh_family(
        &self,
        presented: TokenHash,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.db
            .transaction(move |conn| {
                let family: Option<Uuid> = refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(presented.as_bytes()))
                    .select(refresh_tokens::family_id)
                    .first(conn)
                    .optional()?;
                if let Some(family_id) = family {
                    revoke_family(conn, family_id, now)?;
                }
                Ok(())
            })
            .await
    }

    async fn store_reset_token(
        &self,
        user_id: Uuid,
        hash: TokenHash,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
        notice: ResetNotice,
    ) -> Result<(), DomainError> {
        self.db
            .transaction(move |conn| {
                diesel::insert_into(password_reset_tokens::table)
                    .values((
                        password_reset_tokens::user_id.eq(user_id),
                        password_reset_tokens::token_hash.eq(hash.as_bytes()),
                        password_reset_tokens::created_at.eq(now),
                        password_reset_tokens::expires_at.eq(expires_at),
                    ))
                    .execute(conn)?;
                diesel::insert_into(outbox::table)
                    .values((
                        outbox::message_id.eq(notice.message_id),
                        outbox::topic.eq(Topic::PasswordResetRequested.as_str()),
                        outbox::user_id.eq(Some(user_id)),
                        outbox::sealed.eq(Some(&notice.sealed_token)),
                        outbox::at.eq(now),
                        outbox::next_attempt_at.eq(now),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
    }

    async fn reset_password(
        &self,
        token: TokenHash,
        new_password_hash: String,
        now: DateTime<Utc>,
    ) -> Result<Option<Uuid>, DomainError> {
        self.db
            .transaction(move |conn| {
                // Consume the token atomically: only one request can flip used_at.
                let user_id: Option<Uuid> = diesel::update(
                    password_reset_tokens::table
                        .filter(password_reset_tokens::token_hash.eq(token.as_bytes()))
                        .filter(password_reset_tokens::used_at.is_null())
                        .filter(crate::rules::reset_token_live(now)),
                )
                .set(password_reset_tokens::used_at.eq(now))
                .returning(password_reset_tokens::user_id)
                .get_result(conn)
                .optional()?;
                let Some(user_id) = user_id else {
                    return Ok(None);
                };
                let updated =
                    diesel::update(users::table.find(user_id).filter(users::active.eq(true)))
                        .set((
                            users::password_hash.eq(&new_password_hash),
                            users::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                if updated == 0 {
                    // A deactivated user: roll back, the token stays unused.
                    return Err(TxError::Domain(DomainError::unauthorized(
                        AuthCode::InvalidResetToken,
                        "the reset token is unknown, used or expired; ask for a new one",
                    )));
                }
                // Other outstanding reset tokens of the user die too.
                diesel::update(
                    password_reset_tokens::table
                        .filter(password_reset_tokens::user_id.eq(user_id))
                        .filter(password_reset_tokens::used_at.is_null()),
                )
                .set(password_reset_tokens::used_at.eq(now))
                .execute(conn)?;
                revoke_user_tokens(conn, user_id, now)?;
                Ok(Some(user_id))
            })
            .await
    }
}
