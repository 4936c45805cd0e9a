#!/usr/bin/env bash
# Vendors Swagger UI (the npm package swagger-ui-dist) into crates/api-actix/assets/swagger-ui/,
# from where crates/api-actix/src/swagger.rs bundles it into the binary (no CDN at run time).
#
#   scripts/update-swagger-ui.sh            the pinned version below
#   scripts/update-swagger-ui.sh 5.36.1     another version (then update SWAGGER_UI_VERSION here)
#
# Only the files the page needs are kept: swagger-ui-bundle.js, swagger-ui.css, the two
# favicons, and the licence texts. Our own index.html and initializer (swagger-init.js, in the
# same folder, not from the package) fix the spec URL to /openapi.json and turn off
# query-string configuration. Needs npm (Node.js).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

SWAGGER_UI_VERSION="${1:-5.36.0}"
dest="crates/api-actix/assets/swagger-ui"
command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js (Debian: apt-get install nodejs npm)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
say "npm pack swagger-ui-dist@$SWAGGER_UI_VERSION"
(cd "$tmp" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" >/dev/null)
tar -xzf "$tmp"/swagger-ui-dist-*.tgz -C "$tmp"
got="$(node -p 'require(process.argv[1]).version' "$tmp/package/package.json")"
[ "$got" = "$SWAGGER_UI_VERSION" ] || die "npm gave swagger-ui-dist $got, wanted $SWAGGER_UI_VERSION"
case "$got" in 5.*) ;; *) die "the server's page is written for Swagger UI 5.x (got $got)" ;; esac

mkdir -p "$dest"
for f in swagger-ui-bundle.js swagger-ui.css favicon-16x16.png favicon-32x32.png LICENSE NOTICE \
    swagger-ui-bundle.js.LICENSE.txt; do
    cp "$tmp/package/$f" "$dest/$f"
done
# The stylesheet ends with a source-map comment; the map is not shipped, so drop the reference
# (browsers' developer tools would otherwise ask the server for it and get a 404).
sed -i '/^\/[*/]# sourceMappingURL=/d' "$dest/swagger-ui-bundle.js" "$dest/swagger-ui.css"
printf '%s\n' "$got" >"$dest/VERSION"
say "vendored swagger-ui-dist $got into $dest"
