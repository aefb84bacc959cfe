# The two commands a newcomer needs: `make evaluate` (main job) and `make test`.
# Each creates or reuses .venv and installs the project into it when pyproject.toml changes.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: evaluate test lint gate baselines clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

## Main job: run the bundled tasks with the offline baselines, write reports under results/.
evaluate: $(STAMP)
	$(BIN)/harness run

## Tests (integration tests run too when HARNESS_TEST_BASE_URL points at a server).
test: $(STAMP)
	$(BIN)/python -m pytest

## Regression gate: rerun the bundled tasks with their offline baselines and compare every
## metric with the reports committed under results/baselines (exact: tolerance 0).
gate: $(STAMP)
	@dir=$$(mktemp -d) && \
	$(BIN)/harness run --results-dir $$dir/runs && \
	$(BIN)/harness check $$dir/runs --baseline results/baselines --require-baseline \
		--summary $$dir/gate.md --junit $$dir/junit.xml

## Regenerate results/baselines after an intended change (review the diff before committing).
baselines: $(STAMP)
	@dir=$$(mktemp -d) && \
	$(BIN)/harness run --results-dir $$dir/runs && \
	$(BIN)/harness baseline $$dir/runs --out results/baselines && \
	$(BIN)/harness check $$dir/runs --baseline results/baselines --require-baseline

## Lint: ruff on the code, tests and benchmarks; mypy on the package ([tool.mypy] in pyproject).
lint: $(STAMP)
	$(BIN)/ruff check harness tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis .ruff_cache .mypy_cache
