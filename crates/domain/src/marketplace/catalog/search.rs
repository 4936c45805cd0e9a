//! The search of services: its order, its filter and the rules of what it lists.

use uuid::Uuid;

use super::Service;
use crate::error::{DomainError, Violations};
use crate::values::check_amount;

/// The order of a service search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ServiceSort {
    /// Cheapest first (then the oldest).
    PriceAsc,
    /// Dearest first (then the newest).
    PriceDesc,
    /// The newest first (the default).
    #[default]
    Newest,
    /// The soonest free slot first (from now, within
    /// [`crate::marketplace::slots::MAX_RANGE_DAYS`] days; services without one last, newest
    /// first among them).
    Soonest,
}

impl ServiceSort {
    pub const ALL: [ServiceSort; 4] = [
        ServiceSort::PriceAsc,
        ServiceSort::PriceDesc,
        ServiceSort::Newest,
        ServiceSort::Soonest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceSort::PriceAsc => "price_asc",
            ServiceSort::PriceDesc => "price_desc",
            ServiceSort::Newest => "newest",
            ServiceSort::Soonest => "soonest",
        }
    }

    /// 422 naming `sort` for anything but the names of [`Self::ALL`].
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| {
                DomainError::invalid(
                    "sort",
                    "sort must be one of price_asc, price_desc, newest, soonest",
                )
            })
    }
}

/// Which services a search lists. Deleted services are never listed; inactive ones only with
/// `include_inactive` ([`may_list_inactive`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceFilter {
    /// Services whose title or description contains it ([`service_matches_text`]; `q`).
    pub text: Option<String>,
    pub category_id: Option<i64>,
    /// Price bounds, inclusive, in minor units (whatever the currency).
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    pub provider_id: Option<Uuid>,
    pub include_inactive: bool,
    pub sort: ServiceSort,
    /// Only services with a free slot starting on this date of their provider's calendar
    /// (`available_on`).
    pub available_on: Option<chrono::NaiveDate>,
}

/// The most services a search by free slots (`available_on`, `sort=soonest`) looks at: the
/// first this many that match the other filters, in the storage's order (newest first, or by
/// price when that is the order asked with `available_on`).
pub const SLOT_SEARCH_CANDIDATES: i64 = 200;

impl ServiceFilter {
    /// Whether the search needs each service's free slots (decided in the domain, not in SQL).
    pub fn by_free_slots(&self) -> bool {
        self.available_on.is_some() || self.sort == ServiceSort::Soonest
    }
}

impl ServiceFilter {
    /// The filter as the storage applies it, or every rule it breaks: the text as the event
    /// search's (`q`: trimmed, one line, at most [`crate::limits::SEARCH_MAX_CHARS`], blank
    /// dropped); prices within [`check_amount`], `max_price` not below `min_price`.
    pub fn validated(mut self) -> Result<Self, DomainError> {
        let mut v = Violations::new();
        self.text = match self.text.take() {
            Some(text) => v.check("q", crate::catalog::SEARCH_RULE.parse(&text, "q")),
            None => None,
        }
        .filter(|t| !t.is_empty());
        for (field, value) in [("min_price", self.min_price), ("max_price", self.max_price)] {
            if let Some(p) = value {
                v.check(field, check_amount(p));
            }
        }
        if let (Some(min), Some(max)) = (self.min_price, self.max_price) {
            if max < min {
                v.add("max_price", "max_price must not be below min_price");
            }
        }
        v.finish()?;
        Ok(self)
    }
}

/// The one rule of the service search's text: the title or the description contains it,
/// ignoring case — the event search's rule ([`crate::catalog::event_matches_text`]). SQL that
/// filters by it uses `infra-postgres`'s `rules::service_matches_text`.
pub fn service_matches_text(title: &str, description: &str, text: &str) -> bool {
    crate::catalog::event_matches_text(title, description, text)
}

/// Whether a search with `filter` lists `service`: never a deleted one; an inactive one only
/// with `include_inactive`; then the filter's own conditions. SQL that filters by it uses
/// `infra-postgres`'s `rules::service_listed`.
pub fn service_listed(service: &Service, filter: &ServiceFilter) -> bool {
    let f = &service.fields;
    !service.is_deleted()
        && (f.active || filter.include_inactive)
        && filter.category_id.is_none_or(|c| c == f.category_id)
        && filter.provider_id.is_none_or(|p| p == service.provider_id)
        && filter.min_price.is_none_or(|p| f.price >= p)
        && filter.max_price.is_none_or(|p| f.price <= p)
        && filter
            .text
            .as_deref()
            .is_none_or(|t| service_matches_text(&f.title, &f.description, t))
}
