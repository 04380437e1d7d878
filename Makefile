# Developer and CI entry points for the semaphore.api collection.
#   make demo   run examples/demo.yml against the embedded Semaphore simulator
#   make test   sanity, units, simtests, integration, lint, galaxy (stops at the first failure),
#               then the ansible-core matrix
#   make matrix the ansible-core versions of tests/matrix.yml (MATRIX=2.21.5 for one; hack/matrix.sh)
#   make sim    a simulator on http://127.0.0.1:3000 until Ctrl-C (PROFILE=2.10|2.13|2.16|2.18, PORT=...)
#   make doc MODULE=semaphore_task   ansible-doc of a module (without MODULE: the module list)
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.stamp
DEV_REQUIREMENTS := tests/requirements-dev.txt
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
# Where `make demo`, `make sim` and `make doc` build and install the collection (absolute path;
# tests/system/test_examples.py points it at a temporary directory).
DEMO_BUILD ?= build
DEMO_DIR := $(abspath $(DEMO_BUILD))
TARBALL := $(DEMO_DIR)/semaphore-api-$(VERSION).tar.gz
COLLECTIONS := $(DEMO_DIR)/collections
# The demo's own Ansible configuration: find the collection installed above, and keep quiet about
# the implicit localhost (no inventory file, `hosts: localhost` only). Also used by `make doc`.
DEMO_ENV := ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) \
    ANSIBLE_PYTHON_INTERPRETER=$(CURDIR)/$(VPY) \
    ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
    ANSIBLE_LOCALHOST_WARNING=false
PROFILE ?= 2.16
PORT ?= 3000
SIM_PROFILES ?= 2.10 2.13 2.16 2.18
export SIM_PROFILES

# `make -j test` must still run the steps one after the other.
.NOTPARALLEL:

.PHONY: help venv collection demo seed sim doc test sanity units simtests integration systests lint galaxy matrix bench clean distclean

help:
	@echo "make demo    run examples/demo.yml against the embedded simulator"
	@echo "make sim     a simulator on http://127.0.0.1:$(PORT) until Ctrl-C (PROFILE=2.10|2.13|2.16|2.18, PORT=...)"
	@echo "make doc MODULE=semaphore_task   a module's documentation (ansible-doc)"
	@echo "make seed    prepare a real Semaphore (SEMAPHORE_URL, _USERNAME, _PASSWORD) for make integration"
	@echo "make test    sanity units simtests integration systests lint galaxy matrix"
	@echo "make matrix  the other ansible-core versions of tests/matrix.yml (MATRIX=2.21.5 for one)"
	@echo "make venv | sanity | units | simtests | integration | systests | lint | galaxy | matrix | bench | clean"

venv: $(STAMP)

# Rebuilt only when the requirements or this Makefile change.
$(STAMP): $(DEV_REQUIREMENTS) requirements.txt Makefile
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r $(DEV_REQUIREMENTS) -r requirements.txt
	@# shellcheck: ansible-test's shellcheck sanity test silently skips without it.
	@if ! command -v shellcheck >/dev/null; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck) >/dev/null \
	            || echo "warning: could not install shellcheck; its sanity test will be skipped"; \
	    else \
	        echo "warning: shellcheck not found (apt-get install shellcheck); its sanity test will be skipped"; \
	    fi; \
	fi
	@touch $@

# Build the tarball and install it into $(COLLECTIONS), as a user would install it.
collection: venv
	@mkdir -p $(DEMO_DIR)
	rm -f $(TARBALL)
	$(VENV)/bin/ansible-galaxy collection build --force --output-path $(DEMO_DIR)/ .
	ANSIBLE_COLLECTIONS_PATH=$(COLLECTIONS) \
	    $(VENV)/bin/ansible-galaxy collection install --force -p $(COLLECTIONS) $(TARBALL)

demo: collection
	$(DEMO_ENV) \
	    hack/with-simulator.sh --profile 2.16 --state-dir $(DEMO_DIR) -- \
	    $(VENV)/bin/ansible-playbook examples/demo.yml

# Prepare a running Semaphore (SEMAPHORE_URL, SEMAPHORE_USERNAME, SEMAPHORE_PASSWORD) for `make integration`,
# through the collection's own modules; writes tests/integration/integration_config.yml.
seed: collection
	$(DEMO_ENV) $(VENV)/bin/ansible-playbook tests/integration/seed.yml $(SEED_ARGS)

# In the foreground until Ctrl-C; prints the URL, users, export lines and a command to try.
sim: collection
	$(VPY) hack/sim.py --profile $(PROFILE) --port $(PORT) --collections $(COLLECTIONS)

doc: collection
	$(DEMO_ENV) $(VENV)/bin/ansible-doc $(if $(MODULE),semaphore.api.$(MODULE),--list semaphore.api)

test: sanity units simtests integration systests lint galaxy matrix

sanity: venv
	hack/ansible-test.sh sanity --local --python 3.11

units: venv
	hack/ansible-test.sh units --local --python 3.11

simtests: venv
	PYTHONPATH=tests/simulator $(VPY) -m pytest -q tests/simulator/tests
	$(VPY) -m pytest -q -p no:cacheprovider tests/bench

integration: venv
	hack/integration.sh

# TLS, concurrency and the -vvvv secret scan: own simulators, real ansible processes (tests/system).
systests: venv
	$(VPY) -m pytest -q -p no:cacheprovider -n 3 --dist loadfile tests/system

lint: venv
	hack/lint.sh

galaxy: venv
	hack/galaxy.sh

# ansible-core 2.16-2.18 in host venvs, 2.20-2.22 in a Debian 13 root (Python 3.13); see
# tests/matrix.yml. Venvs in build/venvs/, the root in /var/cache/semaphore-api/debian13-root.
matrix: venv
	hack/matrix.sh $(MATRIX)

# BENCH_URL (with BENCH_PASSWORD) runs the waiting cases against that real Semaphore instead.
bench: venv
	if [ -n "$${BENCH_URL:-}" ]; then $(VPY) bench/real_server.py; else $(VPY) bench/run.py; fi
	@# The loop of launches on every ansible-core of tests/matrix.yml (their venvs made if missing).
	if [ -z "$${BENCH_URL:-}" ]; then MATRIX_ONLY_VENVS=1 hack/matrix.sh >/dev/null && $(VPY) bench/cores.py; fi

clean:
	rm -rf build .ansible .pytest_cache tests/output changelogs/.plugin-cache.yaml
	find . -name __pycache__ -type d -not -path './.venv/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
	@# The matrix's Debian 13 root lives outside the checkout (hack/debian-root.sh).
	if [ "$$(id -u)" = 0 ]; then hack/debian-root.sh --remove; fi
