# shellcheck shell=bash
# Shared helpers for scripts/*.sh (sourced, not executed).

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
export REPO

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# cargo/rustup live in ~/.cargo/bin, which a non-login shell (CI) may not have on PATH.
ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1; then
        if [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo" ]; then
            export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
        else
            die "cargo not found: install the Rust toolchain with rustup (https://rustup.rs)"
        fi
    fi
}

# Directory cargo builds into (respects CARGO_TARGET_DIR).
target_dir() {
    if [ -n "${CARGO_TARGET_DIR:-}" ]; then
        printf '%s\n' "$CARGO_TARGET_DIR"
    else
        printf '%s\n' "$REPO/target"
    fi
}

# rustup components (no-op when already installed or when rustup is absent).
ensure_components() {
    command -v rustup >/dev/null 2>&1 || { warn "rustup not found; assuming components $* are present"; return 0; }
    local installed missing=() c
    installed="$(rustup component list --installed 2>/dev/null || true)"
    for c in "$@"; do
        grep -q "^${c%-preview}" <<<"$installed" || missing+=("$c")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        say "rustup component add ${missing[*]}"
        rustup component add "${missing[@]}" >&2
    fi
}

# A cargo subcommand installed with `cargo install --locked` when missing.
ensure_cargo_tool() { # binary crate
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $2 (cargo install --locked; one-off, a few minutes)"
    cargo install "$2" --locked >&2
}

# Loopback port probe without curl/nc.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# HTTP GET status code of a loopback URL path (curl when present, else bash /dev/tcp).
http_status() { # port path
    if command -v curl >/dev/null 2>&1; then
        curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1$2" 2>/dev/null || true
    else
        (
            exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
            printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
            timeout 2 head -n1 <&3 | awk '{print $2}'
        ) 2>/dev/null || true
    fi
}

# 0 when dotted version $1 >= $2 (e.g. version_ge 20.20.2 18.18).
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

# Debian packages with apt-get (root, or passwordless sudo); dies with a hint otherwise.
apt_install() { # package...
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo="sudo -n"
        else
            die "need Debian packages $* but we are neither root nor have passwordless sudo: install them (apt-get install $*)"
        fi
    fi
    command -v apt-get >/dev/null 2>&1 || die "need $* but apt-get is unavailable: install them by hand"
    say "apt-get install $* (one-off)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2
}

# Node.js >= MIN (default 18.18, the web app's engines field) and npm. Missing ones come from
# Debian (nodejs, npm: Node 18 on Debian 12); a node that is too old is an error, not replaced.
ensure_node() { # [MIN [WHO needs it]]
    local min="${1:-18.18}" who="${2:-}" v
    if ! command -v node >/dev/null 2>&1; then
        apt_install nodejs npm
    elif ! command -v npm >/dev/null 2>&1; then
        apt_install npm
    fi
    v="$(node --version 2>/dev/null)"
    v="${v#v}"
    version_ge "$v" "$min" \
        || die "Node.js $v ($(command -v node)) is too old: ${who:+$who }need >= $min; put a newer node (with npm) first on PATH (Debian 12's own nodejs is 18)"
}
