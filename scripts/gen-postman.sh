#!/usr/bin/env bash
# The Postman collection and environment, generated from docs/openapi.json by the npm package
# openapi-to-postmanv2 (pinned below):
#
#   scripts/gen-postman.sh           write docs/postman_collection.json and
#                                    docs/postman_environment.json (`make postman`)
#   scripts/gen-postman.sh --check   fail when they differ from what the document gives (`make test`)
#
# The converter's output is made deterministic here: its random ids become ids derived from
# each item's place in the collection, its fake example values come from a seeded generator and
# its example timestamps are one fixed instant. Then, from the document: a collection-level
# bearer auth with {{accessToken}} (operations without the bearer scheme are `noauth`), the
# X-Booking-Token header reads {{guestToken}} and a booking's id {{bookingId}}, and the sign-up / login / refresh and booking
# requests store the tokens they return in the environment. Needs Node.js and npm; the
# converter is installed under .tools/ (gitignored, reused). Knob: BOXOFFICE_TOOLS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"

CONVERTER_VERSION="6.3.3" # npm openapi-to-postmanv2
SPEC="docs/openapi.json"
COLLECTION="docs/postman_collection.json"
ENVIRONMENT="docs/postman_environment.json"
TOOLS="${BOXOFFICE_TOOLS:-$REPO/.tools}"
NODE_DIR="$TOOLS/openapi-to-postmanv2-$CONVERTER_VERSION"

check=0
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    *) die "usage: $0 [--check]" ;;
esac

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    || die "node/npm not found: install Node.js (Debian: apt-get install nodejs npm)"
if [ ! -d "$NODE_DIR/node_modules/openapi-to-postmanv2" ]; then
    say "npm install openapi-to-postmanv2@$CONVERTER_VERSION (into $NODE_DIR)"
    rm -rf "$NODE_DIR"
    mkdir -p "$NODE_DIR"
    (cd "$NODE_DIR" && npm install --silent --no-audit --no-fund --no-save \
        "openapi-to-postmanv2@$CONVERTER_VERSION" >&2)
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
NODE_PATH="$NODE_DIR/node_modules" node - "$SPEC" "$tmp/collection.json" "$tmp/environment.json" <<'JS'
"use strict";
// A seeded Math.random (mulberry32) before the converter loads: its fake examples repeat.
let seed = 20261206;
Math.random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const fs = require("fs");
const crypto = require("crypto");
const Converter = require("openapi-to-postmanv2");
const [specPath, collectionPath, environmentPath] = process.argv.slice(2);
const specText = fs.readFileSync(specPath, "utf8");
const spec = JSON.parse(specText);

// A UUID-shaped id from a name (stable across runs).
const stableId = (name) => {
  const h = crypto.createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const FIXED_TIME = "2026-01-01T12:00:00.000Z";
const timestamps = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g;

// An operation of the document for a Postman request (":id" path segments are "{id}").
const operationOf = (request) => {
  const path = "/" + request.url.path.map((s) => (s.startsWith(":") ? `{${s.slice(1)}}` : s)).join("/");
  return (spec.paths[path] || {})[request.method.toLowerCase()];
};
const usesBearer = (op) =>
  (op.security || spec.security || []).some((req) => Object.keys(req).length > 0);

const script = (lines) => [{ listen: "test", script: { type: "text/javascript", exec: lines } }];
const captures = {
  signup: ["accessToken", "refreshToken"],
  login: ["accessToken", "refreshToken"],
  refresh_tokens: ["accessToken", "refreshToken"],
};
const capture = (op) => {
  const id = op.operationId || "";
  const path = Object.entries(spec.paths).find(([, ops]) => Object.values(ops).includes(op))[0];
  if (captures[id] || /\/auth\/(signup|login|refresh)$/.test(path)) {
    return script([
      "// keep the tokens for the requests that follow",
      "const body = pm.response.json();",
      "if (body.access_token) { pm.environment.set('accessToken', body.access_token); }",
      "if (body.refresh_token) { pm.environment.set('refreshToken', body.refresh_token); }",
    ]);
  }
  if (/^\/api\/v1\/(bookings|events\/\{id\}\/book)$/.test(path) && op === spec.paths[path].post) {
    return script([
      "// keep the booking's id, and a guest's token (shown only in this answer)",
      "const body = pm.response.json();",
      "if (body.id) { pm.environment.set('bookingId', body.id); }",
      "if (body.guest_token) { pm.environment.set('guestToken', body.guest_token); }",
    ]);
  }
  return undefined;
};

const walk = (items, trail) => {
  for (const item of items) {
    const here = `${trail}/${item.name}`;
    item.id = stableId(here);
    if (item.item) {
      walk(item.item, here);
      continue;
    }
    const op = operationOf(item.request);
    if (!op) throw new Error(`no operation for ${item.request.method} ${item.request.url.path.join("/")}`);
    // the collection's bearer auth ({{accessToken}}) for the operations that take it
    if (usesBearer(op)) delete item.request.auth;
    else item.request.auth = { type: "noauth" };
    if (/^api\/v1\/bookings\/:id/.test(item.request.url.path.join("/"))) {
      for (const v of item.request.url.variable || []) if (v.key === "id") v.value = "{{bookingId}}";
    }
    for (const header of item.request.header || []) {
      if (header.key.toLowerCase() === "x-booking-token") header.value = "{{guestToken}}";
    }
    // a `format: binary` multipart field is a file to pick (the converter says so only once
    // when two operations share the schema)
    for (const field of (item.request.body && item.request.body.formdata) || []) {
      if (field.value === "<binary>" || field.type === "file") {
        field.type = "file";
        delete field.value;
      }
    }
    const events = capture(op);
    if (events) item.event = events;
    (item.response || []).forEach((res, i) => {
      res.id = stableId(`${here}#${res.code}#${i}`);
      if (typeof res.body === "string") res.body = res.body.replace(timestamps, FIXED_TIME);
      for (const header of (res.originalRequest && res.originalRequest.header) || []) {
        if (header.key.toLowerCase() === "x-booking-token") header.value = "{{guestToken}}";
      }
    });
  }
};

const BASE_URL = "http://127.0.0.1:8080";
Converter.convert(
  { type: "string", data: specText },
  {
    folderStrategy: "Tags",
    requestNameSource: "Fallback",
    parametersResolution: "Schema",
    enableOptionalParameters: false,
    indentCharacter: "Space",
  },
  (err, res) => {
    if (err || !res.result) {
      console.error("openapi-to-postmanv2:", err || res.reason);
      process.exit(1);
    }
    const collection = res.output[0].data;
    collection.info._postman_id = stableId(`collection ${spec.info.title}`);
    walk(collection.item, "");
    collection.auth = { type: "bearer", bearer: [{ key: "token", value: "{{accessToken}}", type: "string" }] };
    collection.variable = [{ key: "baseUrl", value: BASE_URL, type: "string" }];
    fs.writeFileSync(collectionPath, JSON.stringify(collection, null, 2) + "\n");
    const variable = (key, value, type = "default") => ({ key, value, type, enabled: true });
    const environment = {
      id: stableId(`environment ${spec.info.title} local`),
      name: `${spec.info.title} (local)`,
      values: [
        variable("baseUrl", BASE_URL),
        variable("accessToken", "", "secret"),
        variable("refreshToken", "", "secret"),
        variable("guestToken", "", "secret"),
        variable("bookingId", ""),
      ],
      _postman_variable_scope: "environment",
    };
    fs.writeFileSync(environmentPath, JSON.stringify(environment, null, 2) + "\n");
  }
);
JS

if [ "$check" -eq 1 ]; then
    stale=0
    cmp -s "$tmp/collection.json" "$COLLECTION" || { warn "$COLLECTION is stale"; stale=1; }
    cmp -s "$tmp/environment.json" "$ENVIRONMENT" || { warn "$ENVIRONMENT is stale"; stale=1; }
    [ "$stale" -eq 0 ] || die "the Postman files are stale against $SPEC: run \`make postman\` and commit them"
    echo "the Postman files are current with $SPEC" >&2
else
    cp "$tmp/collection.json" "$COLLECTION"
    cp "$tmp/environment.json" "$ENVIRONMENT"
    echo "wrote $COLLECTION and $ENVIRONMENT" >&2
fi
