#!/usr/bin/env bash
# `make fuzz` (and the last step of `make test`): schemathesis reads the served /openapi.json and
# runs every check against a real server on a fresh, seeded database — once anonymous, once as
# the seeded admin — and fails on any finding.
#
#   scripts/fuzz.sh
#
# Installs schemathesis (pinned, from PyPI) into .venv-fuzz/ (gitignored) on first use; starts the
# server with scripts/live-server.sh (needs PostgreSQL like the tests: scripts/pg.sh).
# Settings in scripts/schemathesis.toml; what is relaxed there, and why, is in docs/api.md
# ("The OpenAPI document and fuzzing"). One check is off: use_after_free — delete_booking
# cancels a booking, which stays readable with status `cancelled` by design.
#
# Knobs: FUZZ_MAX_EXAMPLES (per operation and phase, default 40), FUZZ_MAX_TIME (seconds per run,
#        default 100), FUZZ_WORKERS (default 2; 1 on Python < 3.12), FUZZ_SEED (default 20261206;
#        `random` for a new one, printed for a replay),
#        FUZZ_RUNS ("anonymous admin" by default; one of them to run only that).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

SCHEMATHESIS_VERSION=4.32.5
venv="$REPO/.venv-fuzz"
st="$venv/bin/schemathesis"

if ! "$st" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    command -v python3 >/dev/null 2>&1 || die "python3 is needed for schemathesis"
    say "installing schemathesis $SCHEMATHESIS_VERSION into .venv-fuzz (one-off)"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
    "$venv/bin/pip" install -q --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
fi

source "$REPO/scripts/live-server.sh"
live_server_start fuzz

max_examples="${FUZZ_MAX_EXAMPLES:-40}"
max_time="${FUZZ_MAX_TIME:-100}"
# CPython before 3.12 can fail `ast.parse` in concurrent threads ("AST constructor recursion depth
# mismatch", which hypothesis hits while describing its strategies): one worker there.
if "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then
    default_workers=2
else
    default_workers=1
fi
workers="${FUZZ_WORKERS:-$default_workers}"
# A fixed seed by default, so that `make test` explores the same cases on every run (a red CI is a
# finding, not luck); FUZZ_SEED=random explores new ones.
seed="${FUZZ_SEED:-20261206}"
[ "$seed" = random ] && seed="$RANDOM$RANDOM"
report_dir="$(target_dir)/fuzz"
mkdir -p "$report_dir"

# The seeded admin (README, "Demo accounts"): a bearer token for the second run.
admin_token() {
    curl -sf -m 10 -H 'Content-Type: application/json' \
        -d '{"email":"admin@boxoffice.local","password":"demo-admin-password"}' \
        "$LIVE_URL/api/v1/auth/login" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

fuzz() { # label [extra schemathesis args...]
    local label="$1"
    shift
    say "schemathesis ($label): every check, ≤ $max_examples examples per operation, ≤ ${max_time}s, seed $seed"
    "$st" --config-file "$REPO/scripts/schemathesis.toml" run "$LIVE_URL/openapi.json" \
        --url "$LIVE_URL" \
        --checks all \
        --exclude-checks use_after_free \
        --exclude-operation-id stream_seat_map \
        --exclude-operation-id stream_my_notifications \
        --max-examples "$max_examples" \
        --max-time "$max_time" \
        --workers "$workers" \
        --seed "$seed" \
        --generation-database none \
        --report junit --report-junit-path "$report_dir/$label.xml" \
        "$@"
}

failed=()
for run in ${FUZZ_RUNS:-anonymous admin}; do
    case "$run" in
        anonymous) fuzz anonymous || failed+=(anonymous) ;;
        admin)
            token="$(admin_token)" || die "could not sign in as the seeded admin"
            fuzz admin -H "Authorization: Bearer $token" || failed+=(admin)
            ;;
        *) die "unknown FUZZ_RUNS entry: $run (anonymous, admin)" ;;
    esac
done
[ "${#failed[@]}" -eq 0 ] || die "schemathesis found problems (runs: ${failed[*]}; seed $seed; server log: $LIVE_LOG)"
echo "scripts/fuzz.sh: no findings (seed $seed)" >&2
