# secondline: the two set-up commands are `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXAMPLE ?= examples/b-all-relapsed-cd19.yaml

NODE_STAMP := tests/browser/node_modules/.installed

.PHONY: run serve test system-deps lint typecheck pytest bench catalogue safety-case screenshots \
	screenshots-store clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: install, then assess an example case (EXAMPLE=path to choose another)
run: $(STAMP)
	$(BIN)/secondline assess $(EXAMPLE)

## serve: install, then run the web application on http://127.0.0.1:8000
serve: $(STAMP)
	$(BIN)/secondline serve

## test: install what the tests need (Debian: Chromium, Pango, a font; npm: axe-core),
## then lint, type-check and run every test (knowledge, properties, CLI, API, browser)
test: system-deps $(NODE_STAMP) lint typecheck pytest

system-deps:
	scripts/install-system-deps

$(NODE_STAMP): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

## pytest: every test, one process per core (at most four), whole files kept together;
## the API fuzz runs on its own after, because schemathesis gives its generated tests
## the same name and pytest-xdist needs names it can tell apart
pytest: $(STAMP)
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile \
		--ignore=tests/web/test_fuzz.py
	$(BIN)/python -m pytest tests/web/test_fuzz.py

## bench: speed figures (printed, never asserted)
bench: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python bench/assess.py
	$(BIN)/python bench/fhir_io.py
	$(BIN)/python bench/serve.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/cds.py
	$(BIN)/python bench/cohort.py

## screenshots-store: regenerate the README's pictures of the store's meeting and case pages
screenshots-store: system-deps $(NODE_STAMP) $(STAMP)
	SECONDLINE_SCREENSHOTS=docs/images $(BIN)/python -m pytest -q \
		tests/browser/test_store_pages.py

## catalogue: regenerate docs/knowledge.md from the knowledge files
catalogue: $(STAMP)
	$(BIN)/secondline catalogue > docs/knowledge.md

## screenshots: regenerate the README's pictures of the results (desktop, phone, printed page)
screenshots: system-deps $(STAMP)
	$(BIN)/python scripts/screenshots.py

## safety-case: regenerate docs/safety/README.md from docs/safety/hazard-log.yaml
safety-case: $(STAMP)
	$(BIN)/python scripts/safety_case.py > docs/safety/README.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis test-output \
		tests/browser/node_modules
