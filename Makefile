# `make test` and `make demo` work on a fresh machine: they create .venv and install the project first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test demo sandbox bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The real bot with a sandbox Vobiz and a stand-in Slack, at a prompt (`help` there lists the commands).
demo: $(STAMP)
	$(BIN)/numbers-bot console

sandbox: $(STAMP)
	$(BIN)/numbers-bot sandbox --port 8765

# Figures, not tests (never part of `make test`): prints them and writes BENCHMARKS.md; takes several
# minutes. `make bench QUICK=1` is a smoke check (few rounds, 100,000 audit rows) that writes nothing.
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(QUICK),--quick)

clean:
	rm -rf $(VENV) build *.egg-info
