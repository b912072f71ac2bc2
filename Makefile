# The README's commands. Everything installs into .venv beside this file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo runs on your machine: DEBUG on (SQLite, mail printed here), two-factor not required.
DEMO_ENV := DEBUG=true
SERVE_ENV := $(DEMO_ENV) ADMIN_REQUIRE_MFA=false

.PHONY: setup run worker test bench loadtest stack stack-stop lint format clean

$(BIN)/python:
	@echo "== Making a virtualenv in $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# pip prints each package as it installs: the first run takes about a minute.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	@echo "== Installing Pressimus and its packages into $(VENV) (about a minute the first time)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar off -e . | grep -v "^Requirement already satisfied" || true
	@$(BIN)/python -c "import django, allauth, PIL" || (echo "The install failed: see above." >&2; exit 1)
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	@echo "== Installing Pressimus with its test tools into $(VENV) (about a minute the first time)"
	$(BIN)/pip install --disable-pip-version-check --progress-bar off -e '.[dev]' | grep -v "^Requirement already satisfied" || true
	@$(BIN)/python -c "import django, pytest, playwright" || (echo "The install failed: see above." >&2; exit 1)
	touch $@ $(VENV)/.installed-base

## Set up: the virtualenv with the site's packages, and the SQLite database (db.sqlite3) migrated
setup: $(VENV)/.installed-base
	@echo "== Migrating the database"
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input

## Set up, seed the demo and serve the site on SQLite at http://127.0.0.1:8000/
run: setup
	@echo "== Seeding the demo content and accounts"
	$(DEMO_ENV) $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "== Pressimus:    http://$(HOST):$(PORT)/"
	@echo "   back office:  http://$(HOST):$(PORT)/admin/  (demo accounts in README.md, password pressimus-demo)"
	@echo "   mail the site sends is printed here; Ctrl+C stops the server and the task worker"
	@echo ""
	@# The task worker sends the mail (alerts, acknowledgements, password resets) in the background.
	$(SERVE_ENV) $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT; \
	$(SERVE_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the task queue's worker (mail, alerts) for the SQLite database of `make run`, on its own
worker: setup
	$(SERVE_ENV) $(BIN)/python manage.py db_worker

## Install the dev dependencies and run the whole test suite (DATABASE_URL picks the database)
test: $(VENV)/.installed-dev
	$(BIN)/pytest

## Seed a large stream, serve it with gunicorn on loopback and measure it with wrk; then the
## edge cache against nginx serving a file (bench/edge.py; skipped without nginx and Nchan)
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py
	$(BIN)/python bench/edge.py

## Readers poll while editors publish, on loopback: 50 readers, 60 s (FAULT=db-restart restarts PostgreSQL mid-run;
## MODE=stack: the production shape, nginx + Nchan + 2 replicas, under 100 000 polling and 10 000 push readers)
loadtest: $(VENV)/.installed-dev
	$(BIN)/python loadtest/run.py $(if $(MODE),--mode $(MODE)) $(if $(FAULT),--fault $(FAULT))

## The production shape on loopback, in the background: nginx with Nchan (edge cache, push), two
## gunicorn replicas, PostgreSQL, Redis and the task worker over plain HTTP, seeded with the demo;
## its environment in .stack/env (`set -a; . .stack/env` joins it), its address the last line
## (needs: apt-get install nginx libnginx-mod-nchan gettext-base)
stack: $(VENV)/.installed-dev
	$(BIN)/python deploy/stack.py --detach $(if $(STACK_PORT),--port $(STACK_PORT))

## Stop everything `make stack` started
stack-stop:
	$(BIN)/python deploy/stack.py --stop

## Mutation testing of the modules that guard security and personal data: each module's score
## and its surviving mutants (slow, not in CI; run it before changing one of those modules)
.PHONY: mutants
mutants: $(VENV)/.installed-dev
	$(BIN)/python mutants/run.py $(MODULES)

## Remake the explainer video /about/ plays (static/explainer/) from the demo site: narration
## in explainer/narration.toml; needs ffmpeg, espeak-ng and chromium (apt-get install them)
.PHONY: explainer
explainer: $(VENV)/.installed-dev
	$(BIN)/python explainer/make.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DEMO_ENV) $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
