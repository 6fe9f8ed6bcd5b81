# NHS Ledger: the two commands are `make run` and `make test`; everything else is optional.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RAW ?= raw
WAREHOUSE ?= warehouse
# Release versions are semantic (1.2.0) or dates; `make release` alone cuts today's date.
VERSION ?= $(shell date -u +%Y.%m.%d)
export DAGSTER_HOME := $(CURDIR)/.dagster_home

.PHONY: install run test ui clean reference release bench browse report

install: $(STAMP)

# Reinstalls only when the dependency list or the pins change, so `make install` is cheap to repeat.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "NHS Ledger needs Python 3.11, found " + sys.version.split()[0]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# compat mode puts the project on sys.path, where frictionless finds its plugin module
	$(BIN)/python -m pip install --quiet -c constraints.txt --config-settings editable_mode=compat -e '.[test]'
	@mkdir -p $(DAGSTER_HOME)
	@test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\nnux:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	@touch $(STAMP)

run: install
	$(BIN)/nhs-ledger build --raw $(RAW) --warehouse $(WAREHOUSE)

# The layer contracts of pyproject.toml first (a second), then the tests, one process per core (at most four):
# each test file runs whole in one process, so a module's fixtures are built once.
test: install
	$(BIN)/lint-imports --no-logo --no-cache
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

# Download the current ODS extracts into the raw folder's reference/, which builds read (needs the network).
reference: install
	$(BIN)/nhs-ledger reference fetch --dest $(RAW)/reference

# Cut a versioned release of the warehouse that `make run` built: warehouse/releases/$(VERSION)/ and a tarball.
release: install
	$(BIN)/nhs-ledger release --version $(VERSION) --warehouse $(WAREHOUSE)

# Measure speed and memory at 1,000 / 10,000 / 100,000 generated articles: bench/results/<date>.md (see bench/README.md).
bench: install
	$(BIN)/python -m bench.run

# Browse the warehouse that `make run` built in Datasette, on http://127.0.0.1:8001/ (Ctrl-C stops it).
browse: install
	$(BIN)/nhs-ledger browse --warehouse $(WAREHOUSE)

# The static report of the warehouse that `make run` built: $(WAREHOUSE)/report/index.html, charts and a page per body.
report: install
	$(BIN)/nhs-ledger report --warehouse $(WAREHOUSE)

ui: install
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

clean:
	rm -rf $(WAREHOUSE)/parquet $(WAREHOUSE)/staging $(WAREHOUSE)/*.duckdb* $(WAREHOUSE)/datasette $(WAREHOUSE)/report $(DAGSTER_HOME)
