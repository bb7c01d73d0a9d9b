# The contract CI runs: `make test` is the whole quality gate, `make demo` the product's main job locally.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo local test test-without-corpora lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23,<26.3"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)  ## run the demo on the local stack (moto), print what happened
	$(BIN)/helpdesk local --demo --port $${PORT:-8000}

local: $(STAMP)  ## run the local stack until Ctrl-C
	$(BIN)/helpdesk local --port $${PORT:-8000}

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

test: lint typecheck  ## lint, type checks, and every test but the benchmarks
	$(BIN)/pytest -q

# The test modules that read the corpora, directly or through a helper that does: the only ones a missing
# ../shared can change (every other test ran in `make test` and does not look for it).
OPEN_PAREN := (
CORPUS_TESTS = $(shell grep -rlE 'corpus[$(OPEN_PAREN)]|CORPORA|mark[.]corpus|whatsapp_bodies' tests --include='test_*.py' | sort)

test-without-corpora: $(STAMP)  ## the corpus-reading tests as a clone without ../shared runs them: they skip with the reason, none fail
	HELPDESK_CORPORA=$(CURDIR)/.no-corpora $(BIN)/pytest -q -rs -m "not benchmark and not browser" $(CORPUS_TESTS)

bench: $(STAMP)  ## cold-start ratios and DynamoDB requests per ticket lifecycle
	$(BIN)/pytest tests/benchmarks -m benchmark -q -s

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache outbox
