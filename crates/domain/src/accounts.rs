//! Account use cases: signup, login, refresh-token rotation, sign-out, password reset, profiles
//! and the admin's user management.

use std::sync::Arc;

use uuid::Uuid;

use crate::account::{
    Actor, AuthRules, NewAccount, NewRefreshToken, NewUser, Password, ProfileInput, Role, Rotation,
    SecretToken, Session, SignupRequest, TokenHash, User, UserPatch,
};
use crate::catalog::{Page, Paged};
use crate::codes::{AuthCode, ConflictCode};
use crate::error::DomainError;
use crate::ports::{
    AccountRepository, Clock, EmailMessage, PasswordHasher, ResetNotice, Sealer, TokenGenerator,
};
use crate::values::Email;

/// The email of a password reset: the token on a line of its own, valid for `minutes`.
pub fn reset_email(to: Email, token: &str, minutes: i64, message_id: Uuid) -> EmailMessage {
    EmailMessage {
        to,
        subject: "Reset your boxoffice password".to_owned(),
        text_body: format!(
            "Someone asked to reset the password of your boxoffice account.\n\n\
             Your reset token (valid for {minutes} minutes, usable once):\n\n{token}\n\n\
             Send it with your new password to POST /api/v1/auth/password-reset/confirm\n\
             {{\"token\": \"...\", \"new_password\": \"...\"}}.\n\n\
             If you did not ask for this, ignore this email: your password stays as it is.\n"
        ),
        html_body: None,
        message_id: Some(message_id),
    }
}

/// Account use cases.
#[derive(Clone)]
pub struct AccountService {
    repo: Arc<dyn AccountRepository>,
    hasher: Arc<dyn PasswordHasher>,
    tokens: Arc<dyn TokenGenerator>,
    sealer: Arc<dyn Sealer>,
    clock: Arc<dyn crate::ports::Clock>,
    rules: AuthRules,
}

fn invalid_credentials() -> DomainError {
    DomainError::unauthorized(AuthCode::InvalidCredentials, "wrong email or password")
}

fn invalid_refresh() -> DomainError {
    DomainError::unauthorized(
        AuthCode::InvalidToken,
        "the refresh token is unknown, expired or revoked; sign in again",
    )
}

impl AccountService {
    pub fn new(
        repo: Arc<dyn AccountRepository>,
        hasher: Arc<dyn PasswordHasher>,
        tokens: Arc<dyn TokenGenerator>,
        sealer: Arc<dyn Sealer>,
        clock: Arc<dyn Clock>,
        rules: AuthRules,
    ) -> Self {
        Self {
            repo,
            hasher,
            tokens,
            sealer,
            clock,
            rules,
        }
    }

    pub fn rules(&self) -> AuthRules {
        self.rules
    }

    async fn new_session(&self, user: User, family_id: Uuid) -> Result<Session, DomainError> {
        let now = self.clock.now();
        let token = SecretToken::new(self.tokens.token());
        let expires_at = now + self.rules.refresh_ttl;
        self.repo
            .store_refresh_token(
                NewRefreshToken {
                    user_id: user.id,
                    family_id,
                    hash: token.hash(),
                    expires_at,
                },
                now,
            )
            .await?;
        Ok(Session {
            user,
            refresh_token: token,
            refresh_expires_at: expires_at,
        })
    }

    async fn create(&self, account: NewAccount, password: Password) -> Result<User, DomainError> {
        let password_hash = self.hasher.hash(password.expose()).await?;
        self.repo
            .create_user(
                NewUser {
                    account,
                    password_hash,
                },
                self.clock.now(),
            )
            .await
    }

    /// Self-service signup (customer or provider), signed in at once.
    pub async fn signup(&self, request: SignupRequest) -> Result<Session, DomainError> {
        let (account, password) = request.parse()?;
        let user = self.create(account, password).await?;
        self.new_session(user, self.tokens.uuid()).await
    }

    /// Creates an admin (the `create-admin` command; never reachable over HTTP).
    pub async fn create_admin(
        &self,
        email: &str,
        password: &str,
        profile: ProfileInput,
    ) -> Result<User, DomainError> {
        let (mut account, password) = SignupRequest {
            email: email.to_owned(),
            password: password.to_owned(),
            role: None,
            profile,
        }
        .parse()?;
        account.role = Role::Admin;
        self.create(account, password).await
    }

    /// Email + password → a new session (a new refresh-token family).
    pub async fn login(&self, email: &str, password: &str) -> Result<Session, DomainError> {
        let found = match Email::parse(email) {
            Ok(e) => self.repo.find_credentials(&e).await?,
            Err(_) => None,
        };
        let Some((user, hash)) = found else {
            // Same work as for a real account: no timing difference to probe emails with.
            let _ = self.hasher.verify(password, None).await;
            return Err(invalid_credentials());
        };
        if !self.hasher.verify(password, Some(hash)).await? {
            return Err(invalid_credentials());
        }
        if !user.active {
            return Err(DomainError::unauthorized(
                AuthCode::AccountDisabled,
                "this account is deactivated",
            ));
        }
        self.new_session(user, self.tokens.uuid()).await
    }

    /// Rotates a refresh token: the presented one stops working and a new one (same family) is
    /// returned. Presenting a used token revokes its whole family (theft detection).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, DomainError> {
        let now = self.clock.now();
        let replacement = SecretToken::new(self.tokens.token());
        let expires_at = now + self.rules.refresh_ttl;
        match self
            .repo
            .rotate_refresh_token(
                TokenHash::of(refresh_token),
                replacement.hash(),
                expires_at,
                now,
            )
            .await?
        {
            Rotation::Rotated { user } => Ok(Session {
                user,
                refresh_token: replacement,
                refresh_expires_at: expires_at,
            }),
            Rotation::Reused => Err(DomainError::unauthorized(
                AuthCode::TokenReused,
                "this refresh token was already used: every session of its sign-in is revoked; sign in again",
            )),
            Rotation::Invalid => Err(invalid_refresh()),
        }
    }

    /// Signs out: the refresh token's family (this sign-in's session) stops working.
    pub async fn logout(&self, refresh_token: &str) -> Result<(), DomainError> {
        self.repo
            .revoke_refresh_family(TokenHash::of(refresh_token), self.clock.now())
            .await
    }

    /// Sends a one-time reset token when the email belongs to an active account: the token's
    /// hash is stored with an outbox message carrying the token sealed, in one transaction,
    /// and the delivery worker emails it. Answers the same either way.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), DomainError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        let Some((user, _)) = self.repo.find_credentials(&email).await? else {
            return Ok(());
        };
        if !user.active {
            return Ok(());
        }
        let now = self.clock.now();
        let token = SecretToken::new(self.tokens.token());
        let expires_at = now + self.rules.reset_ttl;
        let notice = ResetNotice {
            message_id: Uuid::new_v4(),
            sealed_token: self.sealer.seal(token.expose().as_bytes())?,
        };
        self.repo
            .store_reset_token(user.id, token.hash(), expires_at, now, notice)
            .await
    }

    /// Sets a new password with a reset token (single use, expires) and signs the user out
    /// everywhere.
    pub async fn confirm_password_reset(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<(), DomainError> {
        let password = Password::parse_field(new_password, "new_password")?;
        let hash = self.hasher.hash(password.expose()).await?;
        match self
            .repo
            .reset_password(TokenHash::of(token), hash, self.clock.now())
            .await?
        {
            Some(_) => Ok(()),
            None => Err(DomainError::unauthorized(
                AuthCode::InvalidResetToken,
                "the reset token is unknown, used or expired; ask for a new one",
            )),
        }
    }

    /// The user behind a verified access token, if still active (401 otherwise).
    pub async fn authenticate(&self, user_id: Uuid) -> Result<User, DomainError> {
        match self.repo.get_user(user_id).await {
            Ok(user) if user.active => Ok(user),
            Ok(_) => Err(DomainError::unauthorized(
                AuthCode::AccountDisabled,
                "this account is deactivated",
            )),
            Err(DomainError::NotFound { .. }) => Err(DomainError::unauthorized(
                AuthCode::InvalidToken,
                "the token's user does not exist",
            )),
            Err(e) => Err(e),
        }
    }

    /// The caller's own profile changes (never role or active).
    pub async fn update_me(&self, actor: &Actor, patch: UserPatch) -> Result<User, DomainError> {
        let user = actor.require_user()?;
        if patch.touches_privileges() {
            return Err(DomainError::forbidden(
                "role and active are changed by an admin",
            ));
        }
        self.repo
            .update_user(user.id, patch, self.clock.now())
            .await
    }

    pub async fn list_users(
        &self,
        actor: &Actor,
        role: Option<Role>,
        page: Page,
    ) -> Result<Paged<User>, DomainError> {
        actor.require_admin()?;
        self.repo.list_users(role, page).await
    }

    /// That user or an admin.
    pub async fn get_user(&self, actor: &Actor, id: Uuid) -> Result<User, DomainError> {
        actor.require_self_or_admin(id)?;
        self.repo.get_user(id).await
    }

    /// Admins: change role, (de)activate, profile. An admin cannot deactivate or demote
    /// themselves (so there is always someone who can undo it).
    pub async fn update_user(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: UserPatch,
    ) -> Result<User, DomainError> {
        let admin = actor.require_admin()?;
        if admin.id == id
            && (patch.active == Some(false) || patch.role.is_some_and(|r| r != Role::Admin))
        {
            return Err(DomainError::Conflict {
                code: ConflictCode::SelfLockout,
                message: "an admin cannot deactivate or demote themselves".into(),
            });
        }
        self.repo.update_user(id, patch, self.clock.now()).await
    }
}
