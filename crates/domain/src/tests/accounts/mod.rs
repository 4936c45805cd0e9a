//! Accounts: the credential value objects, signup and profile parsing, token hashing, and the
//! account use cases against mockall mocks of the ports.

use crate::codes::*;
use std::sync::{Arc, Mutex};

use chrono::Duration;
use futures_executor::block_on;
use uuid::Uuid;

use crate::account::{
    Actor, AuthRules, NewRefreshToken, NewUser, Password, ProfileInput, Role, Rotation,
    SecretToken, SignupRequest, TokenHash, User, UserPatch, PASSWORD_MAX_BYTES, PASSWORD_MAX_CHARS,
    PASSWORD_MIN_CHARS,
};
use crate::accounts::{reset_email, AccountService};
use crate::catalog::{Page, Paged};
use crate::error::DomainError;
use crate::ports::{
    MockAccountRepository, MockClock, MockPasswordHasher, MockSealer, MockTokenGenerator,
    ResetNotice,
};

use super::support::{actor, admin, failing_fields, is_forbidden, t0, unauthorized_code, user};

mod credentials;
mod sessions;
mod signup_login;
mod users;

const NEW_TOKEN: &str = "fresh-token-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const HASH: &str = "$2b$12$hashhashhash";

struct Mocks {
    repo: MockAccountRepository,
    hasher: MockPasswordHasher,
    tokens: MockTokenGenerator,
    sealer: MockSealer,
}

impl Mocks {
    /// Mocks with no expectations: any call to them fails the test.
    fn new() -> Self {
        Self {
            repo: MockAccountRepository::new(),
            hasher: MockPasswordHasher::new(),
            tokens: MockTokenGenerator::new(),
            sealer: MockSealer::new(),
        }
    }

    fn service(self) -> AccountService {
        let mut clock = MockClock::new();
        clock.expect_now().returning(t0);
        AccountService::new(
            Arc::new(self.repo),
            Arc::new(self.hasher),
            Arc::new(self.tokens),
            Arc::new(self.sealer),
            Arc::new(clock),
            AuthRules::default(),
        )
    }
}

fn stored_user(new: &NewUser) -> User {
    User {
        id: Uuid::new_v4(),
        email: new.account.email.as_str().to_owned(),
        phone: None,
        first_name: new.account.first_name.clone(),
        last_name: new.account.last_name.clone(),
        address: new.account.address.clone(),
        role: new.account.role,
        active: true,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn error_code(err: &DomainError) -> &'static str {
    match err {
        DomainError::Unauthorized { code, .. } => code.as_str(),
        DomainError::Forbidden { code, .. } => code.as_str(),
        DomainError::Conflict { code, .. } => code.as_str(),
        other => panic!("expected an error with a code, got {other:?}"),
    }
}

fn signup(email: &str, password: &str, role: Option<&str>) -> SignupRequest {
    SignupRequest {
        email: email.into(),
        password: password.into(),
        role: role.map(str::to_owned),
        profile: ProfileInput::default(),
    }
}

fn known(active: bool) -> User {
    let mut u = user(Role::Customer);
    u.active = active;
    u
}
