//! PostgreSQL adapter: implements the domain's storage ports with diesel + r2d2.
//!
//! Every port call runs as ONE blocking closure on tokio's blocking pool ([`Db::run`]):
//! `pool.get()` and the whole transaction happen there, never on the async executor threads.
//! Every such call has a deadline ([`PoolConfig::call_timeout`]) and every database fault maps
//! to `DomainError::Unavailable` (503), never `Internal` (see [`resilience`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use boxoffice_domain::{ConflictCode, DomainError};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

mod accounts;
mod appointments;
mod batch;
mod booking;
mod booking_reads;
mod catalog;
mod catalog_imports;
mod holds;
mod idempotency;
mod inbox;
mod live;
mod marketplace;
mod models;
mod outbox;
mod payments;
mod prepared;
pub mod resilience;
mod rules;
pub mod schema;
pub mod seat_chart;
mod seat_map;
mod show_reads;
pub mod tx;
mod webhooks;

pub use live::{spawn_listener, PgLiveStore};
pub use resilience::{ClientDeadlines, OutageLog};

/// The migrations of the top-level `migrations/` folder, embedded into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Pool settings.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_size: u32,
    pub min_idle: Option<u32>,
    /// The longest wait for a pooled connection; also libpq's `connect_timeout`.
    pub connect_timeout: Duration,
    /// Test every connection (a round trip) before handing it out. On by default: a
    /// connection the server dropped (restart, failover) is discarded instead of failing a
    /// request (measured in ADR 0009).
    pub test_on_checkout: bool,
    /// Server-side deadlines set on every connection.
    pub statement_timeout: Duration,
    pub lock_timeout: Duration,
    /// The deadline of one database call (waiting for a connection included): past it the
    /// request answers 503 even if the database never answers (a hung server).
    pub call_timeout: Duration,
    /// The deadline of a bulk write (a CSV import), which may take longer than one request's
    /// calls should.
    pub bulk_timeout: Duration,
    /// libpq's client-side bounds, appended to the URL unless it sets them.
    pub client: ClientDeadlines,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_size: 16,
            min_idle: Some(2),
            connect_timeout: Duration::from_secs(5),
            test_on_checkout: true,
            statement_timeout: Duration::from_secs(5),
            lock_timeout: Duration::from_secs(3),
            call_timeout: Duration::from_secs(10),
            bulk_timeout: Duration::from_secs(120),
            client: ClientDeadlines::default(),
        }
    }
}

/// A handle on the database: the pool plus the blocking-closure runner.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    deadlines: resilience::SessionDeadlines,
    call_timeout: Duration,
    bulk_timeout: Duration,
    /// False while the server waits for its migrations: calls answer 503 instead of running
    /// against a schema that is not there yet.
    schema_ready: Arc<AtomicBool>,
    /// What this pool's committed writes signal to the live streams of every instance.
    signals: Arc<live::Signals>,
    /// The URL a listening connection opens (with the client deadlines).
    url: Arc<str>,
}

impl Db {
    /// Builds the pool lazily (the service starts even if the database is down). Connection
    /// errors go to one [`OutageLog`] (one WARN per outage, not one ERROR per attempt).
    pub fn connect(url: &str, cfg: &PoolConfig) -> Result<Self, DomainError> {
        let client = ClientDeadlines {
            connect_timeout: cfg.connect_timeout,
            ..cfg.client.clone()
        };
        let url: Arc<str> = resilience::client_url(url, &client).into();
        let manager = ConnectionManager::<PgConnection>::new(url.to_string());
        let outage = Arc::new(OutageLog::new());
        let deadlines = resilience::SessionDeadlines {
            statement_timeout: cfg.statement_timeout,
            lock_timeout: cfg.lock_timeout,
            outage: outage.clone(),
        };
        let pool = Pool::builder()
            .max_size(cfg.max_size)
            .min_idle(cfg.min_idle)
            .connection_timeout(cfg.connect_timeout)
            // Why test on check-out rather than only marking broken connections: ADR 0009.
            .test_on_check_out(cfg.test_on_checkout)
            .error_handler(Box::new(resilience::OutageErrors(outage)))
            .connection_customizer(Box::new(deadlines.clone()))
            .build_unchecked(manager);
        Ok(Self {
            signals: Arc::new(live::Signals::new(pool.clone())),
            url,
            pool,
            deadlines,
            call_timeout: cfg.call_timeout,
            bulk_timeout: cfg.bulk_timeout,
            schema_ready: Arc::new(AtomicBool::new(true)),
        })
    }

    /// Makes every call answer 503 until [`Db::schema_applied`] (the server, while its
    /// migrations have not been applied yet).
    pub fn await_schema(&self) {
        self.schema_ready.store(false, Ordering::SeqCst);
    }

    /// The migrations are applied: calls run again.
    pub fn schema_applied(&self) {
        self.schema_ready.store(true, Ordering::SeqCst);
    }

    pub fn is_schema_ready(&self) -> bool {
        self.schema_ready.load(Ordering::SeqCst)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies pending migrations; returns the versions applied. Without the statement
    /// deadline (a migration may take long); `Unavailable` when the database cannot be reached.
    pub fn migrate_blocking(&self) -> Result<Vec<String>, DomainError> {
        self.migrate_blocking_waiting(self.pool.connection_timeout())
    }

    /// [`Db::migrate_blocking`], waiting at most `wait` for a connection.
    pub fn migrate_blocking_waiting(&self, wait: Duration) -> Result<Vec<String>, DomainError> {
        let mut conn = self
            .pool
            .get_timeout(wait)
            .map_err(|e| DomainError::Unavailable(format!("database connection: {e}")))?;
        conn.batch_execute("SET statement_timeout = 0; SET lock_timeout = 0")
            .map_err(map_db_error)?;
        let applied = run_migrations(&mut conn);
        // The next user of this connection gets the session's deadlines back (a connection
        // that cannot take them is broken, and the check-out test drops it).
        let _ = conn.batch_execute(&self.deadlines.sql());
        applied
    }

    fn get(&self) -> Result<Conn, DomainError> {
        self.pool
            .get()
            .map_err(|e| DomainError::Unavailable(format!("database connection: {e}")))
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, within the call deadline:
    /// past it the caller gets `Unavailable` while the blocking thread finishes (or fails) on
    /// its own once the database answers or the connection is given up.
    pub async fn run<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, DomainError> + Send + 'static,
    {
        self.run_within(self.call_timeout, f).await
    }

    /// [`Db::run`] with another deadline (e.g. the readiness probe's shorter one).
    pub async fn run_within<T, F>(&self, deadline: Duration, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, DomainError> + Send + 'static,
    {
        if !self.is_schema_ready() {
            return Err(DomainError::Unavailable(
                "the database migrations are not applied yet".into(),
            ));
        }
        let db = self.clone();
        let ends = std::time::Instant::now() + deadline;
        let task = tokio::task::spawn_blocking(move || {
            CALL_ENDS.with(|c| c.set(Some(ends)));
            let done = db.get().and_then(|mut conn| f(&mut conn));
            CALL_ENDS.with(|c| c.set(None));
            done
        });
        match tokio::time::timeout(deadline, task).await {
            Ok(done) => done.map_err(|e| DomainError::internal_from("blocking task failed", e))?,
            Err(_) => Err(DomainError::Unavailable(format!(
                "the database did not answer within {} ms",
                deadline.as_millis()
            ))),
        }
    }

    /// Runs `f` inside one transaction on the blocking thread pool. A transaction whose caller
    /// was already answered 503 (the call deadline passed) rolls back instead of committing
    /// when it gets to its end.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, TxError> + Send + 'static,
    {
        self.transaction_within(self.call_timeout, f).await
    }

    /// [`Db::transaction`] with the deadline of a bulk write (`PoolConfig::bulk_timeout`).
    pub async fn bulk_transaction<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, TxError> + Send + 'static,
    {
        self.transaction_within(self.bulk_timeout, f).await
    }

    async fn transaction_within<T, F>(&self, deadline: Duration, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut PgConnection) -> Result<T, TxError> + Send + 'static,
    {
        self.run_within(deadline, move |conn| {
            conn.transaction::<T, TxError, _>(|c| {
                let done = f(c)?;
                within_deadline()?;
                Ok(done)
            })
            .map_err(TxError::into_domain)
        })
        .await
    }
}

impl Db {
    /// Runs a use case of the domain's booking engine in ONE transaction over [`tx::PgTx`]:
    /// the counter deltas it leaves are written, then the deadline is checked, then it commits.
    pub(crate) async fn engine<T, F>(&self, f: F) -> Result<T, DomainError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn boxoffice_domain::engine::BookingTx) -> Result<T, DomainError>
            + Send
            + 'static,
    {
        let (out, shows) = self
            .transaction(move |conn| {
                let mut tx = tx::PgTx::new(conn);
                let out = f(&mut tx)?;
                let shows = tx.finish()?;
                Ok((out, shows))
            })
            .await?;
        self.signal(boxoffice_domain::live::Signal::Seats(shows));
        Ok(out)
    }
}

thread_local! {
    /// When the caller of the database call running on this (blocking) thread stops waiting.
    static CALL_ENDS: std::cell::Cell<Option<std::time::Instant>> =
        const { std::cell::Cell::new(None) };
}

/// The last step of a writing transaction: `Unavailable` (so the transaction rolls back) when
/// the call's deadline has passed and its caller was answered 503 already — a caller told
/// "unavailable" must not find its write committed behind its back.
pub(crate) fn within_deadline() -> Result<(), TxError> {
    match CALL_ENDS.with(|c| c.get()) {
        Some(ends) if std::time::Instant::now() >= ends => {
            Err(TxError::Domain(DomainError::Unavailable(
                "the transaction outlived its deadline and was rolled back".into(),
            )))
        }
        _ => Ok(()),
    }
}

/// Applies pending migrations on `conn`; a lost connection is `Unavailable`.
pub fn run_migrations(conn: &mut PgConnection) -> Result<Vec<String>, DomainError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|v| v.iter().map(|m| m.to_string()).collect())
        .map_err(|e| {
            if e.downcast_ref::<DieselError>()
                .is_some_and(resilience::is_unavailable)
            {
                DomainError::Unavailable(format!("migrations: {e}"))
            } else {
                DomainError::internal_from("migrations failed", e)
            }
        })
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
/// (409/422), never `Internal`; a database that is unreachable, restarting or too slow
/// ([`resilience::is_unavailable`]: lost connection, statement or lock timeout, deadlock,
/// serialization failure) is `Unavailable` (503, nothing was written, a retry is safe).
pub fn map_db_error(e: DieselError) -> DomainError {
    if resilience::is_unavailable(&e) {
        return DomainError::Unavailable(format!("database: {e}"));
    }
    match &e {
        DieselError::DatabaseError(kind, info) => {
            let constraint = info.constraint_name().unwrap_or("").to_owned();
            match kind {
                DatabaseErrorKind::UniqueViolation => {
                    if constraint == "uq_booking_items_active_seat" {
                        DomainError::SeatsUnavailable { seats: vec![] }
                    } else if constraint == "uq_payments_live_booking" {
                        DomainError::Conflict {
                            code: ConflictCode::PaymentPending,
                            message: "the booking has a payment in progress or paid already: \
                                      confirm that one"
                                .into(),
                        }
                    } else if constraint == "users_email_key" {
                        DomainError::Conflict {
                            code: ConflictCode::EmailTaken,
                            message: "an account with this email already exists".into(),
                        }
                    } else {
                        DomainError::Conflict {
                            code: ConflictCode::Duplicate,
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
                            code: ConflictCode::RefundExceedsPayment,
                            message: "refunds would add up to more than was paid".into(),
                        }
                    } else if constraint == "ck_class_places_capacity" {
                        boxoffice_domain::marketplace::appointment::slot_taken()
                    } else if constraint == "ck_refunds_payment_succeeded" {
                        DomainError::Conflict {
                            code: ConflictCode::PaymentNotSucceeded,
                            message: "only a succeeded payment can be refunded".into(),
                        }
                    } else {
                        DomainError::invalid(constraint, "value breaks a rule of the data")
                    }
                }
                DatabaseErrorKind::ForeignKeyViolation => {
                    DomainError::invalid(constraint, "refers to something that does not exist")
                }
                // `no_double_booking`: the provider's time is taken.
                DatabaseErrorKind::ExclusionViolation if constraint == "no_double_booking" => {
                    boxoffice_domain::marketplace::appointment::slot_taken()
                }
                _ => DomainError::internal_from("database", e),
            }
        }
        DieselError::NotFound => DomainError::Internal("row unexpectedly missing".into()),
        _ => DomainError::internal_from("database", e),
    }
}

/// `/ready`: the migrations are applied and the database answers within `timeout`; otherwise
/// `Unavailable` (503), also when the database hangs.
#[derive(Clone)]
pub struct PgHealth {
    db: Db,
    timeout: Duration,
}

impl PgHealth {
    pub fn new(db: Db, timeout: Duration) -> Self {
        Self { db, timeout }
    }
}

#[async_trait::async_trait]
impl boxoffice_domain::ports::HealthCheck for PgHealth {
    async fn ready(&self) -> Result<(), DomainError> {
        use diesel::RunQueryDsl;
        self.db
            .run_within(self.timeout, |c| {
                diesel::sql_query("SELECT 1")
                    .execute(c)
                    .map(|_| ())
                    .map_err(map_db_error)
            })
            .await
    }
}

pub use accounts::PgAccountRepository;
pub use batch::BatchStats;
pub use booking::PgBookingRepository;
pub use catalog::PgCatalogRepository;
pub use idempotency::PgIdempotencyStore;
pub use inbox::PgInboxStore;
pub use marketplace::{PgCategoryRepository, PgServiceRepository};
pub use outbox::PgOutboxStore;
pub use payments::PgPaymentRepository;
pub use webhooks::PgWebhookStore;
