# Two commands matter on a fresh machine: `make run` and `make test` (see README).
# Everything they need is installed from here: the virtualenv, the Python packages and the
# Debian tools the end-to-end tests use (poppler-utils, zbar-tools, qpdf, chromium).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The stamp names the interpreter version, so a venv left by another Python is rebuilt.
STAMP := $(VENV)/.installed-py3.13

.PHONY: run test test-fast lint bench package put-secret system-deps check-forms templates clean wipe-local-data assets
ASSETS := chalicelib/web/assets/dist/manifest.json
ASSET_SOURCES := $(wildcard chalicelib/web/assets/src/*) $(shell find chalicelib/web/templates -name '*.html')

$(STAMP): requirements.txt pyproject.toml
	@interpreter=$$(scripts/find-python.sh) || exit 1; \
	  echo "creating $(VENV) with $$interpreter"; \
	  "$$interpreter" -m venv --clear $(VENV)
	$(PY) -m pip install -q --upgrade 'pip>=25.1'
	$(PY) -m pip install -q -r requirements.txt --group dev
	touch $(STAMP)

system-deps:
	@bash scripts/install-system-deps.sh

# One `npm ci` at the lockfile's versions installs every browser package: KERN UX (built into
# the hashed CSS/fonts/script, see scripts/build_assets.py) and jsQR (the officer app's QR
# decoder, served from node_modules and copied into the Lambda bundle by scripts/package.py).
# It reruns when package.json or the lockfile changes (a stamp of our own: npm's hidden
# node_modules/.package-lock.json is also rewritten by `npm install --package-lock-only`).
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || bash scripts/install-system-deps.sh
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

$(ASSETS): $(NODE_STAMP) $(ASSET_SOURCES) scripts/build_assets.py | $(STAMP)
	$(PY) -m scripts.build_assets

assets: $(ASSETS)

run: $(STAMP) $(ASSETS)
	$(PY) -m scripts.run_local

test: $(STAMP) system-deps $(ASSETS)
	$(PY) -m ruff check .
	$(PY) -m mypy app.py chalicelib scripts bench
	$(PY) -m scripts.run_tests $(PYTEST_ARGS)

test-fast: $(STAMP) $(ASSETS)
	$(PY) -m pytest tests/unit

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy app.py chalicelib scripts bench

bench: $(STAMP) $(ASSETS)
	$(PY) -m bench

check-forms: $(STAMP)
	$(PY) -m scripts.check_forms

templates: $(STAMP)
	$(PY) -m scripts.build_templates

package: $(STAMP) $(ASSETS)
	$(PY) -m scripts.package

# Store a secret in SSM Parameter Store for a deployed stage (README, "Secrets"):
#   make put-secret STAGE=prod NAME=webhook-secrets [ARGS=--generate|--add-staff-token]
put-secret: $(STAMP)
	$(PY) -m scripts.put_secret --stage "$(STAGE)" "$(NAME)" $(ARGS)

clean:
	rm -rf build $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules chalicelib/web/assets/dist

# `make run` keeps its DynamoDB data in this journal; the signing key and secrets stay.
wipe-local-data:
	rm -f .local/dynamodb.jsonl .local/dynamodb.jsonl.compacting
