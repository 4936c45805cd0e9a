//! The composition root: builds the adapters, the use cases and the HTTP server from settings.
//! `main.rs` is only the command line on top of this.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_api::auth::{BcryptHasher, JwtKeys, OsTokens};
use boxoffice_api::live::{Live, LiveSettings};
use boxoffice_api::seal::RingSealer;
use boxoffice_api::web_app::WebApp;
use boxoffice_api::{ApiState, HttpSettings};
use boxoffice_domain::account::{Actor, AuthRules, Role, User};
use boxoffice_domain::accounts::AccountService;
use boxoffice_domain::delivery::{Delivery, DeliveryPorts, DeliveryReport, OutboxAdmin};
use boxoffice_domain::idempotency::IdempotencyRules;
use boxoffice_domain::idempotency_service::IdempotencyService;
use boxoffice_domain::inbox::InboxService;
use boxoffice_domain::lifecycle::{PaymentDeps, PaymentService, Sweeper, WebhookRules};
use boxoffice_domain::live::{SignalSink, StreamTickets};
use boxoffice_domain::marketplace::catalog::MarketplaceCatalog;
use boxoffice_domain::outbox::RetryPolicy;
use boxoffice_domain::payment::{PaymentGateway, RefundPolicy};
use boxoffice_domain::ports::{Clock, Sealer, SystemClock};
use boxoffice_domain::service::{BookingRules, BookingService, CatalogService};
use boxoffice_domain::values::Currency;
use boxoffice_domain::webhook_service::{WebhookDeps, WebhookService};
use boxoffice_domain::DomainError;
use boxoffice_infra_payments::{MockGateway, MockGatewaySettings};
use boxoffice_infra_postgres::{
    ClientDeadlines, Db, PgAccountRepository, PgBookingRepository, PgCatalogRepository,
    PgCategoryRepository, PgHealth, PgIdempotencyStore, PgInboxStore, PgLiveStore, PgOutboxStore,
    PgPaymentRepository, PgServiceRepository, PgWebhookStore, PoolConfig,
};

pub mod seed;
pub mod seed_marketplace;
pub mod settings;

pub use settings::Settings;

/// Opens the server's pool described by `settings` on `database_url`; `database.min_idle`
/// connections are opened (and kept) in the background.
pub fn connect(database_url: &str, settings: &Settings) -> anyhow::Result<Db> {
    open_pool(
        database_url,
        settings,
        settings.database.min_idle.min(settings.database.pool_size),
    )
}

/// A pool for one-shot commands (migrate, seed, import): no background connection threads, so
/// none is still inside libpq when the process exits (libpq's exit handlers would crash it).
pub fn connect_for_command(database_url: &str, settings: &Settings) -> anyhow::Result<Db> {
    open_pool(database_url, settings, 0)
}

/// The pool settings of `database.*`.
pub fn pool_config(settings: &Settings, min_idle: u32) -> PoolConfig {
    let d = &settings.database;
    let connect_timeout = Duration::from_secs(d.connect_timeout_secs);
    PoolConfig {
        max_size: d.pool_size,
        min_idle: Some(min_idle),
        connect_timeout,
        test_on_checkout: d.test_on_checkout,
        statement_timeout: Duration::from_millis(d.statement_timeout_ms),
        lock_timeout: Duration::from_millis(d.lock_timeout_ms),
        call_timeout: Duration::from_millis(d.call_timeout_ms),
        bulk_timeout: Duration::from_millis(d.bulk_timeout_ms),
        client: ClientDeadlines {
            connect_timeout,
            keepalives_idle: Duration::from_secs(d.keepalives_idle_secs),
            keepalives_interval: Duration::from_secs(d.keepalives_interval_secs),
            keepalives_count: d.keepalives_count,
            tcp_user_timeout: Duration::from_millis(d.tcp_user_timeout_ms),
        },
    }
}

fn open_pool(database_url: &str, settings: &Settings, min_idle: u32) -> anyhow::Result<Db> {
    Db::connect(database_url, &pool_config(settings, min_idle)).map_err(|e| anyhow::anyhow!("{e}"))
}

/// What the service runs on besides the database: the clock and the payment gateway. The
/// server uses the wall clock and the mock gateway of the settings, its ledger in the
/// database; tests bring their own.
#[derive(Clone)]
pub struct Parts {
    pub clock: Arc<dyn Clock>,
    pub gateway: Arc<dyn PaymentGateway>,
}

impl Parts {
    /// The wall clock and [`mock_gateway`] over `db`.
    pub fn for_settings(settings: &Settings, db: &Db) -> Self {
        Self {
            clock: Arc::new(SystemClock),
            gateway: Arc::new(mock_gateway(settings, db)),
        }
    }
}

/// The mock payment gateway of the settings, its ledger kept in `db` (tables
/// `mock_gateway_*`), so that refunds of charges made before a restart work.
pub fn mock_gateway(settings: &Settings, db: &Db) -> MockGateway {
    MockGateway::in_postgres(
        MockGatewaySettings {
            delay_ms: settings.payments.gateway_delay_ms,
            fail_rate_percent: settings.payments.gateway_fail_rate_percent,
        },
        db.clone(),
    )
}

/// The refund policy of the settings.
pub fn refund_policy(settings: &Settings) -> RefundPolicy {
    RefundPolicy {
        full_refund_before: chrono::Duration::hours(settings.payments.full_refund_hours_before),
        late_refund_percent: settings.payments.late_refund_percent,
    }
}

/// Wires the use cases over the PostgreSQL adapters.
pub fn state(db: &Db, settings: &Settings) -> anyhow::Result<ApiState> {
    state_with(db, settings, &Parts::for_settings(settings, db))
}

fn payment_service(db: &Db, settings: &Settings, parts: &Parts) -> PaymentService {
    PaymentService::new(PaymentDeps {
        bookings: Arc::new(PgBookingRepository::new(db.clone())),
        catalog: Arc::new(PgCatalogRepository::new(db.clone())),
        payments: Arc::new(PgPaymentRepository::new(db.clone())),
        gateway: parts.gateway.clone(),
        clock: parts.clock.clone(),
        ids: Arc::new(OsTokens),
        webhook: WebhookRules::new(settings.payments.webhook_secret.expose().as_bytes()),
    })
}

/// The background sweep over the same adapters.
pub fn sweeper(db: &Db, settings: &Settings, parts: &Parts) -> Sweeper {
    Sweeper::new(
        Arc::new(PgBookingRepository::new(db.clone())),
        Arc::new(PgPaymentRepository::new(db.clone())),
        payment_service(db, settings, parts).refunds(),
        parts.clock.clone(),
        settings.jobs.batch_size,
    )
}

/// Seals the secrets outbox messages carry and the webhooks' signing secrets, under a key
/// derived from `auth.jwt_secret` (every instance and worker of a deployment shares it).
fn sealer(settings: &Settings) -> Arc<dyn Sealer> {
    Arc::new(RingSealer::new(
        settings.auth.jwt_secret.expose().as_bytes(),
    ))
}

/// The outbox's delivery worker over the same adapters, sending through the email transport of
/// the settings (and partner webhooks over HTTP, under `webhooks.*`).
pub fn delivery(db: &Db, settings: &Settings, parts: &Parts) -> anyhow::Result<Delivery> {
    let notifier = boxoffice_infra_notify::build_notifier(&settings.email)
        .map_err(|e| anyhow::anyhow!("email: {e}"))?;
    let o = &settings.outbox;
    let mut delivery = Delivery::new(DeliveryPorts {
        outbox: Arc::new(PgOutboxStore::new(db.clone())),
        bookings: Arc::new(PgBookingRepository::new(db.clone())),
        catalog: Arc::new(PgCatalogRepository::new(db.clone())),
        accounts: Arc::new(PgAccountRepository::new(db.clone())),
        notifier,
        sms: boxoffice_infra_notify::build_sms_sender(&settings.sms)
            .map_err(|e| anyhow::anyhow!("sms: {e}"))?,
        inbox: Arc::new(PgInboxStore::new(db.clone())),
        sealer: sealer(settings),
        clock: parts.clock.clone(),
        webhooks: Arc::new(PgWebhookStore::new(db.clone())),
        webhook_sender: Arc::new(
            boxoffice_infra_notify::HttpWebhookSender::new(&settings.webhooks)
                .map_err(|e| anyhow::anyhow!("webhooks: {e}"))?,
        ),
    });
    delivery.webhook_allow = settings
        .webhooks
        .allow_list()
        .map_err(|e| anyhow::anyhow!("webhooks: {e}"))?;
    delivery.reset_ttl = chrono::Duration::minutes(settings.auth.password_reset_ttl_minutes);
    delivery.public_url = settings.server.public_url.trim().to_owned();
    delivery.batch = o.batch_size;
    delivery.lease = chrono::Duration::seconds(o.lease_secs);
    delivery.policy = RetryPolicy {
        base: Duration::from_secs(o.retry_base_secs),
        cap: Duration::from_secs(o.retry_cap_secs),
        max_attempts: o.max_attempts,
    };
    Ok(delivery)
}

/// Runs delivery passes until the process ends: at once again after a pass that delivered a
/// full batch, else after `interval`.
pub fn spawn_delivery(delivery: Delivery, interval: Duration) {
    tokio::spawn(async move {
        loop {
            let full = match delivery.run_once().await {
                Ok(r) if r == DeliveryReport::default() => false,
                Ok(r) => {
                    tracing::info!(
                        delivered = r.delivered,
                        retried = r.retried,
                        dead = r.dead,
                        "outbox delivery"
                    );
                    r.delivered + r.retried + r.dead >= delivery.batch.unsigned_abs()
                }
                Err(e) => {
                    tracing::warn!(error = %e, "outbox delivery failed; retrying at the next tick");
                    false
                }
            };
            if !full {
                tokio::time::sleep(interval).await;
            }
        }
    });
}

/// [`state`] on the given clock and gateway.
pub fn state_with(db: &Db, settings: &Settings, parts: &Parts) -> anyhow::Result<ApiState> {
    let catalog = CatalogService::new(Arc::new(PgCatalogRepository::new(db.clone())))
        .with_clock(parts.clock.clone());
    let inbox = InboxService::new(Arc::new(PgInboxStore::new(db.clone())), parts.clock.clone());
    let seat_cache = Arc::new(boxoffice_api::cache::SeatMapCache::new(
        Duration::from_millis(settings.server.seat_map_cache_ms),
    ));
    let live_store = Arc::new(PgLiveStore::new(db.clone()));
    let live = Live::new(
        live_settings(settings),
        catalog.clone(),
        inbox.clone(),
        live_store.clone(),
        StreamTickets::new(
            live_store,
            Arc::new(OsTokens),
            parts.clock.clone(),
            chrono::Duration::seconds(settings.live.ticket_ttl_secs),
        ),
        seat_cache.clone(),
    );
    let payments = payment_service(db, settings, parts);
    let bookings = BookingService::new(
        Arc::new(PgBookingRepository::new(db.clone())),
        parts.clock.clone(),
        Arc::new(OsTokens),
        BookingRules {
            max_seats_per_booking: settings.booking.max_seats_per_booking,
            hold_for: settings.booking.hold_for(),
            refund_policy: refund_policy(settings),
        },
    )
    .with_refunds(payments.refunds());
    let hasher = BcryptHasher::new(settings.auth.bcrypt_cost).map_err(|e| anyhow::anyhow!(e))?;
    let accounts = AccountService::new(
        Arc::new(PgAccountRepository::new(db.clone())),
        Arc::new(hasher),
        Arc::new(OsTokens),
        sealer(settings),
        Arc::new(SystemClock),
        AuthRules {
            refresh_ttl: chrono::Duration::days(settings.auth.refresh_token_ttl_days),
            reset_ttl: chrono::Duration::minutes(settings.auth.password_reset_ttl_minutes),
        },
    );
    let idempotency = IdempotencyService::new(
        Arc::new(PgIdempotencyStore::new(db.clone())),
        Arc::new(SystemClock),
        IdempotencyRules::default(),
    );
    let jwt = JwtKeys::new(
        settings.auth.jwt_secret.expose().as_bytes(),
        settings.auth.access_token_ttl_secs,
        settings.auth.leeway_secs,
        &settings.auth.jwt_issuer,
    );
    let default_currency = Currency::parse(&settings.booking.default_currency)
        .map_err(|e| anyhow::anyhow!("default currency: {e}"))?;
    let marketplace = MarketplaceCatalog::new(
        Arc::new(PgCategoryRepository::new(db.clone())),
        Arc::new(PgServiceRepository::new(db.clone())),
        Arc::new(PgAccountRepository::new(db.clone())),
        parts.clock.clone(),
        default_currency,
    );
    Ok(ApiState {
        catalog,
        bookings,
        payments,
        accounts,
        idempotency,
        inbox,
        outbox: OutboxAdmin::new(
            Arc::new(PgOutboxStore::new(db.clone())),
            parts.clock.clone(),
        ),
        webhooks: WebhookService::new(WebhookDeps {
            store: Arc::new(PgWebhookStore::new(db.clone())),
            sealer: sealer(settings),
            ids: Arc::new(OsTokens),
            clock: parts.clock.clone(),
            allow: settings
                .webhooks
                .allow_list()
                .map_err(|e| anyhow::anyhow!("webhooks: {e}"))?,
        }),
        marketplace,
        jwt: Arc::new(jwt),
        health: Arc::new(PgHealth::new(
            db.clone(),
            Duration::from_millis(settings.database.ready_timeout_ms),
        )),
        default_currency,
        csv_limit: settings.server.csv_limit_bytes,
        seat_cache,
        live,
    })
}

/// The streams' limits and pace (`live.*`).
pub fn live_settings(settings: &Settings) -> LiveSettings {
    let l = &settings.live;
    LiveSettings {
        keep_alive: Duration::from_secs(l.keep_alive_secs),
        max_streams_per_client: l.max_streams_per_client,
        max_streams: l.max_streams,
        min_refresh: Duration::from_millis(l.min_refresh_ms),
        resync: Duration::from_secs(l.resync_secs),
        replay: l.replay,
        buffer: l.buffer,
        trust_forwarded_for: settings.server.edges.trust_forwarded_for,
    }
}

/// How often the listening connection proves it is alive (a round trip).
const LISTEN_HEARTBEAT: Duration = Duration::from_secs(10);

/// Joins this instance to the others (`live.enabled`): its committed writes are signalled to
/// every instance, and every instance's signals reach its streams and seat-map cache.
pub fn start_live(db: &Db, settings: &Settings, live: &Arc<Live>) -> anyhow::Result<()> {
    if !settings.live.enabled {
        return Ok(());
    }
    db.start_signals(Duration::from_millis(settings.live.gather_ms));
    live.start();
    let sink: Arc<dyn SignalSink> = live.clone();
    db.listen(
        Duration::from_millis(settings.live.poll_ms),
        LISTEN_HEARTBEAT,
        Arc::downgrade(&sink),
    )?;
    Ok(())
}

/// The operator of the command line (import, seed): admin rights, no account. Never reachable
/// over HTTP.
pub fn operator() -> Actor {
    let now = chrono::Utc::now();
    Actor::User(User {
        id: uuid::Uuid::nil(),
        email: "operator@localhost".to_owned(),
        phone: None,
        first_name: "command-line".to_owned(),
        last_name: "operator".to_owned(),
        address: String::new(),
        role: Role::Admin,
        active: true,
        created_at: now,
        updated_at: now,
    })
}

/// Applies pending migrations (blocking; call from a blocking context or before the runtime
/// serves requests).
pub fn migrate(db: &Db) -> anyhow::Result<Vec<String>> {
    db.migrate_blocking().map_err(|e| anyhow::anyhow!("{e}"))
}

/// Starts the HTTP server on `listener` (and the background sweep when `jobs.enabled`) and
/// applies the migrations ([`migrate_in_background`]); returns the running server.
pub async fn start(
    listener: TcpListener,
    database_url: &str,
    settings: &Settings,
) -> anyhow::Result<actix_web::dev::Server> {
    let db = connect(database_url, settings)?;
    start_on(listener, db, settings, None).await
}

/// The pause between two attempts at the migrations while the database cannot be reached:
/// doubling from the first to the last.
const MIGRATE_RETRY_FIRST: Duration = Duration::from_millis(250);
const MIGRATE_RETRY_MAX: Duration = Duration::from_secs(10);

/// How long the first attempt at the migrations waits for a connection before the server
/// starts without them.
const MIGRATE_FIRST_WAIT: Duration = Duration::from_secs(1);

/// One attempt at the migrations (on the blocking pool), waiting at most `wait` for a
/// connection; logs what it applied.
async fn migrate_once(db: &Db, wait: Duration) -> Result<(), DomainError> {
    let migrate_db = db.clone();
    let applied = tokio::task::spawn_blocking(move || migrate_db.migrate_blocking_waiting(wait))
        .await
        .map_err(|e| DomainError::internal_from("migration task", e))??;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    Ok(())
}

/// Applies the migrations now when the database answers; otherwise the server starts anyway
/// and keeps trying in the background (backing off up to 10 s between attempts), every
/// database call answering 503 `unavailable` — and `/ready` 503 — until they are applied.
/// The failed attempts are logged by the pool's outage log (once per outage). A migration
/// that fails for another reason than an unreachable database is logged at ERROR and retried
/// the same way (the server stays not-ready).
pub async fn migrate_in_background(db: &Db) -> anyhow::Result<()> {
    db.await_schema();
    let first = migrate_once(db, MIGRATE_FIRST_WAIT).await;
    if first.is_ok() {
        db.schema_applied();
        return Ok(());
    }
    let db = db.clone();
    tokio::spawn(async move {
        let mut pause = MIGRATE_RETRY_FIRST;
        let mut outcome = first;
        loop {
            match outcome {
                Ok(()) => {
                    db.schema_applied();
                    tracing::info!("migrations applied: ready");
                    return;
                }
                Err(DomainError::Unavailable(e)) => {
                    tracing::debug!(error = %e, "migrations wait for the database")
                }
                Err(e) => tracing::error!(error = %e, "migrations failed; retrying"),
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MIGRATE_RETRY_MAX);
            outcome = migrate_once(&db, MIGRATE_RETRY_MAX).await;
        }
    });
    Ok(())
}

/// Runs the sweep every `jobs.sweep_interval_secs` until the process ends.
pub fn spawn_jobs(sweeper: Sweeper, interval: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweeper.run_once().await {
                Ok(r) if r == Default::default() => {}
                Ok(r) => tracing::info!(
                    expired = r.expired,
                    completed = r.completed,
                    refunds_retried = r.refunds_retried,
                    "sweep"
                ),
                Err(e) => tracing::warn!(error = %e, "sweep failed; retrying at the next tick"),
            }
        }
    });
}

/// [`start`] on the given clock and gateway.
pub async fn start_with(
    listener: TcpListener,
    database_url: &str,
    settings: &Settings,
    parts: Parts,
) -> anyhow::Result<actix_web::dev::Server> {
    let db = connect(database_url, settings)?;
    start_on(listener, db, settings, Some(parts)).await
}

/// Migrates `db`, then serves; `parts` default to [`Parts::for_settings`] over `db`.
async fn start_on(
    listener: TcpListener,
    db: Db,
    settings: &Settings,
    parts: Option<Parts>,
) -> anyhow::Result<actix_web::dev::Server> {
    let parts = parts.unwrap_or_else(|| Parts::for_settings(settings, &db));
    migrate_in_background(&db).await?;
    let state = state_with(&db, settings, &parts)?;
    start_live(&db, settings, &state.live)?;
    if settings.jobs.enabled {
        spawn_jobs(
            sweeper(&db, settings, &parts),
            Duration::from_secs(settings.jobs.sweep_interval_secs),
        );
    }
    if settings.outbox.enabled {
        spawn_delivery(
            delivery(&db, settings, &parts)?,
            Duration::from_millis(settings.outbox.interval_ms),
        );
    }
    let server = boxoffice_api::serve(
        listener,
        state,
        HttpSettings {
            json_limit: settings.server.json_limit_bytes,
            workers: settings.server.workers,
            edges: settings.server.edges.clone(),
            rate_limit: settings.rate_limit.clone(),
            web: web_app(settings),
        },
    )?;
    Ok(server)
}

/// The web app of `web.*` (`None` when disabled); warns once when its build is missing, in
/// which case `/` answers a page saying how to build it.
pub fn web_app(settings: &Settings) -> Option<WebApp> {
    if !settings.web.enabled {
        return None;
    }
    let web = WebApp::new(settings.web.dir.trim());
    if !web.is_built() {
        tracing::warn!(
            dir = %web.dir().display(),
            "the web app is not built (no index.html in web.dir): `/` says so; run `make web`"
        );
    }
    Some(web)
}

/// Sets up tracing: pretty or JSON lines, level from `RUST_LOG` or the settings.
pub fn init_tracing(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.log.level.clone()));
    // One line per request when its span closes, carrying request_id, method, route, status
    // and latency (tracing-actix-web's root span); events inside a request carry its fields too.
    // Colours only for a terminal: piped or redirected logs stay plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if settings.log.format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
    } else {
        builder.try_init()
    };
}

/// The host part of a database URL, for logs (never the password).
pub fn redacted(url: &str) -> String {
    let after_scheme = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let host_and_db = after_scheme
        .rsplit_once('@')
        .map(|(_, r)| r)
        .unwrap_or(after_scheme);
    format!("postgres://…@{host_and_db}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_credentials() {
        assert_eq!(
            super::redacted("postgres://u:secret@h:5432/db"),
            "postgres://…@h:5432/db"
        );
        assert!(!super::redacted("postgres://u:p@ss@h/db").contains("p@ss"));
    }
}
