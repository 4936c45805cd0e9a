#!/usr/bin/env bash
# `make bench`: database-alone baseline (pgbench) + HTTP load test of a release server.
# See docs/performance.md for what is measured and the targets.
#
#   scripts/bench.sh [--db-only|--http-only] [--clients N] [--read-seconds S] [--pgbench-seconds S]
#                    [--skip-build] [-- extra boxoffice-bench args]
#
# Outputs (under <target>/bench/): pgbench.log, server.log, bench.log, summary.json.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

clients=64
read_seconds=10
pgbench_seconds=10
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
        blocks=$(( n_seats / 4 ))
        rm -f "$out"/pgbench_txn.*
        "$pgbench_bin" -n -M prepared -c "$clients" -j 2 -T "$pgbench_seconds" \
            -l --log-prefix="$out/pgbench_txn" \
            -f tests/bench/book_seats.sql \
            -D show="$show" -D first_seat="$first_seat" -D first_class="$first_class" \
            -D blocks="$blocks" -D per_class=500 "$pg_url" 2>&1 | tee "$out/pgbench.log"
        db_tps="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/pgbench.log" | tail -n1)"
        [ -n "$db_tps" ] || die "could not read tps from pgbench output"
        used="$("$psql_bin" "$pg_url" -Atc "SELECT last_value + 1 FROM pgbench_seat_block")"
        if [ "$used" -gt "$blocks" ]; then
            warn "pgbench used $used seat blocks of $blocks: blocks repeated (ON CONFLICT skipped seats); enlarge the pool in tests/bench/setup_pool.sql"
        fi
        "$psql_bin" "$pg_url" -qc "CHECKPOINT" >/dev/null
        echo "database alone: $db_tps tps (one seated booking per transaction)"
        # Per-transaction latencies (3rd column, microseconds) of pgbench's log: the same
        # percentiles the HTTP phases report, for the database alone at the same concurrency.
        if ls "$out"/pgbench_txn.* >/dev/null 2>&1; then
            cat "$out"/pgbench_txn.* | awk '{print $3}' | sort -n | awk '
                { v[NR] = $1 }
                END { if (NR > 0) {
                    p50 = v[int(NR * 0.50) > 0 ? int(NR * 0.50) : 1];
                    p99 = v[int(NR * 0.99) > 0 ? int(NR * 0.99) : 1];
                    printf "database alone latency: n=%d p50=%.2f ms p99=%.2f ms max=%.2f ms\n", NR, p50 / 1000, p99 / 1000, v[NR] / 1000 } }' \
                | tee -a "$out/pgbench.log"
            rm -f "$out"/pgbench_txn.*
        fi
    fi
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

    say "starting boxoffice serve --bind 127.0.0.1:$PORT (log: $out/server.log)"
    # Rate limiting is off: 64 clients on one address would be (rightly) throttled otherwise.
    DATABASE_URL="$db_url" RUST_LOG="${BENCH_RUST_LOG:-warn}" APP_RATE_LIMIT__ENABLED=false \
        "$server" serve --bind "127.0.0.1:$PORT" >"$out/server.log" 2>&1 &
    server_pid=$!
    stop_server() {
        if kill -0 "$server_pid" 2>/dev/null; then
            kill -TERM "$server_pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$server_pid" 2>/dev/null || true
        fi
    }
    trap stop_server EXIT INT TERM

    for i in $(seq 1 300); do
        [ "$(http_status "$PORT" /health)" = "200" ] && break
        kill -0 "$server_pid" 2>/dev/null || { tail -n 30 "$out/server.log" >&2; die "the server exited during start-up"; }
        [ "$i" -eq 300 ] && { tail -n 30 "$out/server.log" >&2; die "/health did not answer 200 within 60 s"; }
        sleep 0.2
    done

    args=(--server "http://127.0.0.1:$PORT" --clients "$clients" --read-seconds "$read_seconds"
          --server-pid "$server_pid" --json-out "$out/summary.json")
    [ -n "$db_tps" ] && args+=(--db-tps "$db_tps")
    say "boxoffice-bench ${args[*]} ${extra[*]:-}"
    set +e
    "$bench" "${args[@]}" "${extra[@]}" 2>&1 | tee "$out/bench.log"
    status=${PIPESTATUS[0]}
    set -e

    if [ -r "/proc/$server_pid/status" ]; then
        echo "server memory at the end: $(grep -E '^Vm(HWM|RSS)' "/proc/$server_pid/status" | tr -s ' \t' ' ' | paste -sd, -)"
    fi
    stop_server
    # expected 409s are logged at WARN; only ERROR-level lines and panics are worth a look
    if grep -qE 'panicked|ERROR' "$out/server.log"; then
        warn "the server log has errors/panics: see $out/server.log"
        grep -m 5 -E 'panicked|ERROR' "$out/server.log" >&2 || true
    fi
    echo "summary: $out/summary.json"
fi

if [ -n "$db_tps" ] && [ -f "$out/summary.json" ] && [ "$do_http" -eq 1 ]; then
    ratio="$(sed -n 's/.*"bookings_per_db_tps":\([0-9.]*\).*/\1/p' "$out/summary.json")"
    [ -n "$ratio" ] && echo "flash-sale bookings/s / database-alone tps ($db_tps) = $ratio (target >= 0.6)"
fi
exit "$status"
