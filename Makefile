# secondline: the two set-up commands are `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE ?= examples/b-all-relapsed-cd19.yaml

.PHONY: run test lint typecheck pytest bench catalogue clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install, then assess an example case (EXAMPLE=path to choose another)
run: $(STAMP)
	$(BIN)/secondline assess $(EXAMPLE)

## test: lint, type-check and run every test (knowledge examples, properties, CLI)
test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

pytest: $(STAMP)
	$(BIN)/python -m pytest

## bench: speed figures (printed, never asserted)
bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/assess.py

## catalogue: regenerate docs/knowledge.md from the knowledge files
catalogue: $(STAMP)
	$(BIN)/secondline catalogue > docs/knowledge.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
