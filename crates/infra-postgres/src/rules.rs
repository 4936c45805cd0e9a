//! The SQL forms of domain rules that queries must filter by. Each states exactly one domain
//! function and nothing else; a query that needs the rule calls the helper instead of spelling
//! the condition out.

use boxoffice_domain::booking::BookingStatus;
use chrono::{DateTime, Utc};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::sql_types::{Bool, Timestamptz};

/// [`boxoffice_domain::booking::hold_past_due`] for the booking row `alias`, up to the `<=`:
/// stored `held` and its deadline at or before the time that follows.
pub(crate) fn past_due_prefix(alias: &str) -> String {
    format!(
        "({alias}.status = '{held}' AND {alias}.expires_at <= ",
        held = BookingStatus::Held.as_str()
    )
}

/// SQL of [`boxoffice_domain::booking::hold_past_due`] for the booking row `alias` at the
/// timestamptz expression `now` (a bind placeholder such as `$2`).
pub(crate) fn past_due_sql(alias: &str, now: &str) -> String {
    format!("{}{now})", past_due_prefix(alias))
}

/// The same rule as a diesel filter on `bookings`, with `now` bound.
pub(crate) fn past_due(
    now: DateTime<Utc>,
) -> Box<dyn BoxableExpression<crate::schema::bookings::table, Pg, SqlType = Bool>> {
    Box::new(
        diesel::dsl::sql::<Bool>(&past_due_prefix("bookings"))
            .bind::<Timestamptz, _>(now)
            .sql(")"),
    )
}

/// SQL of [`boxoffice_domain::booking::show_has_ended`] for the row `alias` at `now`: a show, or
/// an appointment (both have the `ends_at` the rule reads).
pub(crate) fn show_ended_sql(alias: &str, now: &str) -> String {
    format!("({alias}.ends_at <= {now})")
}

/// SQL of [`boxoffice_domain::marketplace::appointment::reminder_due`] for the appointment row
/// `a` (its `starts_at`), the reminder minutes `minutes` (an integer expression) at `now`: the
/// reminder time has come and the appointment has not started.
pub(crate) fn reminder_due_sql(a: &str, minutes: &str, now: &str) -> String {
    format!("({a}.starts_at - make_interval(mins => {minutes}) <= {now} AND {now} < {a}.starts_at)")
}

/// SQL of [`boxoffice_domain::idempotency::key_expired`] for the `idempotency_keys` row
/// `alias` at `now`.
pub(crate) fn key_expired_sql(alias: &str, now: &str) -> String {
    format!("({alias}.expires_at <= {now})")
}

/// SQL of [`boxoffice_domain::account::secret_expired`] for the row `alias` (its
/// `expires_at`) at the timestamptz expression `now`.
pub(crate) fn secret_expired_sql(alias: &str, now: &str) -> String {
    format!("({alias}.expires_at <= {now})")
}

/// The negation of [`boxoffice_domain::account::secret_expired`] as a diesel filter on a
/// password-reset token row, with `now` bound: its deadline is after `now`.
pub(crate) fn reset_token_live(
    now: DateTime<Utc>,
) -> Box<dyn BoxableExpression<crate::schema::password_reset_tokens::table, Pg, SqlType = Bool>> {
    Box::new(
        diesel::dsl::sql::<Bool>("(NOT (password_reset_tokens.expires_at <= ")
            .bind::<Timestamptz, _>(now)
            .sql("))"),
    )
}

/// [`boxoffice_domain::catalog::event_matches_text`] as a diesel filter on `events`: the title
/// or the description `ILIKE` the text between `%`s, its own backslashes, `%` and `_` escaped
/// ([`like_escape`], so they match only themselves).
pub(crate) fn event_matches_text(
    text: &str,
) -> Box<dyn BoxableExpression<crate::schema::events::table, Pg, SqlType = Bool>> {
    use crate::schema::events;
    use diesel::{BoolExpressionMethods, EscapeExpressionMethods, PgTextExpressionMethods};
    let pattern = format!("%{}%", like_escape(text));
    Box::new(
        events::title
            .ilike(pattern.clone())
            .escape('\\')
            .or(events::description.ilike(pattern).escape('\\')),
    )
}

/// [`boxoffice_domain::marketplace::catalog::service_matches_text`] as a diesel filter on
/// `services`: the event search's rule ([`event_matches_text`]) on a service's title and
/// description.
pub(crate) fn service_matches_text(
    text: &str,
) -> Box<dyn BoxableExpression<crate::schema::services::table, Pg, SqlType = Bool>> {
    use crate::schema::services;
    use diesel::{BoolExpressionMethods, EscapeExpressionMethods, PgTextExpressionMethods};
    let pattern = format!("%{}%", like_escape(text));
    Box::new(
        services::title
            .ilike(pattern.clone())
            .escape('\\')
            .or(services::description.ilike(pattern).escape('\\')),
    )
}

/// [`boxoffice_domain::marketplace::catalog::service_listed`] as a diesel filter on
/// `services`: not deleted, active unless the filter includes the inactive ones, then each
/// condition the filter sets.
pub(crate) fn service_listed(
    filter: &boxoffice_domain::marketplace::catalog::ServiceFilter,
) -> Box<dyn BoxableExpression<crate::schema::services::table, Pg, SqlType = Bool>> {
    use crate::schema::services;
    use diesel::{BoolExpressionMethods, ExpressionMethods};
    type Cond = Box<dyn BoxableExpression<services::table, Pg, SqlType = Bool>>;
    let mut cond: Cond = Box::new(services::deleted_at.is_null());
    let mut and = |next: Cond| {
        let before = std::mem::replace(&mut cond, Box::new(diesel::dsl::sql::<Bool>("TRUE")));
        cond = Box::new(before.and(next));
    };
    if !filter.include_inactive {
        and(Box::new(services::active.eq(true)));
    }
    if let Some(c) = filter.category_id {
        and(Box::new(services::category_id.eq(c)));
    }
    if let Some(p) = filter.provider_id {
        and(Box::new(services::provider_id.eq(p)));
    }
    if let Some(p) = filter.min_price {
        and(Box::new(services::price.ge(p)));
    }
    if let Some(p) = filter.max_price {
        and(Box::new(services::price.le(p)));
    }
    if let Some(text) = &filter.text {
        and(service_matches_text(text));
    }
    cond
}

/// `text` as a `LIKE` pattern that matches exactly it: backslash, `%` and `_` preceded by a
/// backslash (the pattern's escape character).
pub(crate) fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_the_domain_rule() {
        assert_eq!(
            past_due_sql("b", "$2"),
            "(b.status = 'held' AND b.expires_at <= $2)"
        );
        assert_eq!(show_ended_sql("s", "$1"), "(s.ends_at <= $1)");
        assert_eq!(key_expired_sql("k", "$1"), "(k.expires_at <= $1)");
    }

    #[test]
    fn like_patterns_match_their_text_only() {
        assert_eq!(like_escape("jazz"), "jazz");
        assert_eq!(like_escape("100%_x"), r"100\%\_x");
        assert_eq!(like_escape(r"a\b"), r"a\\b");
    }
}
