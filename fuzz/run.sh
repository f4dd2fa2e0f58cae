#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, every UBSan report fatal) in build-fuzz/
# and runs each one for a bounded time from its committed seeds, failing on the first finding.
#   fuzz/run.sh                      # every target, FUZZ_SECONDS (default 60) each
#   FUZZ_SECONDS=600 fuzz/run.sh fuzz_event_decoder fuzz_checkpoint
# New inputs found along the way go to build-fuzz/fuzz/corpus/<target>/ (never into fuzz/corpus,
# which holds the reviewed seeds); a crashing input is left as build-fuzz/fuzz/<target>-crash-*
# and its reproduction command is printed: build-fuzz/fuzz/<target> <that file>.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(fuzz_line_parser fuzz_event_decoder fuzz_checkpoint fuzz_config fuzz_escape)

scripts/install-deps.sh fuzz
build=build-fuzz
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DHSM_SANITIZE=address,undefined -DHSM_BUILD_FUZZ=ON -DHSM_BUILD_TESTS=OFF -DHSM_BUILD_BENCH=OFF \
      -DHSM_BUILD_PYTHON=OFF ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} \
      >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]}"

# halt_on_error + -fno-sanitize-recover semantics: a UBSan report is a finding, not a warning.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}"
export ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}"
failed=()
for t in "${targets[@]}"; do
    work="$build/fuzz/corpus/$t"
    mkdir -p "$work"
    echo "== $t: ${seconds}s"
    # -timeout: one input taking over 10 s is a hang, a finding too; -rss_limit_mb: a blow-up.
    if ! (cd "$build/fuzz" && ./"$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
              -artifact_prefix="$t-" -print_final_stats=1 "corpus/$t" "../../fuzz/corpus/$t" \
              >"$t.log" 2>&1); then
        failed+=("$t")
        tail -n 60 "$build/fuzz/$t.log"
        echo "FINDING in $t: reproduce with $build/fuzz/$t $build/fuzz/$t-crash-* (log: $build/fuzz/$t.log)"
    else
        grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$build/fuzz/$t.log" | tail -n 2 || true
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]}"
    exit 1
fi
echo "fuzz: no findings in ${targets[*]} (${seconds}s each)"
