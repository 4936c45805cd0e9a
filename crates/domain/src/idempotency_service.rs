//! The idempotency use case the HTTP edge calls around a handler's work: the rules
//! ([`crate::idempotency`]) over the storage port ([`IdempotencyStore`]). Apart from the rules
//! because the port's signatures use their types: `idempotency` < `ports` < this module.

use std::sync::Arc;

use crate::error::DomainError;
use crate::idempotency::{
    keeps, Begin, IdempotencyKey, IdempotencyRules, IdempotencyScope, Lease, RequestHash,
    StoredResponse,
};
use crate::ports::{Clock, IdempotencyStore};

/// The idempotency use case the HTTP edge calls around a handler's work.
#[derive(Clone)]
pub struct IdempotencyService {
    store: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    rules: IdempotencyRules,
}

impl IdempotencyService {
    pub fn new(
        store: Arc<dyn IdempotencyStore>,
        clock: Arc<dyn Clock>,
        rules: IdempotencyRules,
    ) -> Self {
        Self {
            store,
            clock,
            rules,
        }
    }

    pub fn rules(&self) -> &IdempotencyRules {
        &self.rules
    }

    /// Claims `key` for a request, or says why not (see [`Begin`]).
    pub async fn begin(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        request_hash: RequestHash,
    ) -> Result<Begin, DomainError> {
        let now = self.clock.now();
        self.store
            .begin(scope, key, request_hash, now, self.rules)
            .await
    }

    /// Ends the attempt `lease` with `response`: a kept answer ([`keeps`]) is stored for
    /// replays; any other answer (5xx) releases the key for a retry.
    pub async fn finish(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        lease: Lease,
        response: StoredResponse,
    ) -> Result<(), DomainError> {
        if keeps(response.status) {
            let now = self.clock.now();
            self.store
                .complete(scope, key, lease, response, now, now + self.rules.ttl)
                .await
        } else {
            self.store.abandon(scope, key, lease).await
        }
    }

    /// Releases the key of the attempt `lease` without an answer (the work failed).
    pub async fn abandon(
        &self,
        scope: &IdempotencyScope,
        key: &IdempotencyKey,
        lease: Lease,
    ) -> Result<(), DomainError> {
        self.store.abandon(scope, key, lease).await
    }
}
