//! Live signals between instances over PostgreSQL `LISTEN/NOTIFY` (ADR 0014), and
//! [`LiveStore`] on PostgreSQL.
//!
//! - Sending: a write that committed calls [`Db::signal`]; a thread per pool gathers the
//!   signals for a moment and sends them in ONE short transaction of `pg_notify` calls. Not in
//!   the booking transaction itself: a notifying transaction takes a database-wide lock from
//!   its commit on, so every booking would commit behind the one before. The notifying
//!   transaction commits with `synchronous_commit` off: a signal is a hint, not data (a lost
//!   one is made good by the streams' periodic re-read and by [`Signal::Resync`] after a
//!   reconnect).
//! - Receiving: [`spawn_listener`] keeps one connection per instance that `LISTEN`s on both
//!   channels and hands every signal to a [`SignalSink`], polling the connection (libpq's
//!   `PQconsumeInput`) every `poll`; a lost connection is re-opened and reported as
//!   [`Signal::Resync`].

use std::collections::BTreeSet;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use boxoffice_domain::account::TokenHash;
use boxoffice_domain::live::{Signal, SignalSink, INBOX_CHANNEL, SEATS_CHANNEL};
use boxoffice_domain::ports::LiveStore;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bytea, Timestamptz};
use uuid::Uuid;

use crate::{map_db_error, Db, PgPool};

#[derive(Default)]
struct Pending {
    shows: BTreeSet<i64>,
    users: BTreeSet<Uuid>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.shows.is_empty() && self.users.is_empty()
    }
}

/// The signals a pool's writes produced and its sending thread has not sent yet.
pub(crate) struct Signals {
    pool: PgPool,
    pending: Mutex<Pending>,
    wake: Condvar,
    /// Set once the sending thread runs: before that (commands, tests that do not want it)
    /// signals are dropped.
    started: std::sync::OnceLock<Duration>,
}

impl Signals {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
            started: std::sync::OnceLock::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn add(&self, signal: Signal) {
        if self.started.get().is_none() {
            return;
        }
        let mut p = self.lock();
        match signal {
            // A transaction that touched no show (a refused booking) has nothing to say.
            Signal::Seats(shows) if !shows.is_empty() => p.shows.extend(shows),
            Signal::Inbox(users) if !users.is_empty() => p.users.extend(users),
            _ => return,
        }
        self.wake.notify_one();
    }

    /// Starts the sending thread (once): it waits for signals, gathers them for `gather`, and
    /// sends them. It ends when the last handle on the pool is gone.
    pub(crate) fn start(self: &Arc<Self>, gather: Duration) {
        if self.started.set(gather).is_err() {
            return;
        }
        let weak = Arc::downgrade(self);
        let spawned = std::thread::Builder::new()
            .name("notify-sender".into())
            .spawn(move || send_loop(weak, gather));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start the signal sender");
        }
    }

    /// Waits up to a second for signals; takes them after `gather`.
    fn next_batch(&self, gather: Duration) -> Option<Pending> {
        let mut p = self.lock();
        if p.is_empty() {
            p = self
                .wake
                .wait_timeout(p, Duration::from_secs(1))
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if p.is_empty() {
                return None;
            }
        }
        drop(p);
        std::thread::sleep(gather);
        Some(std::mem::take(&mut *self.lock()))
    }
}

fn send_loop(signals: Weak<Signals>, gather: Duration) {
    loop {
        let Some(s) = signals.upgrade() else { return };
        let Some(batch) = s.next_batch(gather) else {
            continue;
        };
        let mut sql = String::from("BEGIN; SET LOCAL synchronous_commit TO off;");
        let payloads = Signal::Seats(batch.shows.into_iter().collect())
            .payloads()
            .into_iter()
            .chain(Signal::Inbox(batch.users.into_iter().collect()).payloads());
        for (channel, payload) in payloads {
            // Channels are our constants; payloads are digits, commas, hex and hyphens.
            sql.push_str(&format!(" SELECT pg_notify('{channel}', '{payload}');"));
        }
        sql.push_str(" COMMIT;");
        match s.pool.get_timeout(Duration::from_secs(2)) {
            Ok(mut conn) => {
                if let Err(e) = conn.batch_execute(&sql) {
                    let _ = conn.batch_execute("ROLLBACK");
                    tracing::warn!(error = %e, "live signals not sent (streams re-read on their own)");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live signals not sent (streams re-read on their own)")
            }
        }
    }
}

impl Db {
    /// Tells every instance (this one too) what this committed write changed. Does nothing
    /// until [`Db::start_signals`].
    pub fn signal(&self, signal: Signal) {
        self.signals.add(signal);
    }

    /// Starts sending signals: committed writes' signals are gathered for `gather` and sent
    /// together.
    pub fn start_signals(&self, gather: Duration) {
        self.signals.start(gather);
    }

    /// [`spawn_listener`] on this database.
    pub fn listen(
        &self,
        poll: Duration,
        heartbeat: Duration,
        sink: Weak<dyn SignalSink>,
    ) -> std::io::Result<()> {
        spawn_listener(self.url.to_string(), poll, heartbeat, sink)
    }
}

/// Listens on `url` for the signals of every instance and hands them to `sink` until `sink`
/// is dropped. Polls the connection every `poll`; checks it with a round trip every
/// `heartbeat`; re-opens a lost one (backing off to 5 s), then reports [`Signal::Resync`].
pub fn spawn_listener(
    url: String,
    poll: Duration,
    heartbeat: Duration,
    sink: Weak<dyn SignalSink>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("notify-listener".into())
        .spawn(move || listen_loop(&url, poll, heartbeat, sink))
        .map(|_| ())
}

fn listen_loop(url: &str, poll: Duration, heartbeat: Duration, sink: Weak<dyn SignalSink>) {
    let mut pause = Duration::from_millis(250);
    let mut connected_before = false;
    while sink.strong_count() > 0 {
        let mut conn = match PgConnection::establish(url).and_then(|mut c| {
            c.batch_execute(&format!("LISTEN {SEATS_CHANNEL}; LISTEN {INBOX_CHANNEL};"))
                .map(|_| c)
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))
        }) {
            Ok(c) => c,
            Err(e) => {
                tracing::debug!(error = %e, "live listener cannot connect; retrying");
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        pause = Duration::from_millis(250);
        if connected_before {
            tracing::info!("live listener reconnected: streams re-read");
        }
        // Whatever was signalled while no connection listened is unknown: re-read it all.
        if let Some(s) = sink.upgrade() {
            if connected_before {
                s.signal(Signal::Resync);
            }
        }
        connected_before = true;
        let mut last_check = Instant::now();
        'listening: loop {
            let Some(s) = sink.upgrade() else { return };
            for n in conn.notifications_iter() {
                match n {
                    Ok(n) => {
                        if let Some(signal) = Signal::parse(&n.channel, &n.payload) {
                            s.signal(signal);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "live listener lost its connection");
                        break 'listening;
                    }
                }
            }
            drop(s);
            if last_check.elapsed() >= heartbeat {
                if let Err(e) = conn.batch_execute("SELECT 1") {
                    tracing::warn!(error = %e, "live listener lost its connection");
                    break 'listening;
                }
                last_check = Instant::now();
            }
            std::thread::sleep(poll);
        }
    }
}

/// [`LiveStore`] on PostgreSQL: `seat_stream_versions` and `stream_tickets`.
#[derive(Clone)]
pub struct PgLiveStore {
    db: Db,
}

impl PgLiveStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[derive(QueryableByName)]
struct Stamped {
    #[diesel(sql_type = BigInt)]
    version: i64,
}

#[derive(QueryableByName)]
struct Ticket {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    user_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    expires_at: DateTime<Utc>,
}

#[async_trait]
impl LiveStore for PgLiveStore {
    async fn stamp(&self, show_id: i64, digest: i64) -> Result<i64, DomainError> {
        self.db
            .run(move |conn| {
                // The row is locked by the upsert: two stampers of one show take turns, and
                // the second sees the first's digest.
                diesel::sql_query(
                    "INSERT INTO seat_stream_versions AS v (show_id, version, digest) \
                     VALUES ($1, 1, $2) \
                     ON CONFLICT (show_id) DO UPDATE \
                     SET version = CASE WHEN v.digest = EXCLUDED.digest THEN v.version \
                                        ELSE v.version + 1 END, \
                         digest = EXCLUDED.digest \
                     RETURNING version",
                )
                .bind::<BigInt, _>(show_id)
                .bind::<BigInt, _>(digest)
                .get_result::<Stamped>(conn)
                .map(|s| s.version)
                .map_err(map_db_error)
            })
            .await
    }

    async fn store_ticket(
        &self,
        hash: TokenHash,
        user_id: Uuid,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.db
            .run(move |conn| {
                diesel::sql_query(format!(
                    "DELETE FROM stream_tickets t WHERE {}",
                    crate::rules::secret_expired_sql("t", "$1")
                ))
                .bind::<Timestamptz, _>(now)
                .execute(conn)
                .map_err(map_db_error)?;
                diesel::sql_query(
                    "INSERT INTO stream_tickets (hash, user_id, expires_at) VALUES ($1, $2, $3)",
                )
                .bind::<Bytea, _>(hash.as_bytes().to_vec())
                .bind::<diesel::sql_types::Uuid, _>(user_id)
                .bind::<Timestamptz, _>(expires_at)
                .execute(conn)
                .map_err(map_db_error)?;
                Ok(())
            })
            .await
    }

    async fn take_ticket(
        &self,
        hash: TokenHash,
    ) -> Result<Option<(Uuid, DateTime<Utc>)>, DomainError> {
        self.db
            .run(move |conn| {
                diesel::sql_query(
                    "DELETE FROM stream_tickets WHERE hash = $1 RETURNING user_id, expires_at",
                )
                .bind::<Bytea, _>(hash.as_bytes().to_vec())
                .get_result::<Ticket>(conn)
                .optional()
                .map(|t| t.map(|t| (t.user_id, t.expires_at)))
                .map_err(map_db_error)
            })
            .await
    }
}
