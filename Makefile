# BIZRA NODE0 — the commands a person runs. Each target installs what is missing (scripts/setup.sh),
# configures once, and builds incrementally, so re-running is quick.
#
#   make test         build everything and run the whole test suite (CI runs exactly this)
#   make run          the node's main job: a local 4-validator devnet (Ctrl-C stops it)
#   make test-asan    the test suite under ASan + UBSan      make test-tsan   ... under TSan
#   make coverage     the test suite with gcovr line/branch coverage (build/coverage/coverage.txt)
#   make bench-micro  Google Benchmark micro-benchmarks (not part of `make test`)
#   make bench        the performance report: every suite, 3 repetitions (~30 min on 2 cores) ->
#                     docs/PERFORMANCE.md, docs/performance.json, docs/perf/*.svg (bench/run_all.py)
#   make bench-quick  every suite briefly (a few minutes) -> build/bench-quick/ (docs/ untouched)
#   make fuzz         run every libFuzzer target for FUZZ_SECONDS each (default 60)
#   make scale-study  consensus scale study in the simulator -> docs/consensus.md §8 (~25 min)

SHELL := /bin/bash
FUZZ_SECONDS ?= 60
NODE0 := build/release/apps/node0/node0

.PHONY: setup test run build test-asan test-tsan coverage bench-micro bench bench-quick fuzz fuzz-build scale-study clean

setup:
	@scripts/setup.sh

# configure-<preset>: configure only when the build tree does not exist yet.
build/%/CMakeCache.txt:
	cmake --preset $* $(CMAKE_ARGS)

fuzz-build: setup build/fuzz/CMakeCache.txt
	cmake --build --preset fuzz

build: setup fuzz-build build/release/CMakeCache.txt
	cmake --build --preset release

test: build
	ctest --preset release

# The main job: a local 4-validator devnet (fresh keys and genesis in devnet/, or the network
# already there), with a one-line status per second; Ctrl-C stops it. DEVNET_FLAGS adds flags,
# e.g. make run DEVNET_FLAGS="--load 200".
DEVNET_FLAGS ?=
run: setup build/release/CMakeCache.txt
	cmake --build --preset release --target node0
	$(NODE0) devnet --validators 4 --dir devnet $(DEVNET_FLAGS)

test-asan: setup build/asan/CMakeCache.txt
	cmake --build --preset asan
	ctest --preset asan

test-tsan: setup build/tsan/CMakeCache.txt
	cmake --build --preset tsan
	ctest --preset tsan

coverage: setup build/coverage/CMakeCache.txt
	find build/coverage -name '*.gcda' -delete
	cmake --build --preset coverage
	ctest --preset coverage
	gcovr --root . --filter src/ --object-directory build/coverage --exclude-throw-branches \
	  --exclude-directories 'build/coverage/CMakeFiles' \
	  --txt build/coverage/coverage.txt --html-details build/coverage/coverage.html --print-summary
	@echo "report: build/coverage/coverage.txt, build/coverage/coverage.html"

bench-micro: setup build/release/CMakeCache.txt
	cmake --build --preset release --target bench_crypto
	build/release/bench/bench_crypto --benchmark_repetitions=5 --benchmark_report_aggregates_only=false \
	  --benchmark_display_aggregates_only=true

# The whole Release build: the bench suites, node0, and the tests the report counts and runs
# (with the fuzzers, whose smoke tests are part of the suite, as in `make test`).
# Coverage figures come from the last `make coverage` (the report says so when there is none).
bench: setup fuzz-build build/release/CMakeCache.txt
	cmake --build --preset release
	bench/run_all.py --build-dir build/release

bench-quick: setup fuzz-build build/release/CMakeCache.txt
	cmake --build --preset release
	bench/run_all.py --quick --build-dir build/release --out-dir build/bench-quick

fuzz: fuzz-build
	@for f in build/fuzz/tests/fuzz/fuzz_*; do \
	  [[ -x $$f ]] || continue; name=$$(basename $$f); mkdir -p fuzz-findings/$$name; \
	  echo "== $$name ($(FUZZ_SECONDS) s)"; \
	  $$f -max_total_time=$(FUZZ_SECONDS) -artifact_prefix=fuzz-findings/$$name/ \
	    fuzz-findings/$$name tests/fuzz/corpus/$${name#fuzz_} || exit 1; \
	done

scale-study: setup build/release/CMakeCache.txt
	cmake --build --preset release --target node0
	bench/scale_study.py --node0 $(NODE0)

clean:
	rm -rf build
