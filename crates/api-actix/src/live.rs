//! The live streams of one instance (issue 12, ADR 0014): a hub per show with open seat-map
//! streams and a hub per user with an open notifications stream, fed by the signals of every
//! instance ([`SignalSink`]: PostgreSQL `LISTEN/NOTIFY`, see infra-postgres `live`).
//!
//! A show's hub re-reads the show when a signal names it (at most once per `min_refresh`, and
//! every `resync` anyway, in case a signal was lost), asks the domain what changed
//! ([`ShowState::changes_since`]), has the storage stamp the new state's version, and
//! broadcasts ONE rendered frame to all its streams (a frame is rendered once, whatever the
//! number of readers). A stream that falls more than `buffer` frames behind is ended (a slow
//! reader never grows the server's memory); its client comes back with `Last-Event-ID`.
//! The same signal drops the show's entry of the [`SeatMapCache`].

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use boxoffice_domain::catalog::{SeatStatus, ShowKind};
use boxoffice_domain::inbox::InboxService;
use boxoffice_domain::live::{
    Changes, ReplayLog, Resume, ShowState, Signal, SignalSink, StreamTickets,
};
use boxoffice_domain::ports::LiveStore;
use boxoffice_domain::service::CatalogService;
use boxoffice_domain::DomainError;
use paperclip::actix::Apiv2Schema;
use serde::Serialize;
use tokio::sync::broadcast;
use uuid::Uuid;

mod sse;

pub use sse::{body, Frame, Opened, StreamGuard};

use crate::cache::SeatMapCache;
use crate::dto::{SeatClassDto, ShowDto};
use crate::inbox::NotificationDto;

/// Limits and pace of the live streams (`live.*` settings).
#[derive(Debug, Clone)]
pub struct LiveSettings {
    /// A comment line this often keeps proxies from closing an idle stream.
    pub keep_alive: Duration,
    /// Streams one client (address, or user for the notifications stream) may hold open.
    pub max_streams_per_client: usize,
    /// Streams the instance holds open at most.
    pub max_streams: usize,
    /// A show is re-read at most this often, however many signals name it.
    pub min_refresh: Duration,
    /// Every hub re-reads this often even without a signal (a lost signal costs at most this).
    pub resync: Duration,
    /// Changes a show's hub keeps for readers coming back with `Last-Event-ID`.
    pub replay: usize,
    /// Frames a stream may fall behind before it is ended.
    pub buffer: usize,
    /// Client addresses from `X-Forwarded-For` (as `server.edges`).
    pub trust_forwarded_for: bool,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            keep_alive: Duration::from_secs(15),
            max_streams_per_client: 8,
            max_streams: 10_000,
            min_refresh: Duration::from_millis(250),
            resync: Duration::from_secs(5),
            replay: 256,
            buffer: 64,
            trust_forwarded_for: false,
        }
    }
}

/// The data of a seat-map stream's `change` event: what changed since `previous_version`. The
/// seats are named by id (the snapshot has the rest of each seat) and grouped by their new
/// status: a flash sale changes thousands of seats, and every open stream gets every change.
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatMapChangeDto {
    pub version: i64,
    pub previous_version: i64,
    /// Seats now held (their hold's end is in `GET /shows/{id}/seats`).
    pub held: Vec<i64>,
    /// Seats now booked.
    pub booked: Vec<i64>,
    /// Seats free again (a hold expired or a booking was cancelled).
    pub available: Vec<i64>,
    /// The seat classes whose counts or current price changed.
    pub classes: Vec<SeatClassDto>,
    /// Seats (seated) or capacity (general admission).
    pub total_seats: u64,
    pub available_seats: u64,
}

/// The data of a seat-map stream's `snapshot` event: the whole show at `version` (`seats` as
/// `GET /shows/{id}/seats` answers it; empty for general admission).
#[derive(Debug, Serialize, Apiv2Schema)]
pub struct SeatMapSnapshotDto {
    pub version: i64,
    pub show: ShowDto,
    pub seats: crate::dto::SeatList,
}

struct ShowHubState {
    state: ShowState,
    version: i64,
    snapshot: Option<Arc<Frame>>,
    log: ReplayLog<Arc<Frame>>,
}

struct Hub<S> {
    tx: broadcast::Sender<Arc<Frame>>,
    state: tokio::sync::Mutex<S>,
    dirty: AtomicBool,
    running: AtomicBool,
}

impl<S> Hub<S> {
    fn new(buffer: usize, state: S) -> Arc<Self> {
        Arc::new(Self {
            tx: broadcast::channel(buffer.max(1)).0,
            state: tokio::sync::Mutex::new(state),
            dirty: AtomicBool::new(false),
            running: AtomicBool::new(false),
        })
    }
}

type ShowHub = Hub<Option<ShowHubState>>;
/// What a user's hub has sent: every notification up to `floor`, and the ids in `sent` above
/// it; `seq` numbers its frames (notifications may commit out of id order, so a frame's order
/// is the hub's, not the id's).
struct Sent {
    floor: i64,
    sent: std::collections::BTreeSet<i64>,
    seq: i64,
}

impl Sent {
    fn has(&self, id: i64) -> bool {
        id <= self.floor || self.sent.contains(&id)
    }
}

/// A user's hub (`None`: not read yet).
type UserHub = Hub<Option<Sent>>;

/// The newest notifications a user's hub compares with what it sent, on each signal.
const RECENT: i64 = 20;
/// Ids a user's hub remembers above its floor.
const REMEMBERED: usize = 256;

/// The live streams of this instance.
pub struct Live {
    settings: LiveSettings,
    catalog: CatalogService,
    inbox: InboxService,
    store: Arc<dyn LiveStore>,
    pub tickets: StreamTickets,
    seat_cache: Arc<SeatMapCache>,
    shows: Mutex<HashMap<i64, Arc<ShowHub>>>,
    users: Mutex<HashMap<Uuid, Arc<UserHub>>>,
    open: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
    me: Weak<Live>,
    /// Where re-reads run (signals arrive on the listener's own thread).
    runtime: Option<tokio::runtime::Handle>,
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A reconnecting notifications stream replays at most this many.
const NOTIFICATION_BATCH: i64 = 100;

impl Live {
    /// The hubs of this instance; their re-reads run on the current tokio runtime (none: the
    /// streams only ever send their first frames).
    pub fn new(
        settings: LiveSettings,
        catalog: CatalogService,
        inbox: InboxService,
        store: Arc<dyn LiveStore>,
        tickets: StreamTickets,
        seat_cache: Arc<SeatMapCache>,
    ) -> Arc<Live> {
        Arc::new_cyclic(|me| Live {
            settings,
            catalog,
            inbox,
            store,
            tickets,
            seat_cache,
            shows: Mutex::new(HashMap::new()),
            users: Mutex::new(HashMap::new()),
            open: Mutex::new(HashMap::new()),
            total: AtomicUsize::new(0),
            me: me.clone(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        })
    }

    pub fn settings(&self) -> &LiveSettings {
        &self.settings
    }

    /// Starts the periodic re-read on the current tokio runtime: every `resync`, each hub with
    /// streams re-reads, and hubs without streams are dropped. Ends with the last handle.
    pub fn start(self: &Arc<Self>) {
        let me = Arc::downgrade(self);
        let every = self.settings.resync;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(live) = me.upgrade() else { return };
                live.sweep();
            }
        });
    }

    fn sweep(&self) {
        let shows: Vec<(i64, Arc<ShowHub>)> = {
            let mut map = locked(&self.shows);
            map.retain(|_, h| h.tx.receiver_count() > 0);
            map.iter().map(|(k, h)| (*k, h.clone())).collect()
        };
        for (id, hub) in shows {
            self.poke_show(id, hub);
        }
        let users: Vec<(Uuid, Arc<UserHub>)> = {
            let mut map = locked(&self.users);
            map.retain(|_, h| h.tx.receiver_count() > 0);
            map.iter().map(|(k, h)| (*k, h.clone())).collect()
        };
        for (id, hub) in users {
            self.poke_user(id, hub);
        }
    }

    /// Open streams, for tests and metrics.
    pub fn open_streams(&self) -> usize {
        self.total.load(Ordering::SeqCst)
    }

    // ---------- admission ----------

    /// Counts a new stream of `client`: 429 `too_many_streams` past the limits. The guard
    /// gives the place back when the stream ends.
    pub fn admit(&self, client: String) -> Result<StreamGuard, crate::error::ApiError> {
        let mut open = locked(&self.open);
        let mine = open.get(&client).copied().unwrap_or(0);
        if mine >= self.settings.max_streams_per_client
            || self.total.load(Ordering::SeqCst) >= self.settings.max_streams
        {
            return Err(crate::error::ApiError::new(
                crate::codes::EdgeCode::TooManyStreams,
                format!(
                    "at most {} live streams per client ({} on this server); close one first",
                    self.settings.max_streams_per_client, self.settings.max_streams
                ),
            ));
        }
        open.insert(client.clone(), mine + 1);
        self.total.fetch_add(1, Ordering::SeqCst);
        Ok(StreamGuard {
            live: self.me.clone(),
            client,
        })
    }

    fn release(&self, client: &str) {
        let mut open = locked(&self.open);
        if let Some(n) = open.get_mut(client) {
            *n -= 1;
            if *n == 0 {
                open.remove(client);
            }
        }
        self.total.fetch_sub(1, Ordering::SeqCst);
    }

    // ---------- seat maps ----------

    fn show_hub(&self, id: i64) -> Arc<ShowHub> {
        locked(&self.shows)
            .entry(id)
            .or_insert_with(|| Hub::new(self.settings.buffer, None))
            .clone()
    }

    /// Opens a show's stream: a snapshot first — or, for a reader coming back with the
    /// version it saw (`last`), the changes since (nothing when it is current). 404 for an
    /// unknown show.
    pub async fn open_show(&self, id: i64, last: Option<i64>) -> Result<Opened, DomainError> {
        let hub = self.show_hub(id);
        let rx = hub.tx.subscribe();
        let mut slot = hub.state.lock().await;
        if slot.is_none() {
            self.refresh_show(&hub, id, &mut slot).await?;
        }
        let h = slot.as_mut().expect("refreshed");
        let first = match last.map(|seen| h.log.resume(seen, h.version)) {
            Some(Resume::UpToDate) => Vec::new(),
            Some(Resume::Replay(frames)) => frames.iter().map(|f| f.bytes.clone()).collect(),
            Some(Resume::Snapshot) | None => vec![snapshot_of(h).bytes.clone()],
        };
        Ok(Opened {
            first,
            rx,
            after: h.version,
        })
    }

    /// Re-reads the show, broadcasts what changed, and keeps the new state.
    async fn refresh_show(
        &self,
        hub: &ShowHub,
        id: i64,
        slot: &mut Option<ShowHubState>,
    ) -> Result<(), DomainError> {
        // A show's kind never changes: a general-admission show read once is read as one.
        let new = match slot.as_ref().map(|h| &h.state) {
            Some(ShowState::General(_)) => ShowState::General(self.catalog.get_show(id).await?),
            _ => {
                let map = self.catalog.list_seats(id).await?;
                if map.show.show.kind == ShowKind::General {
                    ShowState::General(self.catalog.get_show(id).await?)
                } else {
                    ShowState::Seated(map)
                }
            }
        };
        let Some(h) = slot.as_mut() else {
            let version = self.store.stamp(id, new.digest()).await?;
            *slot = Some(ShowHubState {
                state: new,
                version,
                snapshot: None,
                log: ReplayLog::new(self.settings.replay),
            });
            return Ok(());
        };
        let changes = new.changes_since(&h.state);
        if changes == Changes::None {
            return Ok(());
        }
        let version = self.store.stamp(id, new.digest()).await?;
        if version <= h.version {
            // Cannot happen (a version names one state, and versions only grow); re-read
            // from scratch rather than send a version backwards.
            *slot = None;
            return Ok(());
        }
        let change = match changes {
            Changes::Some {
                seats,
                classes,
                available,
            } => {
                let of = |status: SeatStatus| -> Vec<i64> {
                    seats
                        .iter()
                        .filter(|s| s.status == status)
                        .map(|s| s.id)
                        .collect()
                };
                let data = SeatMapChangeDto {
                    version,
                    previous_version: h.version,
                    held: of(SeatStatus::Held),
                    booked: of(SeatStatus::Booked),
                    available: of(SeatStatus::Available),
                    classes: classes.into_iter().map(SeatClassDto::from).collect(),
                    total_seats: new.detail().total_places(),
                    available_seats: available,
                };
                let frame = Frame::new("change", version, &json_bytes(&data));
                h.log.push(h.version, version, frame.clone());
                Some(frame)
            }
            // New seats or classes: readers start again from a snapshot.
            Changes::Chart | Changes::None => {
                h.log.clear();
                None
            }
        };
        h.state = new;
        h.version = version;
        h.snapshot = None;
        let frame = change.unwrap_or_else(|| snapshot_of(h).clone());
        let _ = hub.tx.send(frame);
        Ok(())
    }

    fn poke_show(&self, id: i64, hub: Arc<ShowHub>) {
        self.schedule(
            hub,
            self.settings.min_refresh,
            move |live, hub| async move {
                let mut slot = hub.state.lock().await;
                if let Err(e) = live.refresh_show(&hub, id, &mut slot).await {
                    tracing::debug!(show = id, error = %e, "live seat map not re-read");
                }
            },
        );
    }

    /// Runs `work` on the hub after `pause`, on this instance's runtime — one run at a time
    /// per hub, and once more when signals came during a run (many signals, few runs).
    fn schedule<S, F, Fut>(&self, hub: Arc<Hub<S>>, pause: Duration, work: F)
    where
        S: Send + 'static,
        F: Fn(Arc<Live>, Arc<Hub<S>>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        hub.dirty.store(true, Ordering::SeqCst);
        if hub.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let Some(runtime) = &self.runtime else {
            hub.running.store(false, Ordering::SeqCst);
            return;
        };
        let me = self.me.clone();
        runtime.spawn(async move {
            loop {
                if !pause.is_zero() {
                    tokio::time::sleep(pause).await;
                }
                let Some(live) = me.upgrade() else { return };
                hub.dirty.store(false, Ordering::SeqCst);
                work(live, hub.clone()).await;
                hub.running.store(false, Ordering::SeqCst);
                if !hub.dirty.load(Ordering::SeqCst) || hub.running.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
        });
    }

    // ---------- notifications ----------

    fn user_hub(&self, user: Uuid) -> Arc<UserHub> {
        locked(&self.users)
            .entry(user)
            .or_insert_with(|| Hub::new(self.settings.buffer, None))
            .clone()
    }

    /// Opens a user's notifications stream; a reader coming back with the id of the last
    /// notification it saw (`last`) first gets the ones after it (at most 100).
    pub async fn open_user(&self, user: Uuid, last: Option<i64>) -> Result<Opened, DomainError> {
        let hub = self.user_hub(user);
        let rx = hub.tx.subscribe();
        let mut slot = hub.state.lock().await;
        if slot.is_none() {
            let newest = self.inbox.recent(user, 1).await?;
            *slot = Some(Sent {
                floor: newest.last().map_or(0, |n| n.id),
                sent: Default::default(),
                seq: 0,
            });
        }
        let sent = slot.as_ref().expect("read");
        let mut first = Vec::new();
        if let Some(seen) = last {
            for n in self
                .inbox
                .since(vec![user], seen, NOTIFICATION_BATCH)
                .await?
            {
                // The others are the hub's to send.
                if sent.has(n.id) {
                    first.push(notification_frame(n, 0).bytes.clone());
                }
            }
        }
        Ok(Opened {
            first,
            rx,
            after: sent.seq,
        })
    }

    fn poke_user(&self, user: Uuid, hub: Arc<UserHub>) {
        self.schedule(hub, Duration::ZERO, move |live, hub| async move {
            let mut slot = hub.state.lock().await;
            let Some(sent) = slot.as_mut() else { return };
            match live.inbox.recent(user, RECENT).await {
                Ok(recent) => {
                    for n in recent {
                        if sent.has(n.id) {
                            continue;
                        }
                        sent.seq += 1;
                        sent.sent.insert(n.id);
                        let _ = hub.tx.send(notification_frame(n, sent.seq));
                    }
                    while sent.sent.len() > REMEMBERED {
                        if let Some(lowest) = sent.sent.pop_first() {
                            sent.floor = sent.floor.max(lowest);
                        }
                    }
                }
                Err(e) => tracing::debug!(error = %e, "live notifications not read"),
            }
        });
    }
}

fn json_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("a DTO always serializes")
}

/// A notification's frame: its `id` is the notification's; `seq` orders it in its hub.
fn notification_frame(n: boxoffice_domain::inbox::Notification, seq: i64) -> Arc<Frame> {
    let id = n.id;
    Frame::with_id(
        "notification",
        id,
        seq,
        &json_bytes(&NotificationDto::from(n)),
    )
}

/// The hub's snapshot frame, rendered on first use after each change.
fn snapshot_of(h: &mut ShowHubState) -> &Arc<Frame> {
    let (state, version) = (&h.state, h.version);
    h.snapshot.get_or_insert_with(|| {
        let show = serde_json::to_string(&ShowDto::from(state.detail().clone()))
            .expect("a DTO always serializes");
        let seats = match state {
            ShowState::Seated(map) => crate::seat_map::render(&map.show, map.seats()),
            ShowState::General(_) => crate::seat_map::render(state.detail(), std::iter::empty()),
        };
        let mut data = Vec::with_capacity(seats.len() + show.len() + 48);
        data.extend_from_slice(
            format!("{{\"version\":{version},\"show\":{show},\"seats\":").as_bytes(),
        );
        data.extend_from_slice(&seats);
        data.push(b'}');
        Frame::new("snapshot", version, &data)
    })
}

impl SignalSink for Live {
    fn signal(&self, signal: Signal) {
        match signal {
            Signal::Seats(shows) => {
                for id in shows {
                    self.seat_cache.invalidate(id);
                    let hub = locked(&self.shows).get(&id).cloned();
                    if let Some(hub) = hub {
                        self.poke_show(id, hub);
                    }
                }
            }
            Signal::Inbox(users) => {
                for user in users {
                    let hub = locked(&self.users).get(&user).cloned();
                    if let Some(hub) = hub {
                        self.poke_user(user, hub);
                    }
                }
            }
            Signal::Resync => {
                self.seat_cache.invalidate_all();
                self.sweep();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notification_frame_carries_the_notification_id_and_the_hub_order() {
        let f = Frame::with_id("notification", 812, 3, b"{}");
        assert_eq!(f.version, 3);
        assert_eq!(f.bytes, "id: 812\nevent: notification\ndata: {}\n\n");
        let sent = Sent {
            floor: 10,
            sent: [12].into(),
            seq: 1,
        };
        assert!(sent.has(9) && sent.has(10) && sent.has(12));
        assert!(
            !sent.has(11),
            "a late one below the newest is still to send"
        );
    }
}
