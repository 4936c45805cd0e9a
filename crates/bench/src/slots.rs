//! The `slots` phase (issue 14): N clients booking one provider's week of appointments at once,
//! across two services whose slots overlap (a 30-minute one on the half hour, a 45-minute one
//! with a 15-minute buffer after it, both every day 08:00–20:00 UTC), until no free slot is
//! left. Checks the promise: no two of the provider's appointments overlap (buffers included),
//! every 201 is in the provider's calendar, and every slot offered at the end is really free.

use super::*;

/// One appointment of the provider's calendar: its service, start and end.
struct Booked {
    service_id: i64,
    starts_at: chrono::DateTime<chrono::Utc>,
    ends_at: chrono::DateTime<chrono::Utc>,
}

fn rfc(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The time an appointment keeps the provider busy: the service's buffers around it.
fn occupied(
    b: &Booked,
    half: i64,
) -> (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) {
    let after = if b.service_id == half { 0 } else { 15 };
    (b.starts_at, b.ends_at + chrono::Duration::minutes(after))
}

/// Creates the category and the two services (the set-up's admin is their provider): ids.
async fn services(ctx: &Ctx, stamp: u128) -> BoxResult<(i64, i64)> {
    let category = ctx
        .api
        .post_json(
            "categories",
            json!({"name": format!("Bench slots {stamp}")}),
        )
        .await?;
    let category = category["id"].as_i64().ok_or("no category id")?;
    let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00", "end": "20:00"}))
        .collect();
    let mut ids = Vec::new();
    for (title, duration, after) in [("Half hour", 30, 0), ("Session", 45, 15)] {
        let s = ctx
            .api
            .post_json(
                "services",
                json!({"title": format!("{title} {stamp}"), "category_id": category,
                       "price": 1500, "currency": "USD",
                       "availability": {"time_zone": "UTC", "weekly": weekly,
                                        "duration_minutes": duration,
                                        "buffer_after_minutes": after}}),
            )
            .await?;
        ids.push(s["id"].as_i64().ok_or("no service id")?);
    }
    Ok((ids[0], ids[1]))
}

/// The free slots' starts of a service in the week.
async fn free(api: &Api, service: i64, from: &str, to: &str) -> BoxResult<Vec<String>> {
    let v = api
        .get_json(
            &format!("services/{service}/slots?from={from}&to={to}"),
            false,
        )
        .await?;
    Ok(v["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["starts_at"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

pub(crate) async fn slot_bookings(ctx: &Ctx) -> BoxResult<Value> {
    let a = &ctx.args;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let (half, session) = services(ctx, stamp).await?;
    let day = (chrono::Utc::now() + chrono::Duration::days(1)).date_naive();
    let week_from = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let week_to = week_from + chrono::Duration::days(7);
    let (from, to) = (rfc(week_from), rfc(week_to));
    println!(
        "== phase: slots — services {half} (30 min) and {session} (45 min + 15), one provider's week, {} clients ==",
        a.clients
    );
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.phase_timeout);
    let mut tasks = Vec::new();
    for client in 0..a.clients {
        let api = ctx.api.clone();
        let (from, to) = (from.clone(), to.clone());
        let max = a.max_requests_per_client;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(0x5107_0000 + client as u64);
            let mut lat = Latencies::default();
            let (mut booked, mut taken, mut errors) = (0usize, 0usize, 0usize);
            let mut first_error: Option<String> = None;
            let mut finished = false;
            while Instant::now() < deadline && lat.len() < max {
                // What is free now, of either service: pick one at random.
                let service = if rng.gen_bool(0.5) { half } else { session };
                let mut starts = match free(&api, service, &from, &to).await {
                    Ok(s) => s,
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert_with(|| e.to_string());
                        break;
                    }
                };
                let mut service = service;
                if starts.is_empty() {
                    service = if service == half { session } else { half };
                    starts = free(&api, service, &from, &to).await.unwrap_or_default();
                    if starts.is_empty() {
                        finished = true;
                        break;
                    }
                }
                let at = starts[rng.gen_range(0..starts.len())].clone();
                let (outcome, t) = api.book_slot(service, &at).await;
                lat.push(t);
                match outcome {
                    BookingOutcome::Created { .. } => booked += 1,
                    BookingOutcome::Conflict { code, .. } if code == "slot_taken" => taken += 1,
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
            (lat, booked, taken, errors, first_error, finished)
        }));
    }
    let mut lat = Latencies::default();
    let (mut booked, mut taken, mut errors, mut unfinished) = (0usize, 0usize, 0usize, 0usize);
    let mut first_error = None;
    for t in tasks {
        let (l, b, tk, e, fe, fin) = t.await?;
        lat.extend(l);
        booked += b;
        taken += tk;
        errors += e;
        if !fin {
            unfinished += 1;
        }
        if first_error.is_none() {
            first_error = fe;
        }
    }
    let elapsed = started.elapsed();
    // The provider's calendar for the week: every appointment of the two services.
    let mut calendar = Vec::new();
    let mut offset = 0;
    loop {
        let page = ctx
            .api
            .get_json(
                &format!("providers/me/appointments?from={from}&to={to}&limit=500&offset={offset}"),
                true,
            )
            .await?;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        for b in &items {
            let appt = &b["appointment"];
            let service_id = appt["service_id"].as_i64().unwrap_or(0);
            let active = matches!(b["status"].as_str(), Some("held" | "pending" | "confirmed"));
            if active && (service_id == half || service_id == session) {
                let time = |k: &str| appt[k].as_str().and_then(|s| s.parse().ok());
                if let (Some(starts_at), Some(ends_at)) = (time("starts_at"), time("ends_at")) {
                    calendar.push(Booked {
                        service_id,
                        starts_at,
                        ends_at,
                    });
                }
            }
        }
        offset += items.len();
        if items.is_empty() || offset as i64 >= page["total"].as_i64().unwrap_or(0) {
            break;
        }
    }
    calendar.sort_by_key(|b| b.starts_at);
    let mut overlaps = 0usize;
    for (i, x) in calendar.iter().enumerate() {
        let ox = occupied(x, half);
        for y in &calendar[i + 1..] {
            let oy = occupied(y, half);
            if oy.0 >= ox.1 {
                break;
            }
            if ox.0 < oy.1 && oy.0 < ox.1 {
                overlaps += 1;
            }
        }
    }
    let leftover = free(&ctx.api, half, &from, &to).await?.len()
        + free(&ctx.api, session, &from, &to).await?.len();
    let s = lat.summary();
    let correct = overlaps == 0 && calendar.len() == booked && errors == 0 && leftover == 0;
    println!("  duration            {:.2} s", elapsed.as_secs_f64());
    println!(
        "  bookings            {booked} ({:.1}/s), {taken} x 409 slot_taken, {errors} errors, clients not finished {unfinished}",
        per_sec(booked, elapsed)
    );
    println!("  latency (bookings)  {}", s.line());
    println!(
        "  overlapping appointments {overlaps}; in the calendar {} of {booked} booked; slots left {leftover} {}",
        calendar.len(),
        if correct { "OK" } else { "FAILED" }
    );
    if let Some(e) = &first_error {
        println!("  first error         {e}");
    }
    Ok(json!({
        "services": [half, session],
        "duration_s": round3(elapsed.as_secs_f64()),
        "bookings": booked,
        "bookings_per_sec": round3(per_sec(booked, elapsed)),
        "slot_taken": taken,
        "errors": errors,
        "overlaps": overlaps,
        "in_calendar": calendar.len(),
        "slots_left": leftover,
        "latency": s.to_json(),
        "correct": correct,
    }))
}
