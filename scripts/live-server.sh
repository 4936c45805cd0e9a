# shellcheck shell=bash
# A real server on a fresh database, for the checks that talk to it over HTTP as a client
# would (schemathesis, the Python SDK's tests). Sourced, not executed:
#
#   source scripts/live-server.sh
#   live_server_start NAME     # fresh database boxoffice_live_NAME, migrate, seed, serve on a free
#                              # loopback port; sets LIVE_URL (http://127.0.0.1:PORT), LIVE_PID,
#                              # LIVE_LOG; stops the server when the calling shell exits
#   live_server_stop           # stops it now (idempotent)
#
# The binary is a debug build of the boxoffice package (`cargo build -p boxoffice`, into the
# usual target dir), run with the `test` profile (fast bcrypt, rate limits out of the way, no
# background sweep) and the seeded demo accounts (README).
# Knobs: LIVE_BIN (use this binary instead of building), LIVE_RUST_LOG (default warn).

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LIVE_URL=""
LIVE_PID=""
LIVE_LOG=""

# A free TCP port on 127.0.0.1 (asks the kernel for one).
live_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

live_server_start() { # NAME
    local name="$1"
    ensure_cargo
    local bin="${LIVE_BIN:-}"
    if [ -z "$bin" ]; then
        say "cargo build -p boxoffice (the server for the live checks)"
        (cd "$REPO" && cargo build -q -p boxoffice)
        bin="$(target_dir)/debug/boxoffice"
    fi
    local db_url
    db_url="$("$REPO/scripts/pg.sh" db "boxoffice_live_$name" --fresh)"
    local port
    port="$(live_free_port)"
    LIVE_LOG="$(target_dir)/live-$name.log"
    mkdir -p "$(dirname "$LIVE_LOG")"
    (
        cd "$REPO"
        export DATABASE_URL="$db_url" APP_PROFILE=test
        "$bin" migrate >/dev/null
        "$bin" seed >/dev/null
    )
    say "boxoffice serve on 127.0.0.1:$port (log: $LIVE_LOG)"
    (
        cd "$REPO"
        DATABASE_URL="$db_url" APP_PROFILE=test RUST_LOG="${LIVE_RUST_LOG:-warn}" \
            exec "$bin" serve --bind "127.0.0.1:$port"
    ) >"$LIVE_LOG" 2>&1 &
    LIVE_PID=$!
    LIVE_URL="http://127.0.0.1:$port"
    trap live_server_stop EXIT
    local i
    for i in $(seq 1 300); do
        if [ "$(http_status "$port" /ready)" = "200" ]; then
            export LIVE_URL LIVE_PID LIVE_LOG
            return 0
        fi
        kill -0 "$LIVE_PID" 2>/dev/null || { cat "$LIVE_LOG" >&2; die "the live server exited"; }
        sleep 0.2
    done
    cat "$LIVE_LOG" >&2
    die "the live server did not become ready within 60 s"
}

live_server_stop() {
    if [ -n "$LIVE_PID" ] && kill -0 "$LIVE_PID" 2>/dev/null; then
        kill "$LIVE_PID" 2>/dev/null || true
        wait "$LIVE_PID" 2>/dev/null || true
    fi
    LIVE_PID=""
}
