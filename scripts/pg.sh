#!/usr/bin/env bash
# Private, per-checkout PostgreSQL for development, tests and benchmarks.
#
#   scripts/pg.sh ensure   print a usable DATABASE_URL on stdout (last line, nothing else);
#                          reuses $DATABASE_URL when it is reachable, otherwise provisions
#                          (installing PostgreSQL with apt when root / passwordless sudo),
#                          initialises and starts a private cluster under <repo>/.pgdata
#   scripts/pg.sh stop     stop the private cluster if it runs
#   scripts/pg.sh status   report the private cluster (exit 0 running, 3 stopped)
#   scripts/pg.sh url      print the private cluster's URL (no provisioning)
#   scripts/pg.sh clean    stop the private cluster and delete its data
#   scripts/pg.sh db NAME [--fresh]
#                          like ensure, then create database NAME on that server if missing
#                          (--fresh: drop it first); prints NAME's URL
#   scripts/pg.sh psql ... psql against the private cluster
#
# Environment: PGPORT_PRIVATE (default 55432), DATABASE_URL (reused if reachable),
#              BOXOFFICE_PGDATA (override the data root; default <repo>/.pgdata).
#
# All diagnostics go to stderr; only `ensure`/`url` write to stdout.
#
# Layout of the data root:
#   data/      the cluster (PGDATA)
#   run/       unix socket directory (the server listens on 127.0.0.1 TCP as well)
#   log/       server log (postgres.log)
#
# Who runs the server: postgres refuses to run as root. When we are root the cluster is
# owned by and run as the `postgres` system user (created by the Debian packages; if it does
# not exist we create a system user `boxoffice-pg`). That user must be able to reach the data
# root: every parent directory needs o+x. /work/main is 0755 so <repo>/.pgdata works, but a
# fresh clone under e.g. /root (0700) is not traversable by `postgres`. We do NOT loosen the
# permissions of the user's directories; instead, in that case the data root is placed under
# /var/tmp/boxoffice-pg-<hash of the repo path> and <repo>/.pgdata becomes a symlink to it,
# so `stop`, `status` and `clean` find it again and .pgdata stays the one place to look.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PORT="${PGPORT_PRIVATE:-55432}"
LINK="$REPO/.pgdata"

log() { printf '[pg.sh] %s\n' "$*" >&2; }
die() { printf '[pg.sh] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- server user
PG_USER=""
pick_user() {
    [ -n "$PG_USER" ] && return 0
    if ! is_root; then
        PG_USER="$(id -un)"
        return 0
    fi
    if id postgres >/dev/null 2>&1; then
        PG_USER=postgres
    else
        if ! id boxoffice-pg >/dev/null 2>&1; then
            log "no 'postgres' user: creating system user 'boxoffice-pg' to run the private cluster"
            useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin boxoffice-pg \
                || die "could not create user boxoffice-pg"
        fi
        PG_USER=boxoffice-pg
    fi
}

# Run a command as the server user (directly when we are not root).
as_pg() {
    pick_user
    if ! is_root; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u "$PG_USER" -- "$@")
    else
        local q; q="$(printf '%q ' "$@")"
        (cd / && su -s /bin/sh "$PG_USER" -c "$q")
    fi
}

# ---------------------------------------------------------------- data root
# Prints the data root (resolving the .pgdata symlink). Does not create anything.
data_root() {
    if [ -n "${BOXOFFICE_PGDATA:-}" ]; then
        printf '%s\n' "$BOXOFFICE_PGDATA"
    elif [ -L "$LINK" ]; then
        readlink -f "$LINK" 2>/dev/null || readlink "$LINK"
    else
        printf '%s\n' "$LINK"
    fi
}

# Decides where the data root lives and creates it, owned by the server user.
prepare_root() {
    pick_user
    local root
    if [ -n "${BOXOFFICE_PGDATA:-}" ]; then
        root="$BOXOFFICE_PGDATA"
    elif [ -L "$LINK" ] || [ -d "$LINK" ]; then
        root="$(data_root)"
    elif ! is_root || as_pg test -x "$REPO" 2>/dev/null; then
        root="$LINK"
    else
        local h; h="$(printf '%s' "$REPO" | cksum | cut -d' ' -f1)"
        root="/var/tmp/boxoffice-pg-$h"
        log "$REPO is not traversable by '$PG_USER'; using $root (symlinked from .pgdata)"
        mkdir -p "$root"
        ln -sfn "$root" "$LINK"
    fi
    mkdir -p "$root/data" "$root/run" "$root/log"
    if is_root; then
        chown -R "$PG_USER": "$root"
        chmod 0755 "$root"
    fi
    chmod 0700 "$root/data"
    as_pg test -w "$root/data" \
        || die "user '$PG_USER' cannot write $root/data (check parent directory permissions, or set BOXOFFICE_PGDATA)"
    printf '%s\n' "$root"
}

# ---------------------------------------------------------------- binaries
BINDIR=""
bindir_ok() { [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]; }

find_bindir() {
    local want="${1:-}" d cands=()
    if command -v initdb >/dev/null 2>&1; then
        cands+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    if command -v pg_config >/dev/null 2>&1; then
        cands+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do cands+=("$d"); done
    for d in "${cands[@]}"; do
        [ -n "$d" ] && bindir_ok "$d" || continue
        if [ -n "$want" ]; then
            local v; v="$("$d/postgres" --version 2>/dev/null | awk '{print $3}' | cut -d. -f1)"
            [ "$v" = "$want" ] || continue
        fi
        BINDIR="$d"
        return 0
    done
    return 1
}

install_postgres() {
    local sudo=""
    if ! is_root; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            die "PostgreSQL server binaries (initdb, pg_ctl) not found and we are neither root nor have passwordless sudo. Install PostgreSQL (e.g. apt-get install postgresql) or set DATABASE_URL."
        fi
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "PostgreSQL not found and apt-get is unavailable: install PostgreSQL or set DATABASE_URL"
    log "installing PostgreSQL with apt-get (one-off)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        postgresql postgresql-contrib postgresql-client >&2
}

need_bindir() {
    local want="${1:-}"
    find_bindir "$want" && return 0
    [ -n "$want" ] && find_bindir "" && {
        die "the cluster in $(data_root)/data was made by PostgreSQL $want but only $("$BINDIR/postgres" --version) is installed; run 'scripts/pg.sh clean' to recreate it"
    }
    install_postgres
    find_bindir "$want" || die "PostgreSQL installed but initdb/pg_ctl/postgres still not found"
}

# Client tools (psql, pg_isready) may be missing even when a server is reachable.
client() {
    local tool="$1"; shift
    if command -v "$tool" >/dev/null 2>&1; then
        "$tool" "$@"
    elif [ -n "$BINDIR" ] && [ -x "$BINDIR/$tool" ]; then
        "$BINDIR/$tool" "$@"
    elif find_bindir "" && [ -x "$BINDIR/$tool" ]; then
        "$BINDIR/$tool" "$@"
    else
        return 127
    fi
}

# ---------------------------------------------------------------- state
private_url() { printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$1"; }

# Port of the running private server, from postmaster.pid (line 4), else the configured one.
running_port() {
    local pidfile; pidfile="$(data_root)/data/postmaster.pid"
    if [ -f "$pidfile" ]; then
        sed -n 4p "$pidfile" 2>/dev/null || echo "$PORT"
    else
        echo "$PORT"
    fi
}

# 0 if the postmaster recorded in postmaster.pid is alive and really a postgres process.
# A pid file left by a crash/reboot whose pid now belongs to something else is "stale".
postmaster_alive() {
    local pidfile pid; pidfile="$(data_root)/data/postmaster.pid"
    [ -f "$pidfile" ] || return 1
    pid="$(head -n1 "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    [ -d "/proc/$pid" ] || return 1
    local comm; comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    case "$comm" in
        postgres|postmaster) return 0 ;;
        *) tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "postgres" ;;
    esac
}

is_ready() { # url
    PGCONNECT_TIMEOUT=3 client psql "$1" -Atqc 'select 1' >/dev/null 2>&1 && return 0
    PGCONNECT_TIMEOUT=3 client pg_isready -q -d "$1" >/dev/null 2>&1
}

write_conf() { # root
    local root="$1" sockdir="$1/run"
    # unix socket paths are limited to ~107 bytes; fall back to TCP only for deep checkouts.
    if [ "${#sockdir}" -gt 80 ]; then sockdir=""; fi
    as_pg tee "$root/data/boxoffice.conf" >/dev/null <<EOF
# Written by scripts/pg.sh on every start; edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$sockdir'
max_connections = 200
shared_buffers = 256MB
# fsync stays on: benchmark numbers must be honest about commit cost.
fsync = on
synchronous_commit = on
# a dev box: keep the log readable
log_min_messages = warning
log_line_prefix = '%m [%p] %d '
logging_collector = off
EOF
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Another checkout's private cluster (or anything else) may already hold $PORT, e.g. when CI
# runs in a fresh clone next to a developer's checkout: then take the next free port. The
# URL we print always comes from the running server's postmaster.pid, so callers never care.
pick_free_port() {
    local p="$PORT" i
    for i in $(seq 0 20); do
        if ! port_busy "$p"; then
            [ "$p" != "$PORT" ] && log "port $PORT is busy; using $p"
            PORT="$p"
            return 0
        fi
        p=$((p + 1))
    done
    die "no free port in $PORT..$p (set PGPORT_PRIVATE)"
}

# ---------------------------------------------------------------- commands
cmd_start() {
    local root data
    root="$(prepare_root)"
    data="$root/data"

    local want=""
    [ -f "$data/PG_VERSION" ] && want="$(cat "$data/PG_VERSION")"
    need_bindir "$want"

    if [ ! -f "$data/PG_VERSION" ]; then
        # C.UTF-8 (as Debian's own cluster): byte-order collation like C, but a character
        # type that knows Unicode, so that ILIKE and lower() fold "Ü" as they fold "U" (the
        # event and service searches); plain C where the system has no C.UTF-8.
        local lc=C
        if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then lc=C.UTF-8; fi
        log "initialising private cluster in $data ($("$BINDIR/postgres" --version), locale $lc)"
        as_pg "$BINDIR/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale="$lc" >"$root/log/initdb.log" 2>&1 \
            || { cat "$root/log/initdb.log" >&2; die "initdb failed"; }
        echo "include_if_exists = 'boxoffice.conf'" | as_pg tee -a "$data/postgresql.conf" >/dev/null
    fi

    if postmaster_alive; then
        local p; p="$(running_port)"
        if is_ready "$(private_url "$p")"; then
            PORT="$p"
            return 0
        fi
        log "private postmaster is alive but not answering yet; waiting"
    else
        if [ -f "$data/postmaster.pid" ]; then
            log "removing stale $data/postmaster.pid"
            rm -f "$data/postmaster.pid"
        fi
        pick_free_port
        write_conf "$root"
        log "starting private PostgreSQL on 127.0.0.1:$PORT (log: $root/log/postgres.log)"
        if ! as_pg "$BINDIR/pg_ctl" -D "$data" -l "$root/log/postgres.log" -w -t 60 start >/dev/null 2>&1; then
            tail -n 30 "$root/log/postgres.log" >&2 || true
            die "pg_ctl start failed (is port $PORT taken? set PGPORT_PRIVATE)"
        fi
    fi

    PORT="$(running_port)"
    local url; url="$(private_url "$PORT")"
    local i
    for i in $(seq 1 120); do
        is_ready "$url" && return 0
        sleep 0.5
    done
    tail -n 30 "$root/log/postgres.log" >&2 || true
    die "private PostgreSQL did not become ready on port $PORT"
}

cmd_ensure() {
    if [ -n "${DATABASE_URL:-}" ]; then
        if is_ready "$DATABASE_URL"; then
            log "using DATABASE_URL from the environment"
            printf '%s\n' "$DATABASE_URL"
            return 0
        fi
        log "DATABASE_URL is set but not reachable; provisioning a private cluster instead"
    fi
    cmd_start
    private_url "$PORT"
}

# Replace the database name of a postgres:// URL (keeps user, host, port and ?params).
url_with_db() { # url name
    local url="$1" name="$2" main query=""
    main="${url%%\?*}"
    [ "$main" != "$url" ] && query="?${url#*\?}"
    local rest="${main#*://}"
    if [[ "$rest" == */* ]]; then
        main="${main%/*}"
    fi
    printf '%s/%s%s\n' "$main" "$name" "$query"
}

cmd_db() { # name [--fresh]
    local name="${1:-}" fresh="${2:-}"
    [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "usage: pg.sh db NAME [--fresh] (NAME: lower-case identifier)"
    local base; base="$(cmd_ensure)"
    base="$(printf '%s\n' "$base" | tail -n1)"
    local admin; admin="$(url_with_db "$base" postgres)"
    # the maintenance database may be unavailable on a managed server: fall back to the given one
    is_ready "$admin" || admin="$base"
    if [ "$fresh" = "--fresh" ]; then
        log "recreating database $name"
        client psql "$admin" -v ON_ERROR_STOP=1 -Atqc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >&2
    fi
    if [ "$(client psql "$admin" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'")" != "1" ]; then
        log "creating database $name"
        client psql "$admin" -v ON_ERROR_STOP=1 -Atqc "CREATE DATABASE \"$name\"" >&2
    fi
    url_with_db "$base" "$name"
}

cmd_stop() {
    local data; data="$(data_root)/data"
    if [ ! -f "$data/PG_VERSION" ]; then
        log "no private cluster in $data"
        return 0
    fi
    if postmaster_alive; then
        find_bindir "$(cat "$data/PG_VERSION")" || find_bindir "" || die "pg_ctl not found"
        log "stopping private PostgreSQL"
        as_pg "$BINDIR/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
    else
        [ -f "$data/postmaster.pid" ] && rm -f "$data/postmaster.pid"
        log "private PostgreSQL is not running"
    fi
}

cmd_status() {
    local root; root="$(data_root)"
    if [ ! -f "$root/data/PG_VERSION" ]; then
        echo "private cluster: not initialised ($root)" >&2
        return 3
    fi
    if postmaster_alive; then
        local p; p="$(running_port)"
        echo "private cluster: running, pid $(head -n1 "$root/data/postmaster.pid"), $(private_url "$p"), data $root/data" >&2
        return 0
    fi
    echo "private cluster: stopped (data $root/data)" >&2
    return 3
}

cmd_clean() {
    cmd_stop
    local root; root="$(data_root)"
    if [ -L "$LINK" ]; then rm -f "$LINK"; fi
    if [ -d "$root" ]; then
        log "removing $root"
        rm -rf "$root"
    fi
}

case "${1:-}" in
    ensure) cmd_ensure ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) private_url "$(running_port)" ;;
    clean) cmd_clean ;;
    db) shift; cmd_db "$@" ;;
    url-with-db) url_with_db "$2" "$3" ;;
    psql) shift; cmd_start; client psql "$(private_url "$PORT")" "$@" ;;
    *) echo "usage: $0 {ensure|stop|status|url|clean|db NAME [--fresh]|url-with-db URL NAME|psql [args]}" >&2; exit 2 ;;
esac
