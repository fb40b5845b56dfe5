# The two set-up commands from the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app wsgi
PYTEST_ARGS ?=

.PHONY: run test lint lock translations chromium i18n vendor npm-packages

## run: create .venv, install, compile translations, migrate, load the demo, start the worker
## (jobs, mail) in the background and serve on 127.0.0.1:5000; Ctrl+C stops both
run: $(VENV)/.runtime translations instance/secret_key
	PB_ENV=development $(FLASK) pb init-db
	PB_ENV=development $(FLASK) pb demo
	@echo "Buurtbudget runs on http://127.0.0.1:5000 with its worker (stop both with Ctrl+C)"
	@PB_ENV=development $(FLASK) pb worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  PB_ENV=development $(FLASK) run --host 127.0.0.1 --port 5000

## test: install the dev requirements (and Debian's chromium when missing), run the whole suite
test: $(VENV)/.dev translations chromium npm-packages
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff and mypy, both blocking (mypy settings in pyproject.toml)
lint: $(VENV)/.dev
	$(VENV)/bin/ruff check pb tests bench wsgi.py setup.py
	$(VENV)/bin/mypy

## lock: pin every runtime dependency with hashes in requirements.lock (after editing requirements.txt)
lock: $(VENV)/.dev
	$(VENV)/bin/pip-compile --quiet --generate-hashes --no-header --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock requirements.txt

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

translations: $(VENV)/.runtime
	$(VENV)/bin/pybabel compile --use-fuzzy -d pb/translations -D messages --statistics 2>&1 | tail -1

instance/secret_key:
	mkdir -p instance
	umask 077 && $(PY) -c "import secrets; print(secrets.token_hex(32))" > $@

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## i18n: extract the Dutch source strings and update the English catalogue (then translate the new entries)
i18n: $(VENV)/.runtime
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location -o pb/translations/messages.pot .
	$(VENV)/bin/pybabel update -i pb/translations/messages.pot -d pb/translations -l en --no-fuzzy-matching

## vendor: copy the pinned browser libraries (package-lock.json) into static/vendor, to commit.
## The copies are committed, so `make run` needs no Node.js; tests/test_vendor.py checks them
## against the package npm installed (after `make test`, which runs `npm ci` when npm is present).
LEAFLET_FILES := leaflet.js leaflet.css images/layers.png images/layers-2x.png images/marker-icon.png \
	images/marker-icon-2x.png images/marker-shadow.png
vendor: node_modules/.package-lock.json
	rm -rf static/vendor/leaflet
	mkdir -p static/vendor/leaflet/images
	for f in $(LEAFLET_FILES); do cp node_modules/leaflet/dist/$$f static/vendor/leaflet/$$f; done
	cp node_modules/leaflet/LICENSE static/vendor/leaflet/LICENSE

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund

npm-packages:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) -s --no-print-directory node_modules/.package-lock.json; \
	  else echo "npm not found: tests/test_vendor.py will not compare static/vendor with the npm package"; fi
