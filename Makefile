# Open eGov VN — the two commands: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_PORT ?= 54329
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test bench lint check-openapi openapi messages venv venv-dev clean pg-start pg-stop test-sqlite test-postgres

$(VENV)/.installed: pyproject.toml requirements/lock.txt
	mkdir -p var
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/lock.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements/lock-dev.txt
	$(PY) -m pip install --quiet -r requirements/lock-dev.txt
	touch $@

venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

## make demo: install, migrate the embedded SQLite database, load the demo province, serve it
demo: venv
	mkdir -p var
	$(PY) scripts/compile_messages.py
	EGOV_ENV=dev $(VENV)/bin/egov migrate --no-input -v 0
	EGOV_ENV=dev $(VENV)/bin/egov seed-demo
	EGOV_ENV=dev $(VENV)/bin/egov collectstatic --no-input -v 0
	@echo "Mở http://127.0.0.1:$(PORT)/  (open in a browser)"
	EGOV_ENV=dev $(VENV)/bin/egov serve --port $(PORT)

## make test: the whole suite on SQLite and on a throw-away PostgreSQL cluster
test: venv-dev
	bash scripts/system-deps.sh chromium poppler fonts softhsm tesseract
	$(PY) scripts/compile_messages.py
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

lint: venv-dev
	$(VENV)/bin/ruff check src tests scripts
	$(VENV)/bin/ruff format --check src tests scripts
	EGOV_ENV=test $(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports
	EGOV_ENV=test $(PY) -m django makemigrations --check --dry-run --settings=egov.settings -v 1
	EGOV_ENV=test $(PY) scripts/openapi.py --check
	$(PY) scripts/settings_doc.py --check
	$(PY) scripts/translations.py check
	EGOV_ENV=production SECRET_KEY=check-only-$$RANDOM-0123456789abcdefghijklmnopqrstuvwxyz \
	  ALLOWED_HOSTS=egov.example.gov.vn $(VENV)/bin/egov check --deploy --fail-level WARNING

# Browser tests run in their own pytest process: Playwright keeps an event loop running in the
# test thread, which must not leak into the other tests.
SQLITE_ENV = EGOV_ENV=test DATABASE_URL=sqlite:///$(CURDIR)/var/test-sqlite.sqlite3 \
  EGOV_TEST_SQLITE=$(CURDIR)/var/test-sqlite-db.sqlite3
PG_ENV = EGOV_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:$(PG_PORT)/egov
PYTEST_UNIT = -m pytest -n 2 --dist loadgroup --ignore=tests/perf --ignore=tests/e2e
PYTEST_E2E = -m pytest tests/e2e

test-sqlite: venv-dev
	mkdir -p var
	$(SQLITE_ENV) $(PY) $(PYTEST_UNIT)
	$(SQLITE_ENV) $(PY) $(PYTEST_E2E)

test-postgres: venv-dev
	@bash scripts/pg-test.sh start $(PG_PORT); rc=$$?; \
	if [ $$rc -eq 3 ]; then \
	  if [ "$$CI" = "true" ]; then echo "PostgreSQL unavailable under CI=true" >&2; exit 1; fi; \
	  echo; echo "!!!!!! WARNING: PostgreSQL is not available: the PostgreSQL pass was SKIPPED !!!!!!"; echo; exit 0; \
	fi; \
	[ $$rc -eq 0 ] || exit $$rc; \
	$(PG_ENV) $(PY) $(PYTEST_UNIT) && $(PG_ENV) $(PY) $(PYTEST_E2E); \
	rc=$$?; bash scripts/pg-test.sh stop $(PG_PORT); exit $$rc

## make bench: benchmarks in tests/perf (not part of make test)
bench: venv-dev
	bash scripts/pg-test.sh start $(PG_PORT)
	EGOV_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:$(PG_PORT)/egov \
	  $(PY) -m pytest tests/perf --benchmark-only -p no:xdist -o addopts="--import-mode=importlib" \
	  -s --benchmark-json=var/bench.json \
	  --benchmark-columns=min,mean,median,ops,rounds; rc=$$?; bash scripts/pg-test.sh stop $(PG_PORT); exit $$rc

openapi: venv-dev
	EGOV_ENV=test $(PY) scripts/openapi.py --write

messages: venv-dev
	EGOV_ENV=test $(VENV)/bin/egov manage makemessages -l vi --no-obsolete --no-location \
	  --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'scripts/*'
	$(PY) scripts/translations.py check

clean:
	rm -rf var/test-* var/pg-test-*
