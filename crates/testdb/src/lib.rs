//! Throw-away databases for integration tests: the migrations run once into a template
//! database, and every test gets its own clone (`CREATE DATABASE … TEMPLATE …`), dropped when the
//! handle is dropped. Tests are isolated and order-independent, without serialising on one
//! shared database.

use diesel::migration::MigrationSource;
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::MigrationHarness;

use boxoffice_infra_postgres::MIGRATIONS;

/// A database that exists while this value lives.
pub struct TestDb {
    admin_url: String,
    name: String,
    url: String,
}

fn with_database(url: &str, db: &str) -> String {
    // postgres://user@host:port/dbname?params → replace dbname. Test databases are local: no
    // TLS unless the URL asks for it. (With TLS, libpq's OpenSSL keeps per-thread state whose
    // destructors race OpenSSL's own exit-time cleanup when a test process exits while pool
    // threads wind down: an occasional "double free" abort after a passing test.)
    let (base, query) = match url.split_once('?') {
        Some((b, q)) if q.contains("sslmode=") => (b, format!("?{q}")),
        Some((b, q)) => (b, format!("?{q}&sslmode=disable")),
        None => (url, "?sslmode=disable".to_owned()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    format!("{}/{}{}", &base[..path_start], db, query)
}

fn template_name() -> String {
    // The template is named after the migrations it contains, so a changed migration set gets
    // a fresh template.
    let mut h: u64 = 0xcbf29ce484222325;
    for m in MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap_or_default() {
        for b in m.name().to_string().bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
    }
    for sql in MIGRATION_SQL {
        for b in sql.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
    }
    format!("boxoffice_tmpl_{:012x}", h & 0xffff_ffff_ffff)
}

/// Every migration's `up.sql`, so that editing one gets a fresh template too (a test checks the
/// list names every migration).
const MIGRATION_SQL: [&str; 17] = [
    include_str!("../../../migrations/2026-11-22-000001_booking_core/up.sql"),
    include_str!("../../../migrations/2026-11-22-000002_class_counters/up.sql"),
    include_str!("../../../migrations/2026-11-22-000003_accounts/up.sql"),
    include_str!("../../../migrations/2026-11-22-000004_idempotency/up.sql"),
    include_str!("../../../migrations/2026-11-22-000005_booking_history/up.sql"),
    include_str!("../../../migrations/2026-11-22-000006_holds_payments/up.sql"),
    include_str!("../../../migrations/2026-12-06-030000_mock_gateway_ledger/up.sql"),
    include_str!("../../../migrations/2026-12-06-190000_seat_chart_version/up.sql"),
    include_str!("../../../migrations/2026-12-06-200000_outbox/up.sql"),
    include_str!("../../../migrations/2026-12-06-210000_notifications/up.sql"),
    include_str!("../../../migrations/2026-12-06-220000_announcements/up.sql"),
    include_str!("../../../migrations/2026-12-06-230000_reset_outbox/up.sql"),
    include_str!("../../../migrations/2026-12-07-000000_live_streams/up.sql"),
    include_str!("../../../migrations/2026-12-07-010000_webhooks/up.sql"),
    include_str!("../../../migrations/2026-12-07-020000_venue_time_zone/up.sql"),
    include_str!("../../../migrations/2026-12-08-000000_marketplace_catalog/up.sql"),
    include_str!("../../../migrations/2026-12-09-000000_appointments/up.sql"),
];

impl TestDb {
    /// Creates a fresh, migrated database on the server of `server_url` (any database URL on
    /// that server; `postgres` is used for administration).
    pub fn create(server_url: &str) -> Result<Self, String> {
        let admin_url = with_database(server_url, "postgres");
        let mut admin =
            PgConnection::establish(&admin_url).map_err(|e| format!("connect {admin_url}: {e}"))?;
        let template = template_name();
        // One process at a time builds the template.
        diesel::sql_query("SELECT pg_advisory_lock(727274)")
            .execute(&mut admin)
            .map_err(|e| e.to_string())?;
        let result = Self::ensure_template(&mut admin, server_url, &template);
        let _ = diesel::sql_query("SELECT pg_advisory_unlock(727274)").execute(&mut admin);
        result?;
        let name = format!("boxoffice_test_{}", uuid::Uuid::new_v4().simple());
        diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut admin)
            .map_err(|e| format!("create {name}: {e}"))?;
        let url = with_database(server_url, &name);
        Ok(Self {
            admin_url,
            name,
            url,
        })
    }

    fn ensure_template(
        admin: &mut PgConnection,
        server_url: &str,
        template: &str,
    ) -> Result<(), String> {
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            found: bool,
        }
        let found: Found = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}') AS found"
        ))
        .get_result(admin)
        .map_err(|e| e.to_string())?;
        if found.found {
            return Ok(());
        }
        diesel::sql_query(format!("CREATE DATABASE {template}"))
            .execute(admin)
            .map_err(|e| format!("create template: {e}"))?;
        let mut conn = PgConnection::establish(&with_database(server_url, template))
            .map_err(|e| e.to_string())?;
        let migrated = conn.run_pending_migrations(MIGRATIONS).map(|_| ());
        drop(conn);
        if let Err(e) = migrated {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {template}")).execute(admin);
            return Err(format!("migrate template: {e}"));
        }
        Ok(())
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut admin);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{with_database, MIGRATION_SQL};

    #[test]
    fn the_template_hashes_every_migration() {
        let dirs = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations"))
            .expect("migrations dir")
            .filter_map(Result::ok)
            .filter(|e| e.path().join("up.sql").is_file())
            .count();
        assert_eq!(
            MIGRATION_SQL.len(),
            dirs,
            "add the new migration's up.sql to MIGRATION_SQL"
        );
    }

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u@h:5432/a?sslmode=disable", "b"),
            "postgres://u@h:5432/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h:5432", "b"),
            "postgres://u@h:5432/b?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/x", "y"),
            "postgres://u@h/y?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/x?connect_timeout=5", "y"),
            "postgres://u@h/y?connect_timeout=5&sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://u@h/x?sslmode=require", "y"),
            "postgres://u@h/y?sslmode=require"
        );
    }
}
