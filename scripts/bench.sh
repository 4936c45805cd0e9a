#!/usr/bin/env bash
# `make bench`: database-alone baseline (pgbench) + HTTP load test of a release server.
# See docs/performance.md for what is measured and the targets.
#
#   scripts/bench.sh [--db-only|--http-only] [--clients N] [--read-seconds S] [--pgbench-seconds S]
#                    [--skip-build] [-- extra boxoffice-bench args]
#
# Outputs (under <target>/bench/): pgbench.log, yardstick.log, server.log, bench.log,
# bench-uncached.log, bench-uncached-half.log, summary.json.
#
# The yardstick (tests/bench/yardstick/, docs/performance.md): raw PostgreSQL doing the minimal
# work of a booking and of a seat-map read, on a fixed schema in its own database, measured in the
# same run; the summary keeps yardstick_booking_tps, yardstick_booking_p99_ms,
# yardstick_read_tps, flash_ratio_to_yardstick and read_uncached_ratio_to_yardstick.
# Knob: YARDSTICK_SECONDS (default 15; after an 8-s unrecorded warm-up).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

clients=64
read_seconds=10
pgbench_seconds=10
yard_seconds="${YARDSTICK_SECONDS:-15}"
do_db=1
do_http=1
build=1
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --db-only) do_http=0 ;;
        --http-only) do_db=0 ;;
        --clients) clients="$2"; shift ;;
        --read-seconds) read_seconds="$2"; shift ;;
        --pgbench-seconds) pgbench_seconds="$2"; shift ;;
        --skip-build) build=0 ;;
        --) shift; extra=("$@"); break ;;
        *) die "unknown option $1 (see the header of $0)" ;;
    esac
    shift
done

PORT="${BENCH_PORT:-18080}"
out="$(target_dir)/bench"
mkdir -p "$out"
bin_dir="$(target_dir)/release"

# ------------------------------------------------------------------ build
if [ "$do_http" -eq 1 ] && [ "$build" -eq 1 ]; then
    ensure_cargo
    say "cargo build --release -p boxoffice -p boxoffice-bench"
    cargo build --release -p boxoffice -p boxoffice-bench
fi

# ------------------------------------------------------------------ PostgreSQL
say "PostgreSQL"
base_url="$(scripts/pg.sh ensure)"

psql_bin="$(command -v psql || true)"
pgbench_bin=""
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/pgbench" ] && { pgbench_bin="$d/pgbench"; break; }
done
[ -n "$pgbench_bin" ] || pgbench_bin="$(command -v pgbench || true)"
[ -n "$psql_bin" ] || die "psql not found (apt-get install postgresql-client)"

apply_migrations_sql() { # url
    local f
    for f in $(ls -d migrations/*/ | sort); do
        [ -f "$f/up.sql" ] && "$psql_bin" "$1" -q -v ON_ERROR_STOP=1 -f "$f/up.sql" >/dev/null
    done
}

# p50/p99/max of the per-transaction latencies (3rd column, microseconds) of pgbench's `-l` logs
# with this prefix, printed as "LABEL latency: n=… p50=… ms p99=… ms max=… ms"; removes the logs.
txn_percentiles() { # log-prefix label
    if ls "$1".* >/dev/null 2>&1; then
        cat "$1".* | awk '{print $3}' | sort -n | awk -v label="$2" '
            { v[NR] = $1 }
            END { if (NR > 0) {
                p50 = v[int(NR * 0.50) > 0 ? int(NR * 0.50) : 1];
                p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1];
                printf "%s latency: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms\n", label, NR, p50 / 1000, p99 / 1000, v[NR] / 1000 } }'
        rm -f "$1".*
    fi
}

db_tps=""
# ------------------------------------------------------------------ database alone
if [ "$do_db" -eq 1 ]; then
    if [ -z "$pgbench_bin" ]; then
        warn "pgbench not found (package postgresql-contrib / postgresql-15): skipping the database-alone baseline"
    else
        say "database alone: pgbench tests/bench/book_seats.sql (-c $clients -j 2 -T $pgbench_seconds)"
        pg_url="$(scripts/pg.sh db boxoffice_pgbench --fresh)"
        apply_migrations_sql "$pg_url"
        "$psql_bin" "$pg_url" -q -v ON_ERROR_STOP=1 -f tests/bench/setup_pool.sql >/dev/null 2>&1 \
            || { "$psql_bin" "$pg_url" -v ON_ERROR_STOP=1 -f tests/bench/setup_pool.sql; die "setup_pool.sql failed"; }
        read -r show first_seat first_class n_seats layout_ok < <("$psql_bin" "$pg_url" -At -F ' ' -c "
            WITH s AS (SELECT max(id) AS id FROM shows WHERE screen_name = 'pgbench pool'),
                 b AS (SELECT min(se.id) AS fs, count(*) AS n, max(se.id) AS ls,
                              (SELECT min(id) FROM seat_classes WHERE show_id = (SELECT id FROM s)) AS fc
                       FROM seats se WHERE se.show_id = (SELECT id FROM s))
            SELECT (SELECT id FROM s), b.fs, b.fc, b.n,
                   b.ls - b.fs + 1 = b.n AND (SELECT bool_and(seat_class_id = b.fc + (id - b.fs) / 500)
                                              FROM seats WHERE show_id = (SELECT id FROM s))
            FROM b")
        [ "$layout_ok" = "t" ] || die "seat pool layout is not contiguous per class (show $show); book_seats.sql relies on it"
        # Bookings per transaction: the mean batch of the HTTP flash sale (docs/performance.md).
        batch="${MIRROR_BATCH:-16}"
        blocks=$(( n_seats / (4 * batch) ))
        rm -f "$out"/pgbench_txn.*
        "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T "$pgbench_seconds" \
            -l --log-prefix="$out/pgbench_txn" \
            -f tests/bench/book_seats.sql \
            -D show="$show" -D first_seat="$first_seat" -D first_class="$first_class" \
            -D blocks="$blocks" -D per_class=500 -D batch="$batch" "$pg_url" 2>&1 | tee "$out/pgbench.log"
        mirror_tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/pgbench.log" | tail -n1)"
        [ -n "$mirror_tps" ] || die "could not read tps from pgbench output"
        db_tps="$(python3 -c "print(round($mirror_tps * $batch, 3))")"
        used="$("$psql_bin" "$pg_url" -Atc "SELECT last_value + 1 FROM pgbench_seat_block")"
        if [ "$used" -gt "$blocks" ]; then
            warn "pgbench used $used seat blocks of $blocks: blocks repeated (ON CONFLICT skipped seats); enlarge the pool in tests/bench/setup_pool.sql"
        fi
        "$psql_bin" "$pg_url" -qc "CHECKPOINT" >/dev/null
        echo "database alone: $mirror_tps tps x $batch bookings per transaction = $db_tps bookings/s"
        txn_percentiles "$out/pgbench_txn" "database alone" | tee -a "$out/pgbench.log"
    fi
fi

# ------------------------------------------------------------------ yardstick
yard_book_tps=""
yard_book_p99=""
yard_read_tps=""
if [ "$do_db" -eq 1 ] && [ -n "$pgbench_bin" ]; then
    ydir=tests/bench/yardstick
    say "yardstick: fixed schema ($ydir/schema.sql), 1,000 shows x 500 seats, in its own database"
    y_url="$(scripts/pg.sh db boxoffice_yardstick --fresh)"
    "$psql_bin" "$y_url" -q -v ON_ERROR_STOP=1 -f "$ydir/schema.sql" >/dev/null
    "$psql_bin" "$y_url" -qc "VACUUM ANALYZE" >/dev/null
    "$psql_bin" "$y_url" -qc "CHECKPOINT" >/dev/null
    say "yardstick booking: 8-s warm-up (not recorded), then -M prepared -c $clients -j 2 -T $yard_seconds"
    "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T 8 -f "$ydir/book.sql" "$y_url" >/dev/null 2>&1
    rm -f "$out"/yard_txn.*
    "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T "$yard_seconds" \
        -l --log-prefix="$out/yard_txn" -f "$ydir/book.sql" "$y_url" 2>&1 | tee "$out/yardstick.log"
    yard_book_tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/yardstick.log" | tail -n1)"
    txn_percentiles "$out/yard_txn" "yardstick booking" | tee -a "$out/yardstick.log"
    yard_book_p99="$(sed -n 's/^yardstick booking latency: .* p99=\([0-9.]*\) ms.*/\1/p' "$out/yardstick.log")"
    say "yardstick read: the 500 seats of a random show, -M prepared -c $clients -j 2 -T $yard_seconds"
    "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T "$yard_seconds" -f "$ydir/read.sql" "$y_url" 2>&1 \
        | tee "$out/yardstick_read.log" | grep -E '^(tps|latency)' | sed 's/^/yardstick read: /' | tee -a "$out/yardstick.log"
    yard_read_tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/yardstick_read.log" | tail -n1)"
    [ -n "$yard_book_tps" ] && [ -n "$yard_read_tps" ] || die "could not read the yardstick's tps (see $out/yardstick.log)"
    echo "yardstick: booking $yard_book_tps tps (p99 ${yard_book_p99:-?} ms), read $yard_read_tps tps"
    "$psql_bin" "$y_url" -qc "CHECKPOINT" >/dev/null
fi

# ------------------------------------------------------------------ HTTP
status=0
if [ "$do_http" -eq 1 ]; then
    server="$bin_dir/boxoffice"
    bench="$bin_dir/boxoffice-bench"
    [ -x "$server" ] && [ -x "$bench" ] || die "missing $server or $bench (build failed or --skip-build)"
    if port_open "$PORT"; then
        die "127.0.0.1:$PORT is already in use: stop whatever listens there (or set BENCH_PORT)"
    fi

    say "fresh database boxoffice_bench"
    db_url="$(scripts/pg.sh db boxoffice_bench --fresh)"
    DATABASE_URL="$db_url" "$server" migrate
    # The set-up (cities, venues, events, shows) needs an admin; bookings are made as guests.
    export BENCH_ADMIN_EMAIL="bench-admin@boxoffice.local" BENCH_ADMIN_PASSWORD="bench-admin-password"
    printf '%s\n' "$BENCH_ADMIN_PASSWORD" | DATABASE_URL="$db_url" "$server" create-admin --email "$BENCH_ADMIN_EMAIL" >/dev/null

    # Rate limiting is off: 64 clients on one address would be (rightly) throttled otherwise;
    # for the same reason one address may hold the 1,000 seat-map streams of the streams phase
    # (APP_LIVE__MAX_STREAMS_PER_CLIENT), and both processes may open that many sockets. A closed
    # stream is noticed at its next keep-alive: every 2 s here (15 s by default), so that the
    # streams of one sale are gone before the next.
    ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
    server_pid=""
    # CPU time (clock ticks) of: the whole machine (busy), the server, every PostgreSQL process.
cpu_sample() {
    local busy server=0 pg=0 p
    busy="$(awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat)"
    [ -r "/proc/${server_pid:-0}/stat" ] && server="$(awk '{print $14+$15}' "/proc/$server_pid/stat")"
    for p in $(pgrep -x postgres 2>/dev/null); do
        [ -r "/proc/$p/stat" ] && pg=$(( pg + $(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null || echo 0) ))
    done
    echo "$busy $server $pg"
}
# Where the CPU went between two samples: the server, PostgreSQL (processes alive at the end;
# the pool's connections live through the run), and the rest (the load generator, plus anything
# else running on the machine).
cpu_split() {
    read -r b0 s0 p0 <<<"$1"; read -r b1 s1 p1 <<<"$2"
    python3 -c "
b, s, p = $b1 - $b0, $s1 - $s0, max($p1 - $p0, 0)
r = max(b - s - p, 0)
t = max(b, 1)
print(f'cpu split of the run: server {100*s/t:.0f} %, PostgreSQL {100*p/t:.0f} %, load generator and rest {100*r/t:.0f} % ({b} ticks busy)')
"
}

start_server() { # log-file [VAR=value ...]: serve on $PORT, wait for /health
        local log="$1"
        shift
        say "starting boxoffice serve --bind 127.0.0.1:$PORT ${*:-} (log: $log)"
        env DATABASE_URL="$db_url" RUST_LOG="${BENCH_RUST_LOG:-warn}" APP_RATE_LIMIT__ENABLED=false \
            APP_LIVE__MAX_STREAMS_PER_CLIENT=5000 APP_LIVE__KEEP_ALIVE_SECS=2 "$@" \
            "$server" serve --bind "127.0.0.1:$PORT" >"$log" 2>&1 &
        server_pid=$!
        for i in $(seq 1 300); do
            [ "$(http_status "$PORT" /health)" = "200" ] && return 0
            kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "the server exited during start-up"; }
            [ "$i" -eq 300 ] && { tail -n 30 "$log" >&2; die "/health did not answer 200 within 60 s"; }
            sleep 0.2
        done
    }
    stop_server() {
        if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
            kill -TERM "$server_pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    }
    trap stop_server EXIT INT TERM
    start_server "$out/server.log"

    args=(--server "http://127.0.0.1:$PORT" --clients "$clients" --read-seconds "$read_seconds"
          --server-pid "$server_pid" --json-out "$out/summary.json")
    [ -n "$db_tps" ] && args+=(--db-tps "$db_tps")
    say "boxoffice-bench ${args[*]} ${extra[*]:-}"
    cpu_before="$(cpu_sample)"
    set +e
    "$bench" "${args[@]}" "${extra[@]}" 2>&1 | tee "$out/bench.log"
    status=${PIPESTATUS[0]}
    set -e
    cpu_split "$cpu_before" "$(cpu_sample)" | sed 's/^/main run (all phases): /' | tee "$out/cpu-split.txt"

    if [ -r "/proc/$server_pid/status" ]; then
        echo "server memory at the end: $(grep -E '^Vm(HWM|RSS)' "/proc/$server_pid/status" | tr -s ' \t' ' ' | paste -sd, -)"
    fi
    stop_server
    # expected 409s are logged at WARN; only ERROR-level lines and panics are worth a look
    if grep -qE 'panicked|ERROR' "$out/server.log"; then
        warn "the server log has errors/panics: see $out/server.log"
        grep -m 5 -E 'panicked|ERROR' "$out/server.log" >&2 || true
    fi

    # The seat map with the cache off (what readers of a selling show see: every booking drops the
    # show's cached map), against the yardstick's read.
    if [[ " ${extra[*]:-} " != *" --phases "* ]]; then
        start_server "$out/server-uncached.log" APP_SERVER__SEAT_MAP_CACHE_MS=0
        say "seat-map reads with the cache off (--phases reads)"
        cpu_before="$(cpu_sample)"
        "$bench" --server "http://127.0.0.1:$PORT" --clients "$clients" --read-seconds "$read_seconds" \
            --server-pid "$server_pid" --phases reads --json-out "$out/summary-uncached.json" 2>&1 \
            | tee "$out/bench-uncached.log" || status=1
        cpu_split "$cpu_before" "$(cpu_sample)" | sed 's/^/seat map, cache off: /' | tee -a "$out/cpu-split.txt"
        # The same with half the seats held (a selling show: the items are read live on every
        # read, ADR 0012). Reported beside the target, not a target itself.
        say "seat-map reads with the cache off, half the seats held (--read-sold-percent 50)"
        "$bench" --server "http://127.0.0.1:$PORT" --clients "$clients" --read-seconds "$read_seconds" \
            --server-pid "$server_pid" --phases reads --read-sold-percent 50 \
            --json-out "$out/summary-uncached-half.json" 2>&1 \
            | tee "$out/bench-uncached-half.log" || status=1
        stop_server
    fi
    python3 - "$out" "${yard_book_tps:-}" "${yard_book_p99:-}" "${yard_read_tps:-}" "${db_tps:-}" "${mirror_tps:-}" "${batch:-}" <<'PY' || status=1
import json, sys
out, book, p99, read, mirror, mirror_tps, batch = sys.argv[1], *(float(v) if v else None for v in sys.argv[2:8])
path = f"{out}/summary.json"
summary = json.load(open(path))
try:
    uncached = json.load(open(f"{out}/summary-uncached.json"))["reads"]["requests_per_sec"]
except (OSError, KeyError, ValueError):
    uncached = None
try:
    half = json.load(open(f"{out}/summary-uncached-half.json"))["reads"]["requests_per_sec"]
except (OSError, KeyError, ValueError):
    half = None
flash = (summary.get("flash") or {}).get("bookings_per_sec")
flash_p99 = ((summary.get("flash") or {}).get("bookings_latency") or {}).get("p99_ms")
ratio = lambda a, b: round(a / b, 3) if a and b else None
summary.update({
    "yardstick_booking_tps": book, "yardstick_booking_p99_ms": p99, "yardstick_read_tps": read,
    "read_uncached_req_per_sec": uncached,
    "flash_ratio_to_yardstick": ratio(flash, book),
    "flash_p99_ratio_to_yardstick": ratio(flash_p99, p99),
    "read_uncached_ratio_to_yardstick": ratio(uncached, read),
    "read_uncached_half_held_req_per_sec": half,
    "read_uncached_half_held_ratio_to_yardstick": ratio(half, read),
    "mirror_tps": mirror_tps, "mirror_batch": batch, "mirror_bookings_per_sec": mirror,
    # database CPU per booking, mirror / yardstick (both CPU-bound on the same machine)
    "mirror_cpu_ratio_to_yardstick": ratio(book, mirror),
})
# Issue 11's targets, all ratios to the yardstick of this run.
checks = [
    ("flash bookings/s >= 0.6 x yardstick booking tps", "flash_ratio_to_yardstick", lambda r: r >= 0.6),
    ("flash p99 <= 2 x yardstick p99", "flash_p99_ratio_to_yardstick", lambda r: r <= 2.0),
    ("seat map uncached >= 0.5 x yardstick read tps", "read_uncached_ratio_to_yardstick", lambda r: r >= 0.5),
    ("mirror database CPU per booking <= 1.5 x yardstick's", "mirror_cpu_ratio_to_yardstick", lambda r: r <= 1.5),
]
summary["yardstick_targets"] = []
for k in ("yardstick_booking_tps", "yardstick_booking_p99_ms", "yardstick_read_tps",
          "read_uncached_req_per_sec", "mirror_bookings_per_sec", "flash_ratio_to_yardstick",
          "flash_p99_ratio_to_yardstick", "read_uncached_ratio_to_yardstick",
          "read_uncached_half_held_req_per_sec", "read_uncached_half_held_ratio_to_yardstick",
          "mirror_cpu_ratio_to_yardstick"):
    print(f"{k}: {summary[k]}")
for name, key, ok in checks:
    value = summary[key]
    met = value is not None and ok(value)
    summary["yardstick_targets"].append({"target": name, "value": value, "met": met})
    print(f"  [{'PASS' if met else 'MISS' if value is not None else 'SKIP'}] {name}: {value}")
json.dump(summary, open(path, "w"))
PY
    echo "summary: $out/summary.json"
fi

exit "$status"
