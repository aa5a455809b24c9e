# Two commands for a new user: `make run` and `make test`. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# python3.13 may be on PATH, or only inside pyenv's versions folder.
PYTHON ?= $(shell for p in python3.13 $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do "$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/kb
# One test database per checkout, so two clones testing at once do not collide.
TEST_DATABASE_NAME ?= test_kb_$(shell pwd | cksum | cut -d' ' -f1)
# `make run` serves from DATABASE_URL if set, else from an embedded PostgreSQL (kb/devdb.py, data
# in .pgdata/) on 127.0.0.1:$DEVDB_PORT, 54329 unless set, away from the system one on 5432.
RUN_ENV = DEBUG=1 DATABASE_URL="$${DATABASE_URL:-$$($(BIN)/python -m kb.devdb url)}"
# makemigrations --check and check --deploy never connect; settings still need a PostgreSQL URL.
OFFLINE_DATABASE_URL := postgres://offline@127.0.0.1:1/offline
# A fresh test database in CI and in fresh clones; `make test REUSE_DB=1` keeps it between runs.
PYTEST_DB := $(if $(REUSE_DB),--reuse-db,--create-db)

.PHONY: help install browser postgres run db-stop test lint check-deploy benchmark

help:
	@echo "make run      set up, start an embedded PostgreSQL on 127.0.0.1:$${DEVDB_PORT:-54329} (data in"
	@echo "              .pgdata/; DATABASE_URL=... to use another), load the Cerebrolysin demo,"
	@echo "              serve on 127.0.0.1:$(PORT)"
	@echo "make db-stop  stop that embedded PostgreSQL (its data stay in .pgdata/)"
	@echo "make test     lint, checks and the whole test suite against PostgreSQL on 127.0.0.1:5432"

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

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start" >&2; exit 1

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
	@echo "Serving on http://127.0.0.1:$(PORT)/compounds/cerebrolysin/"
	$(RUN_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

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

test: install browser postgres lint check-deploy
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_DATABASE_NAME=$(TEST_DATABASE_NAME) $(BIN)/pytest $(PYTEST_DB) --cov --cov-report=term:skip-covered

# Benchmarks run like production (DEBUG off: no query log) against the PostgreSQL database `kb`.
BENCH_ENV = DATABASE_URL=$(TEST_DATABASE_URL) SECURE_HTTPS=0 ALLOWED_HOSTS=testserver,127.0.0.1 \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"

benchmark: install postgres
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'kb'" | grep -q 1 || createdb -h 127.0.0.1 -U postgres kb
	$(BENCH_ENV) $(BIN)/python manage.py migrate --noinput
	$(BENCH_ENV) $(BIN)/python manage.py benchmark_import
	$(BENCH_ENV) $(BIN)/python manage.py benchmark_pages
