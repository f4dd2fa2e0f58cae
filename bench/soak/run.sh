#!/usr/bin/env bash
# Runs hsm-bench-soak against a private redis-server on a free loopback port (removed afterwards).
#   bench/soak/run.sh [CYCLES=2000] [LIVE=100000] [STEP=5]     (env: BUILD_DIR, default build/)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build}
tmp=$(mktemp -d -t hsm-bench-soak.XXXXXX)
port=""
redis_pid=""
trap '[[ -n $redis_pid ]] && kill $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../lib/private_redis.sh"
start_private_redis || exit 1
"$BUILD_DIR/bin/hsm-bench-soak" "$BUILD_DIR/bin/hsm-action-shipper" "$port" "${1:-2000}" "${2:-100000}" "${3:-5}"
