//! The `flash` phase: a flash sale of a seated show by N concurrent clients, with correctness
//! checks (no seat sold twice, every seat booked exactly once at the end).

use super::*;

/// Seats not (yet) known to be taken, with O(1) removal and random sampling.
#[derive(Clone, Default)]
struct Pool {
    unknown: Vec<i64>,
    pos: HashMap<i64, usize>,
}

impl Pool {
    fn new(ids: impl IntoIterator<Item = i64>) -> Self {
        let unknown: Vec<i64> = ids.into_iter().collect();
        let pos = unknown.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        Self { unknown, pos }
    }

    fn len(&self) -> usize {
        self.unknown.len()
    }

    fn remove(&mut self, id: i64) {
        if let Some(i) = self.pos.remove(&id) {
            self.unknown.swap_remove(i);
            if let Some(moved) = self.unknown.get(i) {
                self.pos.insert(*moved, i);
            }
        }
    }

    fn pick(&self, rng: &mut StdRng, n: usize) -> Vec<i64> {
        let n = n.min(self.unknown.len());
        rand::seq::index::sample(rng, self.unknown.len(), n)
            .into_iter()
            .map(|i| self.unknown[i])
            .collect()
    }
}

#[derive(Default)]
struct ClientResult {
    ok: Latencies,
    all: Latencies,
    sold: Vec<i64>,
    bookings: usize,
    conflicts: usize,
    refreshes: usize,
    errors: usize,
    first_error: Option<String>,
    timed_out: bool,
}

/// A flash sale on a fresh show; with `streams` > 0, that many seat-map streams of the show
/// are open (and read) throughout, and the server's memory is sampled.
/// Runs `$BENCH_SALE_HOOK` (a shell command, when set) with `start`/`end` and the sale's title
/// as its arguments, right around the sale's clock: e.g. to zero and dump a server run under
/// `valgrind --tool=callgrind` (docs/performance.md, "Where the streams' CPU went"). Waited for.
fn sale_hook(when: &str, title: &str) {
    let Ok(hook) = std::env::var("BENCH_SALE_HOOK") else {
        return;
    };
    let status = std::process::Command::new("sh")
        .args(["-c", &format!("{hook} \"$@\""), "hook", when, title])
        .status();
    if !matches!(&status, Ok(s) if s.success()) {
        println!("  (BENCH_SALE_HOOK {when}: {status:?})");
    }
}

pub(crate) async fn flash_sale(ctx: &Ctx, title: &str, streams: usize) -> BoxResult<Value> {
    let a = &ctx.args;
    let show = ctx
        .seated_show(title, a.flash_classes, a.flash_rows, a.flash_seats_per_row)
        .await?;
    let seats = ctx.api.seats(show).await?;
    let n_seats = seats.len();
    println!(
        "== phase 1: {title} — show {show}, {n_seats} seats, {} clients ({} knowledge) ==",
        a.clients,
        if a.shared_knowledge {
            "shared"
        } else {
            "per-client"
        }
    );
    if n_seats == 0 {
        return Err("the flash-sale show has no seats".into());
    }
    let by_label: Arc<HashMap<String, i64>> =
        Arc::new(seats.iter().map(|s| (s.label.clone(), s.id)).collect());
    let initial = Pool::new(seats.iter().filter(|s| !s.taken()).map(|s| s.id));
    let shared = Arc::new(Mutex::new(initial.clone()));
    let watched = if streams > 0 {
        Some(Watched::open(ctx, show, streams).await?)
    } else {
        None
    };

    // The outbox worker delivers this sale's messages while it runs (each costs the server
    // about as much as a booking): counted around the clock, so that CPU per booking can be
    // read with them (docs/performance.md, "Where the streams' CPU went").
    let delivered_before = ctx.api.delivered_outbox().await.ok();
    sale_hook("start", title);
    let cpu_before = a.server_pid.and_then(proc_cpu_ms);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.phase_timeout);
    let mut tasks = Vec::new();
    for client in 0..a.clients {
        let pool = if a.shared_knowledge {
            shared.clone()
        } else {
            Arc::new(Mutex::new(initial.clone()))
        };
        let api = ctx.api.clone();
        let by_label = by_label.clone();
        let max_requests = a.max_requests_per_client;
        tasks.push(tokio::spawn(async move {
            flash_client(
                api,
                show,
                pool,
                by_label,
                deadline,
                max_requests,
                client as u64,
            )
            .await
        }));
    }
    let mut total = ClientResult::default();
    for t in tasks {
        let r = t.await?;
        total.ok.extend(r.ok);
        total.all.extend(r.all);
        total.sold.extend(r.sold);
        total.bookings += r.bookings;
        total.conflicts += r.conflicts;
        total.refreshes += r.refreshes;
        total.errors += r.errors;
        total.timed_out |= r.timed_out;
        if total.first_error.is_none() {
            total.first_error = r.first_error;
        }
    }
    let elapsed = started.elapsed();
    // The server's CPU time over the sale, per booking: steadier than bookings/s when the
    // machine's disk drifts (it does not count waiting).
    let cpu_ms = a
        .server_pid
        .and_then(proc_cpu_ms)
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    sale_hook("end", title);
    let delivered_in_sale = match (delivered_before, ctx.api.delivered_outbox().await.ok()) {
        (Some(b), Some(a)) => Some(a - b),
        _ => None,
    };
    let stream_report = match watched {
        Some(w) => Some(w.close().await),
        None => None,
    };

    // double sale: a seat id in two 201 responses
    let mut counts: HashMap<i64, u32> = HashMap::new();
    for id in &total.sold {
        *counts.entry(*id).or_default() += 1;
    }
    let double_sold = counts.values().filter(|c| **c > 1).count();
    let distinct_sold: HashSet<i64> = counts.keys().copied().collect();

    // cross-check with the server's view
    let after: Vec<Seat> = ctx.api.seats(show).await?;
    let booked: HashSet<i64> = after.iter().filter(|s| s.booked()).map(|s| s.id).collect();
    let available = after.iter().filter(|s| !s.taken()).count();
    let api_matches = booked == distinct_sold;
    let sold_out = available == 0 && booked.len() == n_seats;
    let items_sum_ok = total.sold.len() == n_seats;
    let streams_ok = stream_report
        .as_ref()
        .is_none_or(|r| r["all_saw_the_final_version"] == json!(true));
    let correct = double_sold == 0 && api_matches && sold_out && items_sum_ok && streams_ok;

    let ok = total.ok.summary();
    let all = total.all.summary();
    let bps = per_sec(total.bookings, elapsed);
    let rps = per_sec(total.all.len(), elapsed);
    println!("  duration            {:.2} s", elapsed.as_secs_f64());
    println!(
        "  bookings            {} ({bps:.1}/s), seats sold {} of {n_seats}",
        total.bookings,
        distinct_sold.len()
    );
    println!(
        "  requests            {} ({rps:.1}/s): {} x 201, {} x 409, {} errors, {} seat-map refreshes",
        total.all.len(),
        total.bookings,
        total.conflicts,
        total.errors,
        total.refreshes
    );
    println!("  latency 201         {}", ok.line());
    println!("  latency all         {}", all.line());
    if let Some(ms) = cpu_ms {
        let per = ms_per_item(ms, total.bookings);
        let outbox = delivered_in_sale.map_or(String::new(), |n| {
            format!("; {n} outbox messages delivered meanwhile")
        });
        println!("  server CPU          {ms} ms ({per:.3} ms per booking{outbox})");
    }
    println!("  double-sold seats   {double_sold}");
    println!(
        "  API cross-check     booked={} available={} matches-our-201s={} sum-of-items={} {}",
        booked.len(),
        available,
        api_matches,
        total.sold.len(),
        if correct { "OK" } else { "FAILED" }
    );
    if let Some(e) = &total.first_error {
        println!("  first error         {e}");
    }
    if total.timed_out {
        println!("  WARNING: phase hit its time/request limit before selling out");
    }
    let mut out = json!({
        "show_id": show,
        "seats": n_seats,
        "duration_s": round3(elapsed.as_secs_f64()),
        "bookings": total.bookings,
        "bookings_per_sec": round3(bps),
        "requests": total.all.len(),
        "requests_per_sec": round3(rps),
        "conflicts": total.conflicts,
        "errors": total.errors,
        "refreshes": total.refreshes,
        "seats_sold": distinct_sold.len(),
        "sold_items": total.sold.len(),
        "double_sold": double_sold,
        "api_booked": booked.len(),
        "api_available": available,
        "api_matches": api_matches,
        "timed_out": total.timed_out,
        "bookings_latency": ok.to_json(),
        "all_latency": all.to_json(),
        "correct": correct,
    });
    if let Some(n) = delivered_in_sale {
        out["outbox_delivered_in_sale"] = json!(n);
    }
    if let Some(ms) = cpu_ms {
        out["server_cpu_ms"] = json!(ms);
        if total.bookings > 0 {
            out["server_cpu_ms_per_booking"] = json!(round3(ms_per_item(ms, total.bookings)));
        }
    }
    if let Some(r) = stream_report {
        out["streams"] = r;
    }
    Ok(out)
}

/// The open streams of a flash sale, with the server's memory sampled every 50 ms.
struct Watched {
    streams: crate::streams::Streams,
    rss_before_kib: Option<u64>,
    rss_open_kib: Option<u64>,
    peak_kib: Arc<std::sync::atomic::AtomicU64>,
    sampler: tokio::task::JoinHandle<()>,
    opened_in: Duration,
}

impl Watched {
    async fn open(ctx: &Ctx, show: i64, n: usize) -> BoxResult<Watched> {
        let pid = ctx.args.server_pid;
        let rss = move || pid.and_then(proc_memory_kib).map(|(_, rss)| rss);
        let rss_before_kib = rss();
        let addr = ctx
            .args
            .server
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let t = Instant::now();
        let streams = crate::streams::open(&addr, show, n).await?;
        let opened_in = t.elapsed();
        let rss_open_kib = rss();
        let peak_kib = Arc::new(std::sync::atomic::AtomicU64::new(rss_open_kib.unwrap_or(0)));
        let peak = peak_kib.clone();
        let sampler = tokio::spawn(async move {
            loop {
                if let Some(r) = rss() {
                    peak.fetch_max(r, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        println!(
            "  {n} seat-map streams open in {:.2} s (server VmRSS {} → {} MiB)",
            opened_in.as_secs_f64(),
            rss_before_kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
            rss_open_kib.map_or("?".into(), |k| format!("{:.1}", k as f64 / 1024.0)),
        );
        Ok(Watched {
            streams,
            rss_before_kib,
            rss_open_kib,
            peak_kib,
            sampler,
            opened_in,
        })
    }

    /// Waits for the last change to reach the streams, closes them, and reports.
    async fn close(self) -> Value {
        // The last booking's event: signal gathering + listener poll + the hub's pace.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        self.sampler.abort();
        let counts = self.streams.close().await;
        let n = counts.len();
        let last = counts.iter().map(|c| c.last_id).max().unwrap_or(0);
        let agree = counts
            .iter()
            .all(|c| c.last_id == last && c.error.is_none());
        let changes: Vec<u64> = counts.iter().map(|c| c.changes).collect();
        let bytes: u64 = counts.iter().map(|c| c.bytes).sum();
        let peak = self.peak_kib.load(std::sync::atomic::Ordering::Relaxed);
        let extra_mb = self
            .rss_before_kib
            .map(|b| peak.saturating_sub(b) as f64 * 1024.0 / 1.0e6);
        println!(
            "  streams             {n} open; changes per stream {}..{}; {:.1} MB received; \
             all at the final version {last}: {agree}; server VmRSS peak {:.1} MiB (+{} MB)",
            changes.iter().min().unwrap_or(&0),
            changes.iter().max().unwrap_or(&0),
            bytes as f64 / 1.0e6,
            peak as f64 / 1024.0,
            extra_mb.map_or("?".into(), |m| format!("{m:.1}")),
        );
        json!({
            "count": n,
            "opened_in_s": round3(self.opened_in.as_secs_f64()),
            "rss_before_kib": self.rss_before_kib,
            "rss_open_kib": self.rss_open_kib,
            "rss_peak_kib": peak,
            "extra_mb": extra_mb.map(round3),
            "changes_min": changes.iter().min(),
            "changes_max": changes.iter().max(),
            "received_mb": round3(bytes as f64 / 1.0e6),
            "final_version": last,
            "all_saw_the_final_version": agree,
        })
    }
}

async fn flash_client(
    api: Api,
    show: i64,
    pool: Arc<Mutex<Pool>>,
    by_label: Arc<HashMap<String, i64>>,
    deadline: Instant,
    max_requests: usize,
    seed: u64,
) -> ClientResult {
    let mut rng = StdRng::seed_from_u64(0x5eed_0000 + seed);
    let mut r = ClientResult::default();
    loop {
        if Instant::now() >= deadline || r.all.len() >= max_requests {
            r.timed_out = true;
            break;
        }
        let want = rng.gen_range(1..=4usize);
        let pick = {
            let p = pool.lock().expect("pool lock");
            if p.len() == 0 {
                break;
            }
            p.pick(&mut rng, want)
        };
        let (outcome, latency) = api.book_seats(show, &pick).await;
        r.all.push(latency);
        match outcome {
            BookingOutcome::Created { seat_ids, .. } => {
                r.ok.push(latency);
                r.bookings += 1;
                let mut p = pool.lock().expect("pool lock");
                for id in seat_ids.iter().chain(pick.iter()) {
                    p.remove(*id);
                }
                r.sold.extend(seat_ids);
            }
            BookingOutcome::Conflict { code, seats } => {
                r.conflicts += 1;
                let ids: Vec<i64> = seats
                    .iter()
                    .filter_map(|l| by_label.get(l).copied())
                    .collect();
                if ids.is_empty() {
                    // no usable details: learn from the seat map instead (bounded by the loop)
                    r.refreshes += 1;
                    match api.seats(show).await {
                        Ok(map) => {
                            let mut p = pool.lock().expect("pool lock");
                            for s in map.iter().filter(|s| s.taken()) {
                                p.remove(s.id);
                            }
                        }
                        Err(e) => {
                            r.errors += 1;
                            r.first_error
                                .get_or_insert_with(|| format!("409 {code}; refresh: {e}"));
                        }
                    }
                } else {
                    let mut p = pool.lock().expect("pool lock");
                    for id in ids {
                        p.remove(id);
                    }
                }
            }
            BookingOutcome::Failed { status, body } => {
                r.errors += 1;
                r.first_error
                    .get_or_insert_with(|| format!("HTTP {status}: {body}"));
                if r.errors > 100 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_remove_and_pick() {
        let mut p = Pool::new(1..=10);
        p.remove(3);
        p.remove(10);
        p.remove(42);
        assert_eq!(p.len(), 8);
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let pick = p.pick(&mut rng, 4);
            assert_eq!(pick.len(), 4);
            assert!(!pick.contains(&3) && !pick.contains(&10));
            let distinct: HashSet<_> = pick.iter().collect();
            assert_eq!(distinct.len(), 4);
        }
        for id in 1..=10 {
            p.remove(id);
        }
        assert_eq!(p.len(), 0);
        assert!(p.pick(&mut rng, 2).is_empty());
    }
}
