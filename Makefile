# Two commands for users: `make demo` and `make test`. Everything else is set-up they call.
# Each step leaves a stamp so a second run is a no-op.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SOLC_VERSION := 0.8.28
SOLCX_DIR := .solcx
SOLC := $(SOLCX_DIR)/solc-v$(SOLC_VERSION)
STORE := .ogkit/models
export SOLCX_BINARY_PATH := $(CURDIR)/$(SOLCX_DIR)
export OGKIT_MODEL_STORE := $(CURDIR)/$(STORE)

.PHONY: setup demo test lint bench bench-reliability clean models toolchain sdk dist

setup: $(VENV)/.installed $(SOLC) $(STORE)/.examples

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SOLC): node_modules/.package-lock.json ogkit/solidity/solc-wrapper.sh
	mkdir -p $(SOLCX_DIR)
	cp ogkit/solidity/solc-wrapper.sh $@
	chmod +x $@

$(STORE)/.examples: $(VENV)/.installed $(wildcard og_examples/models/*.py og_examples/llm/*.py) \
		og_examples/install.py
	$(BIN)/ogkit models build-examples
	touch $@

# OpenGradient's own Python SDK, in a virtualenv of its own: its pins (web3 8, eth-account
# 0.14, numpy 2) conflict with Ape's. tests/node/test_opengradient_sdk.py drives `ogkit node` with it.
SDK_VENV := .venv-sdk
SDK_VERSION := 1.1.4
$(SDK_VENV)/.installed: requirements-sdk.lock
	test -x $(SDK_VENV)/bin/python || $(PY) -m venv $(SDK_VENV)
	$(SDK_VENV)/bin/pip install -q --disable-pip-version-check -c requirements-sdk.lock 'opengradient==$(SDK_VERSION)'
	touch $@

sdk: $(SDK_VENV)/.installed
toolchain: $(SOLC)
models: $(STORE)/.examples

# The demo's ZK inference is proved and settled: its model needs an EZKL setup (~8 s; again
# when the setup code changes: a setup of an older format is refused).
$(STORE)/.zk-demo: $(STORE)/.examples ogkit/zk/steps.py ogkit/zk/artifacts.py
	$(BIN)/ogkit models zk-setup upstream_demo
	touch $@

demo: setup $(STORE)/.zk-demo
	$(BIN)/ape run exercise --network opengradient:local

test: setup sdk
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ape plugins list | grep -q opengradient
	$(BIN)/ape test tests/ -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python bench/run.py
	$(BIN)/python bench/suite.py
	$(BIN)/python bench/zk.py
	$(BIN)/python bench/haca.py
	$(BIN)/python bench/scoreboard.py

# How the node holds up under abuse (issue 12): fuzzing, kill -9, probe latency (~5 min).
bench-reliability: setup
	$(BIN)/python bench/reliability.py

# The wheel and sdist a user installs (`pip install dist/ape_opengradient-*.whl`).
dist: $(VENV)/.installed
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

clean:
	rm -rf $(VENV) $(SDK_VENV) node_modules $(SOLCX_DIR) .ogkit .build build dist
