# boxoffice — developer entry points. Every target installs what it needs (see scripts/).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

.PHONY: help run test lint coverage fuzz openapi sdk sdk-test postman web web-test web-types e2e bench bench-db fmt db db-status db-stop clean-db

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-10s %s\n", $$1, $$2 }'

run: ## PostgreSQL + release build + web app build + migrate + seed, then serve on http://127.0.0.1:8080
	scripts/run.sh

test: ## the CI gate: fmt, clippy, domain purity, tests under coverage, SDK/Postman stale checks, SDK tests, web app (types, vitest, build), e2e in Chromium, schemathesis
	scripts/test.sh

lint: ## cargo fmt --check + clippy -D warnings
	scripts/test.sh --lint

coverage: ## tests under cargo-llvm-cov, prints the total line coverage
	scripts/test.sh --coverage

fuzz: ## schemathesis (every check) against a live server, anonymous and as the admin
	scripts/fuzz.sh

openapi: ## write docs/openapi.json from the binary (no database needed)
	@. scripts/lib.sh && ensure_cargo && \
	cargo run -q -p boxoffice -- openapi > docs/openapi.json.tmp && \
	mv docs/openapi.json.tmp docs/openapi.json && echo "wrote docs/openapi.json" || \
	{ rm -f docs/openapi.json.tmp; exit 1; }

sdk: ## regenerate the Python SDK in clients/python from docs/openapi.json (OpenAPI Generator)
	scripts/gen-sdk.sh

sdk-test: ## the Python SDK's tests and quickstart against a live server
	scripts/sdk-test.sh

postman: ## regenerate docs/postman_collection.json + docs/postman_environment.json
	scripts/gen-postman.sh

web: ## build the web app (clients/web → clients/web/dist; npm ci when needed)
	scripts/web.sh build

web-test: ## the web app's unit tests (vitest)
	scripts/web.sh test

web-types: ## regenerate the web app's API types (clients/web/src/api/schema.d.ts) from docs/openapi.json
	scripts/web.sh types

e2e: ## the web app in headless Chromium against two live servers (screenshots in target/e2e/)
	scripts/e2e.sh

bench: ## yardstick + pgbench mirror + HTTP flash sale / reads (cached, uncached) / GA oversell (docs/performance.md)
	scripts/bench.sh

bench-db: ## only the database-alone pgbench baseline
	scripts/bench.sh --db-only

fmt: ## cargo fmt --all
	@. scripts/lib.sh && ensure_cargo && cargo fmt --all

db: ## start (provisioning if needed) the private PostgreSQL, print its URL
	@scripts/pg.sh ensure

db-status: ## is the private PostgreSQL running?
	@scripts/pg.sh status

db-stop: ## stop the private PostgreSQL
	@scripts/pg.sh stop

clean-db: ## stop the private PostgreSQL and delete .pgdata
	@scripts/pg.sh clean
