# Thước Đo: the commands a developer needs. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export THUOCDO_VAR_DIR ?= $(CURDIR)/var

.PHONY: install run serve demo test test-fast lint fmt typecheck bench vendor messages clean help

help:
	@echo "make run      create .venv, install, migrate SQLite, load the demo province, serve http://127.0.0.1:8000"
	@echo "make test     the whole suite (DATABASE_URL picks the database; SQLite by default)"
	@echo "make install  just .venv with the project and dev tools ('thuocdo' lands in .venv/bin)"
	@echo "make lint     ruff, import contracts, mypy (strict on core)"
	@echo "make bench    benchmarks, each beside its baseline"

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	THUOCDO_DEBUG=1 $(BIN)/thuocdo migrate --no-input -v0
	THUOCDO_DEBUG=1 $(BIN)/thuocdo demo --if-empty
	THUOCDO_DEBUG=1 $(BIN)/thuocdo runserver 127.0.0.1:8000

# A worker process per core, four threads each (docs/adr/0003-production-server.md and its amendment).
SERVE_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
SERVE_THREADS ?= 4

serve: $(STAMP)
	$(BIN)/thuocdo collectstatic --no-input -v0
	$(BIN)/granian --interface wsgi --workers $(SERVE_WORKERS) --blocking-threads $(SERVE_THREADS) --no-ws --host 127.0.0.1 --port 8000 thuocdo.config.wsgi:application

demo: $(STAMP)
	THUOCDO_DEBUG=1 $(BIN)/thuocdo migrate --no-input -v0
	THUOCDO_DEBUG=1 $(BIN)/thuocdo demo

test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/pytest tests/core -q

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/lint-imports
	THUOCDO_TESTING=1 $(BIN)/mypy src/thuocdo/core

fmt: $(STAMP)
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

bench: $(STAMP)
	$(BIN)/python -m bench

vendor:
	$(PYTHON) scripts/vendor_assets.py

messages: $(STAMP)
	cd src/thuocdo && ../../$(BIN)/django-admin makemessages -l en --ignore 'static/*' && ../../$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) var/thuocdo.sqlite3*
