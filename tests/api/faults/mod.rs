//! Database faults against a real PostgreSQL of the test's own: a throwaway cluster on a free
//! loopback port (never the shared server on 5432), restarted, stopped and SIGSTOPped under
//! light load. Every request gets an answer within its deadline, and no answer is a 500: at
//! most 503 `unavailable` (with `Retry-After`) while the database is away.
//!
//! Running as root (CI), the cluster runs as the `postgres` OS user, created like
//! `scripts/pg.sh` does (as `boxoffice-pg`) when it does not exist.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{decode, free_port, in_days, test_settings, ADMIN_EMAIL, ADMIN_PASSWORD};

mod deadlines;
mod outages;

// --- a private cluster ------------------------------------------------------------------------

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn user_exists(name: &str) -> bool {
    Command::new("id")
        .arg(name)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The OS user the cluster runs as: `postgres` (or `boxoffice-pg`, created) as root, else us.
fn server_user() -> Option<String> {
    if !is_root() {
        return None;
    }
    if user_exists("postgres") {
        return Some("postgres".into());
    }
    if !user_exists("boxoffice-pg") {
        // Like scripts/pg.sh; another test may be creating it at the same time.
        let _ = Command::new("useradd")
            .args(["--system", "--no-create-home", "--home-dir", "/nonexistent"])
            .args(["--shell", "/usr/sbin/nologin", "boxoffice-pg"])
            .status();
    }
    Some("boxoffice-pg".into())
}

fn bindir() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    dirs.retain(|d| d.join("initdb").exists() && d.join("pg_ctl").exists());
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
        .expect("PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
}

/// A PostgreSQL cluster of one test, deleted (stopped, continued if stopped) when dropped.
struct Cluster {
    root: PathBuf,
    port: u16,
    user: Option<String>,
    bin: PathBuf,
}

static CLUSTERS: AtomicU32 = AtomicU32::new(0);

impl Cluster {
    /// initdb on a free port (not started). Blocking.
    fn create() -> Self {
        let n = CLUSTERS.fetch_add(1, Ordering::SeqCst);
        let root = PathBuf::from(format!(
            "/var/tmp/boxoffice-faults-{}-{n}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&root).expect("create the cluster's root");
        let c = Self {
            root,
            port: free_port(),
            user: server_user(),
            bin: bindir(),
        };
        if let Some(user) = &c.user {
            c.sh(Command::new("chown").arg(format!("{user}:")).arg(&c.root));
        }
        let data = c.data();
        c.as_server(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
        );
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = ''\n\
             max_connections = 40\nshared_buffers = 16MB\nfsync = off\n\
             synchronous_commit = off\nfull_page_writes = off\n",
            c.port
        );
        std::fs::write(data.join("postgresql.auto.conf"), conf).expect("write the config");
        c
    }

    fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    fn url(&self) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    fn sh(&self, cmd: &mut Command) {
        let status = cmd
            .current_dir("/")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run a command");
        assert!(status.success(), "{cmd:?} failed: {status}");
    }

    /// Runs a PostgreSQL binary as the server's user.
    fn as_server(&self, tool: &str, args: &[&str]) {
        let bin = self.bin.join(tool);
        let mut cmd = match &self.user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        self.sh(cmd.args(args));
    }

    fn pg_ctl(&self, args: &[&str]) {
        let data = self.data();
        let log = self.root.join("postgres.log");
        let mut all = vec![
            "-D",
            data.to_str().unwrap(),
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-t",
            "60",
        ];
        all.extend_from_slice(args);
        self.as_server("pg_ctl", &all);
    }

    fn start(&self) {
        self.pg_ctl(&["start"]);
    }

    fn restart_fast(&self) {
        self.pg_ctl(&["-m", "fast", "restart"]);
    }

    /// The postmaster and its children (backends and background processes).
    fn pids(&self) -> Vec<u32> {
        let pidfile =
            std::fs::read_to_string(self.data().join("postmaster.pid")).expect("postmaster.pid");
        let pm: u32 = pidfile.lines().next().unwrap().trim().parse().unwrap();
        let mut pids = vec![pm];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(pm) {
                pids.push(pid);
            }
        }
        pids
    }

    /// Sends `signal` (`STOP`, `CONT`) to every process of the cluster: the postmaster first
    /// (a stopped postmaster forks no new backend), then the children listed after it. A child
    /// that exited in between is no error.
    fn signal(&self, signal: &str) {
        let pids = self.pids();
        self.sh(Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(pids[0].to_string()));
        for pid in &self.pids()[1..] {
            let _ = Command::new("kill")
                .arg(format!("-{signal}"))
                .arg(pid.to_string())
                .stderr(Stdio::null())
                .status();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.data().join("postmaster.pid").exists() {
            if let Ok(pids) = std::panic::catch_unwind(|| self.pids()) {
                let _ = Command::new("kill")
                    .arg("-CONT")
                    .args(pids.iter().map(u32::to_string))
                    .status();
            }
            let _ = std::panic::catch_unwind(|| self.pg_ctl(&["-m", "immediate", "stop"]));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

// --- a server on it ---------------------------------------------------------------------------

/// Deadlines of these tests: short, so that a hang shows within seconds.
const CALL_TIMEOUT_MS: u64 = 2000;
const READY_TIMEOUT_MS: u64 = 1000;

struct Server {
    base: String,
    client: reqwest::Client,
    url: String,
    settings: boxoffice::Settings,
    admin: Option<String>,
}

/// A reply: status, `Retry-After`, body and how long it took.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    retry_after: Option<String>,
    body: Value,
    took: Duration,
}

impl Server {
    /// Starts a server on `cluster` (up or not): it serves at once.
    async fn start(cluster: &Cluster, test_on_checkout: bool) -> Self {
        let mut settings = test_settings();
        settings.database.pool_size = 4;
        settings.database.connect_timeout_secs = 2;
        settings.database.test_on_checkout = test_on_checkout;
        settings.database.statement_timeout_ms = 1500;
        settings.database.lock_timeout_ms = 1000;
        settings.database.call_timeout_ms = CALL_TIMEOUT_MS;
        settings.database.ready_timeout_ms = READY_TIMEOUT_MS;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = boxoffice::start(listener, &cluster.url(), &settings)
            .await
            .expect("the server starts, database or not");
        tokio::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client"),
            url: cluster.url(),
            settings,
            admin: None,
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Reply {
        let mut b = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = &self.admin {
            b = b.bearer_auth(t);
        }
        if let Some(body) = body {
            b = b.json(body);
        }
        let started = Instant::now();
        let res = b.send().await.expect("an answer");
        let retry_after = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let (status, body) = decode(res).await;
        Reply {
            status,
            retry_after,
            body,
            took: started.elapsed(),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    /// Waits (bounded) for `/ready` to say 200; returns how long it took.
    async fn until_ready(&self, within: Duration) -> Duration {
        let started = Instant::now();
        loop {
            let r = self.get("/ready").await;
            if r.status == StatusCode::OK {
                return started.elapsed();
            }
            assert_unavailable(&r);
            assert!(
                started.elapsed() < within,
                "not ready within {within:?}: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The admin (made as `create-admin` does), signed in; then a GA show of `capacity`.
    async fn admin_and_show(&mut self, capacity: i64) -> i64 {
        let pool = boxoffice::connect_for_command(&self.url, &self.settings).expect("command pool");
        let state = boxoffice::state(&pool, &self.settings).expect("state");
        state
            .accounts
            .create_admin(ADMIN_EMAIL, ADMIN_PASSWORD, Default::default())
            .await
            .expect("create admin");
        let login = self
            .post(
                "/api/v1/auth/login",
                &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{login:?}");
        self.admin = Some(login.body["access_token"].as_str().unwrap().to_owned());
        let city = self
            .post(
                "/api/v1/cities",
                &json!({"name": "Faultville", "country": "Testland", "latitude": 52.5,
                        "longitude": 13.4}),
            )
            .await;
        assert_eq!(city.status, StatusCode::CREATED, "{city:?}");
        let event = self
            .post(
                "/api/v1/events",
                &json!({"title": "Outage", "event_type": "concert",
                        "city_id": city.body["id"]}),
            )
            .await;
        assert_eq!(event.status, StatusCode::CREATED, "{event:?}");
        let show = self
            .post(
                &format!("/api/v1/events/{}/shows", event.body["id"]),
                &json!({"starts_at": in_days(7), "ends_at": in_days(8),
                        "capacity": capacity, "price": 500}),
            )
            .await;
        assert_eq!(show.status, StatusCode::CREATED, "{show:?}");
        self.admin = None;
        show.body["id"].as_i64().unwrap()
    }

    /// A guest books one place of `show`.
    async fn book(&self, show: i64) -> Reply {
        self.post(
            "/api/v1/bookings",
            &json!({"show_id": show, "quantity": 1, "name": "Gus",
                    "email": "gus@example.com"}),
        )
        .await
    }
}

/// A 503 `unavailable` with a JSON error body and `Retry-After`.
#[track_caller]
fn assert_unavailable(r: &Reply) {
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{r:?}");
    assert_eq!(r.body["error"]["code"], "unavailable", "{r:?}");
    let secs: u64 = r
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no Retry-After in seconds: {r:?}"));
    assert!((1..=30).contains(&secs), "{r:?}");
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("join")
}

async fn started_cluster() -> Arc<Cluster> {
    blocking(|| {
        let c = Cluster::create();
        c.start();
        Arc::new(c)
    })
    .await
}
