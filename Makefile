# Flotilla: the two commands of the quick start are `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BOOT := source infra/bootstrap/lib.sh
RESULTS := .test-results

.PHONY: help setup build image up broker test bench compat lint format generate clean

help:
	@echo "make up      install what is missing, build, and start Flotilla (API + worker)"
	@echo "make broker  one stand-alone broker on 127.0.0.1:9092"
	@echo "make test    the same set-up, then every test"
	@echo "make bench   micro-benchmarks (figures printed, nothing asserted)"
	@echo "make compat  re-record golden bytes from real clients; librdkafka's own test suite against a broker"
	@echo "make lint    biome (lint + format check) and TypeScript type checks"

setup:
	@$(BOOT); ensure_npm_deps; ensure_kafka_clients; ensure_postgres; ensure_redis; ensure_aws_cli; ensure_chromium

build: setup
	npx turbo run build --output-logs=errors-only

# The broker image (infra/image/build.sh: ~7 s the first time, ~1 s when nothing changed). Where no
# Docker engine can run, brokers run as local processes (FLOTILLA_RUNTIME=process) and this only says so.
image: build
	@$(BOOT); if ensure_docker; then infra/image/build.sh; else \
	  echo "no Docker engine: the broker image is not built; brokers will run as local processes"; fi

BROKER_PORT ?= 9092
BROKER_DATA ?= .data/broker-1

# The control plane in the foreground: catalog migrations, then the worker and the API (which prints
# its URL and the admin credentials, generated on first start into .flotilla/credentials). Ctrl-C stops
# both: each drains (the worker lets running jobs finish, the API its requests in flight).
up: build image
	@node packages/db/dist/cli.js
	@trap 'kill -TERM $$api $$worker 2>/dev/null; wait' INT TERM; \
	  node apps/worker/dist/main.js & worker=$$!; \
	  node apps/api/dist/server.js & api=$$!; \
	  wait -n; kill -TERM $$api $$worker 2>/dev/null; wait

# One broker on its own, outside any cluster: bootstrap 127.0.0.1:$(BROKER_PORT).
broker: build
	@echo "Starting one Flotilla broker: bootstrap servers 127.0.0.1:$(BROKER_PORT), metrics on"
	@echo "http://127.0.0.1:$$(( $(BROKER_PORT) + 1000 ))/metrics, data in $(BROKER_DATA). Ctrl-C stops it."
	node packages/broker/dist/main.js --override node.id=1 \
	  --override listeners=PLAINTEXT://127.0.0.1:$(BROKER_PORT) --override log.dirs=$(BROKER_DATA) \
	  --override offsets.topic.replication.factor=1 --override metrics.port=$$(( $(BROKER_PORT) + 1000 ))

test: build image
	@mkdir -p $(RESULTS)
	@set +e; npx vitest run --reporter=default --reporter=json --outputFile.json=$(RESULTS)/vitest.json; \
	  rc=$$?; node infra/ci/summary.mjs $(RESULTS)/vitest.json || rc=1; exit $$rc

bench: build
	npx turbo run bench --concurrency=1 --output-logs=full

compat: build
	@$(BOOT); ensure_compat_tools
	npm run capture -w @flotilla/protocol
	npx vitest run --project protocol test/golden.test.ts
	infra/compat/librdkafka.sh
	infra/compat/librdkafka.sh --cluster
	infra/compat/librdkafka.sh --cluster --noautocreate
	npx tsx apps/worker/compat/burrow-lag.ts

lint: setup
	npx biome check .
	npx turbo run typecheck --output-logs=errors-only

format: setup
	npx biome format --write .

generate: setup
	npm run generate -w @flotilla/protocol

clean:
	rm -rf node_modules packages/*/dist apps/*/dist .turbo $(RESULTS)
