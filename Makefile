# The two commands of the README: `make run` and `make test`. Each sets up .venv from uv.lock first.
# A uv on PATH if it works, else the one scripts/ensure_env.sh installs with pip.
UV := $(shell uv --version >/dev/null 2>&1 && echo uv || echo "python3 -m uv")
RUN := UV_PYTHON_DOWNLOADS=never $(UV) run --frozen --no-sync

.PHONY: run test test-fast lint format data env clean bench bench-quick

env:
	@scripts/ensure_env.sh

## The full local pipeline on the bundled data.
run: env
	$(RUN) python local_runner.py

## Every test CI runs, end-to-end pipeline runs included.
test: env
	$(RUN) pytest -q

## The quick loop: everything but the end-to-end pipeline runs.
test-fast: env
	$(RUN) pytest -q -m "not e2e"

## The benchmark suite (about 45 min on 2 cores) and its small version (about 9 min).
bench: env
	$(RUN) python -m benchmarks

bench-quick: env
	$(RUN) python -m benchmarks --quick

lint: env
	$(RUN) ruff check .
	$(RUN) ruff format --check .

format: env
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

## Regenerates the bundled data (deterministic: the same files as committed).
data: env
	$(RUN) python -m patient_data --rows 10000 --spans 1
	$(RUN) python -c "from patient_data.icu import write_icu_span; write_icu_span('data/icu', 1, 600, 2026)"

clean:
	rm -rf outputs .pytest_cache
