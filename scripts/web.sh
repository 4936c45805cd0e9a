#!/usr/bin/env bash
# The web app in clients/web (React + TypeScript, Vite): its dependencies, API types, unit tests
# and production build.
#
#   scripts/web.sh check    regenerate the OpenAPI types (src/api/schema.d.ts, from
#                           docs/openapi.json) into a temporary file and fail when the checked-in
#                           file differs (`make web-types` fixes it)
#   scripts/web.sh types    regenerate src/api/schema.d.ts (`make web-types`)
#   scripts/web.sh test     the unit tests (vitest run, jsdom)               (`make web-test`)
#   scripts/web.sh build    tsc --noEmit + vite build → clients/web/dist      (`make web`)
#   scripts/web.sh build --if-stale
#                           the same, skipped when dist/index.html is newer than every source
#                           (src/, index.html, configs, package-lock.json)    (`make run`)
#   scripts/web.sh deps     only the dependencies (npm ci when needed)
#   scripts/web.sh all      check, test, build                                (`make test`)
#
# Installs what it needs: Node.js >= 18.18 and npm (Debian's nodejs and npm with apt-get when
# node is missing; an older node is an error), and the npm dependencies with `npm ci` when
# clients/web/node_modules is missing or older than package-lock.json.
#
# npm 11 runs no dependency install scripts that package.json's allowScripts does not list, so
# esbuild's postinstall is skipped. esbuild does not need it (its binary comes in the
# @esbuild/<platform> package); after `npm ci` we check that esbuild runs and only if it does
# not, run its install script by hand.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
WEB="$REPO/clients/web"
cd "$WEB"

usage() { die "usage: $0 {check|types|test|build [--if-stale]|deps|all}"; }

esbuild_works() {
    node -e "require('esbuild').transformSync('let a = 1')" >/dev/null 2>&1
}

deps() {
    ensure_node 18.18
    local stamp="node_modules/.package-lock.json" # written by every npm install
    if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
        say "npm ci in clients/web ($(node --version), npm $(npm --version))"
        npm ci --no-audit --no-fund >&2
        touch "$stamp"
    fi
    if ! esbuild_works; then
        say "esbuild does not run: running its install script (node node_modules/esbuild/install.js)"
        node node_modules/esbuild/install.js >&2 || true
        esbuild_works || die "esbuild does not run after npm ci (remove clients/web/node_modules and retry)"
    fi
}

# The package.json script gen:api, writing to $1 instead of src/api/schema.d.ts (same flags).
gen_types_to() { # output file
    local script
    script="$(node -p "require('./package.json').scripts['gen:api'] || ''")"
    [[ "$script" == *"src/api/schema.d.ts"* ]] \
        || die "package.json script gen:api does not write src/api/schema.d.ts: update scripts/web.sh"
    script="${script//src\/api\/schema.d.ts/$1}"
    PATH="$WEB/node_modules/.bin:$PATH" bash -c "$script" >/dev/null
}

check() {
    say "web: src/api/schema.d.ts is current with docs/openapi.json"
    local tmp
    tmp="$(mktemp -d)"
    if ! gen_types_to "$tmp/schema.d.ts"; then
        rm -rf "$tmp"
        die "openapi-typescript failed on docs/openapi.json"
    fi
    if ! diff -u src/api/schema.d.ts "$tmp/schema.d.ts" >"$tmp/diff"; then
        head -n 40 "$tmp/diff" >&2
        rm -rf "$tmp"
        die "clients/web/src/api/schema.d.ts is stale (docs/openapi.json changed): run 'make web-types' and commit it"
    fi
    rm -rf "$tmp"
    echo "web types: current" >&2
}

types() {
    say "npm run gen:api (docs/openapi.json → clients/web/src/api/schema.d.ts)"
    npm run -s gen:api >&2
}

unit_tests() {
    say "npm test (vitest run)"
    npm test
}

# 0 when dist/index.html is newer than every input of the build.
dist_fresh() {
    [ -f dist/index.html ] || return 1
    local newer
    newer="$(find src public index.html package.json package-lock.json vite.config.ts tsconfig*.json \
        -newer dist/index.html -print -quit 2>/dev/null || true)"
    [ -z "$newer" ]
}

build() {
    say "npm run build (tsc --noEmit && vite build → clients/web/dist)"
    npm run -s build >&2 || die "the web app does not build (tsc or vite, see above)"
    [ -f dist/index.html ] || die "the build wrote no clients/web/dist/index.html"
    echo "web: built clients/web/dist" >&2
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    check) deps; check ;;
    types) deps; types ;;
    test) deps; unit_tests ;;
    build)
        case "${1:-}" in
            "") ;;
            --if-stale) if dist_fresh; then echo "web: clients/web/dist is current (not rebuilt)" >&2; exit 0; fi ;;
            *) usage ;;
        esac
        deps
        build
        ;;
    deps) deps ;;
    all) deps; check; unit_tests; build ;;
    *) usage ;;
esac
