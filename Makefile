# Every workflow a person runs. `make test` on a fresh clone installs what it needs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
PY_STAMP  := $(VENV)/.installed
NPM_STAMP := node_modules/.installed

GEN_PKG  := generated_client/tmapi_client
HAND_WRITTEN := src tests mock examples
MOCK_PORT ?= 4010

.PHONY: help install lock generate check-generated lint-spec lint format docs test test-floors
.PHONY: mock demo contract contract-live proxy-live
.PHONY: bench bench-quick browser report-screenshot suppliers-screenshot

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

install: $(PY_STAMP) $(NPM_STAMP) browser  ## virtualenv with pinned dependencies + pinned npm tools + Chromium

# The report's browser tests drive the system Chromium through Playwright (Playwright's
# own browser download is not used). Installed from Debian's packages where missing, with
# a CJK font so that Chinese titles render; skipped, with the reason, where that cannot be.
BROWSER_PKGS := chromium fonts-wqy-microhei
browser:  ## the system Chromium (+ a CJK font) for the report's browser tests: apt-get install where missing
	@if command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "browser: not root, cannot install $(BROWSER_PKGS); the browser tests will be skipped (sudo apt-get install $(BROWSER_PKGS))"; \
	elif ! command -v apt-get >/dev/null; then \
	  echo "browser: no apt-get here, cannot install $(BROWSER_PKGS); the browser tests will be skipped"; \
	else \
	  echo "browser: apt-get install $(BROWSER_PKGS)"; \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PKGS)) >/dev/null \
	    || echo "browser: apt-get could not install $(BROWSER_PKGS); the browser tests will be skipped"; \
	fi

$(PY_STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

lock: $(PY_STAMP)  ## re-pin requirements.lock from the virtualenv
	$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check > requirements.lock

generate: $(PY_STAMP)  ## regenerate generated_client/ from openapi.yaml
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	VENV_BIN=$(BIN) codegen/generate.sh $$tmp/tmapi_client; \
	rm -rf $(GEN_PKG); mkdir -p $(dir $(GEN_PKG)); cp -r $$tmp/tmapi_client $(GEN_PKG); \
	echo "generated $(GEN_PKG) from openapi.yaml"

check-generated: $(PY_STAMP)  ## fail if generated_client/ differs from what openapi.yaml generates
	@tmp=$$(mktemp -d); trap 'rm -rf $$tmp' EXIT; \
	VENV_BIN=$(BIN) codegen/generate.sh $$tmp/tmapi_client; \
	if diff -ru --exclude=__pycache__ $$tmp/tmapi_client $(GEN_PKG) > $$tmp/diff.txt; then \
	  echo "check-generated: $(GEN_PKG) matches openapi.yaml"; \
	else \
	  head -n 60 $$tmp/diff.txt; \
	  echo "check-generated: $(GEN_PKG) is stale or was edited by hand; run 'make generate' and commit." >&2; \
	  exit 1; \
	fi

lint-spec: $(PY_STAMP) $(NPM_STAMP)  ## lint openapi.yaml (Spectral's OpenAPI ruleset + openapi-spec-validator)
	node_modules/.bin/spectral lint --fail-severity=warn openapi.yaml
	$(BIN)/openapi-spec-validator openapi.yaml

lint: $(PY_STAMP) lint-spec  ## ruff + mypy (strict) on hand-written code, and lint-spec
	$(BIN)/ruff check $(HAND_WRITTEN)
	$(BIN)/ruff format --check $(HAND_WRITTEN)
	$(BIN)/mypy

format: $(PY_STAMP)  ## apply ruff fixes and formatting to hand-written code
	$(BIN)/ruff check --fix $(HAND_WRITTEN)
	$(BIN)/ruff format $(HAND_WRITTEN)

# The documentation site (mkdocs.yml, docs/): --strict, so a broken link or a stale API
# reference fails. NO_MKDOCS_2_WARNING: mkdocs-material's banner about its future.
docs: $(PY_STAMP)  ## build the documentation site with --strict into site/ (open site/index.html)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir site

test: install lint check-generated docs  ## everything CI runs: lint, check-generated, docs, pytest (unit, mock, contract against Prism, wheel installs), test-floors
	$(BIN)/pytest -n auto
	$(BIN)/python -m tests.packaging.floors --quick

test-floors: $(PY_STAMP)  ## the unit, CLI and bulk tests against the lowest versions pyproject.toml allows (in .venv-floors/)
	$(BIN)/python -m tests.packaging.floors

mock: install  ## run the Prism mock of openapi.yaml in the foreground (127.0.0.1:4010; MOCK_PORT=N to change)
	$(BIN)/python -m mock.prism serve --port $(MOCK_PORT)

# What `make demo` runs while Prism is up (TMAPI_BASE_URL points at it): the CLI's search,
# a small bulk run on examples/catalogue.csv, its export and its HTML report
# (examples/cli_demo.sh; the report is kept in $(DEMO_REPORT)).
DEMO_REPORT ?= $(abspath reports/demo/report.html)
DEMO_CMD ?= env BIN=$(BIN) REPORT_OUT=$(DEMO_REPORT) bash examples/cli_demo.sh

demo: install  ## start the Prism mock; tmapi-search search, bulk, export and report against it with a demo token; stop Prism
	@mkdir -p $(dir $(DEMO_REPORT))
	TMAPI_TOKEN=demo-token $(BIN)/python -m mock.prism run -- $(DEMO_CMD)

report-screenshot: demo  ## docs/report.png: the report of `make demo`'s bulk run, shot in headless Chromium
	$(BIN)/python examples/report_screenshot.py $(DEMO_REPORT) docs/report.png

suppliers-screenshot: $(PY_STAMP) browser  ## docs/suppliers.png: 50 made-up rows against the stand-in's shop mode, the report's Suppliers view
	$(BIN)/python examples/suppliers_demo.py reports/suppliers-demo docs/suppliers.png

# ---- contract tests (schemathesis): the spec, the mock and the live API held together ----
LIVE_REPORT_DIR ?= reports/contract-live

contract: install  ## schemathesis contract suite against the Prism mock (part of `make test`); prints the case count
	$(BIN)/pytest tests/contract/test_contract.py -m "not live" -p no:cacheprovider

contract-live:  ## the same suite against the LIVE API (needs TMAPI_TOKEN; billed: at most TMAPI_LIVE_BUDGET requests, default 20); JUnit + drift summary
	@if [ -z "$${TMAPI_TOKEN:-}" ]; then \
	  echo "contract-live: TMAPI_TOKEN is not set. This target sends billed requests to the live API" >&2; \
	  echo "  ($${TMAPI_BASE_URL:-https://api.tmapi.io}); set TMAPI_TOKEN (and TMAPI_LIVE_BUDGET, default 20) to run it." >&2; \
	  echo "  Nothing was sent." >&2; \
	  exit 2; \
	fi
	@$(MAKE) --no-print-directory install
	@$(BIN)/python -m tests.contract.budget
	@mkdir -p $(LIVE_REPORT_DIR)
	TMAPI_CONTRACT_TARGET=live TMAPI_LIVE_REPORT_DIR=$(LIVE_REPORT_DIR) $(BIN)/pytest tests/contract/test_contract.py \
	  -m live --maxfail=1 -p no:cacheprovider --junitxml=$(LIVE_REPORT_DIR)/junit.xml
	@echo "contract-live: report in $(LIVE_REPORT_DIR)/junit.xml; contract drift in $(LIVE_REPORT_DIR)/drift.txt (and drift.json)"

proxy-live: install  ## Prism as a validating proxy in front of the live API on 127.0.0.1:$(MOCK_PORT): spec violations are reported
	$(BIN)/python -m mock.prism serve --port $(MOCK_PORT) --errors --upstream "$${TMAPI_BASE_URL:-https://api.tmapi.io}"

bench: $(PY_STAMP) browser  ## every benchmark figure with its goal (client CPU, import, bulk concurrency grid + cap drop, 500k catalogue, 200k export, report paint/filter); < 10 min
	$(BIN)/python bench/client_cpu.py
	$(BIN)/python bench/import_time.py
	$(BIN)/python bench/bulk_concurrency.py
	$(BIN)/python bench/catalogue.py
	$(BIN)/python bench/export.py
	$(BIN)/python bench/report_render.py
	$(BIN)/python bench/xlsx_sheets.py

bench-quick: $(PY_STAMP)  ## the same, smaller (two grid points, short runs, 50k rows, 20k items); about 2 min
	$(BIN)/python bench/client_cpu.py --rounds 5
	$(BIN)/python bench/import_time.py --runs 5
	$(BIN)/python bench/bulk_concurrency.py --quick
	$(BIN)/python bench/catalogue.py --quick
	$(BIN)/python bench/export.py --quick
