# Two newcomer commands: `make run` (set up, load the real data, serve it) and `make test`.
# `make check` is the quick loop while working (under two minutes): lint, format, import
# contracts, types, and the offline tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# The offline tests: no servers, browsers, remote stores or long runs (markers: pyproject.toml).
OFFLINE := not slow and not remote and not browser and not virtuoso and not server

.PHONY: setup run load serve test check lint fix clean help eval bench redteam i18n

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

setup: $(BIN)/.installed  ## create the virtual environment and install cckg

load: setup  ## load curated and reference data into the embedded store
	$(BIN)/cckg load

serve: setup  ## serve the embedded store on http://$(HOST):$(PORT)/
	$(BIN)/cckg serve --host $(HOST) --port $(PORT)

run: load serve  ## set up, load everything, serve it

test: setup  ## lint, check the import contracts and run the whole test suite
	scripts/ensure-test-deps.sh
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

check: setup  ## quick checks, failing fast: ruff, format, import contracts, mypy, offline tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check cckg tests bench scripts
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -m "$(OFFLINE)"

lint: setup  ## ruff check
	$(BIN)/ruff check .

fix: setup  ## ruff fix and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:  ## remove the virtual environment and the store
	rm -rf $(VENV) var .mypy_cache

eval: setup  ## evaluate matching and search on the labelled sets (dev and test parts, against the baselines)
	$(BIN)/python -m cckg.evaluation
	$(BIN)/python -m cckg.search_evaluation

bench: setup  ## benchmarks (not part of the tests): tables in var/bench/results.json
	$(BIN)/python -m bench

redteam: setup  ## the adversarial cases of the write paths, parsers, limits and pages
	$(BIN)/python -m pytest -m redteam tests

i18n: setup  ## extract the UI and reason strings, update the catalogues, compile them
	$(BIN)/pybabel --quiet extract -F babel.cfg -k N_ -k _ -k gettext -k ngettext:1,2 -k lazy_gettext --no-location --sort-output -o cckg/translations/messages.pot .
	$(BIN)/pybabel --quiet update -i cckg/translations/messages.pot -d cckg/translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel --quiet compile -d cckg/translations --statistics
