//! Who may offer, read, change and list which services: the access rules of the marketplace
//! catalogue, in one place (categories: anyone reads, admins write — `Actor::require_admin`).

use uuid::Uuid;

use super::Service;
use crate::account::{Actor, Role, User};
use crate::error::DomainError;

/// Whose service a new one is: a provider's own (naming another provider is 403); an admin's
/// own, or the provider an admin names (checked by [`check_named_provider`]); a customer may
/// not offer services (403), an anonymous caller must sign in (401).
pub fn service_owner_for(actor: &Actor, named: Option<Uuid>) -> Result<Uuid, DomainError> {
    let user = actor.require_user()?;
    match (user.role, named) {
        (Role::Customer, _) => Err(DomainError::forbidden(
            "only providers and admins may offer services",
        )),
        (Role::Provider, Some(id)) if id != user.id => Err(DomainError::forbidden(
            "a provider offers services for themselves only",
        )),
        (Role::Provider, _) | (Role::Admin, None) => Ok(user.id),
        (Role::Admin, Some(id)) => Ok(id),
    }
}

/// The account an admin names as a new service's provider: an active provider (or the admin
/// themself). 422 naming `provider_id` otherwise.
pub fn check_named_provider(admin: &User, named: &User) -> Result<(), DomainError> {
    if named.id == admin.id || (named.role == Role::Provider && named.active) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "provider_id",
            "provider_id must name an active provider account",
        ))
    }
}

/// Who may change (and delete) a service: its provider or an admin.
pub fn may_manage_service(actor: &Actor, service: &Service) -> bool {
    match actor.user() {
        Some(u) => {
            u.role == Role::Admin || (u.role == Role::Provider && u.id == service.provider_id)
        }
        None => false,
    }
}

/// Who may read a service: anyone, unless it is deleted — then only those who may manage it
/// ([`may_manage_service`]); to everyone else it is an unknown id (404).
pub fn may_read_service(actor: &Actor, service: &Service) -> bool {
    !service.is_deleted() || may_manage_service(actor, service)
}

/// [`may_manage_service`] as an answer: 401 anonymous, 403 anyone else.
pub fn require_service_manager<'a>(
    actor: &'a Actor,
    service: &Service,
) -> Result<&'a User, DomainError> {
    let user = actor.require_user()?;
    if may_manage_service(actor, service) {
        Ok(user)
    } else {
        Err(DomainError::forbidden(
            "only the service's provider or an admin may change it",
        ))
    }
}

/// Who may list inactive services (`include_inactive`) of `provider_id`: an admin (anyone's),
/// a provider their own (`provider_id` = their id); 401 anonymous, 403 anyone else.
pub fn may_list_inactive(actor: &Actor, provider_id: Option<Uuid>) -> Result<(), DomainError> {
    let user = actor.require_user()?;
    if user.role == Role::Admin || (user.role == Role::Provider && provider_id == Some(user.id)) {
        Ok(())
    } else {
        Err(DomainError::forbidden(
            "include_inactive is for admins, and for a provider listing their own services \
             (provider_id = their id)",
        ))
    }
}
