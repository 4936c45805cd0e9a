//! The SQL forms of domain rules that queries must filter by. Each states exactly one domain
//! function and nothing else; a query that needs the rule calls the helper instead of spelling
//! the condition out.

use boxoffice_domain::booking::BookingStatus;

/// SQL of [`boxoffice_domain::booking::hold_past_due`] for the booking row `alias` at the
/// timestamptz expression `now` (a bind placeholder such as `$2`): stored `held` and its
/// deadline at or before `now`.
pub(crate) fn past_due_sql(alias: &str, now: &str) -> String {
    format!(
        "({alias}.status = '{held}' AND {alias}.expires_at <= {now})",
        held = BookingStatus::Held.as_str()
    )
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
    }
}
