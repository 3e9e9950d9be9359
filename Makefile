# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install migrate clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

## Start web + worker + scheduler on the embedded defaults (or REDIS_URL / DATABASE_URL).
run: $(STAMP)
	$(BIN)/sadakat run

migrate: $(STAMP)
	$(BIN)/sadakat migrate

## The whole suite: SQLite + embedded Valkey, or PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
