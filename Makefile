# Core DICT. `make run`: the whole service on its embedded defaults (manage.py serve); `make test`: the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Tests use the real servers; override these to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/core_dict
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# A throwaway key per run, never the shell's SECRET_KEY (settings refuse a missing or weak one on PostgreSQL).
TEST_SECRET_KEY ?= $(shell $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')
# Test processes (pytest-xdist), each on its own test database and Redis key prefix; 0 or empty: one process.
# Tests marked `alone` (the homologation rehearsal: beat's schedule and BCB's threads for minutes) run after,
# one at a time, with nothing beside them; an empty selection (exit 5) is not a failure.
PYTEST_WORKERS ?= 2

.PHONY: run test venv dev-venv migrate lint format clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed
dev-venv: $(BIN)/.dev-installed

migrate: venv
	$(BIN)/python manage.py migrate --noinput

run: migrate
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py serve --port $(PORT)

test: dev-venv
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	SECRET_KEY=$(TEST_SECRET_KEY) CELERY_TASK_ALWAYS_EAGER=1 sh -c '($(BIN)/pytest $(if $(PYTEST_WORKERS),-n $(PYTEST_WORKERS)) -m "not alone" $(PYTEST_ARGS) || [ $$? -eq 5 ]) \
	  && ($(BIN)/pytest -n 0 -m alone $(PYTEST_ARGS) || [ $$? -eq 5 ])'

lint: dev-venv
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check .

format: dev-venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
