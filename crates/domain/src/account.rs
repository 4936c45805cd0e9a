//! Accounts, roles, credentials and the access rules: who may do what.
//!
//! The rules here are pure functions of the caller ([`Actor`]) and the resource; the use cases
//! (`service`, `accounts`) call them before they touch storage.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{DomainError, Violations};
use crate::values::{Email, Phone, TextRule};

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Books places; sees their own bookings.
    Customer,
    /// Organises events: creates and changes their own events, shows, seat maps and prices.
    Provider,
    /// Everything, including cities, venues, users and other people's bookings.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Customer, Role::Provider, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Provider => "provider",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "customer" => Ok(Role::Customer),
            "provider" => Ok(Role::Provider),
            "admin" => Ok(Role::Admin),
            other => Err(DomainError::invalid(
                "role",
                format!("'{other}' is not a role (customer, provider, admin)"),
            )),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user account as stored (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub phone: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// The name to put on a booking: "first last", else the email's local part.
    pub fn display_name(&self) -> String {
        let full = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        let full = full.trim();
        if full.is_empty() {
            self.email
                .split('@')
                .next()
                .unwrap_or(&self.email)
                .to_owned()
        } else {
            full.to_owned()
        }
    }
}

/// Shortest password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 8;
/// Longest password, in characters. Every character counts: bcrypt reads at most
/// [`PASSWORD_MAX_BYTES`] bytes, so the hashing adapter pre-hashes a longer password
/// (`docs/security.md`) instead of letting bcrypt cut it.
pub const PASSWORD_MAX_CHARS: usize = 128;
pub use crate::limits::PASSWORD_MAX_BYTES;

/// A password that meets the rules. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(value: &str) -> Result<Self, DomainError> {
        Self::check(value).map_err(|m| DomainError::invalid("password", m))
    }

    fn check(value: &str) -> Result<Self, String> {
        let n = value.chars().count();
        if n < PASSWORD_MIN_CHARS {
            return Err(format!(
                "the password must have at least {PASSWORD_MIN_CHARS} characters"
            ));
        }
        if n > PASSWORD_MAX_CHARS {
            return Err(format!(
                "the password must have at most {PASSWORD_MAX_CHARS} characters"
            ));
        }
        if value.trim().is_empty() {
            return Err("the password must not be only spaces".to_owned());
        }
        Ok(Self(value.to_owned()))
    }

    /// Like [`Password::parse`] but reports the error under `field`.
    pub fn parse_field(value: &str, field: &str) -> Result<Self, DomainError> {
        Self::check(value).map_err(|m| DomainError::invalid(field, m))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An opaque secret handed to a client once (refresh token, reset token, guest token). Stored
/// only as its SHA-256 hash. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretToken(String);

impl SecretToken {
    pub fn new(value: String) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn into_inner(self) -> String {
        self.0
    }
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }
}

impl fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// SHA-256 of a token: what storage keeps. The tokens are 256-bit random values, so a fast hash
/// is enough (no guessing attack to slow down, unlike passwords).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenHash(pub [u8; 32]);

impl TokenHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }
    /// Compares in time independent of where the bytes differ.
    pub fn matches(&self, other: &TokenHash) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

/// First and last names: one line, at most 100 characters; an empty one clears the field.
const PROFILE_NAME_RULE: TextRule = TextRule::optional_line(crate::limits::PERSON_NAME_MAX_CHARS);
/// A postal address: several lines allowed, at most 500 characters (like a venue's).
const PROFILE_ADDRESS_RULE: TextRule = TextRule::optional_lines(crate::limits::ADDRESS_MAX_CHARS);

fn profile_text(v: &mut Violations, field: &str, value: &str, rule: TextRule) -> String {
    v.check(field, rule.parse(value, field)).unwrap_or_default()
}

/// Profile fields shared by signup and updates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileInput {
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
}

/// A signup as it arrives. Its `Debug` hides the password.
#[derive(Clone, Default)]
pub struct SignupRequest {
    pub email: String,
    pub password: String,
    pub role: Option<String>,
    pub profile: ProfileInput,
}

impl fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignupRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("role", &self.role)
            .field("profile", &self.profile)
            .finish()
    }
}

/// A new account, checked, before its password is hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: Email,
    pub phone: Option<Phone>,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub role: Role,
}

/// A new account with its password hash, ready to store. Its `Debug` hides the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub account: NewAccount,
    pub password_hash: String,
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("account", &self.account)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

impl SignupRequest {
    /// Checks everything; self-service signup can make customers and providers, never admins.
    pub fn parse(self) -> Result<(NewAccount, Password), DomainError> {
        let mut v = Violations::new();
        let email = v.check("email", Email::parse(&self.email));
        let password = match Password::parse(&self.password) {
            Ok(p) => Some(p),
            Err(DomainError::Validation(errs)) => {
                for e in errs {
                    v.add(e.field, e.message);
                }
                None
            }
            Err(e) => return Err(e),
        };
        let role = match self.role.as_deref().map(str::trim) {
            None | Some("") => Some(Role::Customer),
            Some(r) => match Role::parse(r) {
                Ok(Role::Admin) => {
                    v.add(
                        "role",
                        "admins cannot sign up; an admin grants the role (or use `boxoffice create-admin`)",
                    );
                    None
                }
                Ok(role) => Some(role),
                Err(_) => {
                    v.add("role", "role must be customer or provider");
                    None
                }
            },
        };
        let (phone, first_name, last_name, address) = parse_profile(&mut v, &self.profile);
        v.finish()?;
        match (email, password, role) {
            (Some(email), Some(password), Some(role)) => Ok((
                NewAccount {
                    email,
                    phone: phone.flatten(),
                    first_name: first_name.unwrap_or_default(),
                    last_name: last_name.unwrap_or_default(),
                    address: address.unwrap_or_default(),
                    role,
                },
                password,
            )),
            _ => Err(DomainError::Internal(
                "unreachable: violations empty".into(),
            )),
        }
    }
}

type ParsedProfile = (
    Option<Option<Phone>>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Each field: `None` = not given; `Some("")` clears a text field; a blank phone clears it.
fn parse_profile(v: &mut Violations, p: &ProfileInput) -> ParsedProfile {
    let phone = p.phone.as_deref().map(|s| {
        let s = s.trim();
        if s.is_empty() {
            None
        } else {
            v.check("phone", Phone::parse(s))
        }
    });
    let first = p
        .first_name
        .as_deref()
        .map(|s| profile_text(v, "first_name", s, PROFILE_NAME_RULE));
    let last = p
        .last_name
        .as_deref()
        .map(|s| profile_text(v, "last_name", s, PROFILE_NAME_RULE));
    let address = p
        .address
        .as_deref()
        .map(|s| profile_text(v, "address", s, PROFILE_ADDRESS_RULE));
    (phone, first, last, address)
}

/// A change to a user. Every field is optional; `role` and `active` are for admins only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserPatch {
    pub phone: Option<Option<Phone>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub address: Option<String>,
    pub role: Option<Role>,
    pub active: Option<bool>,
}

impl UserPatch {
    pub fn parse(
        profile: &ProfileInput,
        role: Option<&str>,
        active: Option<bool>,
    ) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        let (phone, first_name, last_name, address) = parse_profile(&mut v, profile);
        let role = role.and_then(|r| v.check("role", Role::parse(r)));
        v.finish()?;
        Ok(Self {
            phone,
            first_name,
            last_name,
            address,
            role,
            active,
        })
    }

    pub fn touches_privileges(&self) -> bool {
        self.role.is_some() || self.active.is_some()
    }
}

/// The history `actor` of a change made by a guest: an anonymous booking, or the holder of a
/// booking's guest token.
pub const HISTORY_ACTOR_GUEST: &str = "guest";
/// The history `actor` of a change made from the command line.
pub const HISTORY_ACTOR_OPERATOR: &str = "operator";

/// Who is calling: nobody in particular, or a signed-in, active user (loaded fresh for the
/// request, so a role change or a deactivation takes effect at once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User(User),
}

impl Actor {
    pub fn user(&self) -> Option<&User> {
        match self {
            Actor::Anonymous => None,
            Actor::User(u) => Some(u),
        }
    }
    pub fn user_id(&self) -> Option<Uuid> {
        self.user().map(|u| u.id)
    }
    pub fn role(&self) -> Option<Role> {
        self.user().map(|u| u.role)
    }
    pub fn is_admin(&self) -> bool {
        self.role() == Some(Role::Admin)
    }

    /// Who caused a change, as the booking history records it: `user:<uuid>` for a signed-in
    /// caller (an admin acting on someone else's booking is recorded with the admin's own id),
    /// `guest` for an anonymous caller (a guest booking, a guest-token holder), `operator` for
    /// the command line (whose actor is a user with the nil id, see `boxoffice::operator`).
    pub fn history_label(&self) -> String {
        match self {
            Actor::Anonymous => HISTORY_ACTOR_GUEST.to_owned(),
            Actor::User(u) if u.id.is_nil() => HISTORY_ACTOR_OPERATOR.to_owned(),
            Actor::User(u) => format!("user:{}", u.id),
        }
    }

    /// 401 for anonymous callers; the signed-in user otherwise.
    pub fn require_user(&self) -> Result<&User, DomainError> {
        self.user().ok_or_else(DomainError::unauthenticated)
    }

    /// Admins only: 401 anonymous, 403 others.
    pub fn require_admin(&self) -> Result<&User, DomainError> {
        let user = self.require_user()?;
        if user.role == Role::Admin {
            Ok(user)
        } else {
            Err(DomainError::forbidden("only an admin may do this"))
        }
    }

    /// Providers and admins (creating events).
    pub fn require_organiser(&self) -> Result<&User, DomainError> {
        let user = self.require_user()?;
        match user.role {
            Role::Provider | Role::Admin => Ok(user),
            Role::Customer => Err(DomainError::forbidden(
                "only providers and admins may create events",
            )),
        }
    }

    /// Changing an event, its shows, seat maps and prices: the provider who organises it, or an
    /// admin. An event without an organiser (created before accounts existed) is admin-only.
    pub fn require_event_manager(&self, organizer_id: Option<Uuid>) -> Result<&User, DomainError> {
        let user = self.require_user()?;
        if user.role == Role::Admin
            || (user.role == Role::Provider && organizer_id == Some(user.id))
        {
            Ok(user)
        } else {
            Err(DomainError::forbidden(
                "only the event's organiser or an admin may change it",
            ))
        }
    }

    /// Reading or changing another user's data: that user or an admin.
    pub fn require_self_or_admin(&self, user_id: Uuid) -> Result<&User, DomainError> {
        let user = self.require_user()?;
        if user.role == Role::Admin || user.id == user_id {
            Ok(user)
        } else {
            Err(DomainError::forbidden(
                "only that user or an admin may see this",
            ))
        }
    }
}

/// Access to one booking: its owner, the holder of its guest token, or an admin.
pub fn may_access_booking(
    actor: &Actor,
    owner: Option<Uuid>,
    guest_token_hash: Option<&TokenHash>,
    presented_guest_token: Option<&str>,
) -> bool {
    if actor.is_admin() {
        return true;
    }
    if let (Some(me), Some(owner)) = (actor.user_id(), owner) {
        if me == owner {
            return true;
        }
    }
    match (guest_token_hash, presented_guest_token) {
        (Some(stored), Some(presented)) => stored.matches(&TokenHash::of(presented)),
        _ => false,
    }
}

/// The history `reason` of a cancellation by `actor` of a booking owned by `owner` (`None`: a
/// guest booking): an admin cancelling a booking that is not their own, the operator, or the
/// customer (the owner or the guest-token holder).
pub fn cancellation_reason(actor: &Actor, owner: Option<Uuid>) -> &'static str {
    match actor.user() {
        Some(u) if u.id.is_nil() => "cancelled by the operator",
        Some(u) if u.role == Role::Admin && owner != Some(u.id) => "cancelled by an admin",
        _ => "cancelled by the customer",
    }
}

/// A signed-in session: the user and a fresh refresh token (the access token is minted at the
/// edge).
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub refresh_token: SecretToken,
    pub refresh_expires_at: DateTime<Utc>,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub hash: TokenHash,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token for rotation led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was current: it is now used, and the replacement is stored in its family.
    Rotated { user: User },
    /// The token had already been used or revoked: its whole family is now revoked.
    Reused,
    /// Unknown, expired, or its user is deactivated; nothing changed.
    Invalid,
}

/// What a presented refresh token is, from its stored row (locked by the rotation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshTokenState {
    /// Not used, not revoked, not expired: it may be rotated (if its user is active).
    Current,
    /// Used already (rotated): presenting it again means it leaked — revoke its family.
    Reused,
    /// Revoked by a sign-out or a family revocation, or expired: nothing to do.
    Invalid,
}

/// The one rule of a secret's life (a refresh token, a password-reset token): it is expired at
/// and after `expires_at`. SQL that must filter by it uses `infra-postgres`'s
/// `rules::secret_live`.
pub fn secret_expired(expires_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    expires_at <= now
}

/// The one rule of a presented refresh token's state: a used token is a reuse (whatever else is
/// true of it); an unused one that was revoked, or whose `expires_at` is at or before `now`, is
/// invalid; otherwise it is current.
pub fn refresh_token_state(
    used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> RefreshTokenState {
    if used_at.is_some() {
        RefreshTokenState::Reused
    } else if revoked_at.is_some() || secret_expired(expires_at, now) {
        RefreshTokenState::Invalid
    } else {
        RefreshTokenState::Current
    }
}

/// Durations of the account secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthRules {
    pub refresh_ttl: chrono::Duration,
    pub reset_ttl: chrono::Duration,
}

impl Default for AuthRules {
    fn default() -> Self {
        Self {
            refresh_ttl: chrono::Duration::days(30),
            reset_ttl: chrono::Duration::hours(1),
        }
    }
}
