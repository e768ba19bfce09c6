# The commands in the README. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8787
# The lock files pin every package, with its hashes, for Python 3.11 on Linux x86_64.
LOCK := requirements/test.lock
RUNTIME_LOCK := requirements/runtime.lock
# The previous plaid-python, for a venv of its own that tests/sdk/test_previous_sdks.py makes,
# and the build backend that venv builds it with (it is published only as an sdist).
PREVIOUS_SDK_LOCK := requirements/sdk-previous.lock
PREVIOUS_SDK_BUILD_LOCK := requirements/sdk-previous-build.lock
# Only `make lock` uses uv; it installs this version into $(VENV) itself.
UV_VERSION := 0.13.9
LOCK_FLAGS = --generate-hashes --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
	--custom-compile-command "make lock" --quiet

.PHONY: help install serve test lint lock bench bench-webhooks clean openapi

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' -v port='$(PORT)' \
		'{ t = $$2; out = ""; \
		   while ((i = index(t, "$$(PORT)")) > 0) { out = out substr(t, 1, i - 1) port; t = substr(t, i + 7) } \
		   printf "  %-10s %s\n", $$1, out t }'

# Two stamps, so `make serve` installs only what serving needs and `make test` adds the test
# tools on top. The test lock pins the runtime packages at the same versions (`make lock`
# compiles runtime.lock with test.lock as its constraint), so installing the runtime lock
# into a venv that has the test tools changes nothing, and the test install marks the
# runtime as installed too.
RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP := $(VENV)/.test-installed

# $(call install_from,LOCK,WHAT): a venv, then tokenbridge and the packages LOCK pins.
define install_from
	@echo "installing tokenbridge and $(2) ($(1)) into $(VENV) ..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(1)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
endef

$(RUNTIME_STAMP): pyproject.toml $(RUNTIME_LOCK)
	$(call install_from,$(RUNTIME_LOCK),its runtime packages)
	touch $@

$(TEST_STAMP): pyproject.toml $(LOCK)
	$(call install_from,$(LOCK),its test tools)
	touch $@ $(RUNTIME_STAMP)

install: $(TEST_STAMP)  ## create .venv and install tokenbridge with its test tools from the lock

serve: $(RUNTIME_STAMP)  ## install the runtime only, then serve on http://127.0.0.1:$(PORT) over the per-user default database
	$(BIN)/tokenbridge serve --port $(PORT)

# PostgreSQL tests skip with a message when nothing answers here (and fail when CI=true).
export TOKENBRIDGE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

test: install  ## install, then run the whole test suite (API, SDK and dashboard suites on both backends, the API suite live too)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	TOKENBRIDGE_TEST_BACKEND=postgres $(BIN)/python -m pytest tests/api tests/sdk tests/dashboard $(PYTEST_ARGS)
	TOKENBRIDGE_TEST_TARGET=live $(BIN)/python -m pytest tests/api tests/hostile/test_hostile_input.py $(PYTEST_ARGS)

lint: install  ## ruff format --check, ruff check, mypy, then the import contracts (lint-imports)
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

# LOCK_ARGS="--upgrade" (or "--upgrade-package NAME") moves pins the lock keeps otherwise.
lock:  ## regenerate requirements/*.lock from pyproject.toml (with uv)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra test $(LOCK_FLAGS) $(LOCK_ARGS) \
		--output-file $(LOCK)
	$(BIN)/uv pip compile pyproject.toml --constraint $(LOCK) $(LOCK_FLAGS) $(LOCK_ARGS) \
		--output-file $(RUNTIME_LOCK)
	$(BIN)/uv pip compile requirements/sdk-previous.in $(LOCK_FLAGS) $(LOCK_ARGS) \
		--output-file $(PREVIOUS_SDK_LOCK)
	$(BIN)/uv pip compile requirements/sdk-previous-build.in $(LOCK_FLAGS) $(LOCK_ARGS) \
		--output-file $(PREVIOUS_SDK_BUILD_LOCK)

openapi: install  ## regenerate docs/openapi.json from the code
	$(BIN)/python -m tokenbridge.http.openapi docs/openapi.json

bench: install  ## run the benchmark (see bench/README.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

bench-webhooks: install  ## webhook delivery latency to a loopback receiver (bench/README.md)
	$(BIN)/python bench/webhooks.py $(BENCH_ARGS)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .venv-sdk-previous .pytest_cache .mypy_cache .ruff_cache .import_linter_cache \
		tests/node/node_modules tests/node-previous/node_modules \
		tests/node-vitest/node_modules
