# Benchmarks. BENCH_FLAGS passes flags to the load benchmark, e.g.
#   make bench BENCH_FLAGS='--rates 500,1000 --duration 5s'
# See bench/README.md for what the numbers mean.

GO ?= go
BENCH_FLAGS ?=

.PHONY: bench bench-micro

# bench runs the end-to-end load benchmark: mockllm directly vs through sluice.
bench:
	$(GO) run ./bench/load $(BENCH_FLAGS)

# bench-micro runs the Go micro-benchmarks of the internal packages only (no tests).
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
