# Development tasks. Needs only Python 3 (with venv and pip) and Node.js with npm.
#
#   make test          the whole suite (tests/unit and tests/integration, the latter against pouchdb-server,
#                      or against the server named by COUCHDB_URL / COUCHDB_USER / COUCHDB_PASSWORD)
#   make unit          tests/unit only (no server, no Node.js needed; the cassette tests are among them)
#   make integration   tests/integration only
#   make demo          examples/demo.py against a freshly started pouchdb-server
#   make bench         bench/run.py against a freshly started pouchdb-server (BENCH_ARGS, e.g. --quick)
#   make bench-couchdb bench/run.py against a private Apache CouchDB 3.4.3 from ../shared/couchdb (optional)
#   make docs          the Sphinx HTML documentation; warnings and broken references are errors
#   make lint          ruff over cloudant/, tests/ and bench/; mypy over cloudant/
#   make clean         remove the virtualenv, node_modules and everything built
#
# PYTHON picks the interpreter the virtualenv is made from and VENV where it lives, e.g.
#   make unit PYTHON=python3.9 VENV=/tmp/venv-3.9
# PYTEST_ARGS is passed on to pytest, e.g. make test PYTEST_ARGS='-x -k feed'. HYPOTHESIS_PROFILE=ci runs the
# property tests with the full number of examples (tests/conftest.py).
#
# Every pip install is bounded by constraints/dev.txt, the pinned versions of the development tools.

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
PIP := $(PY) -m pip
CONSTRAINTS := constraints/dev.txt
POUCHDB := tests/pouchdb
# Run pouchdb-server around a command: COUCHDB_URL/USER/PASSWORD are exported to it, the server is
# stopped by PID afterwards (an already set COUCHDB_URL is used instead of starting one).
WITH_SERVER := $(PY) tests/_servers.py run --

.PHONY: all test unit integration demo bench bench-couchdb docs lint clean venv pouchdb

all: test

test: venv pouchdb
	$(PY) -m pytest $(PYTEST_ARGS)

unit: venv
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: venv pouchdb
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

demo: venv pouchdb
	$(WITH_SERVER) $(PY) examples/demo.py

bench: venv pouchdb
	$(WITH_SERVER) $(PY) bench/run.py $(BENCH_ARGS)

# The same against Apache CouchDB 3.4.3, started in a fresh directory by ../shared/couchdb/couchdb-server and
# stopped by it afterwards (also on failure or Ctrl-C). Needs ../shared; make bench does not.
COUCHDB_SERVER ?= ../shared/couchdb/couchdb-server
bench-couchdb: venv
	@test -x $(COUCHDB_SERVER) || { echo "bench-couchdb: $(COUCHDB_SERVER) not found"; exit 1; }
	dir=$$(mktemp -d) && trap '$(COUCHDB_SERVER) stop "$$dir"; rm -rf "$$dir"' EXIT INT TERM && \
		eval "$$($(COUCHDB_SERVER) start "$$dir")" && $(PY) bench/run.py $(BENCH_ARGS)

# -E reads every page afresh: an incremental build would not repeat the warnings of unchanged pages.
docs: $(VENV)/.stamp-docs
	$(VENV)/bin/sphinx-build -E -n -W --keep-going -b html docs docs/_build/html

# Besides ruff and mypy: the house rule that only the wire layer (cloudant/_endpoint.py) sends requests
# and turns HTTP statuses into errors.
lint: $(VENV)/.stamp-lint
	$(VENV)/bin/ruff check cloudant tests bench
	$(VENV)/bin/mypy cloudant
	@! grep -rnE --include='*.py' 'raise_for_status\(|requests\.(get|head|post|put|patch|delete|request)\(' cloudant \
		| grep -v '^cloudant/_endpoint.py:' \
		|| { echo 'lint: only cloudant/_endpoint.py may call requests or raise_for_status (lines above)'; exit 1; }

venv: $(VENV)/.stamp-test
pouchdb: $(POUCHDB)/node_modules/.stamp

# The virtualenv, and one stamp per set of extras installed into it; a changed pyproject.toml, setup.py,
# setup.cfg or constraints file reinstalls. The package is installed editable, so code changes need no
# reinstall.
$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.stamp-%: pyproject.toml setup.py setup.cfg $(CONSTRAINTS) | $(PY)
	$(PIP) install --disable-pip-version-check -c $(CONSTRAINTS) -e '.[$*]'
	touch $@

# pouchdb-server 4.2.0 exactly as locked. Install scripts are skipped: leveldown, the only native module
# pouchdb-server needs, loads the prebuilt binary it ships, and the optional sqlite3 backend is unused (its
# script would try to download or compile it). If no prebuilt binary fits this platform, leveldown is
# compiled with node-gyp. The stamp lives inside node_modules, so a missing node_modules or a changed lock
# file reinstalls.
$(POUCHDB)/node_modules/.stamp: $(POUCHDB)/package.json $(POUCHDB)/package-lock.json
	cd $(POUCHDB) && npm ci --ignore-scripts --no-audit --no-fund
	cd $(POUCHDB) && { node -e "require('leveldown')" 2>/dev/null || npm rebuild leveldown; }
	touch $@

clean:
	rm -rf $(VENV) $(POUCHDB)/node_modules docs/_build build dist .pytest_cache .hypothesis .mypy_cache .ruff_cache
	rm -rf *.egg-info bench/results
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
