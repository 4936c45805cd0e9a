//! The `reads` phase: N clients hammering `GET /shows/{id}/seats` of a 500-seat show.

use super::*;

pub(crate) async fn reads(ctx: &Ctx) -> BoxResult<Value> {
    let a = &ctx.args;
    let per_row = 50;
    let rows_total = a.read_seats.div_ceil(per_row).max(1);
    let classes = if rows_total % 2 == 0 { 2 } else { 1 };
    let show = ctx
        .seated_show("Seat map reads", classes, rows_total / classes, per_row)
        .await?;
    let held = hold_share(ctx, show, a.read_sold_percent).await?;
    let (first_page, total) = ctx.api.seats_probe(show).await?;
    let query = if (first_page as i64) < total {
        format!("?limit={total}")
    } else {
        String::new()
    };
    let url = ctx.api.seats_url(show, &query);
    println!(
        "== phase 2: reads — GET {url} ({total} seats, {held} held), {} clients, {} s ==",
        a.clients, a.read_seconds
    );
    if !query.is_empty() {
        println!(
            "  (default page held {first_page} of {total} seats; asking for all with {query})"
        );
    }
    let started = Instant::now();
    let stop = started + Duration::from_secs(a.read_seconds.min(a.phase_timeout));
    let mut tasks = Vec::new();
    for _ in 0..a.clients {
        let api = ctx.api.clone();
        let url = url.clone();
        let max = a.max_requests_per_client * 10;
        tasks.push(tokio::spawn(async move {
            let mut lat = Latencies::default();
            let (mut errors, mut bytes) = (0usize, 0usize);
            while Instant::now() < stop && lat.len() < max {
                let t = Instant::now();
                let (status, n) = api.get_raw(url.clone()).await;
                lat.push(t.elapsed());
                bytes = n;
                if status != 200 {
                    errors += 1;
                    if errors > 1000 {
                        break;
                    }
                }
            }
            (lat, errors, bytes)
        }));
    }
    let mut lat = Latencies::default();
    let (mut errors, mut bytes) = (0usize, 0usize);
    for t in tasks {
        let (l, e, b) = t.await?;
        lat.extend(l);
        errors += e;
        bytes = bytes.max(b);
    }
    let elapsed = started.elapsed();
    let s = lat.summary();
    let rps = per_sec(s.count, elapsed);
    println!(
        "  requests            {} in {:.2} s = {rps:.0} req/s, {errors} errors, {bytes} bytes/response",
        s.count,
        elapsed.as_secs_f64()
    );
    println!("  latency             {}", s.line());
    Ok(json!({
        "show_id": show,
        "seats": total,
        "seats_held": held,
        "duration_s": round3(elapsed.as_secs_f64()),
        "requests": s.count,
        "requests_per_sec": round3(rps),
        "errors": errors,
        "response_bytes": bytes,
        "latency": s.to_json(),
    }))
}

/// Holds `percent` % of the show's seats, spread evenly over the map, in bookings of up to 10
/// seats; returns how many seats were held.
async fn hold_share(ctx: &Ctx, show: i64, percent: u8) -> BoxResult<usize> {
    if percent == 0 {
        return Ok(0);
    }
    let seats = ctx.api.seats(show).await?;
    let want = seats.len() * usize::from(percent.min(100)) / 100;
    let ids: Vec<i64> = (0..want)
        .map(|i| seats[i * seats.len() / want.max(1)].id)
        .collect();
    let mut held = 0;
    for chunk in ids.chunks(10) {
        match ctx.api.book_seats(show, chunk).await.0 {
            BookingOutcome::Created { seat_ids, .. } => held += seat_ids.len(),
            other => return Err(format!("holding seats for the read phase: {other:?}").into()),
        }
    }
    Ok(held)
}
