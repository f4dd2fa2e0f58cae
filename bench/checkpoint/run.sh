#!/usr/bin/env bash
# The daemon under steady churn at a 1 s poll (docs/checkpoint.md, docs/benchmarks.md): disk
# writes (/proc/<pid>/io write_bytes), CPU share of a core, churn cycle times and the share spent
# writing snapshots, then a kill -9 and a restart: time to the end of the first cycle and what it
# shipped. Runs the build under test and, when OLD is set, a previous build in the same run on
# the same simulated files' shape, one after the other on one private redis-server.
#
# Usage: bench/checkpoint/run.sh   (env: BUILD_DIR, NEW, OLD, MDTS, LIVE, WINDOW)
# Needs hsm-action-shipper and hsm-action-simulate in BUILD_DIR/bin, redis-server and redis-cli on
# PATH. Everything lives in a temp dir on a free loopback port, removed on exit; the only
# processes it ends are the ones it started, by pid.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build}
NEW=${NEW:-$BUILD_DIR/bin/hsm-action-shipper}
OLD=${OLD:-}
MDTS=${MDTS:-4}
LIVE=${LIVE:-250000}   # per MDT: 4 x 250,000 = 1,000,000
WINDOW=${WINDOW:-30}   # seconds measured under churn
sim=$BUILD_DIR/bin/hsm-action-simulate
for tool in "$NEW" "$sim" ${OLD:+"$OLD"}; do
    [[ -x $tool ]] || { echo "run.sh: $tool not built" >&2; exit 1; }
done

tmp=$(mktemp -d -t hsm-ckpt-bench.XXXXXX)
redis_pid="" daemon_pid="" sim_pid=""
stop_pid() { [[ -n $1 ]] && kill "$1" 2>/dev/null && wait "$1" 2>/dev/null || true; }
cleanup() { stop_pid "$daemon_pid"; stop_pid "$sim_pid"; stop_pid "$redis_pid"; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { printf '%s\n' "$*" >&2; }

source "$(dirname "${BASH_SOURCE[0]}")/../lib/private_redis.sh"
start_private_redis || exit 1

cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / hz}' "/proc/$1/stat"; }
write_bytes() { awk '/^write_bytes:/ {print $2}' "/proc/$1/io"; }
wait_log() {  # wait_log PATTERN SECONDS
    local start=$SECONDS
    until grep -q "$1" "$tmp/shipper.log"; do
        kill -0 "$daemon_pid" 2>/dev/null || { log "run.sh: daemon died"; tail "$tmp/shipper.log" >&2; exit 1; }
        (( SECONDS - start < $2 )) || { log "run.sh: no '$1' after $2 s"; exit 1; }
        sleep 0.02
    done
}
last_cycle() { sed -n 's/.*] cycle \([0-9]*\): .*/\1/p' "$tmp/shipper.log" | tail -1; }
stats() { sort -g | awk '{a[NR]=$1} END {if (NR) printf "%.3f %.3f %.3f", a[1], a[int((NR+1)/2)], a[NR]; else printf "- - -"}'; }

run() {  # run LABEL BINARY
    local label=$1 shipper=$2
    redis-cli -p "$port" FLUSHALL >/dev/null
    rm -rf "$tmp/mdt" "$tmp/state.bin" "$tmp/shipper.log"
    "$sim" --root "$tmp/mdt" --mdts "$MDTS" --live "$LIVE" --tick 1 >"$tmp/sim.log" 2>&1 &
    sim_pid=$!
    cat >"$tmp/shipper.toml" <<EOF
redis_host = "127.0.0.1"
redis_port = $port
mdt_watch_glob = "$tmp/mdt/*-MDT????/hsm/actions"
poll_interval = 1.0
cache_path = "$tmp/state.bin"
log_level = "debug"
EOF
    local start=$SECONDS
    until [[ $(ls "$tmp"/mdt/*/hsm/actions 2>/dev/null | wc -l) -eq $MDTS ]]; do
        (( SECONDS - start < 300 )) || { log "run.sh: simulator wrote no files"; exit 1; }
        sleep 0.1
    done
    : >"$tmp/shipper.log"
    "$shipper" -c "$tmp/shipper.toml" 2>"$tmp/shipper.log" &
    daemon_pid=$!
    wait_log "cycle 1: " 600
    wait_log "cycle 6: " 120  # warm-up: the initial load's snapshot and heap are behind us
    local c0 io0 cpu0 t0 c1 io1 cpu1 t1
    c0=$(last_cycle); io0=$(write_bytes "$daemon_pid"); cpu0=$(cpu_s "$daemon_pid"); t0=$(date +%s.%N)
    sleep "$WINDOW"
    c1=$(last_cycle); io1=$(write_bytes "$daemon_pid"); cpu1=$(cpu_s "$daemon_pid"); t1=$(date +%s.%N)
    local secs cycles shipped snaps snap_s
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    cycles=$(awk -v a="$c0" -v b="$c1" '$0 ~ /] cycle [0-9]+: / {
                 n = $0; sub(/.*] cycle /, "", n); sub(/:.*/, "", n);
                 if (n + 0 > a + 0 && n + 0 <= b + 0) { s = $0; sub(/.* shipped in /, "", s); sub(/ s .*/, "", s); print s } }' \
             "$tmp/shipper.log" | stats)
    shipped=$(awk -v a="$c0" -v b="$c1" '$0 ~ /] cycle [0-9]+: / {
                 n = $0; sub(/.*] cycle /, "", n); sub(/:.*/, "", n);
                 if (n + 0 > a + 0 && n + 0 <= b + 0) { s = $0; sub(/.* live, /, "", s); sub(/ shipped.*/, "", s); t += s; k++ } }
                 END {printf "%.0f", k ? t / k : 0}' "$tmp/shipper.log")
    # Snapshot writes inside the window (the new build logs each; the old one wrote every cycle).
    local in_window="\\] cycle $c0: /{w=1} /\\] cycle $c1: /{w=0}"
    snaps=$(awk "/$in_window"' w && /checkpoint: snapshot of/ {n++} END {print n + 0}' "$tmp/shipper.log")
    snap_s=$(awk "/$in_window"' w && /checkpoint: snapshot of/ {s = $0; sub(/.* written in /, "", s); sub(/ s.*/, "", s); print s}' \
             "$tmp/shipper.log" | stats)
    log "[$label] window ${secs} s: $(( (io1 - io0) / 1000 )) kB written = $(awk -v b="$((io1 - io0))" -v s="$secs" 'BEGIN {printf "%.3f", b / s / 1e6}') MB/s;" \
        "CPU $(awk -v a="$cpu0" -v b="$cpu1" -v s="$secs" 'BEGIN {printf "%.1f", 100 * (b - a) / s}') % of a core;" \
        "$((c1 - c0)) cycles, ~$shipped events each, cycle s min/median/max $cycles;" \
        "$snaps snapshots in the window, seconds each min/median/max $snap_s"
    # Restart after kill -9, with the files still (the simulator stopped) so that whatever the
    # first cycle ships was re-shipped.
    stop_pid "$sim_pid"; sim_pid=""
    local quiet
    quiet=$(( $(last_cycle) + 2 ))
    wait_log "cycle $quiet: " 60
    kill -9 "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
    mv "$tmp/shipper.log" "$tmp/shipper-before-kill.log"
    : >"$tmp/shipper.log"
    local r0 r1
    r0=$(date +%s.%N)
    "$shipper" -c "$tmp/shipper.toml" 2>"$tmp/shipper.log" &
    daemon_pid=$!
    wait_log "cycle 1: " 120
    r1=$(date +%s.%N)
    log "[$label] restart after kill -9: first cycle done $(awk -v a="$r0" -v b="$r1" 'BEGIN {printf "%.3f", b - a}') s after exec;" \
        "$(grep -o 'cycle 1: .*' "$tmp/shipper.log")"
    grep -E "caught up|taking over|loaded checkpoint" "$tmp/shipper.log" | sed "s/^/[$label]   /" >&2 || true
    stop_pid "$daemon_pid"; daemon_pid=""
}

run new "$NEW"
[[ -z $OLD ]] || run old "$OLD"
