# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install lock migrate clean browser soak bench bench-rewards bench-admin bench-scale \
	extensions extensions-check node bench-storefront bench-webhooks catalogs catalogs-update

# Installs exactly what requirements.lock pins, every file checked against its hash, then Sadakat itself.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

install: $(STAMP)

## Regenerate requirements.lock on purpose, after changing the dependencies in pyproject.toml.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
	  --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml

## The gettext catalogs (connector/language/catalogs/<lang>/LC_MESSAGES/<domain>.po), compiled to .mo.
CATALOGS := connector/language/catalogs
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(CATALOGS)/*/LC_MESSAGES/*.po))
$(CATALOGS)/%.mo: $(CATALOGS)/%.po | $(STAMP)
	@$(BIN)/pybabel -q compile --use-fuzzy -i $< -o $@
catalogs: $(MO_FILES)

## After changing words in the code: extract the English messages again and merge them into every catalog
## (new ones come in empty, for a translator; the tests say which are missing).
catalogs-update: $(STAMP)
	@for domain in customer admin; do \
	  $(BIN)/pybabel -q extract -F connector/language/$$domain.cfg -k N_ -k NP_:1,2 --no-default-keywords \
	    --sort-by-file --width 120 --project Sadakat --version 1 --copyright-holder "Sadakat contributors" \
	    -o $(CATALOGS)/$$domain.pot . && \
	  $(BIN)/pybabel -q update -D $$domain -i $(CATALOGS)/$$domain.pot -d $(CATALOGS) --width 120 \
	    --no-fuzzy-matching --ignore-obsolete; \
	done

## Start web + worker + scheduler on the embedded defaults (or REDIS_URL / DATABASE_URL).
run: $(STAMP) catalogs
	$(BIN)/sadakat run

migrate: $(STAMP)
	$(BIN)/sadakat migrate

## Debian's Chromium for the browser tests (installed when missing and we may use apt; else they are skipped).
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; }; } || \
	  echo "note: /usr/bin/chromium is missing, so the browser tests will be skipped (apt-get install chromium)"

## Node (for the Shopify extensions' build and checks): Debian's, installed when missing and we may use apt.
node:
	@command -v node >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null || \
	    { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null; }; }; } || \
	  echo "note: node is missing, so the extensions' build and checks will be skipped (apt-get install nodejs npm)"

EXT_STAMP := extensions/node_modules/.installed
$(EXT_STAMP): extensions/package.json extensions/package-lock.json
	cd extensions && npm ci --no-audit --no-fund --loglevel=error
	@touch $(EXT_STAMP)

## Build the Shopify UI extensions with esbuild into extensions/<name>/dist/ (npm packages from the lock file).
extensions: node
	@if command -v node >/dev/null; then $(MAKE) --no-print-directory $(EXT_STAMP) && cd extensions && node build.mjs; fi

## The extensions' own tests (Node's test runner), bundle sizes, and Shopify's theme-check on the theme extension.
extensions-check: extensions
	@if command -v node >/dev/null; then cd extensions && node --test test/ && node theme-check.mjs; fi

## The whole suite: SQLite + embedded Valkey, or PostgreSQL / Redis when DATABASE_URL / REDIS_URL are set.
test: $(STAMP) catalogs browser extensions-check
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest $(PYTEST_ARGS)

## The 10-minute soak: steady orders, a worker restarted every minute (every other time SIGKILLed),
## exact balances at the end; the figures go to bench/results/soak.json. CI runs a 1-minute version.
soak: $(STAMP)
	@mkdir -p bench/results
	SADAKAT_SOAK_SECONDS=$${SADAKAT_SOAK_SECONDS:-600} SADAKAT_SOAK_RESTART_SECONDS=$${SADAKAT_SOAK_RESTART_SECONDS:-60} \
	  SADAKAT_SOAK_REPORT=bench/results/soak.json $(BIN)/pytest -q -p no:cacheprovider tests/reliability/test_soak.py

## The benchmark (bench/run.py): ceiling, ingest, end to end, lookups, memory; QUICK=1 for the short run.
## Uses DATABASE_URL / REDIS_URL when set. Results: bench/results/latest.json and latest.md.
bench: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
	  { echo "make bench needs wrk (apt-get install wrk)"; exit 1; }
	QUICK=$(QUICK) $(BIN)/python -u bench/run.py

## The customer's side (bench/rewards.py): the rewards page for a member with 10,000 ledger entries, against
## the balance lookup in the same run, and the launcher's size. Results: bench/results/rewards-<database>.json.
bench-rewards: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
	  { echo "make bench-rewards needs wrk (apt-get install wrk)"; exit 1; }
	QUICK=$(QUICK) $(BIN)/python -u bench/rewards.py

## The merchant's pages for a shop of 100,000 customers (bench/admin.py; QUICK=1: 20,000): shop page,
## customer list and search, a customer's page, against /healthz in the same run; the roll-up's time.
bench-admin: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
	  { echo "make bench-admin needs wrk (apt-get install wrk)"; exit 1; }
	QUICK=$(QUICK) $(BIN)/python -u bench/admin.py

## A large store (bench/scale.py): 1,000,000 customers and 3,000,000 orders (QUICK=1: 100,000): the jobs'
## times, the pages and API against /healthz, the CSV export's time and memory. Results: bench/results/.
bench-scale: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
	  { echo "make bench-scale needs wrk (apt-get install wrk)"; exit 1; }
	QUICK=$(QUICK) $(BIN)/python -u bench/scale.py

## Webhooks owed while the merchant's endpoint is down (bench/webhooks_out.py): 10,000 events (QUICK=1: 2,000)
## delivered once each, in order per customer, when it comes back, and the receiver's ack p99 meanwhile.
bench-webhooks: $(STAMP)
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; } || \
	  { echo "make bench-webhooks needs wrk (apt-get install wrk)"; exit 1; }
	QUICK=$(QUICK) $(BIN)/python -u bench/webhooks_out.py

## The storefront's cost (bench/storefront.py): Lighthouse (npm, pinned in bench/storefront) on a product page
## without and with the launcher and the product block, 5 runs each. Results: bench/results/storefront.json.
bench-storefront: $(STAMP) browser node
	cd bench/storefront && npm ci --no-audit --no-fund --loglevel=error
	$(BIN)/python -u bench/storefront.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
