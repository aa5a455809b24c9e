# Two commands for a new user: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# python3.13 may be on PATH, or only inside pyenv's versions folder.
PYTHON ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# One test database per checkout, so two clones testing at once do not collide.
TEST_DATABASE_NAME ?= test_kb_$(shell pwd | cksum | cut -d' ' -f1)
# `make run`, `make test` and `make benchmark` use DATABASE_URL if set, else an embedded PostgreSQL
# (kb/devdb.py, data in .pgdata/) on 127.0.0.1:$DEVDB_PORT, 54329 unless set, away from a system
# one on 5432. SERVER_URL starts it when needed and names the server to use.
SERVER_URL = $${DATABASE_URL:-$$($(BIN)/python -m kb.devdb start)}
RUN_ENV = DEBUG=1 DATABASE_URL="$${DATABASE_URL:-$$($(BIN)/python -m kb.devdb url)}"
# makemigrations --check and check --deploy never connect; settings still need a PostgreSQL URL.
OFFLINE_DATABASE_URL := postgres://offline@127.0.0.1:1/offline
# A fresh test database in CI and in fresh clones; `make test REUSE_DB=1` keeps it between runs.
PYTEST_DB := $(if $(REUSE_DB),--reuse-db,--create-db)
# One pytest worker per core (pytest-xdist), each with its own test database; a test module stays
# on one worker, so a module's shared demo is loaded once. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto

.PHONY: help install browser services run serve db-stop test lint check-deploy benchmark bench

help:
	@echo "make run      set up, start an embedded PostgreSQL on 127.0.0.1:$${DEVDB_PORT:-54329} (data in"
	@echo "              .pgdata/; DATABASE_URL=... to use another), load the Cerebrolysin demo,"
	@echo "              serve on 127.0.0.1:$(PORT)"
	@echo "make db-stop  stop that embedded PostgreSQL (its data stay in .pgdata/)"
	@echo "make test     lint, checks and the whole test suite against that PostgreSQL (or DATABASE_URL's)"
	@echo "make serve    production settings: gunicorn and hashed static files on that PostgreSQL"
	@echo "              (both start a background task worker, manage.py db_worker, beside the server)"
	@echo "make bench    the scale benchmark (about 15 min): generated data in kb_bench, gunicorn, wrk"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "python3.13 is needed and was not found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

# The browser tests (tests/browser/) need Debian's Chromium (Playwright's own browser download
# cannot work here) and axe-core from npm; `npm ci` runs again only when package-lock.json changes.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v npm >/dev/null || { echo "npm is needed for axe-core: apt-get install nodejs npm" >&2; exit 1; }
	@[ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund

# The shared cache's tests start a real Redis (Debian's redis-server) of their own.
services:
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }

# Starts the embedded PostgreSQL unless it runs (or DATABASE_URL is set) and records its URL in .env
# for `python manage.py` in this checkout.
run: install
	@test -f .env || printf '# Written by make run: local development settings for manage.py.\nDEBUG=1\n' > .env
	@if [ -z "$$DATABASE_URL" ]; then \
		url="$$($(BIN)/python -m kb.devdb start)" && \
		{ grep -v '^DATABASE_URL=' .env > .env.tmp; printf 'DATABASE_URL=%s\n' "$$url" >> .env.tmp; mv .env.tmp .env; }; \
	fi
	$(RUN_ENV) $(BIN)/python manage.py migrate --noinput
	$(RUN_ENV) $(BIN)/python manage.py load_demo
	@if [ -n "$$DEMO_EDITOR_USERNAME" ]; then $(RUN_ENV) $(BIN)/python manage.py create_demo_editor; fi
	@echo "Serving on http://127.0.0.1:$(PORT)/compounds/cerebrolysin/ (and a task worker beside it)"
	$(RUN_ENV) $(BIN)/python manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# As it would be deployed: production settings (DEBUG off), hashed static files served by
# whitenoise, gunicorn with gunicorn.conf.py on 127.0.0.1:$(PORT), on DATABASE_URL or the embedded
# PostgreSQL. SECRET_KEY, if unset, is generated once into .secret-key (kept out of git).
# SECURE_HTTPS=0 because it serves plain HTTP locally; behind TLS leave it unset.
SERVE_ENV = DEBUG=0 SECURE_HTTPS=$${SECURE_HTTPS:-0} ALLOWED_HOSTS=$${ALLOWED_HOSTS:-127.0.0.1,localhost} \
	SECRET_KEY="$${SECRET_KEY:-$$(cat .secret-key)}" PORT=$(PORT)

serve: install
	@test -n "$$SECRET_KEY" || test -s .secret-key || { umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > .secret-key; }
	url="$(SERVER_URL)" && export DATABASE_URL="$$url" $(SERVE_ENV) && \
	$(BIN)/python manage.py migrate --noinput && \
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0 && \
	{ $(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn kb.wsgi; }

db-stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m kb.devdb stop; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 DATABASE_URL=$(OFFLINE_DATABASE_URL) $(BIN)/python \
		-W "ignore:Got an error checking a consistent migration history:RuntimeWarning" \
		manage.py makemigrations --check --dry-run

# Production settings must pass Django's deployment checks with nothing silenced.
check-deploy: install
	DATABASE_URL=$(OFFLINE_DATABASE_URL) DEBUG=0 ALLOWED_HOSTS=kb.example.org SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# pytest-django creates the test database on that server (its superuser needs CREATEDB).
test: install browser services lint check-deploy
	url="$(SERVER_URL)" && DATABASE_URL="$$url" TEST_DATABASE_NAME=$(TEST_DATABASE_NAME) \
		$(BIN)/pytest $(PYTEST_DB) -n $(TEST_WORKERS) --dist loadfile --cov --cov-report=term:skip-covered

# Benchmarks run like production (DEBUG off: no query log) against the database `kb` of that server.
BENCH_ENV = SECURE_HTTPS=0 ALLOWED_HOSTS=testserver,127.0.0.1 \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"

benchmark: install
	url="$(SERVER_URL)" && export DATABASE_URL="$$url" && \
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput && \
	$(BENCH_ENV) $(BIN)/python manage.py benchmark_import && \
	$(BENCH_ENV) $(BIN)/python manage.py benchmark_pages && \
	$(BENCH_ENV) $(BIN)/python manage.py benchmark_bulk_fetch

# The scale benchmark (kb/management/commands/bench.py; not part of `make test`): the generated
# data in the database kb_bench of the same server (created once), gunicorn and Debian's wrk;
# results in bench/results.json and the README. BENCH_ARGS passes options (e.g. --duration 5).
bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	url="$(SERVER_URL)" && export DATABASE_URL="$${url%/*}/kb_bench" && \
	$(BENCH_ENV) DEBUG=0 $(BIN)/python manage.py bench $(BENCH_ARGS)
