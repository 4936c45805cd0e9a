#!/usr/bin/env bash
# End-to-end tests of the web app: headless Chromium (playwright-core) drives the built app
# served by real `boxoffice serve` instances on a fresh database (`make e2e`).
#
#   scripts/e2e.sh                  every clients/web/e2e/**/*.test.mjs (npm run e2e)
#   scripts/e2e.sh e2e/x.test.mjs   only these files (paths relative to clients/web)
#
# What it does:
#   1. Node.js >= 20 (playwright-core's minimum; an older one is an error) and Debian's Chromium
#      (apt-get install chromium when /usr/bin/chromium is missing: playwright's own browser
#      download cannot work here, only the package registries are reachable);
#   2. the app: scripts/web.sh build (skipped with E2E_SKIP_BUILD=1, which needs an existing
#      clients/web/dist);
#   3. the server: $LIVE_BIN when set (scripts/test.sh passes the binary its coverage run
#      built), else `cargo build -p boxoffice`;
#   4. a fresh database boxoffice_e2e (scripts/pg.sh), migrated and seeded (demo accounts);
#   5. two servers on that database on free loopback ports, both with the test profile (fast
#      bcrypt, rate limits out of the way) but with the outbox worker and the sweep on, as in
#      `make run` (so bookings reach the inbox), and the app (APP_WEB__DIR):
#        E2E_BASE_URL        the normal one (holds last 10 minutes)
#        E2E_SHORT_HOLD_URL  holds last 6 seconds (APP_BOOKING__HOLD_SECONDS=6), for watching
#                            a hold expire
#   6. the tests with E2E_BASE_URL, E2E_SHORT_HOLD_URL, E2E_OUT (screenshots, <target>/e2e,
#      emptied of old screenshots first) and CHROMIUM (/usr/bin/chromium) in the environment;
#      the servers stop when it ends, and their logs stay in E2E_OUT.
#
# The harness (launchBrowser, screenshot, checkA11y, the API fixtures): clients/web/e2e/README.md.
# Knobs: LIVE_BIN, E2E_SKIP_BUILD=1, E2E_RUST_LOG (servers' RUST_LOG, default warn), CHROMIUM,
#        E2E_TIMEOUT (seconds for the whole test run, default 900: a hung browser cannot hang CI),
#        E2E_DB (database name, default boxoffice_e2e) and E2E_OUT (default <target>/e2e): set
#        both to run two e2e runs side by side on one PostgreSQL server or in one checkout.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$REPO/scripts/live-server.sh" # live_free_port
cd "$REPO"

started=$SECONDS

# -- 1. Node and Chromium
ensure_node 20 "the e2e tests (playwright-core)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
    [ "$CHROMIUM" = /usr/bin/chromium ] || die "CHROMIUM=$CHROMIUM is not an executable"
    # fonts-liberation: a recommendation of chromium, needed for readable text in screenshots
    apt_install chromium fonts-liberation
    [ -x "$CHROMIUM" ] || die "apt-get installed chromium but $CHROMIUM is missing"
fi
export CHROMIUM
echo "e2e: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"), node $(node --version)" >&2

# -- 2. the app
dist="$REPO/clients/web/dist"
if [ "${E2E_SKIP_BUILD:-}" = 1 ]; then
    [ -f "$dist/index.html" ] || die "E2E_SKIP_BUILD=1 but $dist/index.html is missing: run 'make web' first"
    scripts/web.sh deps # playwright-core and axe-core
else
    scripts/web.sh build
fi

# -- 3. the server binary
bin="${LIVE_BIN:-}"
if [ -z "$bin" ]; then
    ensure_cargo
    say "cargo build -p boxoffice (the server for the e2e tests)"
    cargo build -q -p boxoffice
    bin="$(target_dir)/debug/boxoffice"
fi
[ -x "$bin" ] || die "server binary $bin is missing"

# -- 4. the database
db_url="$(scripts/pg.sh db "${E2E_DB:-boxoffice_e2e}" --fresh)"
(
    export DATABASE_URL="$db_url" APP_PROFILE=test
    "$bin" migrate >/dev/null
    "$bin" seed >/dev/null
)

# -- 5. the servers
E2E_OUT="${E2E_OUT:-$(target_dir)/e2e}"
mkdir -p "$E2E_OUT"
rm -f "$E2E_OUT"/*.png
export E2E_OUT

pids=()
tests_pid=""
# The test run is `timeout` in a process group of its own (its pid is the group's id): stop
# everything left in it — the runner, its test processes, their browsers (a test process may
# outlive the runner: playwright catches SIGTERM to close its browsers).
stop_tests() {
    [ -n "$tests_pid" ] || return 0
    if kill -0 -- "-$tests_pid" 2>/dev/null; then
        kill -TERM -- "-$tests_pid" 2>/dev/null || true
        sleep 2
        kill -KILL -- "-$tests_pid" 2>/dev/null || true
    fi
    wait "$tests_pid" 2>/dev/null || true
    tests_pid=""
}
stop_servers() {
    local p
    stop_tests
    [ "${#pids[@]}" -gt 0 ] || return 0
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    # a graceful shutdown waits for open streams; 10 s at most
    local i alive
    for i in $(seq 1 50); do
        alive=0
        for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" -eq 1 ] || break
        sleep 0.2
    done
    for p in "${pids[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    pids=()
}
trap stop_servers EXIT
trap 'exit 130' INT # exit through the EXIT trap on Ctrl-C or kill, too
trap 'exit 143' TERM

# start_server NAME [VAR=value...]: a server on a free port; prints its port
start_server() {
    local name="$1"
    shift
    local port log="$E2E_OUT/server-$name.log"
    port="$(live_free_port)"
    (
        # a closed page's stream counts until the next keep-alive finds it gone: keep-alives
        # every 2 s and room for many streams per client
        exec env DATABASE_URL="$db_url" APP_PROFILE=test RUST_LOG="${E2E_RUST_LOG:-warn}" \
            APP_WEB__DIR="$dist" APP_SERVER__PUBLIC_URL="http://127.0.0.1:$port" \
            APP_LIVE__MAX_STREAMS_PER_CLIENT=200 APP_LIVE__KEEP_ALIVE_SECS=2 \
            APP_OUTBOX__ENABLED=true APP_JOBS__ENABLED=true "$@" \
            "$bin" serve --bind "127.0.0.1:$port"
    ) >"$log" 2>&1 &
    pids+=($!)
    say "boxoffice serve ($name) on 127.0.0.1:$port (log: $log)"
    SERVER_PORT="$port"
}

wait_ready() { # port log
    local i pid="${pids[-1]}"
    for i in $(seq 1 300); do
        [ "$(http_status "$1" /ready)" = "200" ] && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$2" >&2; die "the server on port $1 exited"; }
        sleep 0.2
    done
    cat "$2" >&2
    die "the server on port $1 did not become ready within 60 s"
}

start_server main
main_port="$SERVER_PORT"
wait_ready "$main_port" "$E2E_OUT/server-main.log"
start_server short-hold APP_BOOKING__HOLD_SECONDS=6
short_port="$SERVER_PORT"
wait_ready "$short_port" "$E2E_OUT/server-short-hold.log"

export E2E_BASE_URL="http://127.0.0.1:$main_port"
export E2E_SHORT_HOLD_URL="http://127.0.0.1:$short_port"
if [ "$(http_status "$main_port" /)" != "200" ]; then
    warn "$E2E_BASE_URL/ does not serve the app (status $(http_status "$main_port" /)): does this server support web.dir?"
fi

# -- 6. the tests
say "e2e tests (E2E_BASE_URL=$E2E_BASE_URL, E2E_SHORT_HOLD_URL=$E2E_SHORT_HOLD_URL)"
# in the background under timeout (its own process group, which it signals as a whole), so
# that the EXIT trap can stop it on Ctrl-C too
limit=(timeout --kill-after=30 "${E2E_TIMEOUT:-900}")
if [ $# -gt 0 ]; then
    (cd clients/web && exec "${limit[@]}" node --test --test-concurrency=1 "$@") &
else
    (cd clients/web && exec "${limit[@]}" npm run -s e2e) &
fi
tests_pid=$!
status=0
wait "$tests_pid" || status=$?
stop_tests
[ "$status" -ne 124 ] || warn "the e2e tests did not finish within ${E2E_TIMEOUT:-900} s (E2E_TIMEOUT) and were stopped"
stop_servers

shots="$(find "$E2E_OUT" -maxdepth 1 -name '*.png' | wc -l)"
echo "e2e: $shots screenshots in $E2E_OUT; server logs: $E2E_OUT/server-main.log, $E2E_OUT/server-short-hold.log" >&2
[ "$status" -eq 0 ] || die "e2e tests failed (exit $status) after $(( SECONDS - started ))s"
echo "scripts/e2e.sh: OK in $(( SECONDS - started ))s" >&2
