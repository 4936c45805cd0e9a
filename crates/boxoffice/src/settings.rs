//! Layered configuration: embedded defaults (config/base.toml), the profile file
//! `config/<APP_PROFILE>.toml` (default `local`) when present, then `APP_*` environment
//! variables with `__` between section and key. Passed in, never global.

use serde::Deserialize;

const BASE: &str = include_str!("../../../config/base.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The profile the settings were loaded for (`local`, `test`, `production`, …).
    #[serde(skip)]
    pub profile: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub booking: BookingSettings,
    pub payments: PaymentSettings,
    pub jobs: JobSettings,
    pub outbox: OutboxSettings,
    pub live: LiveSettings,
    pub auth: AuthSettings,
    pub email: boxoffice_infra_notify::EmailSettings,
    pub sms: boxoffice_infra_notify::SmsSettings,
    /// Partner webhooks: the allow-list of the address rule, the timeout of an attempt.
    pub webhooks: boxoffice_infra_notify::WebhookSettings,
    pub rate_limit: boxoffice_api::ratelimit::RateLimitSettings,
    pub log: LogSettings,
    pub web: WebSettings,
}

/// The development default of `auth.jwt_secret`; the production profile refuses it.
pub const DEV_JWT_SECRET: &str = "dev-only-insecure-jwt-secret-change-me-0123456789";
/// The base layer's webhook secret, for development only (refused in production).
pub const DEV_WEBHOOK_SECRET: &str = "dev-only-insecure-webhook-secret-0123456789";

/// A secret string: its `Debug` never shows it.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// HS256 signing secret of access tokens (at least 32 bytes; set it from the environment:
    /// `APP_AUTH__JWT_SECRET`).
    pub jwt_secret: Secret,
    pub jwt_issuer: String,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_days: i64,
    pub password_reset_ttl_minutes: i64,
    /// Clock skew tolerated on `exp`/`nbf`, seconds.
    pub leeway_secs: u64,
    /// bcrypt cost (4..=31; 12 by default, lower only in tests).
    pub bcrypt_cost: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub csv_limit_bytes: usize,
    pub seat_map_cache_ms: u64,
    /// Where the web app is reached (`http://127.0.0.1:8080` by default): the emails link to its
    /// booking page, `{public_url}/bookings/{id}`.
    pub public_url: String,
    /// CORS origins, HSTS, trusting `X-Forwarded-For`.
    #[serde(flatten)]
    pub edges: boxoffice_api::edges::EdgeSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub pool_size: u32,
    /// Idle connections the pool keeps open (opened in the background; capped at pool_size).
    pub min_idle: u32,
    /// The longest wait for a pooled connection, and libpq's `connect_timeout`.
    pub connect_timeout_secs: u64,
    /// Test each connection with a round trip before handing it out (a connection the server
    /// dropped is discarded instead of failing a request; ADR 0009).
    pub test_on_checkout: bool,
    /// Server-side deadlines of every connection (`statement_timeout`, `lock_timeout`).
    pub statement_timeout_ms: u64,
    pub lock_timeout_ms: u64,
    /// The deadline of one database call of a request, waiting for a connection included:
    /// past it the request answers 503 even if the database never answers.
    pub call_timeout_ms: u64,
    /// The deadline of a CSV import's transaction (a bulk write).
    pub bulk_timeout_ms: u64,
    /// The deadline of `GET /ready`'s check.
    pub ready_timeout_ms: u64,
    /// libpq's TCP keepalives and `tcp_user_timeout` (a peer that stopped answering).
    pub keepalives_idle_secs: u64,
    pub keepalives_interval_secs: u64,
    pub keepalives_count: u32,
    pub tcp_user_timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BookingSettings {
    pub max_seats_per_booking: u32,
    pub default_currency: String,
    /// How long a booking with something to pay is held.
    pub hold_minutes: i64,
    /// When set, the hold time in seconds instead of `hold_minutes` (short holds for tests).
    pub hold_seconds: Option<i64>,
}

impl BookingSettings {
    /// The hold time: `hold_seconds` when set, else `hold_minutes`.
    pub fn hold_for(&self) -> chrono::Duration {
        match self.hold_seconds {
            Some(s) => chrono::Duration::seconds(s),
            None => chrono::Duration::minutes(self.hold_minutes),
        }
    }
}

/// The payment gateway (the mock one), the webhook secret and the refund policy.
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentSettings {
    /// HMAC secret of `X-Boxoffice-Signature` on `POST /payments/webhook` (16+ bytes).
    pub webhook_secret: Secret,
    pub gateway_delay_ms: u64,
    pub gateway_fail_rate_percent: u32,
    pub full_refund_hours_before: i64,
    pub late_refund_percent: u32,
}

/// The background sweep: expiry of holds, completion of bookings, pending refunds.
#[derive(Debug, Clone, Deserialize)]
pub struct JobSettings {
    pub enabled: bool,
    pub sweep_interval_secs: u64,
    pub batch_size: i64,
}

/// The outbox's delivery worker (issue 12): inside `boxoffice serve` when `enabled`, and alone
/// as `boxoffice worker`.
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    pub enabled: bool,
    /// Pause between two passes when the last one found nothing due.
    pub interval_ms: u64,
    pub batch_size: i64,
    /// How long a claimed message is left to its worker before another may take it.
    pub lease_secs: i64,
    /// The first retry waits this long, each next one twice as long, at most `retry_cap_secs`.
    pub retry_base_secs: u64,
    pub retry_cap_secs: u64,
    /// Failed attempts after which a message is dead.
    pub max_attempts: u32,
}

/// The live streams (Server-Sent Events) and the signals between instances (issue 12,
/// `docs/notifications.md` "Real time").
#[derive(Debug, Clone, Deserialize)]
pub struct LiveSettings {
    /// Listen for other instances' signals (`LISTEN/NOTIFY`) and send this one's.
    pub enabled: bool,
    /// How often the listening connection is polled for signals.
    pub poll_ms: u64,
    /// Signals of committed writes are gathered this long and sent together.
    pub gather_ms: u64,
    /// A keep-alive comment on every idle stream this often.
    pub keep_alive_secs: u64,
    pub max_streams_per_client: usize,
    pub max_streams: usize,
    /// A show with open streams is re-read at most this often.
    pub min_refresh_ms: u64,
    /// … and at least this often (a lost signal costs at most this long).
    pub resync_secs: u64,
    /// Changes kept per show for `Last-Event-ID`.
    pub replay: usize,
    /// Events a stream may fall behind before it is ended.
    pub buffer: usize,
    /// How long a stream ticket is good.
    pub ticket_ttl_secs: i64,
}

/// The web app (`clients/web`'s Vite build) served at `/` by `boxoffice serve`.
#[derive(Debug, Clone, Deserialize)]
pub struct WebSettings {
    pub enabled: bool,
    /// The build folder (its `index.html` and `assets/`); a relative path is taken from the
    /// working directory.
    pub dir: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub format: String,
    pub level: String,
}

impl Settings {
    /// Loads the layers; `config_dir` holds the profile files (default `./config`).
    pub fn load() -> anyhow::Result<Self> {
        let profile = std::env::var("APP_PROFILE").unwrap_or_else(|_| "local".to_owned());
        let dir = std::env::var("APP_CONFIG_DIR").unwrap_or_else(|_| "config".to_owned());
        Self::load_from(&profile, &dir)
    }

    pub fn load_from(profile: &str, dir: &str) -> anyhow::Result<Self> {
        let s = config::Config::builder()
            .add_source(config::File::from_str(BASE, config::FileFormat::Toml))
            .add_source(config::File::with_name(&format!("{dir}/{profile}")).required(false))
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()?;
        let mut settings: Settings = s.try_deserialize()?;
        settings.profile = profile.to_owned();
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let most = boxoffice_domain::limits::MAX_PLACES_PER_BOOKING;
        anyhow::ensure!(
            (1..=most).contains(&self.booking.max_seats_per_booking),
            "booking.max_seats_per_booking must be 1..={most}"
        );
        boxoffice_domain::values::Currency::parse(&self.booking.default_currency)
            .map_err(|e| anyhow::anyhow!("booking.default_currency: {e}"))?;
        anyhow::ensure!(
            (1..=24 * 60).contains(&self.booking.hold_minutes),
            "booking.hold_minutes must be 1..=1440"
        );
        if let Some(seconds) = self.booking.hold_seconds {
            anyhow::ensure!(
                (5..=24 * 60 * 60).contains(&seconds),
                "booking.hold_seconds must be 5..=86400 (or unset)"
            );
        }
        anyhow::ensure!(
            self.payments.webhook_secret.expose().len() >= 16,
            "payments.webhook_secret must be at least 16 bytes (set APP_PAYMENTS__WEBHOOK_SECRET)"
        );
        if self.profile == "production" {
            anyhow::ensure!(
                self.payments.webhook_secret.expose() != DEV_WEBHOOK_SECRET,
                "payments.webhook_secret is the development default: the production profile \
                 refuses to start with it (set APP_PAYMENTS__WEBHOOK_SECRET)"
            );
        }
        anyhow::ensure!(
            self.payments.gateway_fail_rate_percent <= 100,
            "payments.gateway_fail_rate_percent must be 0..=100"
        );
        anyhow::ensure!(
            self.payments.full_refund_hours_before >= 0,
            "payments.full_refund_hours_before must be >= 0"
        );
        anyhow::ensure!(
            self.payments.late_refund_percent <= 100,
            "payments.late_refund_percent must be 0..=100"
        );
        anyhow::ensure!(
            self.jobs.sweep_interval_secs >= 1 && self.jobs.batch_size >= 1,
            "jobs.sweep_interval_secs and jobs.batch_size must be at least 1"
        );
        anyhow::ensure!(
            self.outbox.interval_ms >= 1
                && self.outbox.batch_size >= 1
                && self.outbox.lease_secs >= 1
                && self.outbox.retry_base_secs >= 1
                && self.outbox.retry_cap_secs >= self.outbox.retry_base_secs
                && self.outbox.max_attempts >= 1,
            "outbox: interval_ms, batch_size, lease_secs, retry_base_secs and max_attempts must \
             be at least 1, and retry_cap_secs at least retry_base_secs"
        );
        let l = &self.live;
        anyhow::ensure!(
            l.poll_ms >= 1
                && l.keep_alive_secs >= 1
                && l.max_streams_per_client >= 1
                && l.max_streams >= 1
                && l.resync_secs >= 1
                && l.replay >= 1
                && l.buffer >= 1
                && l.ticket_ttl_secs >= 1,
            "live: poll_ms, keep_alive_secs, max_streams_per_client, max_streams, resync_secs, \
             replay, buffer and ticket_ttl_secs must be at least 1"
        );
        anyhow::ensure!(
            self.database.pool_size >= 1,
            "database.pool_size must be >= 1"
        );
        let d = &self.database;
        anyhow::ensure!(
            d.connect_timeout_secs >= 1
                && d.statement_timeout_ms >= 100
                && d.lock_timeout_ms >= 100
                && d.call_timeout_ms >= 100
                && d.bulk_timeout_ms >= 100
                && d.ready_timeout_ms >= 100,
            "database.connect_timeout_secs must be >= 1 and database.statement_timeout_ms, \
             lock_timeout_ms, call_timeout_ms, bulk_timeout_ms and ready_timeout_ms >= 100"
        );
        anyhow::ensure!(
            d.keepalives_idle_secs >= 1
                && d.keepalives_interval_secs >= 1
                && d.keepalives_count >= 1
                && d.tcp_user_timeout_ms >= 1000,
            "database.keepalives_idle_secs, keepalives_interval_secs and keepalives_count must \
             be >= 1 and database.tcp_user_timeout_ms >= 1000"
        );
        anyhow::ensure!(
            matches!(self.log.format.as_str(), "pretty" | "json"),
            "log.format must be pretty or json"
        );
        let secret = self.auth.jwt_secret.expose();
        anyhow::ensure!(
            secret.len() >= 32,
            "auth.jwt_secret must be at least 32 bytes (set APP_AUTH__JWT_SECRET)"
        );
        if self.profile == "production" {
            anyhow::ensure!(
                secret != DEV_JWT_SECRET,
                "auth.jwt_secret is the development default: the production profile refuses to \
                 start with it (set APP_AUTH__JWT_SECRET to a random secret of 32+ bytes)"
            );
        }
        anyhow::ensure!(
            (4..=31).contains(&self.auth.bcrypt_cost),
            "auth.bcrypt_cost must be 4..=31"
        );
        anyhow::ensure!(
            self.auth.access_token_ttl_secs >= 30,
            "auth.access_token_ttl_secs must be at least 30"
        );
        anyhow::ensure!(
            self.auth.refresh_token_ttl_days >= 1,
            "auth.refresh_token_ttl_days must be at least 1"
        );
        anyhow::ensure!(
            self.auth.password_reset_ttl_minutes >= 1,
            "auth.password_reset_ttl_minutes must be at least 1"
        );
        anyhow::ensure!(
            self.server.json_limit_bytes >= 1024,
            "server.json_limit_bytes must be at least 1024"
        );
        let public_url = self.server.public_url.trim();
        anyhow::ensure!(
            (public_url.starts_with("http://") || public_url.starts_with("https://"))
                && public_url.len() > "https://".len()
                && !public_url.contains(|c: char| c.is_whitespace() || c == '?' || c == '#'),
            "server.public_url must be an http(s) URL without query or fragment, not '{public_url}'"
        );
        anyhow::ensure!(
            !self.web.enabled || !self.web.dir.trim().is_empty(),
            "web.dir must name a folder when web.enabled"
        );
        self.webhooks.validate()?;
        self.rate_limit
            .validate()
            .map_err(|e| anyhow::anyhow!("rate_limit: {e}"))?;
        self.server
            .edges
            .validate()
            .map_err(|e| anyhow::anyhow!("server: {e}"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_layer_alone_is_valid() {
        let s = Settings::load_from("no-such-profile", "/nonexistent").unwrap();
        assert_eq!(s.booking.max_seats_per_booking, 10);
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert_eq!(s.server.public_url, "http://127.0.0.1:8080");
        assert_eq!(s.log.format, "pretty");
        assert_eq!(s.auth.bcrypt_cost, 12);
        assert_eq!(s.auth.access_token_ttl_secs, 900);
        assert!(s.server.edges.cors_allowed_origins.is_empty());
        assert!(s.database.test_on_checkout);
        assert!(s.database.call_timeout_ms > s.database.statement_timeout_ms);
        // Webhooks reach public addresses only, unless a profile says otherwise.
        assert!(s.webhooks.allow_hosts.is_empty());
        assert!(s.webhooks.timeout_ms <= 10_000);
        assert!(s.web.enabled);
        assert_eq!(s.web.dir, "clients/web/dist");
    }

    #[test]
    fn the_test_profile_lets_webhooks_reach_the_loopback_interface() {
        let s = Settings::load_from("test", concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"))
            .unwrap();
        let allow = s.webhooks.allow_list().unwrap();
        assert!(allow.allows_host("localhost"));
        assert!(allow.allows_address("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn production_refuses_the_development_secret() {
        std::env::remove_var("APP_AUTH__JWT_SECRET");
        let e = Settings::load_from(
            "production",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("development default"), "{e}");
    }

    #[test]
    fn hold_seconds_overrides_hold_minutes_within_its_range() {
        let mut s = Settings::load_from("no-such-profile", "/nonexistent").unwrap();
        assert_eq!(s.booking.hold_seconds, None);
        assert_eq!(s.booking.hold_for(), chrono::Duration::minutes(10));
        s.booking.hold_seconds = Some(20);
        assert_eq!(s.booking.hold_for(), chrono::Duration::seconds(20));
        s.validate().unwrap();
        for wrong in [4, 0, -1, 86_401] {
            s.booking.hold_seconds = Some(wrong);
            let e = s.validate().unwrap_err();
            assert!(e.to_string().contains("hold_seconds"), "{wrong}: {e}");
        }
        s.booking.hold_seconds = Some(86_400);
        s.validate().unwrap();
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s = Settings::load_from("no-such-profile", "/nonexistent").unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains(DEV_JWT_SECRET));
        assert!(shown.contains("<redacted>"));
    }
}
