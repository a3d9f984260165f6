# The two commands of the README: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
CHROMIUM ?= /usr/lib/chromium/chromium

.PHONY: run demo-reset test install browser lint migrate worker beat

$(VENV)/.installed: requirements.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

## Serve the portal with demo data on the embedded default (SQLite, local files, eager Celery).
## `make run PORT=8001` (and HOST=...) serves elsewhere; links in emails follow unless SITE_URL is set.
HOST ?= 127.0.0.1
PORT ?= 8000
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: migrate
	$(PY) manage.py seed_demo
	@echo "Serving http://$(HOST):$(PORT)  (staff admin: http://$(HOST):$(PORT)/admin/)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## Put the demo back as seeded (only the demo accounts, purposes and partner; nobody else's data).
demo-reset: migrate
	$(PY) manage.py seed_demo --reset

## Debian's Chromium for the browser tests (Playwright's own browser download cannot work here).
browser:
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

## The whole suite, on whatever the environment selects (nothing set: SQLite, eager Celery, local files).
test: install browser
	$(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

worker: install
	$(VENV)/bin/celery -A config worker --loglevel=info

beat: install
	$(VENV)/bin/celery -A config beat --loglevel=info
