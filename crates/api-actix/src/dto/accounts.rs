//! Account bodies: sign-up, sign-in, tokens, profiles (re-exported by `dto`).

use boxoffice_domain::account::User;
use chrono::{DateTime, Utc};
use paperclip::actix::Apiv2Schema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::Validate;

use crate::timestamp;

/// Sign up as a customer (default) or a provider. Admins are made by an admin.
#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct Signup {
    pub email: String,
    /// 8 to 128 characters; every one counts (a password longer than the 72 bytes bcrypt reads
    /// is pre-hashed, never cut).
    pub password: String,
    /// customer (default; also when blank) or provider
    pub role: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

impl std::fmt::Debug for Signup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signup")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct Login {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// A refresh token (for `/auth/refresh` and `/auth/logout`).
#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

impl std::fmt::Debug for RefreshRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RefreshRequest { refresh_token: <redacted> }")
    }
}

#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    pub email: String,
}

#[derive(Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token from the reset email.
    pub token: String,
    /// 8 to 128 characters; every one counts (a password longer than the 72 bytes bcrypt reads
    /// is pre-hashed, never cut).
    pub new_password: String,
}

impl std::fmt::Debug for PasswordResetConfirm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordResetConfirm { <redacted> }")
    }
}

/// Changes to the caller's own profile. Absent fields stay; an empty string clears a field.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

/// An admin's changes to a user: role, `active` (false = deactivated: their tokens stop
/// working at once) and profile fields.
#[derive(Debug, Deserialize, Apiv2Schema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// customer, provider or admin
    pub role: Option<String>,
    pub active: Option<bool>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Deserialize, Apiv2Schema, Validate)]
pub struct UserQuery {
    /// Only users of this role.
    pub role: Option<String>,
    #[validate(range(min = 1, max = 500, message = "limit must be between 1 and 500"))]
    pub limit: Option<i64>,
    #[validate(range(min = 0, message = "offset must not be negative"))]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct UserDto {
    pub id: Uuid,
    pub email: String,
    pub phone: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    /// customer, provider or admin
    pub role: String,
    pub active: bool,
    #[serde(serialize_with = "timestamp::serialize")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "timestamp::serialize")]
    pub updated_at: DateTime<Utc>,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            phone: u.phone,
            first_name: u.first_name,
            last_name: u.last_name,
            address: u.address,
            role: u.role.as_str().to_owned(),
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A signed-in session. Send `access_token` as `Authorization: Bearer <access_token>`; when it
/// expires, trade `refresh_token` at `/auth/refresh` for a new pair (the old one stops working).
#[derive(Serialize, Apiv2Schema)]
pub struct TokenDto {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub refresh_token: String,
    /// Seconds until the refresh token expires.
    pub refresh_expires_in: i64,
    pub user: UserDto,
}

impl std::fmt::Debug for TokenDto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDto { <redacted> }")
    }
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct AcceptedDto {
    pub status: String,
    pub message: String,
}

#[derive(Debug, Serialize, Apiv2Schema)]
pub struct HealthDto {
    pub status: String,
}
