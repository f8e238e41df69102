# `make bench`: call set-up, signaling capacity and client weight (bench/, docs/performance.md).
# Figures, not pass/fail; results in bench/results/*.json. BENCH_ARGS passes options through,
# e.g. `make bench BENCH_ARGS="capacity --rates 2000,4000"` or `BENCH_ARGS="--broker redis://..."`.
.PHONY: bench

BENCH_ARGS ?=

bench: system-test-deps $(VENV)/.test
	$(PY) -m bench $(BENCH_ARGS)
