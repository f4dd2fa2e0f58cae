#!/bin/sh
# Starts a private redis-server on a free loopback port, runs hsm-bench-heartbeat against it, and
# stops it. Usage: bench/heartbeat/run.sh [build dir] [writes]
set -eu
build=${1:-build}
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
trap 'kill "$(cat "$dir/redis.pid")" 2>/dev/null; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
"$build/bin/hsm-bench-heartbeat" "$port" "${2:-5000}"
