//! Layered configuration: embedded defaults (config/base.toml), the profile file
//! `config/<APP_PROFILE>.toml` (default `local`) when present, then `APP_*` environment
//! variables with `__` between section and key. Passed in, never global.

use serde::Deserialize;

const BASE: &str = include_str!("../../../config/base.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub booking: BookingSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub bind: String,
    pub workers: usize,
    pub json_limit_bytes: usize,
    pub csv_limit_bytes: usize,
    pub seat_map_cache_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct BookingSettings {
    pub max_seats_per_booking: u32,
    pub default_currency: String,
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
        let settings: Settings = s.try_deserialize()?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=100).contains(&self.booking.max_seats_per_booking),
            "booking.max_seats_per_booking must be 1..=100"
        );
        boxoffice_domain::values::Currency::parse(&self.booking.default_currency)
            .map_err(|e| anyhow::anyhow!("booking.default_currency: {e}"))?;
        anyhow::ensure!(
            self.database.pool_size >= 1,
            "database.pool_size must be >= 1"
        );
        anyhow::ensure!(
            matches!(self.log.format.as_str(), "pretty" | "json"),
            "log.format must be pretty or json"
        );
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
        assert_eq!(s.log.format, "pretty");
    }
}
