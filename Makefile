# Two commands matter on a fresh machine: `make run` and `make test` (see README).
# Everything they need is installed from here: the virtualenv, the Python packages and the
# Debian tools the end-to-end tests use (poppler-utils, zbar-tools, qpdf, chromium).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# The stamp names the interpreter version, so a venv left by another Python is rebuilt.
STAMP := $(VENV)/.installed-py3.13

.PHONY: run test test-fast lint bench package system-deps check-forms clean

$(STAMP): requirements.txt pyproject.toml
	@interpreter=$$(scripts/find-python.sh) || exit 1; \
	  echo "creating $(VENV) with $$interpreter"; \
	  "$$interpreter" -m venv --clear $(VENV)
	$(PY) -m pip install -q --upgrade 'pip>=25.1'
	$(PY) -m pip install -q -r requirements.txt --group dev
	touch $(STAMP)

system-deps:
	@bash scripts/install-system-deps.sh

# Browser assets the service serves itself (the officer app's QR decoder), from the lockfile.
NODE_STAMP := node_modules/.installed
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || bash scripts/install-system-deps.sh
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

run: $(STAMP) $(NODE_STAMP)
	$(PY) -m scripts.run_local

test: $(STAMP) system-deps $(NODE_STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy app.py chalicelib scripts bench
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest tests/unit

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy app.py chalicelib scripts bench

bench: $(STAMP) $(NODE_STAMP)
	$(PY) -m bench

check-forms: $(STAMP)
	$(PY) -m scripts.check_forms

package: $(STAMP) $(NODE_STAMP)
	$(PY) -m scripts.package

clean:
	rm -rf build $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
