//! The `ga` phase: N clients buying 1–4 places of a general-admission show until sold out;
//! checks nothing is oversold.

use super::*;

pub(crate) async fn general_admission(ctx: &Ctx) -> BoxResult<Value> {
    let a = &ctx.args;
    let event = ctx.event("General admission").await?;
    let (starts, ends) = Ctx::times();
    let show = ctx
        .api
        .create_show(
            event,
            json!({"starts_at": starts, "ends_at": ends, "venue_id": ctx.venue,
                   "screen_name": "Floor", "currency": "USD",
                   "capacity": a.ga_capacity, "price": 2500}),
        )
        .await?;
    println!(
        "== phase 3: general admission — show {show}, capacity {}, {} clients ==",
        a.ga_capacity, a.clients
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.phase_timeout);
    let mut tasks = Vec::new();
    for client in 0..a.clients {
        let api = ctx.api.clone();
        let max = a.max_requests_per_client;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(0x6a00_0000 + client as u64);
            let mut lat = Latencies::default();
            let (mut sold, mut bookings, mut sold_out, mut errors) = (0i64, 0usize, 0usize, 0usize);
            let mut first_error: Option<String> = None;
            let mut quantity = rng.gen_range(1..=4i64);
            let mut finished = false;
            while Instant::now() < deadline && lat.len() < max {
                let (outcome, t) = api.book_quantity(show, quantity).await;
                lat.push(t);
                match outcome {
                    BookingOutcome::Created { places, .. } => {
                        sold += places;
                        bookings += 1;
                        quantity = rng.gen_range(1..=4);
                    }
                    BookingOutcome::Conflict { code, .. } if code == "sold_out" => {
                        sold_out += 1;
                        if quantity == 1 {
                            finished = true;
                            break;
                        }
                        // fewer places may still be free: ask for less
                        quantity -= 1;
                    }
                    BookingOutcome::Conflict { code, .. } => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("409 {code}"));
                    }
                    BookingOutcome::Failed { status, body } => {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("HTTP {status}: {body}"));
                        if errors > 100 {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
            (lat, sold, bookings, sold_out, errors, first_error, finished)
        }));
    }
    let mut lat = Latencies::default();
    let (mut sold, mut bookings, mut sold_outs, mut errors, mut unfinished) =
        (0i64, 0usize, 0usize, 0usize, 0usize);
    let mut first_error = None;
    for t in tasks {
        let (l, s, b, so, e, fe, fin) = t.await?;
        lat.extend(l);
        sold += s;
        bookings += b;
        sold_outs += so;
        errors += e;
        if !fin {
            unfinished += 1;
        }
        if first_error.is_none() {
            first_error = fe;
        }
    }
    let elapsed = started.elapsed();
    let s = lat.summary();
    let oversold = (sold - a.ga_capacity).max(0);
    let unsold = (a.ga_capacity - sold).max(0);
    let correct = oversold == 0 && unsold == 0 && unfinished == 0;
    println!("  duration            {:.2} s", elapsed.as_secs_f64());
    println!(
        "  bookings            {bookings} ({:.1}/s), places sold {sold} of {}",
        per_sec(bookings, elapsed),
        a.ga_capacity
    );
    println!(
        "  requests            {} ({:.1}/s), {sold_outs} x 409 sold_out, {errors} errors",
        s.count,
        per_sec(s.count, elapsed)
    );
    println!("  latency all         {}", s.line());
    println!(
        "  oversold places     {oversold}  (unsold {unsold}, clients not finished {unfinished}) {}",
        if correct { "OK" } else { "FAILED" }
    );
    if let Some(e) = &first_error {
        println!("  first error         {e}");
    }
    Ok(json!({
        "show_id": show,
        "capacity": a.ga_capacity,
        "duration_s": round3(elapsed.as_secs_f64()),
        "bookings": bookings,
        "bookings_per_sec": round3(per_sec(bookings, elapsed)),
        "requests": s.count,
        "places_sold": sold,
        "oversold": oversold,
        "unsold": unsold,
        "errors": errors,
        "latency": s.to_json(),
        "correct": correct,
    }))
}
