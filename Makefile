# Sluice developer commands. `make test` is the test command CI runs (via .ci/run).

GO ?= go
BENCH_FLAGS ?=
# FUZZTIME counts executions, not seconds: with a duration, Go 1.26's fuzz coordinator can fail a
# run with a bare "context deadline exceeded" when a loaded machine makes a worker miss the end
# (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 100000x

.PHONY: test test-go test-sdk lint fuzz fuzz-ci bench bench-micro

# test runs every test: the Go suite with the race detector, then the npm SDK end-to-end test.
test: test-go test-sdk

test-go:
	$(GO) test -race -count=1 ./...

test-sdk:
	bash test/sdk/node/run.sh

# lint fails on unformatted files, vet findings or staticcheck findings.
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	staticcheck ./...

# fuzz-ci fuzzes what parses untrusted input on the request path — the chat request decoder and
# the guardrail scanners — briefly; CI runs it. Each target's seed corpus also runs in every
# `go test`, so the others are exercised there too.
fuzz-ci:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeChatRequest$$' -fuzztime $(FUZZTIME) ./internal/api
	$(GO) test -run '^$$' -fuzz '^FuzzScanners$$' -fuzztime $(FUZZTIME) ./internal/guardrail
	$(GO) test -run '^$$' -fuzz '^FuzzStreamFilter$$' -fuzztime $(FUZZTIME) ./internal/guardrail

# fuzz runs every fuzz target of every package for FUZZTIME each (go test allows one target per
# run), found with go test -list so that a new target is never left out.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# bench runs the end-to-end load benchmark: mockllm directly vs through sluice.
#   make bench BENCH_FLAGS='--rates 500,1000 --duration 5s'   (see bench/README.md)
bench:
	$(GO) run ./bench/load $(BENCH_FLAGS)

# bench-micro runs the Go micro-benchmarks (no tests).
bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...
