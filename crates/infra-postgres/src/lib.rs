//! PostgreSQL adapter: implements the domain's storage ports with diesel + r2d2.
//!
//! Every port call runs as ONE blocking closure on tokio's blocking pool ([`Db::run`]):
//! `pool.get()` and the whole transaction happen there, never on the async executor threads.

use std::time::Duration;

use boxoffice_domain::DomainError;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

mod accounts;
mod booking;
mod catalog;
mod holds;
mod idempotency;
mod models;
mod payments;
mod prepared;
mod quote;
pub mod schema;
pub mod testdb;

pub use testdb::TestDb;

/// The migrations of the top-level `migrations/` folder, embedded into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_size: u32,
    pub min_idle: Option<u32>,
    pub connect_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_size: 16,
            min_idle: Some(2),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A handle on the database: the pool plus the blocking-closure runner.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Builds the pool lazily (the service starts even if the database is briefly down).
    pub fn connect(url: &str, cfg: &PoolConfig) -> Result<Self, DomainError> {
        let manager = ConnectionManager::<PgConnection>::new(url);
        let pool = Pool::builder()
            .max_size(cfg.max_size)
            .min_idle(cfg.min_idle)
            .connection_timeout(cfg.connect_timeout)
            .test_on_check_out(false)
            .build_unchecked(manager);
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies pending migrations; returns the versions applied.
    pub fn migrate_blocking(&self) -> Result<Vec<String>, DomainError> {
        let mut conn = self.get()?;
        run_migrations(&mut conn)
    }

    fn get(&self) -> Result<Conn, DomainError> {
        self.pool
            .get()
            .map_err(|e| DomainError::Unavailable(format!("database connection: {e}")))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, DomainError> + Send + 'static,
    {
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get()?;
            f(&mut conn)
        })
        .await
        .map_err(|e| DomainError::Internal(format!("blocking task failed: {e}")))?
    }

    /// Runs `f` inside one transaction on the blocking thread pool.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, TxError> + Send + 'static,
    {
        self.run(move |conn| {
            conn.transaction::<T, TxError, _>(f)
                .map_err(TxError::into_domain)
        })
        .await
    }
}

/// Applies pending migrations on `conn`.
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DomainError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|v| v.iter().map(|m| m.to_string()).collect())
        .map_err(|e| DomainError::Internal(format!("migrations failed: {e}")))
}

/// The error inside a transaction: a domain decision (rolls back, returned as is) or a
/// database error (mapped by [`map_db_error`]).
#[derive(Debug)]
pub enum TxError {
    Domain(DomainError),
    Db(DieselError),
}

impl From<DieselError> for TxError {
    fn from(e: DieselError) -> Self {
        TxError::Db(e)
    }
}

impl From<DomainError> for TxError {
    fn from(e: DomainError) -> Self {
        TxError::Domain(e)
    }
}

impl TxError {
    pub fn into_domain(self) -> DomainError {
        match self {
            TxError::Domain(e) => e,
            TxError::Db(e) => map_db_error(e),
        }
    }
}

/// Maps a diesel error that no call site expected. Constraint violations become domain errors
/// (409/422), never `Internal`.
pub fn map_db_error(e: DieselError) -> DomainError {
    match &e {
        DieselError::DatabaseError(kind, info) => {
            let constraint = info.constraint_name().unwrap_or("").to_owned();
            match kind {
                DatabaseErrorKind::UniqueViolation => {
                    if constraint == "uq_booking_items_active_seat" {
                        DomainError::SeatsUnavailable { seats: vec![] }
                    } else if constraint == "uq_payments_live_booking" {
                        DomainError::Conflict {
                            code: "payment_pending",
                            message: "the booking has a payment in progress or paid already: \
                                      confirm that one"
                                .into(),
                        }
                    } else if constraint == "users_email_key" {
                        DomainError::Conflict {
                            code: "email_taken",
                            message: "an account with this email already exists".into(),
                        }
                    } else {
                        DomainError::Conflict {
                            code: "duplicate",
                            message: format!("already exists ({constraint})"),
                        }
                    }
                }
                DatabaseErrorKind::CheckViolation => {
                    if constraint == "ck_shows_free_places" {
                        DomainError::SoldOut {
                            requested: 0,
                            available: 0,
                        }
                    } else if constraint == "ck_payments_refund_cap" {
                        DomainError::Conflict {
                            code: "refund_exceeds_payment",
                            message: "refunds would add up to more than was paid".into(),
                        }
                    } else if constraint == "ck_refunds_payment_succeeded" {
                        DomainError::Conflict {
                            code: "payment_not_succeeded",
                            message: "only a succeeded payment can be refunded".into(),
                        }
                    } else {
                        DomainError::invalid(constraint, "value breaks a rule of the data")
                    }
                }
                DatabaseErrorKind::ForeignKeyViolation => {
                    DomainError::invalid(constraint, "refers to something that does not exist")
                }
                DatabaseErrorKind::ClosedConnection => {
                    DomainError::Unavailable("database connection closed".into())
                }
                // Lock orders are fixed (docs/lifecycle.md), so this should not happen; if it
                // does, nothing was written and a retry is safe.
                DatabaseErrorKind::SerializationFailure => {
                    DomainError::Unavailable(format!("database: {e}"))
                }
                _ if info.message().contains("deadlock detected") => {
                    DomainError::Unavailable(format!("database: {e}"))
                }
                _ => DomainError::Internal(format!("database: {e}")),
            }
        }
        DieselError::NotFound => DomainError::Internal("row unexpectedly missing".into()),
        _ => DomainError::Internal(format!("database: {e}")),
    }
}

/// `/ready`: the database answers.
#[derive(Clone)]
pub struct PgHealth {
    db: Db,
}

impl PgHealth {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl boxoffice_domain::ports::HealthCheck for PgHealth {
    async fn ready(&self) -> Result<(), DomainError> {
        use diesel::RunQueryDsl;
        self.db
            .run(|c| {
                diesel::sql_query("SELECT 1")
                    .execute(c)
                    .map(|_| ())
                    .map_err(map_db_error)
            })
            .await
    }
}

pub use accounts::PgAccountRepository;
pub use booking::PgBookingRepository;
pub use catalog::PgCatalogRepository;
pub use idempotency::PgIdempotencyStore;
pub use payments::PgPaymentRepository;
