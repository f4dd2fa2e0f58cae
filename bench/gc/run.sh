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
if [[ ${1:-} == memory ]]; then
    "$BUILD_DIR/bin/hsm-bench-compact-memory" "$port" "${2:-1000000}" "${3:-10000}"
else
    "$BUILD_DIR/bin/hsm-bench-gc" "$port" "${1:-1000000}"
fi
