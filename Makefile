# Each target makes .venv on first use and reinstalls when pyproject.toml changes.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORPUS ?= sample_posts

.PHONY: run test bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/postil $(CORPUS)

# Lint, strict typing and the import contracts first (seconds), then the suite: unit,
# property, Pilot, snapshot and e2e (tmux, ssh) tests, spread over the cores (pytest-xdist).
test: $(STAMP)
	$(BIN)/ruff check annotations tui tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q --numprocesses=auto --maxprocesses=4

bench: $(STAMP)
	$(BIN)/python -m tests.bench

lint: $(STAMP)
	$(BIN)/ruff check annotations tui tests
	$(BIN)/ruff format --check annotations tui tests

clean:
	rm -rf $(VENV) build *.egg-info
