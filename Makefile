# Lianhu 联户 — the two commands in the README's Quick start are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Browser and test runs keep their droppings inside the project (see ../shared/ENVIRONMENT.md).
TEST_ENV := HOME=$(CURDIR)/.tmp/home TMPDIR=$(CURDIR)/.tmp/tmp PYTHONDONTWRITEBYTECODE=1
export LIANHU_DATABASE_URL ?= sqlite+aiosqlite:///$(CURDIR)/var/lianhu.sqlite3

.PHONY: run test install lock system-deps lint test-sync test-server test-js test-e2e bench vectors clean

# requirements.lock pins every Python package (pip freeze of a fresh install) and is used as constraints:
# `make lock` refreshes it after a change of pyproject.toml's dependencies.
$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(INSTALLED)

LOCK_VENV := .tmp/lock-venv
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/pip install --quiet -e '.[dev]'
	{ echo "# Pinned Python dependencies: written by make lock, used as constraints by make install."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude-editable; } > requirements.lock
	rm -rf $(LOCK_VENV)

## make run: set up, migrate, load demo data into an empty database, serve at http://localhost:8000
## (another port: PORT=8100 make run)
PORT ?= 8000
run: $(INSTALLED)
	$(BIN)/lianhu db upgrade
	$(BIN)/lianhu demo load --if-empty
	$(BIN)/lianhu serve --demo-code --host 0.0.0.0 --port $(PORT)

## make test: everything — lint, types, sync properties, server on SQLite and PostgreSQL, JS twin, browser
test: $(INSTALLED) system-deps lint test-js test-python test-e2e

system-deps:
	scripts/ensure-system-deps

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test-js:
	node --test tests/js/

test-python: $(INSTALLED)
	@mkdir -p .tmp/home .tmp/tmp
	$(TEST_ENV) $(BIN)/pytest -p no:cacheprovider

test-e2e: $(INSTALLED)
	@mkdir -p .tmp/home .tmp/tmp
	$(TEST_ENV) $(BIN)/pytest e2e

## make bench: issue 8's benchmarks, each goal with Lianhu's figure, the peer measured in the same run and the
## ratio (20–35 minutes). BENCH="fanin storage" runs some; LIANHU_BENCH_SCALE=0.1 is a quick check.
BENCH_INSTALLED := $(VENV)/.installed-bench
BENCH_NODE := bench/node_modules/.package-lock.json

$(BENCH_INSTALLED): $(INSTALLED) pyproject.toml
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev,bench]'
	touch $@

$(BENCH_NODE): bench/package.json bench/package-lock.json
	cd bench && npm ci --no-audit --no-fund --loglevel=error

bench: $(BENCH_INSTALLED)
	scripts/ensure-bench-deps
	$(MAKE) --no-print-directory $(BENCH_NODE)
	$(BIN)/python -m bench $(BENCH)

vectors: $(INSTALLED)
	$(BIN)/python -m sync.vectors.generate

clean:
	rm -rf .tmp .pytest_cache .mypy_cache .ruff_cache
