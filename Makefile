# Two commands matter: `make demo` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/smartcities

.PHONY: install demo simulate test test-fast lint format messages check serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# The demo runs on the embedded SQLite file unless DATABASE_URL says otherwise.
# SIMULATE=1 make demo is make simulate.
demo: install
ifeq ($(SIMULATE),1)
	$(MAKE) simulate
else
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv -v0 || true
	DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py load_demo
	DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)
endif

# The whole programme of July 2024 (manage.py simulate_programme: 312 applicants, the published figures),
# on a SQLite file of its own unless DATABASE_URL says otherwise, served like the demo. Simulated once:
# a second run serves what the first made. SEED=n draws another programme (with a new SIMULATE_DB).
SIMULATE_DB ?= sqlite:///simulate.sqlite3
SEED ?= 20240731
simulate: install
	export DEBUG=1 DATABASE_URL=$${DATABASE_URL:-$(SIMULATE_DB)} SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}; \
	$(BIN)/python manage.py migrate --noinput && \
	{ $(BIN)/python manage.py compilemessages --ignore=.venv -v0 || true; } && \
	$(BIN)/python manage.py simulate_programme --seed $(SEED) --skip-existing && \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The application as production runs it, in the foreground until Ctrl-C: checks, migrate (as
# MIGRATE_DATABASE_URL), collectstatic, then gunicorn on 127.0.0.1:$(PORT), a Celery worker and beat.
# It takes production's environment (DATABASE_URL, REDIS_URL, SECRET_KEY, ...) and refuses DEBUG.
serve: install
	PORT=$(PORT) $(BIN)/python bin/serve

# Tests run on PostgreSQL, the production database (DATABASE_URL overrides), with DEBUG off as in
# production: the key must pass the production rule (grants/secret_key.py); it signs nothing real.
TEST_SECRET_KEY := qr_hekhRZDpD_SrB7WG1vn4BeLrMTPiCiqnUsYKLV0sJoEkBMisvaeGV9bEf0oIe
# One worker per core. A third worker on two cores (the rule until 2026-11-30, for the time tests
# wait on PostgreSQL, Chromium or a subprocess) only contended for them: in paired runs two workers
# ran make test-fast in 70-77 s against 84-86 s and make test in 3:22 against 3:28, with 10-15% less
# CPU. Each file stays on one worker (module fixtures, fixed ports), in the order tests/conftest.py
# gives (--no-loadscope-reorder): the files with a browser or slow test first, so that no 60-160 s file
# starts last and runs alone while the other workers wait (xdist's own order, most tests first, put them
# there).
# No PYTHONDONTWRITEBYTECODE (this Makefile used to export it, and some machines set it): without
# the bytecode cache every process compiled our code and pytest re-rewrote the asserts of every test
# module and plugin (hypothesis, schemathesis: ~400 modules) on each start, ~4 s of CPU per worker
# and per manage.py, gunicorn or celery subprocess the tests start. __pycache__ is git-ignored.
unexport PYTHONDONTWRITEBYTECODE
# TEST_WORKERS=0 runs in one process, for a single test.
TEST_WORKERS ?= $(shell nproc)
XDIST := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
test: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SECRET_KEY=$(TEST_SECRET_KEY) $(BIN)/pytest $(XDIST) $(PYTEST_ARGS)

# The inner loop: everything but the browser tests and the long ones (marked `slow`: concurrency,
# property-based, backups, the whole-programme simulation). CI runs `make test`, all of it.
test-fast: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} SECRET_KEY=$(TEST_SECRET_KEY) $(BIN)/pytest $(XDIST) -m "not browser and not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install
	DEBUG=1 DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run

messages: install
	DEBUG=1 $(BIN)/python manage.py makemessages -l el -l en --ignore=.venv --ignore=staticfiles
	DEBUG=1 $(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
