#!/usr/bin/env bash
# Change-to-consumer latency (docs/benchmarks.md): MDTS x LINES live records (default 4 x 250,000
# = 1,000,000), the daemon at POLL (default 1 s) against a private redis-server, then CHANGES
# status changes at random moments, each timed from the file's rename to the UPDATE arriving
# at a consumer blocked in XREAD (hsm-bench-latency).
#
# Usage: bench/latency/run.sh   (env: BUILD_DIR, SHIPPER, MDTS, LINES, POLL, CHANGES)
# Needs hsm-action-shipper and hsm-bench-latency in BUILD_DIR/bin, redis-server and redis-cli on
# PATH. Temp dir and free loopback port, removed on exit; ends only the processes it started.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build}
shipper=${SHIPPER:-$BUILD_DIR/bin/hsm-action-shipper}
latency=$BUILD_DIR/bin/hsm-bench-latency
MDTS=${MDTS:-4}
LINES=${LINES:-250000}
POLL=${POLL:-1.0}
CHANGES=${CHANGES:-120}
for tool in "$shipper" "$latency"; do
    [[ -x $tool ]] || { echo "run.sh: $tool not built" >&2; exit 1; }
done

tmp=$(mktemp -d -t hsm-latency.XXXXXX)
redis_pid="" daemon_pid=""
stop_pid() { [[ -n $1 ]] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
cleanup() { stop_pid "$daemon_pid"; stop_pid "$redis_pid"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$(dirname "${BASH_SOURCE[0]}")/../lib/private_redis.sh"
start_private_redis || exit 1

"$latency" --root "$tmp/mdt" --mdts "$MDTS" --lines "$LINES" --write-only >&2
cat >"$tmp/shipper.toml" <<EOF
redis_host = "127.0.0.1"
redis_port = $port
redis_db = 0
mdt_watch_glob = "$tmp/mdt/*-MDT????/hsm/actions"
poll_interval = $POLL
cache_path = "$tmp/state.bin"
log_level = "debug"
EOF
: >"$tmp/shipper.log"
"$shipper" -c "$tmp/shipper.toml" 2>"$tmp/shipper.log" &
daemon_pid=$!
start=$SECONDS
until grep -q "cycle 3: " "$tmp/shipper.log"; do  # initial load done, steady cycles running
    kill -0 "$daemon_pid" 2>/dev/null || { echo "run.sh: daemon died" >&2; cat "$tmp/shipper.log" >&2; exit 1; }
    (( SECONDS - start < 600 )) || { echo "run.sh: no cycle 3 after 600 s" >&2; exit 1; }
    sleep 0.05
done
echo "$MDTS x $LINES live, poll $POLL s; no-change cycles:" \
    "$(sed -n 's/.* 0 shipped in \([0-9.]*\) s.*/\1/p' "$tmp/shipper.log" | sort -g | awk '{a[NR]=$1} END {if (NR) printf "min %s median %s max %s", a[1], a[int((NR+1)/2)], a[NR]}')" >&2
"$latency" --root "$tmp/mdt" --mdts "$MDTS" --lines "$LINES" --port "$port" --changes "$CHANGES"
echo "cycles that shipped the changes (s): $(sed -n 's/.* [1-9][0-9]* shipped in \([0-9.]*\) s.*/\1/p' "$tmp/shipper.log" | tail -n +2 | sort -g | awk '{a[NR]=$1} END {if (NR) printf "min %s median %s max %s", a[1], a[int((NR+1)/2)], a[NR]}')" >&2
