# nnsolve: `make demo` and `make test` set up .venv themselves on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench golden install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/nnsolve run problems/seed/s03-cnn-params.yaml

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# Rewrite tests/golden/ from the current renderers: only on purpose, then review `git diff tests/golden`.
golden: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests/test_latex.py -k golden --update-golden -q

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
