#!/usr/bin/env bash
# `make run`: provision PostgreSQL, build, migrate, seed and serve on 127.0.0.1:8080.
# Re-runnable: migrations and seeding are expected to be idempotent; the private cluster is
# reused; Ctrl-C stops the server (PostgreSQL keeps running: `make clean-db` / pg.sh stop).
# The web app (clients/web) is built when it changed (scripts/web.sh build --if-stale, which
# installs Node.js/npm when missing) and served at /; when it cannot be built the server starts
# anyway (with the previous build if there is one), and the reason is printed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"
ensure_cargo

bin="$(target_dir)/release/boxoffice"
if [ ! -x "$bin" ]; then
    say "first run: building the release binary takes several minutes (later runs reuse it and start in seconds)"
fi

BIND="${BIND:-127.0.0.1:8080}"
given="${DATABASE_URL:-}"
url="$(scripts/pg.sh ensure)"
if [ -n "$given" ] && [ "$url" = "$given" ]; then
    say "using DATABASE_URL from the environment"
    DATABASE_URL="$given"
else
    # our own server: use (and create) the `boxoffice` database on it
    DATABASE_URL="$(scripts/pg.sh db boxoffice)"
fi
export DATABASE_URL

port="${BIND##*:}"
if port_open "$port"; then
    die "something already listens on $BIND (another 'make run'?); stop it or set BIND=127.0.0.1:PORT"
fi

host="http://$BIND"

say "cargo build --release -p boxoffice"
cargo build --release -p boxoffice

say "web app (clients/web)"
if scripts/web.sh build --if-stale; then
    export APP_WEB__DIR="$REPO/clients/web/dist"
    web_line="    Web app      $host/   (clients/web/dist)"
elif [ -f clients/web/dist/index.html ]; then
    warn "the web app could not be built (see above): serving its previous build"
    export APP_WEB__DIR="$REPO/clients/web/dist"
    web_line="    Web app      $host/   (an OLDER build: scripts/web.sh build failed, see above)"
else
    warn "the web app could not be built (see above): serving the API only"
    web_line="    Web app      not built (scripts/web.sh build failed, see above; $host/ says how)"
fi

say "migrate"
"$bin" migrate
say "seed"
"$bin" seed

cat >&2 <<MSG

  boxoffice is starting on $host  (Ctrl-C to stop)
$web_line
    API          $host/api/v1
    Swagger UI   $host/swagger
    OpenAPI      $host/openapi.json
    Health       $host/health
    Database     $DATABASE_URL

  Demo accounts (local only; seeded, see README):
    admin@boxoffice.local     demo-admin-password
    provider@boxoffice.local  demo-provider-password
    customer@boxoffice.local  demo-customer-password
  Sign in:  curl -s -X POST $host/api/v1/auth/login -H 'content-type: application/json' \\
              -d '{"email":"admin@boxoffice.local","password":"demo-admin-password"}'
  Your own first admin (password read from stdin):
    printf '%s\\n' 'a-long-password' | DATABASE_URL=$DATABASE_URL $bin create-admin --email you@example.com

MSG
exec "$bin" serve --bind "$BIND"
