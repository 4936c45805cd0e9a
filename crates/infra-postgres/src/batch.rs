//! Coalescing concurrent bookings of one show inside this instance (ADR 0011): while a
//! booking transaction of a show runs, the requests for that show that arrive queue up; the
//! next transaction takes them all (up to [`MAX_BATCH`]) and runs the domain's
//! [`book_batch`] once — one lock pass over the union of their seats, one read of the classes,
//! one insert, one commit — and answers each request on its own. Under light load a batch is
//! one request and nothing waits; under a flash sale a commit carries dozens of bookings.
//!
//! Correctness does not rest on the batching: across instances the database's row locks, the
//! guarded general-admission update and the unique index on active seats decide, as for a
//! single booking. When a batch's transaction fails as a whole for another reason than an
//! unreachable database, its requests are retried one by one, each in its own transaction, so
//! that one request's failure never becomes another's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use boxoffice_domain::booking::{Booking, BookingCommand};
use boxoffice_domain::engine::book::book_batch;
use boxoffice_domain::live::Signal;
use boxoffice_domain::DomainError;
use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::tx::PgTx;
use crate::Db;

/// Most requests one booking transaction carries.
pub const MAX_BATCH: usize = 64;

/// Attempts of a transaction whose new booking reference clashed with a stored one (50 random
/// bits: it does not happen twice).
const REFERENCE_ATTEMPTS: usize = 3;

type Reply = oneshot::Sender<Result<Booking, DomainError>>;

struct Pending {
    command: BookingCommand,
    now: DateTime<Utc>,
    reply: Reply,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
}

/// The per-show queues of this instance.
#[derive(Clone)]
pub(crate) struct Batcher {
    db: Db,
    /// A show has an entry while a drain task runs for it.
    shows: Arc<Mutex<HashMap<i64, Queue>>>,
    stats: Arc<Counters>,
}

#[derive(Default)]
struct Counters {
    transactions: AtomicU64,
    requests: AtomicU64,
}

/// What the coalescing has done since the repository was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchStats {
    /// Booking transactions run (a batch, a retry with new references, each one-by-one retry).
    pub transactions: u64,
    /// Requests answered.
    pub requests: u64,
}

impl Batcher {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            shows: Arc::new(Mutex::new(HashMap::new())),
            stats: Arc::default(),
        }
    }

    pub fn stats(&self) -> BatchStats {
        BatchStats {
            transactions: self.stats.transactions.load(Ordering::Relaxed),
            requests: self.stats.requests.load(Ordering::Relaxed),
        }
    }

    /// Books `command` in the next transaction of its show.
    pub async fn book(
        &self,
        command: BookingCommand,
        now: DateTime<Utc>,
    ) -> Result<Booking, DomainError> {
        let show_id = command.show_id;
        let (reply, answer) = oneshot::channel();
        let lead = {
            let mut shows = self.shows.lock().unwrap_or_else(|p| p.into_inner());
            let lead = !shows.contains_key(&show_id);
            shows.entry(show_id).or_default().pending.push(Pending {
                command,
                now,
                reply,
            });
            lead
        };
        if lead {
            // Its own task: a caller that stops waiting must not stop the others' batch.
            tokio::spawn(self.clone().drain(show_id));
        }
        answer
            .await
            .map_err(|_| DomainError::internal("the booking batch was dropped"))?
    }

    /// Runs batches of the show until its queue is empty, then removes the queue.
    async fn drain(self, show_id: i64) {
        loop {
            let batch: Vec<Pending> = {
                let mut shows = self.shows.lock().unwrap_or_else(|p| p.into_inner());
                let Some(queue) = shows.get_mut(&show_id) else {
                    return;
                };
                if queue.pending.is_empty() {
                    shows.remove(&show_id);
                    return;
                }
                let n = queue.pending.len().min(MAX_BATCH);
                queue.pending.drain(..n).collect()
            };
            self.run(show_id, batch).await;
        }
    }

    async fn run(&self, show_id: i64, batch: Vec<Pending>) {
        let (commands, nows, replies) = batch.into_iter().fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |(mut c, mut n, mut r), p| {
                c.push(p.command);
                n.push(p.now);
                r.push(p.reply);
                (c, n, r)
            },
        );
        tracing::debug!(show_id, size = commands.len(), "booking batch");
        // One instant for the batch: the latest of its requests' (a few ms apart at most).
        let now = nows.iter().copied().max().unwrap_or_else(Utc::now);
        let commands = Arc::new(commands);
        let answers = match self.attempt(show_id, commands.clone(), now).await {
            Ok(answers) => answers,
            Err(e @ DomainError::Unavailable(_)) => {
                commands.iter().map(|_| Err(e.clone())).collect()
            }
            Err(e) if commands.len() == 1 => vec![Err(e)],
            Err(_) => {
                let mut one_by_one = Vec::with_capacity(commands.len());
                for (command, now) in commands.iter().zip(nows) {
                    let one = Arc::new(vec![command.clone()]);
                    one_by_one.push(match self.attempt(show_id, one, now).await {
                        Ok(mut a) => a
                            .pop()
                            .unwrap_or_else(|| Err(DomainError::internal("empty batch answer"))),
                        Err(e) => Err(e),
                    });
                }
                one_by_one
            }
        };
        self.stats
            .requests
            .fetch_add(replies.len() as u64, Ordering::Relaxed);
        for (reply, answer) in replies.into_iter().zip(answers) {
            // A caller that stopped waiting has gone; its booking stands (as a single one would).
            let _ = reply.send(answer);
        }
    }

    /// One transaction for the batch (again with new references when one clashed).
    async fn attempt(
        &self,
        show_id: i64,
        commands: Arc<Vec<BookingCommand>>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<Booking, DomainError>>, DomainError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.stats.transactions.fetch_add(1, Ordering::Relaxed);
            let clash = Arc::new(AtomicBool::new(false));
            let (cmds, flag) = (commands.clone(), clash.clone());
            let result = self
                .db
                .transaction(move |conn| {
                    let mut tx = PgTx::new(conn);
                    let out = book_batch(&mut tx, show_id, &cmds, now);
                    flag.store(tx.reference_clash, Ordering::Relaxed);
                    let out = out?;
                    let shows = tx.finish()?;
                    Ok((out, shows))
                })
                .await;
            match result {
                Err(_) if attempt < REFERENCE_ATTEMPTS && clash.load(Ordering::Relaxed) => continue,
                Ok((out, shows)) => {
                    self.db.signal(Signal::Seats(shows));
                    return Ok(out);
                }
                Err(e) => return Err(e),
            }
        }
    }
}
