# OpenIOP: plain venv, no Docker. Needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run serve test test-postgres e2e lint format bench install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres,redis]'
	@touch $(STAMP)

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres,redis,dev]'
	@touch $(DEV_STAMP) $(STAMP)

install: $(STAMP)
install-dev: $(DEV_STAMP)

## make run: the app with demo data on an embedded SQLite database
run: $(STAMP)
	@mkdir -p var
	DEBUG=$${DEBUG:-1} $(BIN)/openiop migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/openiop demo
	@# the background worker (schedule runs, exports) stops with the server
	DEBUG=$${DEBUG:-1} $(BIN)/openiop worker & worker=$$!; \
	trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	DEBUG=$${DEBUG:-1} $(BIN)/openiop runserver 127.0.0.1:8000

## make serve: as in production (gunicorn, settings from the environment: docs/operations.md)
serve: $(STAMP)
	$(BIN)/openiop migrate --noinput
	$(BIN)/openiop collectstatic --noinput -v 0
	$(BIN)/openiop serve

## make test: the whole suite (without browser tests) on SQLite
test: $(DEV_STAMP)
	DATABASE_URL= $(BIN)/python -m pytest

## the suite on PostgreSQL (DATABASE_URL must name a server)
test-postgres: $(DEV_STAMP)
	$(BIN)/python -m pytest

## browser tests in Debian's Chromium
e2e: $(DEV_STAMP)
	$(BIN)/python -m pytest -m e2e

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/openiop makemigrations --check --dry-run

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## benchmarks run with DEBUG off (as in production), on DATABASE_URL or var/bench.sqlite3
BENCH_ENV = DEBUG=0 ALLOWED_HOSTS=localhost SECRET_KEY=bench-only-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))') \
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3}
bench: $(DEV_STAMP)
	@mkdir -p var
	$(BIN)/python bench/seed_bench.py
	$(BENCH_ENV) $(BIN)/openiop migrate --noinput -v 0
	$(BENCH_ENV) $(BIN)/openiop bench pages

clean:
	rm -rf var/*.sqlite3* .pytest_cache
