# Flotilla: the two commands of the quick start are `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
BOOT := source infra/bootstrap/lib.sh
RESULTS := .test-results

.PHONY: help setup build up test bench compat lint format generate clean

help:
	@echo "make up      install what is missing, build, and start Flotilla"
	@echo "make test    the same set-up, then every test"
	@echo "make bench   micro-benchmarks (figures printed, nothing asserted)"
	@echo "make compat  real Kafka clients (kcat, kafkajs) against the codec: re-record and check golden bytes"
	@echo "make lint    biome (lint + format check) and TypeScript type checks"

setup:
	@$(BOOT); ensure_npm_deps

build: setup
	npx turbo run build --output-logs=errors-only

up: build
	@echo
	@echo "Built: @flotilla/protocol (Kafka wire protocol codecs, record batches, admin client)."
	@echo "The broker (packages/broker) and the control plane (apps/api, apps/worker) land with the"
	@echo "next issues; until then there is no service to start. See README.md for the status."

test: build
	@mkdir -p $(RESULTS)
	@set +e; npx vitest run --reporter=default --reporter=json --outputFile.json=$(RESULTS)/vitest.json; \
	  rc=$$?; node infra/ci/summary.mjs $(RESULTS)/vitest.json || rc=1; exit $$rc

bench: build
	npx turbo run bench --concurrency=1 --output-logs=full

compat: build
	@$(BOOT); ensure_kafka_clients
	npm run capture -w @flotilla/protocol
	npx vitest run --project protocol test/golden.test.ts

lint: setup
	npx biome check .
	npx turbo run typecheck --output-logs=errors-only

format: setup
	npx biome format --write .

generate: setup
	npm run generate -w @flotilla/protocol

clean:
	rm -rf node_modules packages/*/dist apps/*/dist .turbo $(RESULTS)
