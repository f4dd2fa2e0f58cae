#!/usr/bin/env bash
# Runs hsm-bench-gc against a private redis-server on a free loopback port (removed afterwards).
#   bench/gc/run.sh [ENTRIES]              (env: BUILD_DIR, default build/)
#   bench/gc/run.sh memory [CHURNED [LONG_LIVED]]   hsm-bench-compact-memory instead
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build}
tmp=$(mktemp -d -t hsm-bench-gc.XXXXXX)
port=""
redis_pid=""
trap '[[ -n $redis_pid ]] && kill $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../lib/private_redis.sh"
start_private_redis || exit 1
if [[ ${1:-} == memory ]]; then
    "$BUILD_DIR/bin/hsm-bench-compact-memory" "$port" "${2:-1000000}" "${3:-10000}"
else
    "$BUILD_DIR/bin/hsm-bench-gc" "$port" "${1:-1000000}"
fi
