# Two commands do all the set-up on a fresh machine (Python 3.11 needed):
#   make train   - install, generate LOCAL sample data, train the uplift recipe on LOCAL
#   make test    - install, start the DEV stack (infra/dev-stack up), run every test
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
RECIPE ?= uplift_model_exp3
EVENTS ?= 10000
export KEDRO_DISABLE_TELEMETRY := 1

.PHONY: install java data train test dev-up dev-down benchmark clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv

# Bytecode compiled once here: with PYTHONDONTWRITEBYTECODE set (as on some CI
# machines) every `kedro run` would otherwise compile its imports anew (~6 s each).
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/uv pip install --python $(BIN)/python --quiet --compile-bytecode -e ".[dev,spark]"
	touch $@

install: $(VENV)/.installed

# Java 17+ for Spark (batch_inference_spark and its tests), from the OS packages
# when absent; LOCAL training does not need it.
java:
	infra/ensure-java

# LOCAL sample data (deterministic) and the embedded Feast registry/online store.
data/feast/registry.db: $(VENV)/.installed
	$(BIN)/python infra/sample_data.py --out data/01_raw --events $(EVENTS)
	$(BIN)/python -m mmp_kedro.feature_store apply --env local --materialize

data: data/feast/registry.db

train: data/feast/registry.db
	$(BIN)/kedro run --pipelines train --params recipe=$(RECIPE)

dev-up: $(VENV)/.installed
	infra/dev-stack up

dev-down:
	infra/dev-stack down

# The DEV tests talk to the stack: start it (idempotent) and hand .env to pytest.
test: dev-up java
	set -a && . ./.env && set +a && $(BIN)/python -m pytest

benchmark: data/feast/registry.db dev-up
	$(BIN)/python benchmarks/local_train.py
	set -a && . ./.env && set +a && $(BIN)/python benchmarks/dev_vs_local_train.py

clean:
	rm -rf data/feast data/0[1-8]_*/*.parquet data/0[1-8]_*/*.json data/0[1-8]_*/*.pkl mlruns mlruns.db
