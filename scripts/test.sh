#!/usr/bin/env bash
# `make test` (and CI via .ci/run): the whole gate, in order, failing on the first problem.
#
#   scripts/test.sh              fmt check, clippy -D warnings, domain purity, tests under
#                                coverage (run ONCE, instrumented), then the total line coverage,
#                                then the generated clients' staleness checks (Python SDK,
#                                Postman), the SDK's tests, the web app (API types current,
#                                vitest, build: scripts/web.sh all), its end-to-end tests in
#                                headless Chromium (scripts/e2e.sh) and schemathesis against a
#                                live server
#   scripts/test.sh --lint       fmt check + clippy only
#   scripts/test.sh --coverage   tests under coverage + total only
#
# Installs what it needs: rustfmt, clippy, llvm-tools-preview (rustup), cargo-llvm-cov
# (cargo install --locked), PostgreSQL (scripts/pg.sh ensure), Node.js/npm and Chromium
# (Debian packages, when missing) and the web app's npm dependencies. Tests get DATABASE_URL and
# create their own per-test databases from it.
#
# Knobs: TEST_THREADS (default nproc+2: tests mostly wait on PostgreSQL),
#        TEST_RUNNER=nextest|cargo (default: nextest when cargo-nextest is installed),
#        COVERAGE_IGNORE_REGEX (default excludes crates/bench, the `make bench` load generator).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"
ensure_cargo

mode="all"
case "${1:-}" in
    "") ;;
    --lint) mode="lint" ;;
    --coverage) mode="coverage" ;;
    *) die "usage: $0 [--lint|--coverage]" ;;
esac

started=$SECONDS
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"

lint() {
    ensure_components rustfmt clippy
    say "cargo fmt --all -- --check"
    cargo fmt --all -- --check
    say "cargo clippy --workspace --all-targets -- -D warnings"
    cargo clippy --workspace --all-targets -- -D warnings
}

domain_purity() {
    say "domain purity: boxoffice-domain must not depend on diesel, actix-web, tokio, lettre"
    # the package must resolve, otherwise the checks below would pass vacuously
    cargo tree -p boxoffice-domain -e normal --depth 0 >/dev/null \
        || die "cargo tree -p boxoffice-domain failed (package renamed?)"
    local c out bad=0
    for c in diesel actix-web tokio lettre; do
        if out="$(cargo tree -p boxoffice-domain -e normal --target all -i "$c" 2>/dev/null)" && [ -n "$out" ]; then
            printf 'DOMAIN PURITY VIOLATION: boxoffice-domain pulls in %s:\n%s\n' "$c" "$out" >&2
            bad=1
        fi
    done
    [ "$bad" -eq 0 ] || die "the domain crate must stay free of infrastructure crates"
    echo "domain purity: ok" >&2
}

coverage() {
    ensure_components llvm-tools-preview
    ensure_cargo_tool cargo-llvm-cov cargo-llvm-cov

    say "PostgreSQL for the tests"
    DATABASE_URL="$(scripts/pg.sh ensure)"
    export DATABASE_URL
    echo "DATABASE_URL=$DATABASE_URL" >&2

    local threads="${TEST_THREADS:-$(( $(nproc 2>/dev/null || echo 2) + 2 ))}"
    export RUST_TEST_THREADS="$threads"
    local runner="${TEST_RUNNER:-}"
    if [ -z "$runner" ]; then
        if command -v cargo-nextest >/dev/null 2>&1; then runner=nextest; else runner=cargo; fi
    fi
    local ignore="${COVERAGE_IGNORE_REGEX-crates/bench/}"
    local args=(--workspace --summary-only)
    [ -n "$ignore" ] && args+=(--ignore-filename-regex "$ignore")

    local logdir; logdir="$(target_dir)"
    mkdir -p "$logdir"
    local out="$logdir/coverage-summary.txt"
    if [ "$runner" = nextest ]; then
        say "cargo llvm-cov nextest ${args[*]} (test threads: $threads)"
        cargo llvm-cov nextest "${args[@]}" --test-threads "$threads" --no-fail-fast 2>&1 | tee "$out"
    else
        say "cargo llvm-cov ${args[*]} (RUST_TEST_THREADS=$threads)"
        cargo llvm-cov "${args[@]}" --no-fail-fast 2>&1 | tee "$out"
    fi

    # TOTAL row of llvm-cov's table: Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
    local total
    total="$(awk '$1 == "TOTAL" { lines = $8; missed = $9;
                                  if (lines > 0) printf "%.1f%% lines (%d of %d)", 100 * (lines - missed) / lines, lines - missed, lines;
                                  else printf "n/a (no instrumented lines)" }' "$out" | tail -n1)"
    [ -n "$total" ] || die "no TOTAL line in the coverage report ($out)"
    echo
    echo "coverage: $total${ignore:+ (excluding files matching '$ignore')}"
}

case "$mode" in
    lint) lint ;;
    coverage) coverage ;;
    all)
        lint
        domain_purity
        coverage
        # The live checks below run the server binary the coverage step just built (no second
        # build); its profile data goes to target/, not the working tree.
        if [ -x "$(target_dir)/llvm-cov-target/debug/boxoffice" ]; then
            export LIVE_BIN="$(target_dir)/llvm-cov-target/debug/boxoffice"
            export LLVM_PROFILE_FILE="$(target_dir)/live-checks-%p.profraw"
        fi
        scripts/gen-sdk.sh --check     # clients/python is current with docs/openapi.json
        scripts/gen-postman.sh --check # docs/postman_*.json too
        scripts/sdk-test.sh            # the Python SDK against a live server
        scripts/web.sh all             # the web app: API types current, vitest, production build
        E2E_SKIP_BUILD=1 scripts/e2e.sh # the built app in headless Chromium, two live servers
        scripts/fuzz.sh                # schemathesis, every check, anonymous and as an admin
        ;;
esac
echo "scripts/test.sh $mode: OK in $(( SECONDS - started ))s" >&2
