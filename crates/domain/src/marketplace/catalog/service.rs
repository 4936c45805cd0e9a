//! The use cases of categories and services (`docs/marketplace.md`): every access rule and
//! every check is decided here, before storage is asked.

use std::sync::Arc;

use super::{
    check_category_open, check_named_provider, may_list_inactive, may_read_service,
    require_service_manager, service_owner_for, Category, CategoryInput, CategoryPatch,
    CategoryRepository, NewCategory, NewService, Service, ServiceFilter, ServiceInput,
    ServicePatch, ServiceRepository,
};
use crate::account::Actor;
use crate::catalog::{Page, Paged};
use crate::error::DomainError;
use crate::ports::{AccountRepository, Clock};
use crate::values::Currency;

use super::UpcomingAppointment;
use super::{ServiceSort, SLOT_SEARCH_CANDIDATES};
use crate::marketplace::availability::Availability;
use crate::marketplace::slots::{
    booked_window, check_range, free_slots, local_day, on_grid, Slot, MAX_RANGE_DAYS,
};
use chrono::{DateTime, Duration, Utc};

/// The days a slot query covers when it names no end.
pub const DEFAULT_SLOT_DAYS: i64 = 7;

/// The free slots of a service in a range, told in its provider's zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSlots {
    pub service_id: i64,
    pub time_zone: crate::time_zone::TimeZone,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub items: Vec<Slot>,
}

/// A changed service, and the active appointments its availability now leaves outside its
/// slots (kept as they are: the provider sees them and decides).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub service: Service,
    pub conflicts: Vec<UpcomingAppointment>,
}

/// The appointments among `upcoming` that do not start on a slot of `availability`
/// ([`on_grid`]): an availability edit never cancels them; it reports them.
pub fn availability_conflicts(
    availability: &Availability,
    upcoming: Vec<UpcomingAppointment>,
) -> Vec<UpcomingAppointment> {
    upcoming
        .into_iter()
        .filter(|a| !on_grid(availability, a.starts_at))
        .collect()
}

/// The marketplace catalogue's use cases.
#[derive(Clone)]
pub struct MarketplaceCatalog {
    categories: Arc<dyn CategoryRepository>,
    services: Arc<dyn ServiceRepository>,
    /// To check the provider an admin names.
    accounts: Arc<dyn AccountRepository>,
    clock: Arc<dyn Clock>,
    /// A new service's currency when it names none (`booking.default_currency`).
    default_currency: Currency,
}

impl MarketplaceCatalog {
    pub fn new(
        categories: Arc<dyn CategoryRepository>,
        services: Arc<dyn ServiceRepository>,
        accounts: Arc<dyn AccountRepository>,
        clock: Arc<dyn Clock>,
        default_currency: Currency,
    ) -> Self {
        Self {
            categories,
            services,
            accounts,
            clock,
            default_currency,
        }
    }

    // ---------- categories ----------

    /// Admins only.
    pub async fn create_category(
        &self,
        actor: &Actor,
        input: CategoryInput,
    ) -> Result<Category, DomainError> {
        actor.require_admin()?;
        let category = NewCategory::parse(&input)?;
        self.categories.create(category, self.clock.now()).await
    }

    /// Anyone; the inactive categories too for admins only (`include_inactive`).
    pub async fn list_categories(
        &self,
        actor: &Actor,
        include_inactive: bool,
        page: Page,
    ) -> Result<Paged<Category>, DomainError> {
        if include_inactive {
            actor.require_admin()?;
        }
        self.categories.list(include_inactive, page).await
    }

    /// Admins only.
    pub async fn update_category(
        &self,
        actor: &Actor,
        id: i64,
        patch: CategoryPatch,
    ) -> Result<Category, DomainError> {
        actor.require_admin()?;
        let current = self.categories.get(id).await?;
        let next = patch.apply(&current)?;
        self.categories.update(id, next).await
    }

    // ---------- services ----------

    /// A provider's service (their own), or an admin's (their own, or a named provider's), in
    /// an active category.
    pub async fn create_service(
        &self,
        actor: &Actor,
        input: ServiceInput,
    ) -> Result<Service, DomainError> {
        let owner = service_owner_for(actor, input.provider_id)?;
        let service = NewService::parse(&input, self.default_currency)?;
        if let (Some(me), Some(named)) = (actor.user(), input.provider_id) {
            if named != me.id {
                let account = self.accounts.get_user(named).await?;
                check_named_provider(me, &account)?;
            }
        }
        check_category_open(&self.categories.get(service.category_id).await?)?;
        self.services.create(owner, service, self.clock.now()).await
    }

    /// The search: anyone; `include_inactive` as [`may_list_inactive`] says.
    pub async fn list_services(
        &self,
        actor: &Actor,
        filter: ServiceFilter,
        page: Page,
    ) -> Result<Paged<Service>, DomainError> {
        let filter = filter.validated()?;
        if filter.include_inactive {
            may_list_inactive(actor, filter.provider_id)?;
        }
        if !filter.by_free_slots() {
            return self.services.list(filter, page).await;
        }
        self.list_by_free_slots(filter, page).await
    }

    /// A search by free slots: the first [`SLOT_SEARCH_CANDIDATES`] services matching the
    /// other filters, each judged by the slot rule on the provider's booked time — with a free
    /// slot on `available_on` (the provider's local date), ordered by the soonest free slot for
    /// `sort=soonest` — then paged.
    async fn list_by_free_slots(
        &self,
        filter: ServiceFilter,
        page: Page,
    ) -> Result<Paged<Service>, DomainError> {
        let now = self.clock.now();
        let storage_sort = match filter.sort {
            ServiceSort::Soonest => ServiceSort::Newest,
            other => other,
        };
        let candidates = self
            .services
            .list(
                ServiceFilter {
                    sort: storage_sort,
                    ..filter.clone()
                },
                Page {
                    limit: SLOT_SEARCH_CANDIDATES,
                    offset: 0,
                },
            )
            .await?;
        let mut found: Vec<(Service, Option<DateTime<Utc>>)> = Vec::new();
        for service in candidates.items {
            let (from, to) = match filter.available_on {
                Some(date) => local_day(service.fields.availability.time_zone, date),
                None => (now, now + Duration::days(MAX_RANGE_DAYS)),
            };
            let first = self
                .free_slots_of(&service, from, to, now)
                .await?
                .first()
                .map(|s| s.starts_at);
            if filter.available_on.is_some() && first.is_none() {
                continue;
            }
            found.push((service, first));
        }
        if filter.sort == ServiceSort::Soonest {
            // A stable sort: services without a free slot last, in the storage's order.
            found.sort_by_key(|(_, first)| (first.is_none(), *first));
        }
        let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
        let items = found
            .into_iter()
            .skip(usize::try_from(page.offset).unwrap_or(usize::MAX))
            .take(usize::try_from(page.limit).unwrap_or(0))
            .map(|(s, _)| s)
            .collect();
        Ok(Paged { items, total, page })
    }

    /// The free slots of a service starting in `[from, to)` at `now` (none while it is inactive;
    /// the callers never pass a deleted one).
    async fn free_slots_of(
        &self,
        service: &Service,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Slot>, DomainError> {
        if !service.fields.active {
            return Ok(vec![]);
        }
        let availability = &service.fields.availability;
        let (read_from, read_to) = booked_window(availability, from, to);
        let booked = self
            .services
            .booked_time(service.provider_id, read_from, read_to, now)
            .await?;
        Ok(free_slots(service.id, availability, &booked, from, to, now))
    }

    /// One service; a deleted one only for its provider and admins (404 to anyone else).
    pub async fn get_service(&self, actor: &Actor, id: i64) -> Result<Service, DomainError> {
        let service = self.services.get(id).await?;
        if may_read_service(actor, &service) {
            Ok(service)
        } else {
            Err(DomainError::not_found("service", id))
        }
    }

    /// Its provider or an admin; a deleted service cannot be changed (404). A new category must
    /// be active. Existing appointments are never touched: the answer lists those the new
    /// availability leaves outside its slots ([`availability_conflicts`]). With `dry_run`
    /// nothing is written: the answer is the service as it would be, and those conflicts.
    pub async fn update_service(
        &self,
        actor: &Actor,
        id: i64,
        patch: ServicePatch,
        dry_run: bool,
    ) -> Result<ServiceUpdate, DomainError> {
        actor.require_user()?;
        let current = self.get_service(actor, id).await?;
        require_service_manager(actor, &current)?;
        if current.is_deleted() {
            return Err(DomainError::not_found("service", id));
        }
        let next = patch.apply(&current.fields)?;
        if next.category_id != current.fields.category_id {
            check_category_open(&self.categories.get(next.category_id).await?)?;
        }
        let now = self.clock.now();
        let upcoming = self.services.upcoming_appointments(id, now).await?;
        let conflicts = availability_conflicts(&next.availability, upcoming);
        let service = if dry_run {
            Service {
                fields: next,
                updated_at: now,
                ..current
            }
        } else {
            self.services.update(id, next, now).await?
        };
        Ok(ServiceUpdate { service, conflicts })
    }

    /// The free slots of a service starting in `[from, to)` (default: from now, 7 days; at most
    /// [`crate::marketplace::slots::MAX_RANGE_DAYS`] days) by the slot rule ([`free_slots`]): anyone. A deleted service is
    /// unknown (404); an inactive one has none.
    pub async fn slots(
        &self,
        id: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<ServiceSlots, DomainError> {
        let service = self.services.get(id).await?;
        if service.is_deleted() {
            return Err(DomainError::not_found("service", id));
        }
        let now = self.clock.now();
        let from = from.unwrap_or(now);
        let to = to.unwrap_or(from + Duration::days(DEFAULT_SLOT_DAYS));
        check_range(from, to)?;
        Ok(ServiceSlots {
            service_id: id,
            time_zone: service.fields.availability.time_zone,
            from,
            to,
            items: self.free_slots_of(&service, from, to, now).await?,
        })
    }

    /// Its provider or an admin: marks it deleted (it is kept, and keeps reading for them);
    /// deleting a deleted service changes nothing.
    pub async fn delete_service(&self, actor: &Actor, id: i64) -> Result<Service, DomainError> {
        actor.require_user()?;
        let current = self.get_service(actor, id).await?;
        require_service_manager(actor, &current)?;
        if current.is_deleted() {
            return Ok(current);
        }
        self.services.delete(id, self.clock.now()).await
    }
}
