#!/usr/bin/env bash
# Builds everything and runs the whole test suite (unit + integration). Each integration test
# starts its own private redis-server on a free loopback port, so nothing needs to be running.
#   scripts/test.sh                       # RelWithDebInfo build in build/
#   scripts/test.sh --sanitize address,undefined   # or: --sanitize thread (build-<name>/)
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=""
if [ "${1:-}" = "--sanitize" ]; then sanitize="$2"; fi
scripts/install-deps.sh
build=build
[ -n "$sanitize" ] && build="build-${sanitize//,/-}"
# UBSan only prints and carries on by default: a report must fail the test that caused it.
# (ASan aborts by default; TSan makes the process exit 66 when it reported a race.)
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Every option is spelled out: a build/ configured by anything else (scripts/demo.sh, a developer)
# must not carry settings over into the test run.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSM_BUILD_TESTS=ON -DHSM_BUILD_BENCH=ON \
      -DHSM_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
# Under a sanitizer the packaging tests are left out: they check install layouts and the RPM's
# own (unsanitized) rebuild of the project, nothing a sanitizer looks at, and cost minutes.
exclude=()
[ -n "$sanitize" ] && exclude=(-LE packaging)
ctest --output-on-failure -j"$(nproc)" --timeout 600 "${exclude[@]}"
