//! The storage ports of categories and services. Each method is one statement or one
//! transaction; the adapters store and load, the rules are [`super`]'s. The error contract of
//! [`crate::ports`] holds: an unknown id is `NotFound` naming the entity, a constraint
//! violation the matching domain error, `Internal` only for failures of the machinery.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Category, NewCategory, NewService, Service, ServiceFilter};
use crate::catalog::{Page, Paged};
use crate::error::DomainError;

/// Storage of categories.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait CategoryRepository: Send + Sync + 'static {
    /// MUST return `Conflict { code: "duplicate" }` when a category has the name (whatever its
    /// case).
    async fn create(
        &self,
        category: NewCategory,
        now: DateTime<Utc>,
    ) -> Result<Category, DomainError>;
    /// By name (then id); the inactive ones only with `include_inactive`.
    async fn list(
        &self,
        include_inactive: bool,
        page: Page,
    ) -> Result<Paged<Category>, DomainError>;
    /// MUST return `NotFound("category")` for an unknown id.
    async fn get(&self, id: i64) -> Result<Category, DomainError>;
    /// Writes every field. MUST return `NotFound("category")` for an unknown id and
    /// `Conflict { code: "duplicate" }` for a name another category has.
    async fn update(&self, id: i64, category: NewCategory) -> Result<Category, DomainError>;
}

/// Storage of services.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait ServiceRepository: Send + Sync + 'static {
    /// Stores a new service of `provider_id`, created and updated at `now`. MUST return
    /// `NotFound("category")` for an unknown category.
    async fn create(
        &self,
        provider_id: Uuid,
        service: NewService,
        now: DateTime<Utc>,
    ) -> Result<Service, DomainError>;
    /// A service, deleted or not. MUST return `NotFound("service")` for an unknown id.
    async fn get(&self, id: i64) -> Result<Service, DomainError>;
    /// The services [`super::service_listed`] keeps, in the filter's order, and how many there
    /// are.
    async fn list(&self, filter: ServiceFilter, page: Page) -> Result<Paged<Service>, DomainError>;
    /// Writes every field, `updated_at = now`, of a service that is not deleted. MUST return
    /// `NotFound("service")` for an unknown or deleted id and `NotFound("category")` for an
    /// unknown category.
    async fn update(
        &self,
        id: i64,
        service: NewService,
        now: DateTime<Utc>,
    ) -> Result<Service, DomainError>;
    /// Marks the service deleted at `now` (`deleted_at`, `updated_at`), unless it is already
    /// (then it stays as it is). Nothing is removed. MUST return `NotFound("service")` for an
    /// unknown id.
    async fn delete(&self, id: i64, now: DateTime<Utc>) -> Result<Service, DomainError>;
    /// The provider's booked time whose occupied range overlaps `[from, to)`: their active
    /// appointments (of any service), not counting holds past due at `now`
    /// ([`crate::booking::hold_past_due`]: their time is free already).
    async fn booked_time(
        &self,
        provider_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::marketplace::slots::BookedTime>, DomainError>;
    /// The active appointments of the service (held, pending or confirmed; past-due holds
    /// not counted) that start at or after `from`, earliest first: an availability edit
    /// reports those outside the new availability.
    async fn upcoming_appointments(
        &self,
        service_id: i64,
        from: DateTime<Utc>,
    ) -> Result<Vec<UpcomingAppointment>, DomainError>;
}

/// An active appointment of a service, as an availability edit checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpcomingAppointment {
    pub booking_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}
