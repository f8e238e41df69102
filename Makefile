# visavis — the verbs. `make run` and `make test` work on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUN_DIR := .run
TLS_CERT := $(RUN_DIR)/tls/cert.pem
TLS_KEY := $(RUN_DIR)/tls/key.pem
# Signs resume tokens, so people keep their seats when `make run` is restarted.
RESUME_SECRET := $(RUN_DIR)/resume-secret
# Signs hosts' session cookies (VISAVIS_ACCESS=hosts make run); the hosts live in .run/state.
SESSION_SECRET := $(RUN_DIR)/session-secret
# Debian packages the tests drive for real: browsers, TURN server, certificate tools, node.
TEST_APT_PACKAGES := chromium firefox-esr coturn openssl nodejs nftables iproute2 redis-server
TEST_COMMANDS := chromium firefox-esr turnserver turnutils_uclient openssl node nft ip ss \
  redis-server unshare
# Files the tests need that no command stands for (nginx's dynamic modules).
TEST_FILES :=

# Operator verbs (deploy, verify) and their test needs live beside the playbook.
-include infra/make/*.mk

.PHONY: help run test check lint typecheck fuzz system-test-deps clean shell

help:
	@echo "make run             serve visavis on https://localhost:8443 (self-signed certificate)"
	@echo "make test            install what the tests need (root), then make check and every other suite"
	@echo "make check           the fast tier, no root: lint, format, types (Python, JS), layering, unit, node, service tests"
	@echo "make lint            ruff check and ruff format --check on the Python code"
	@echo "make typecheck       mypy on signaling/ and the import-layering contract"
	@echo "make typecheck-js    TypeScript's checkJs over frontend/js (npm dev tool only)"
	@echo "make crossbrowser    Firefox ESR and Chromium calling each other (root: a network namespace)"
	@echo "make fuzz            the property-based session fuzzer with many examples (FUZZ_EXAMPLES)"
	@echo "make shell           after changing frontend/: the service worker's file list and version"
	@echo "make bench           call set-up, signaling capacity and client weight (docs/performance.md)"
	@echo "make deploy HOST=... DOMAIN=...   provision a host (docs/operating.md)"
	@echo "make verify HOST=...              check a deployed host with testinfra"
	@echo "make enrol HOST=... [NAME=...]    print a one-time link that makes its opener a host"
	@echo "make hosts HOST=...               list the hosts; make remove-host HOST=... ID=... removes one"
	@echo "make compose-config  render compose/rendered/ and the secrets in .env for docker compose"
	@echo "make system-test-deps  apt-get the tools the tests drive (root)"
	@echo "make clean           remove .venv/, .run/, build/ and node_modules/"

$(VENV)/.runtime: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[speed]'
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PY) -m pip install --quiet -c constraints.txt -e '.[speed,test]'
	touch $@

# A self-signed certificate for localhost, kept in the ignored .run/ folder and reused.
$(TLS_CERT):
	mkdir -p $(dir $@)
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
	  -subj "/CN=localhost" \
	  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1,DNS:$$(hostname)" \
	  -keyout $(TLS_KEY) -out $@ 2>/dev/null
	chmod 600 $(TLS_KEY)

$(RESUME_SECRET) $(SESSION_SECRET):
	mkdir -p $(dir $@)
	(umask 077 && openssl rand -hex 32 > $@)

run: $(VENV)/.runtime $(TLS_CERT) $(RESUME_SECRET) $(SESSION_SECRET)
	VISAVIS_RESUME_SECRET=$${VISAVIS_RESUME_SECRET:-$$(cat $(RESUME_SECRET))} \
	VISAVIS_SESSION_SECRET=$${VISAVIS_SESSION_SECRET:-$$(cat $(SESSION_SECRET))} \
	VISAVIS_STATE_DIR=$${VISAVIS_STATE_DIR:-$(RUN_DIR)/state} \
	VISAVIS_HOST=$${VISAVIS_HOST:-0.0.0.0} \
	VISAVIS_TLS_CERT=$${VISAVIS_TLS_CERT:-$(TLS_CERT)} \
	VISAVIS_TLS_KEY=$${VISAVIS_TLS_KEY:-$(TLS_KEY)} \
	$(PY) -m signaling

system-test-deps:
	@for command in $(TEST_COMMANDS); do \
	  command -v $$command >/dev/null || missing=yes; \
	done; \
	for file in $(TEST_FILES); do test -e $$file || missing=yes; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing $(TEST_APT_PACKAGES) with apt-get"; \
	  apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_APT_PACKAGES) >/dev/null; \
	fi

PY_SOURCES := signaling tests bench infra compose tools
# The fast tier drives these for real (redis-server for the Redis hub, turnserver for
# credentials); `make system-test-deps` installs them once, as root.
CHECK_COMMANDS := node redis-server turnserver

lint: $(VENV)/.test
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

typecheck: $(VENV)/.test
	$(VENV)/bin/mypy signaling
	$(VENV)/bin/lint-imports

check: lint typecheck typecheck-js
	@for command in $(CHECK_COMMANDS); do \
	  command -v $$command >/dev/null || { \
	    echo "make check needs $$command: run 'make system-test-deps' as root once"; exit 1; }; \
	done
	node --test tests/frontend/
	$(PY) -m pytest tests/unit tests/service

# Everything: the fast tier first, then the suites that need root, browsers and hosts.
# The deployment suite (booted hosts: mostly waiting on boots, dpkg, Ansible and sslyze's
# timeouts, 20 of its 25 minutes) runs beside the other suites, which take the cores; its
# output is printed after theirs. Every suite runs to its end; any failure fails the target.
test: system-test-deps $(VENV)/.test
	$(MAKE) check
	@log=$$(mktemp --suffix=-visavis-deploy.log); \
	$(PY) -m pytest -p no:cacheprovider tests/deploy >"$$log" 2>&1 & deploy=$$!; \
	$(PY) -m pytest --ignore=tests/unit --ignore=tests/service --ignore=tests/deploy; others=$$?; \
	$(MAKE) crossbrowser; crossbrowser=$$?; \
	echo "=== waiting for tests/deploy, which ran beside the suites above ==="; \
	wait $$deploy; deployed=$$?; cat "$$log"; rm -f "$$log"; \
	echo "exit status: other suites $$others, crossbrowser $$crossbrowser, deploy $$deployed"; \
	test $$others = 0 && test $$crossbrowser = 0 && test $$deployed = 0

# Firefox ESR and Chromium calling each other (puppeteer-core, an npm development tool),
# in a network namespace of their own with only loopback: the browsers try no other
# address. One file at a time: each launches both browsers. Needs root (unshare --net).
.PHONY: crossbrowser
crossbrowser: node_modules/.package-lock.json $(VENV)/.test
	unshare --net sh -c 'ip link set lo up && node --test --test-concurrency=1 tests/crossbrowser/'

clean:
	rm -rf $(VENV) $(RUN_DIR) build node_modules

# `make test` runs the fuzzer briefly; this runs it long (the count goes in the note).
FUZZ_EXAMPLES ?= 5000
fuzz: $(VENV)/.test
	VISAVIS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider --timeout=0 tests/service/test_fuzz.py

# --- JavaScript type check: TypeScript from npm as a development tool only (checkJs over
# frontend/js from its JSDoc; the client itself has no build step and ships no npm code).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

.PHONY: typecheck-js
# The service worker's app shell (frontend/sw.js): its file list and version, a hash of them.
shell:
	node tools/shell.mjs

typecheck-js: node_modules/.package-lock.json
	npx --no-install tsc -p tsconfig.json
