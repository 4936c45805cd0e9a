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
    let (first_page, total) = ctx.api.seats_probe(show).await?;
    let query = if (first_page as i64) < total {
        format!("?limit={total}")
    } else {
        String::new()
    };
    let url = ctx.api.seats_url(show, &query);
    println!(
        "== phase 2: reads — GET {url} ({total} seats), {} clients, {} s ==",
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
        "duration_s": round3(elapsed.as_secs_f64()),
        "requests": s.count,
        "requests_per_sec": round3(rps),
        "errors": errors,
        "response_bytes": bytes,
        "latency": s.to_json(),
    }))
}
