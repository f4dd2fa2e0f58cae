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
for attempt in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
        --logfile "$tmp/redis.log" --daemonize no &
    redis_pid=$!
    for i in $(seq 1 100); do
        redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break 2
        kill -0 "$redis_pid" 2>/dev/null || break
        sleep 0.05
    done
done
"$BUILD_DIR/bin/hsm-bench-soak" "$BUILD_DIR/bin/hsm-action-shipper" "$port" "${1:-2000}" "${2:-100000}" "${3:-5}"
