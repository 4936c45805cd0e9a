//! Database faults: deadlines on every connection, which errors mean "the database is
//! unavailable", and one log line per outage instead of one per failed attempt.
//!
//! - [`client_url`] appends libpq's client-side bounds (`connect_timeout`, TCP keepalives,
//!   `tcp_user_timeout`) to the connection URL, keeping any the operator set.
//! - [`SessionDeadlines`] sets the server-side `statement_timeout` and `lock_timeout` on every
//!   new connection (an r2d2 `CustomizeConnection`).
//! - [`is_unavailable`] classifies a diesel error: lost connection, cancelled by a timeout,
//!   server shutting down or starting up → `DomainError::Unavailable` (503), never `Internal`.
//! - [`OutageLog`] receives the pool's connection errors: WARN at the first failure, then a
//!   count, and INFO with the count and the duration once a connection succeeds again.
//!
//! See `docs/architecture.md` ("Failure handling") and ADR 0009.
//!
//! ## Why some errors are classified by message text, and only here
//!
//! PostgreSQL names every error by its SQLSTATE, but diesel 2.3 does not give it out. In
//! diesel-2.3.14, `src/pg/connection/result.rs` lines 58–79 read the SQLSTATE
//! (`ResultField::SqlState`) only to choose a `DatabaseErrorKind` from a fixed list — 23505
//! `UniqueViolation`, 23503 `ForeignKeyViolation`, 40001 `SerializationFailure`, 25006
//! `ReadOnlyTransaction`, 23502 `NotNullViolation`, 23514 `CheckViolation`, 23001
//! `RestrictViolation`, 23P01 `ExclusionViolation`, 08000/08006/08001/08004 (and a connection
//! whose status is bad) `ClosedConnection` — and everything else becomes `Unknown`. The error
//! information it keeps (`PgErrorInformation`, lines 185–219, private) answers only what the
//! public trait `diesel::result::DatabaseErrorInformation` (`src/result.rs` lines 162–196) asks:
//! message, details, hint, table, column, constraint name, statement position — no SQLSTATE, and
//! the trait object cannot be downcast. (Upstream diesel-rs/diesel#4290 adds the code to that
//! trait; it is a breaking change of a public trait and not in any 2.3 release.) Nor can libpq's
//! verbosity help: `message()` is the primary message field, never the `PQresultErrorMessage`
//! that `PQERRORS_SQLSTATE` would prefix.
//!
//! So: every kind diesel does classify is decided by its kind (and, for constraint violations,
//! the constraint's name, in `map_db_error`), never by its text; only the `Unknown` ones that
//! mean "try again later" — 57014 statement timeout, 55P03 lock timeout, 40P01 deadlock,
//! 57P01–57P03 shutdown/crash/starting up, and libpq's own messages for a lost connection — are
//! recognised by the server's (English) message, in the one table [`UNAVAILABLE_MESSAGES`] used
//! by [`is_unavailable`]. With `lc_messages` other than English these would be 500s again. When
//! diesel exposes the SQLSTATE, the table becomes a match on those codes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{CustomizeConnection, Error as R2d2Error};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// libpq's client-side bounds: how long to wait for a new connection, and how soon to give up
/// on a peer that stopped answering (a dead host, a cut network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientDeadlines {
    /// libpq `connect_timeout` (whole seconds, at least 2 as libpq counts it).
    pub connect_timeout: Duration,
    /// libpq `keepalives_idle`, `keepalives_interval` (seconds) and `keepalives_count`.
    pub keepalives_idle: Duration,
    pub keepalives_interval: Duration,
    pub keepalives_count: u32,
    /// libpq `tcp_user_timeout` (milliseconds): sent data unacknowledged this long closes the
    /// connection.
    pub tcp_user_timeout: Duration,
}

impl Default for ClientDeadlines {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            keepalives_idle: Duration::from_secs(10),
            keepalives_interval: Duration::from_secs(5),
            keepalives_count: 3,
            tcp_user_timeout: Duration::from_secs(10),
        }
    }
}

/// The names of the parameters already in `url` (URI query or `key=value` words).
fn present_keys(url: &str) -> Vec<String> {
    let words: Vec<&str> = if url.contains("://") {
        url.split_once('?')
            .map(|(_, q)| q.split('&').collect())
            .unwrap_or_default()
    } else {
        url.split_whitespace().collect()
    };
    words
        .iter()
        .filter_map(|w| {
            w.split_once('=')
                .map(|(k, _)| k.trim().to_ascii_lowercase())
        })
        .collect()
}

/// `url` with the deadlines appended as libpq parameters, except those the URL sets itself
/// (the operator's value wins). Works for both URI (`postgres://…?k=v`) and `key=value` forms.
pub fn client_url(url: &str, d: &ClientDeadlines) -> String {
    let present = present_keys(url);
    let wanted = [
        (
            "connect_timeout",
            d.connect_timeout.as_secs().max(2).to_string(),
        ),
        ("keepalives", "1".to_owned()),
        (
            "keepalives_idle",
            d.keepalives_idle.as_secs().max(1).to_string(),
        ),
        (
            "keepalives_interval",
            d.keepalives_interval.as_secs().max(1).to_string(),
        ),
        ("keepalives_count", d.keepalives_count.max(1).to_string()),
        (
            "tcp_user_timeout",
            d.tcp_user_timeout.as_millis().to_string(),
        ),
    ];
    let mut out = url.to_owned();
    let uri = url.contains("://");
    for (key, value) in wanted {
        if present.iter().any(|k| k == key) {
            continue;
        }
        let sep = if !uri {
            " "
        } else if out.contains('?') {
            "&"
        } else {
            "?"
        };
        out.push_str(&format!("{sep}{key}={value}"));
    }
    out
}

/// Sets the server-side deadlines on every new connection: a statement running longer than
/// `statement_timeout`, or waiting for a lock longer than `lock_timeout`, is cancelled by the
/// server (SQLSTATE 57014 / 55P03) and answers 503.
#[derive(Debug, Clone)]
pub struct SessionDeadlines {
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    pub outage: Arc<OutageLog>,
}

impl SessionDeadlines {
    /// The statements that set the deadlines on a session.
    pub fn sql(&self) -> String {
        format!(
            "SET statement_timeout = {}; SET lock_timeout = {}",
            self.statement_timeout.as_millis(),
            self.lock_timeout.as_millis()
        )
    }
}

impl CustomizeConnection<PgConnection, R2d2Error> for SessionDeadlines {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), R2d2Error> {
        // A new connection means the database is reachable (again).
        self.outage.succeeded();
        conn.batch_execute(&self.sql())
            .map_err(R2d2Error::QueryError)
    }
}

/// PostgreSQL's messages for the errors diesel reports as `Unknown` although they mean "try
/// again later" — the one place the crate reads an error's text (why: the module doc). Diesel
/// 2.3 does not expose the SQLSTATE of an error, so these (the server's English messages) are
/// matched instead: 57014 `query_canceled` (statement_timeout), 55P03
/// `lock_not_available` (lock_timeout), 40P01 `deadlock_detected`, 57P01–57P03
/// (`admin_shutdown`, `crash_shutdown`, `cannot_connect_now`) and libpq's own messages for a
/// lost connection.
const UNAVAILABLE_MESSAGES: &[&str] = &[
    "canceling statement due to statement timeout",
    "canceling statement due to lock timeout",
    "could not obtain lock",
    "deadlock detected",
    "terminating connection due to administrator command",
    "terminating connection because of crash of another server process",
    "the database system is shutting down",
    "the database system is starting up",
    "the database system is in recovery mode",
    "server closed the connection unexpectedly",
    "no connection to the server",
    "could not receive data from server",
    "could not send data to server",
    "connection to server",
];

/// Whether `e` means the database is unreachable, restarting or too slow right now (503 and a
/// retry), rather than a fault of the request or the code. Nothing was committed by the
/// statement that failed.
pub fn is_unavailable(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(kind, info) => match kind {
            DatabaseErrorKind::ClosedConnection
            | DatabaseErrorKind::UnableToSendCommand
            | DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::ReadOnlyTransaction => true,
            DatabaseErrorKind::Unknown => {
                let message = info.message();
                UNAVAILABLE_MESSAGES.iter().any(|m| message.contains(m))
            }
            _ => false,
        },
        // The transaction manager gave up on the connection (a failed COMMIT or ROLLBACK).
        DieselError::BrokenTransactionManager => true,
        DieselError::RollbackErrorOnCommit { commit_error, .. } => is_unavailable(commit_error),
        _ => false,
    }
}

#[derive(Debug, Default)]
struct OutageState {
    /// When the first failure of the current outage happened (`None`: no outage).
    since: Option<Instant>,
    failures: u64,
}

/// Logs connection failures once per outage: WARN "database unreachable" at the first failure,
/// nothing for the following ones (they are counted), INFO "database reachable again after N
/// failed attempts over T s" when a connection succeeds again. It is the pool's error handler
/// (every failed connection attempt and failed check-out test is reported to it).
#[derive(Debug, Default)]
pub struct OutageLog {
    state: Mutex<OutageState>,
}

impl OutageLog {
    pub const fn new() -> Self {
        Self {
            state: Mutex::new(OutageState {
                since: None,
                failures: 0,
            }),
        }
    }

    /// A failed attempt; returns true when it began an outage (and was logged).
    pub fn failed(&self, error: &dyn std::fmt::Display) -> bool {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.failures += 1;
        if s.since.is_some() {
            return false;
        }
        s.since = Some(Instant::now());
        tracing::warn!(
            error = %error,
            "database unreachable; retrying (logged again once it is reachable)"
        );
        true
    }

    /// A successful connection; returns the failures of the outage it ended, if any.
    pub fn succeeded(&self) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let since = s.since.take()?;
        let failures = std::mem::take(&mut s.failures);
        tracing::info!(
            failed_attempts = failures,
            outage_secs = since.elapsed().as_secs_f64(),
            "database reachable again after {failures} failed attempts over {:.1} s",
            since.elapsed().as_secs_f64()
        );
        Some(failures)
    }

    /// Whether an outage is going on (a failure since the last success).
    pub fn in_outage(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .since
            .is_some()
    }
}

/// The pool's error handler: every error goes to the [`OutageLog`].
#[derive(Debug, Clone)]
pub struct OutageErrors(pub Arc<OutageLog>);

impl r2d2::HandleError<R2d2Error> for OutageErrors {
    fn handle_error(&self, error: R2d2Error) {
        self.0.failed(&error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_the_deadlines_to_a_uri() {
        let url = client_url("postgres://u@h:5432/db", &ClientDeadlines::default());
        assert_eq!(
            url,
            "postgres://u@h:5432/db?connect_timeout=5&keepalives=1&keepalives_idle=10\
             &keepalives_interval=5&keepalives_count=3&tcp_user_timeout=10000"
        );
    }

    #[test]
    fn keeps_what_the_operator_set() {
        let url = client_url(
            "postgres://u@h/db?sslmode=disable&connect_timeout=9&TCP_USER_TIMEOUT=1",
            &ClientDeadlines::default(),
        );
        assert!(url.starts_with("postgres://u@h/db?sslmode=disable&connect_timeout=9&"));
        assert_eq!(url.matches("connect_timeout=").count(), 1, "{url}");
        assert_eq!(url.to_lowercase().matches("tcp_user_timeout=").count(), 1);
        assert!(url.contains("&keepalives=1&"));
    }

    #[test]
    fn appends_to_a_keyword_value_string() {
        let url = client_url("host=h dbname=db keepalives=0", &ClientDeadlines::default());
        assert!(url.starts_with("host=h dbname=db keepalives=0 connect_timeout=5 "));
        assert_eq!(url.matches("keepalives=").count(), 1);
        assert!(url.ends_with(" tcp_user_timeout=10000"));
    }

    #[test]
    fn classifies_faults_as_unavailable() {
        let db = |kind, msg: &str| DieselError::DatabaseError(kind, Box::new(msg.to_owned()));
        assert!(is_unavailable(&db(
            DatabaseErrorKind::ClosedConnection,
            "x"
        )));
        assert!(is_unavailable(&db(
            DatabaseErrorKind::UnableToSendCommand,
            "no connection to the server"
        )));
        assert!(is_unavailable(&db(
            DatabaseErrorKind::Unknown,
            "canceling statement due to statement timeout"
        )));
        assert!(is_unavailable(&db(
            DatabaseErrorKind::Unknown,
            "canceling statement due to lock timeout"
        )));
        assert!(is_unavailable(&DieselError::BrokenTransactionManager));
        assert!(!is_unavailable(&db(
            DatabaseErrorKind::Unknown,
            "invalid byte sequence for encoding \"UTF8\": 0x00"
        )));
        assert!(!is_unavailable(&db(
            DatabaseErrorKind::UniqueViolation,
            "x"
        )));
        assert!(!is_unavailable(&DieselError::NotFound));
    }

    /// An error's information with a constraint name, as PostgreSQL reports a violation.
    struct Info {
        message: &'static str,
        constraint: Option<&'static str>,
    }

    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.message
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            self.constraint
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    #[test]
    fn a_kind_diesel_classifies_is_decided_by_kind_and_constraint_never_by_text() {
        use boxoffice_domain::{ConflictCode, DomainError};
        // Every message is one the text table would take for a fault: the kind wins.
        let misleading = "deadlock detected";
        let db = |kind, constraint| {
            DieselError::DatabaseError(
                kind,
                Box::new(Info {
                    message: misleading,
                    constraint,
                }),
            )
        };
        let map = |kind, constraint| crate::map_db_error(db(kind, constraint));
        assert_eq!(
            map(
                DatabaseErrorKind::UniqueViolation,
                Some("uq_booking_items_active_seat")
            ),
            DomainError::SeatsUnavailable { seats: vec![] }
        );
        for (constraint, code) in [
            ("uq_payments_live_booking", ConflictCode::PaymentPending),
            ("users_email_key", ConflictCode::EmailTaken),
            ("uq_cities_name_country", ConflictCode::Duplicate),
        ] {
            assert!(
                matches!(
                    map(DatabaseErrorKind::UniqueViolation, Some(constraint)),
                    DomainError::Conflict { code: c, .. } if c == code
                ),
                "{constraint}"
            );
        }
        assert!(matches!(
            map(
                DatabaseErrorKind::CheckViolation,
                Some("ck_shows_free_places")
            ),
            DomainError::SoldOut { .. }
        ));
        assert!(matches!(
            map(
                DatabaseErrorKind::CheckViolation,
                Some("ck_payments_refund_cap")
            ),
            DomainError::Conflict {
                code: ConflictCode::RefundExceedsPayment,
                ..
            }
        ));
        assert!(matches!(
            map(DatabaseErrorKind::CheckViolation, Some("ck_other")),
            DomainError::Validation(_)
        ));
        // The appointments' guards: the provider's time is taken.
        for (kind, constraint) in [
            (DatabaseErrorKind::ExclusionViolation, "no_double_booking"),
            (
                DatabaseErrorKind::CheckViolation,
                "ck_class_places_capacity",
            ),
        ] {
            assert!(
                matches!(
                    map(kind, Some(constraint)),
                    DomainError::Conflict {
                        code: ConflictCode::SlotTaken,
                        ..
                    }
                ),
                "{constraint}"
            );
        }
        assert!(matches!(
            map(DatabaseErrorKind::ForeignKeyViolation, Some("fk_x")),
            DomainError::Validation(_)
        ));
        for kind in [
            DatabaseErrorKind::NotNullViolation,
            DatabaseErrorKind::RestrictViolation,
            DatabaseErrorKind::ExclusionViolation,
        ] {
            assert!(matches!(map(kind, None), DomainError::Internal(_)));
        }
        for kind in [
            DatabaseErrorKind::SerializationFailure,
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
            DatabaseErrorKind::ReadOnlyTransaction,
        ] {
            let e = DieselError::DatabaseError(
                kind,
                Box::new(Info {
                    message: "duplicate key value violates unique constraint",
                    constraint: None,
                }),
            );
            assert!(matches!(
                crate::map_db_error(e),
                DomainError::Unavailable(_)
            ));
        }
    }

    #[test]
    fn logs_once_per_outage() {
        let log = OutageLog::new();
        assert_eq!(log.succeeded(), None);
        assert!(log.failed(&"refused"));
        assert!(!log.failed(&"refused"));
        assert!(!log.failed(&"refused"));
        assert!(log.in_outage());
        assert_eq!(log.succeeded(), Some(3));
        assert!(!log.in_outage());
        assert_eq!(log.succeeded(), None);
        assert!(log.failed(&"again"));
    }
}
