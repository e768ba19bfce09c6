# The commands in the README. `make help` lists them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8787

.PHONY: help install serve test lint typecheck bench clean openapi

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/tokenbridge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/tokenbridge  ## create .venv and install tokenbridge with its test tools

serve: install  ## install, then serve on http://127.0.0.1:$(PORT) over sqlite:///tokenbridge.db
	$(BIN)/tokenbridge serve --port $(PORT)

# PostgreSQL tests skip with a message when nothing answers here (and fail when CI=true).
export TOKENBRIDGE_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

test: install  ## install, then run the whole test suite (API and SDK suites on both backends)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	TOKENBRIDGE_TEST_BACKEND=postgres $(BIN)/python -m pytest tests/api tests/sdk $(PYTEST_ARGS)

lint: install  ## ruff and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

openapi: install  ## regenerate docs/openapi.json from the code
	$(BIN)/python -m tokenbridge.http.openapi docs/openapi.json

bench: install  ## run the benchmark (see bench/README.md)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/node/node_modules
