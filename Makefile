# boxoffice — developer entry points. Every target installs what it needs (see scripts/).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

.PHONY: help run test lint coverage fuzz openapi sdk sdk-test postman bench bench-db fmt db db-status db-stop clean-db

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{ printf "  make %-10s %s\n", $$1, $$2 }'

run: ## PostgreSQL + release build + migrate + seed, then serve on http://127.0.0.1:8080
	scripts/run.sh

test: ## the CI gate: fmt, clippy -D warnings, domain purity, tests under coverage, SDK/Postman stale checks, SDK tests, schemathesis
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
