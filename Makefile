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
	bash scripts/system-deps.sh gettext
	EGOV_ENV=dev $(VENV)/bin/egov manage compilemessages --ignore '.venv' -v 0
	EGOV_ENV=dev $(VENV)/bin/egov migrate --no-input -v 0
	EGOV_ENV=dev $(VENV)/bin/egov seed-demo
	EGOV_ENV=dev $(VENV)/bin/egov collectstatic --no-input -v 0
	@echo "Mở http://127.0.0.1:$(PORT)/  (open in a browser)"
	EGOV_ENV=dev $(VENV)/bin/egov serve --port $(PORT)

## make test: the whole suite on SQLite and on a throw-away PostgreSQL cluster
test: venv-dev
	bash scripts/system-deps.sh gettext chromium
	$(VENV)/bin/egov manage compilemessages --ignore '.venv' -v 0
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

lint: venv-dev
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/ruff format --check src tests
	$(VENV)/bin/mypy src
	$(VENV)/bin/lint-imports
	EGOV_ENV=test $(PY) -m django makemigrations --check --dry-run --settings=egov.settings -v 1
	EGOV_ENV=test $(PY) scripts/openapi.py --check
	EGOV_ENV=production SECRET_KEY=check-only-$$RANDOM-0123456789abcdefghijklmnopqrstuvwxyz \
	  ALLOWED_HOSTS=egov.example.gov.vn $(VENV)/bin/egov check --deploy --fail-level WARNING

test-sqlite: venv-dev
	EGOV_ENV=test DATABASE_URL=sqlite:///$(CURDIR)/var/test-sqlite.sqlite3 \
	  $(PY) -m pytest -p no:randomly -n 2 --dist loadgroup

test-postgres: venv-dev
	bash scripts/pg-test.sh start $(PG_PORT)
	EGOV_ENV=test DATABASE_URL=postgres://postgres@127.0.0.1:$(PG_PORT)/egov \
	  $(PY) -m pytest -n 2 --dist loadgroup; rc=$$?; bash scripts/pg-test.sh stop $(PG_PORT); exit $$rc

## make bench: benchmarks in tests/perf (not part of make test)
bench: venv-dev
	bash scripts/pg-test.sh start $(PG_PORT)
	EGOV_ENV=test $(PY) -m pytest tests/perf --benchmark-only -p no:xdist -o addopts="" \
	  --benchmark-columns=min,mean,median,ops,rounds; rc=$$?; bash scripts/pg-test.sh stop $(PG_PORT); exit $$rc

openapi: venv-dev
	EGOV_ENV=test $(PY) scripts/openapi.py --write

messages: venv-dev
	cd src/egov && ../../$(VENV)/bin/egov manage makemessages -l vi -l en --no-obsolete

clean:
	rm -rf var/test-* var/pg-test
