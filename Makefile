# Entry points of the sales order suite. `make run` and `make test` set everything up themselves.
SHELL := /bin/bash
.DEFAULT_GOAL := help
SOURCES := libs/contracts/src libs/servicekit/src libs/pricing/src services/orders/src services/inventory/src \
           services/billing/src services/documents/src services/console/src

.PHONY: help setup run up down status test lint format demo bench contracts validate rules image

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## install uv, PostgreSQL, Java/Maven, the Kafka jars, fonts and the Python workspace
	@bash deploy/local/setup.sh

# `make run|up TOPOLOGY=split WORKERS=2`: each service as an API process and WORKERS worker
# processes, as deployed (SUITE_TOPOLOGY / SUITE_WORKER_REPLICAS in the environment work too).
TOPOLOGY ?= $(SUITE_TOPOLOGY)
WORKERS ?= $(SUITE_WORKER_REPLICAS)
SHAPE := SUITE_TOPOLOGY="$(TOPOLOGY)" SUITE_WORKER_REPLICAS="$(WORKERS)"

run: setup  ## start Kafka, PostgreSQL and the four services in the foreground (Ctrl-C stops all)
	@$(SHAPE) bash deploy/local/stack.sh up --foreground

up: setup  ## start everything in the background (TOPOLOGY=split WORKERS=2: API + worker processes)
	@$(SHAPE) bash deploy/local/stack.sh up

down:  ## stop the services, Kafka and PostgreSQL
	@bash deploy/local/stack.sh down

status:  ## show what is running
	@bash deploy/local/stack.sh status

test: setup  ## run every test against a real Kafka broker and PostgreSQL server
	@PG_FAST=1 uv run --frozen pytest

lint:  ## ruff, mypy and the event-contract compatibility check
	uv run --frozen ruff check .
	uv run --frozen ruff format --check .
	uv run --frozen mypy $(SOURCES)
	uv run --frozen suite-contracts check

format:  ## apply ruff's fixes and formatting
	uv run --frozen ruff check --fix .
	uv run --frozen ruff format .

demo:  ## walk one order through its whole life (needs `make up` or `make run`)
	@. deploy/local/env.sh && uv run --frozen python scripts/demo.py

# `make bench QUICK=1` is the tiny run CI may call; `make bench JSON=bench.json` keeps the figures.
# `make bench BENCH_ARGS="--steady 10 --minutes 10"`: memory over a steady 10 orders/s.
bench:  ## measure the running suite against same-run floors (needs `make up`; QUICK=1, JSON=FILE)
	@. deploy/local/env.sh && uv run --frozen python scripts/bench.py $(if $(QUICK),--quick) \
		$(if $(JSON),--json $(JSON)) $(BENCH_ARGS)

contracts:  ## re-export the events' JSON Schemas after an (additive) contract change
	uv run --frozen suite-contracts export

rules:  ## regenerate the PrometheusRule of the Kubernetes manifests from deploy/prometheus/alerts.yml
	uv run --frozen python deploy/prometheus/prometheusrule.py

# `make image SERVICE=orders` builds one; `make image CHECK=1 SERVICE=orders` also runs its CLI inside it
# (openapi, migrate on PostgreSQL, the API's /health/ready).
image:  ## build the images with buildah, no Docker engine (SERVICE=orders: one; CHECK=1: run its CLI in it)
	@bash deploy/image/build.sh $(if $(CHECK),check) $(SERVICE)

validate:  ## check Dockerfile, compose, Kubernetes manifests, alerts, dashboards, AsyncAPI docs
	@bash deploy/validate.sh
