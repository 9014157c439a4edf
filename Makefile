# `make demo` and `make test` work on a fresh machine: the venv is created and the project installed
# into it when missing (or when pyproject.toml changed).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: test demo dev lint test-slow bench record-histories clean lock

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,postgres]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -q

test-slow: $(STAMP)
	$(BIN)/pytest -q -m slow

demo: $(STAMP)
	$(BIN)/tidings demo

dev: $(STAMP)
	$(BIN)/tidings dev

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
	$(BIN)/python -m bench.report

# The image installs exactly these versions (hashes checked): regenerate after changing dependencies.
lock: $(STAMP)
	PIP_FIND_LINKS= $(BIN)/pip-compile -q --extra postgres --generate-hashes --strip-extras --allow-unsafe \
	  --no-emit-index-url --no-emit-find-links --output-file deploy/requirements.lock pyproject.toml

record-histories: $(STAMP)
	$(BIN)/pytest tests/record_corpus.py -p no:cacheprovider -q

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache artifacts
