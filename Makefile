# The README's commands. Everything installs into .venv beside this file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench loadtest lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed-base

## Set up, migrate, seed the demo and serve the site on SQLite at http://127.0.0.1:8000/
run: $(VENV)/.installed-base
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py seed_demo
	DEBUG=true ADMIN_REQUIRE_MFA=false $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Install the dev dependencies and run the whole test suite (DATABASE_URL picks the database)
test: $(VENV)/.installed-dev
	$(BIN)/pytest

## Seed a large stream, serve it with gunicorn on loopback and measure it with wrk
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/run.py

## Readers poll while editors publish, on loopback: 50 readers, 60 s (FAULT=db-restart restarts PostgreSQL mid-run)
loadtest: $(VENV)/.installed-dev
	$(BIN)/python loadtest/run.py $(if $(FAULT),--fault $(FAULT))

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
