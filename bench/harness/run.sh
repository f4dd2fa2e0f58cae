#!/usr/bin/env bash
# End-to-end figures of the real hsm-action-shipper daemon against a private redis-server: the
# no-change poll cycle (350k lines on 1 MDT, 1M on 4), the initial shipping rate as a ratio to
# redis-benchmark's pipelined XADD of the same payload size, and the daemon's RSS.
#
# Usage: bench/harness/run.sh   (env: BUILD_DIR, SHIPPER, LINES, BIG_MDTS, BIG_LINES, CYCLES, REPEAT)
# Needs: hsm-action-shipper (or SHIPPER=path) and hsm-bench-gen built in BUILD_DIR/bin; redis-server, redis-cli and
# redis-benchmark on PATH. Everything runs in a temp dir on a free loopback port and is removed on
# exit; the only processes it ends are the ones it started, by pid.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build-bench}
LINES=${LINES:-350000}        # one large site's live actions (docs/lustre-actions.md: 351,204)
BIG_MDTS=${BIG_MDTS:-4}         # 0: skip the 1,000,000-line run
BIG_LINES=${BIG_LINES:-250000}  # x 4 MDTs = 1,000,000
CYCLES=${CYCLES:-10}          # no-change cycles timed after the initial load
REPEAT=${REPEAT:-1}           # whole runs, for spread on a shared machine
# 0.5 s between cycles keeps cycles apart (a cycle's time is its own), yet gives CYCLES
# samples in a few seconds; the daemon's lower bound is 0.05 s.
POLL=0.5
# XADDs per round trip: the shipper's own publisher batch (publish.hpp, batch_size).
PIPELINE=2000

shipper=${SHIPPER:-$BUILD_DIR/bin/hsm-action-shipper}
gen=$BUILD_DIR/bin/hsm-bench-gen
for tool in "$shipper" "$gen"; do
    [[ -x $tool ]] || { echo "run.sh: $tool not built" >&2; exit 1; }
done
for tool in redis-server redis-cli redis-benchmark; do
    command -v $tool >/dev/null || { echo "run.sh: $tool not on PATH" >&2; exit 1; }
done

tmp=$(mktemp -d -t hsm-bench.XXXXXX)
redis_pid=""
daemon_pid=""
cleanup() {
    [[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*" >&2; }

source "$(dirname "${BASH_SOURCE[0]}")/../lib/private_redis.sh"
start_redis() { start_private_redis || exit 1; }

rcli() { redis-cli -p "$port" "$@"; }

# Waits until the daemon's log shows cycle $1; fails after $2 seconds.
wait_cycle() {
    local n=$1 limit=$2 start=$SECONDS
    until grep -q "cycle $n: " "$tmp/shipper.log"; do
        kill -0 "$daemon_pid" 2>/dev/null || { log "run.sh: daemon died"; cat "$tmp/shipper.log" >&2; exit 1; }
        (( SECONDS - start < limit )) || { log "run.sh: no cycle $n after ${limit}s"; exit 1; }
        sleep 0.02
    done
}

# CPU seconds (user + system) a process has used so far; wall times on a shared 2-core machine
# move with other load, CPU per event much less.
cpu_s() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / hz}' "/proc/$1/stat"
}

rss_mb() {  # "<VmHWM> <VmRSS>" in MB of the daemon
    awk '/^VmHWM:/ {h=$2} /^VmRSS:/ {r=$2} END {printf "%.1f %.1f", h/1024, r/1024}' "/proc/$daemon_pid/status"
}

cycle_field() {  # cycle_field N FIELD(seconds|shipped)
    sed -n "s/.*cycle $1: [0-9]* MDTs, [0-9]* live, \([0-9]*\) shipped in \([0-9.]*\) s.*/\1 \2/p" \
        "$tmp/shipper.log" | awk -v f="$2" '{print (f == "shipped") ? $1 : $2}'
}

# min / median / max of the numbers on stdin.
stats() { sort -g | awk '{a[NR]=$1} END {printf "%.3f %.3f %.3f", a[1], a[int((NR+1)/2)], a[NR]}'; }

# First and last entry IDs' milliseconds of a stream: the window Redis saw XADDs arrive in.
xadd_window_s() {
    local first last
    first=$(rcli -n 1 --raw XRANGE "$1" - + COUNT 1 | head -1 | cut -d- -f1)
    last=$(rcli -n 1 --raw XREVRANGE "$1" + - COUNT 1 | head -1 | cut -d- -f1)
    awk -v a="$first" -v b="$last" 'BEGIN {printf "%.3f", (b - a) / 1000}'
}

# One daemon run: fresh Redis db and checkpoint, $1 MDTs x $2 lines; initial load, CYCLES
# no-change cycles, then (with $3 = yes) one cycle with 1% of statuses changed.
scenario() {
    local mdts=$1 lines=$2 with_change=$3
    rcli FLUSHALL >/dev/null
    rm -rf "$tmp/mdt" "$tmp/state.bin" "$tmp/shipper.log"
    "$gen" --root "$tmp/mdt" --mdts "$mdts" --lines "$lines" >&2
    cat >"$tmp/shipper.toml" <<EOF
redis_host = "127.0.0.1"
redis_port = $port
mdt_watch_glob = "$tmp/mdt/*-MDT????/hsm/actions"
poll_interval = $POLL
cache_path = "$tmp/state.bin"
log_level = "debug"
EOF
    local redis_cpu0
    redis_cpu0=$(cpu_s "$redis_pid")
    : >"$tmp/shipper.log"  # exists before the first grep, whoever runs first after the fork
    "$shipper" -c "$tmp/shipper.toml" 2>"$tmp/shipper.log" &
    daemon_pid=$!
    wait_cycle 1 600
    rss_initial=$(rss_mb)
    cpu_initial="$(cpu_s "$daemon_pid") $(awk -v a="$(cpu_s "$redis_pid")" -v b="$redis_cpu0" 'BEGIN {printf "%.3f", a - b}')"
    # Before any later cycle adds entries: the span of the initial load's XADDs in Redis.
    xadd_s=0
    local m w
    for m in $(seq 0 $((mdts - 1))); do
        w=$(xadd_window_s "hsm:actions:$(printf 'bench-MDT%04x' "$m")")
        xadd_s=$(awk -v a="$xadd_s" -v b="$w" 'BEGIN {print (b > a) ? b : a}')
    done
    local last=$((1 + CYCLES))
    wait_cycle "$last" 300
    rss_steady=$(rss_mb)
    local cpu_before_cycles=${cpu_initial%% *}
    cpu_per_cycle=$(awk -v a="$(cpu_s "$daemon_pid")" -v b="$cpu_before_cycles" -v n="$CYCLES" 'BEGIN {printf "%.3f", (a - b) / n}')
    total=$((mdts * lines))
    shipped1=$(cycle_field 1 shipped)
    cycle1_s=$(cycle_field 1 seconds)
    [[ $shipped1 == "$total" ]] || { log "run.sh: cycle 1 shipped $shipped1 of $total"; exit 1; }
    nochange=$(for c in $(seq 2 "$last"); do cycle_field "$c" seconds; done | stats)
    change_s="" change_shipped=""
    if [[ $with_change == yes ]]; then
        "$gen" --root "$tmp/mdt" --mdts "$mdts" --lines "$lines" --change-every 100 >&2
        local c=$((last + 1)) start=$SECONDS
        while :; do
            wait_cycle "$c" 60
            change_shipped=$(cycle_field "$c" shipped)
            [[ $change_shipped == 0 ]] || break
            c=$((c + 1))
            (( SECONDS - start < 60 )) || { log "run.sh: change never shipped"; exit 1; }
        done
        change_s=$(cycle_field "$c" seconds)
    fi
    kill -TERM "$daemon_pid"; wait "$daemon_pid" || { log "run.sh: daemon exit status $?"; exit 1; }
    daemon_pid=""
}

# Mean length of the JSON the shipper wrote (first 1000 entries of MDT0000's stream).
payload_bytes() {
    rcli -n 1 --raw XRANGE hsm:actions:bench-MDT0000 - + COUNT 1000 |
        awk '/^\{/ {n++; s += length($0)} END {printf "%d", s / n}'
}

# redis-benchmark's rate for $LINES pipelined XADDs of an N-byte payload over $1 connections.
xadd_reference() {
    local clients=$1 bytes=$2 out
    out=$(head -c "$bytes" /dev/zero | tr '\0' x |
        redis-benchmark -p "$port" -n "$LINES" -P "$PIPELINE" -c "$clients" --csv -x XADD benchkey '*' data)
    rcli DEL benchkey >/dev/null
    printf '%s\n' "$out" | tail -1 | cut -d, -f2 | tr -d '"'
}

start_redis
log "redis-server on 127.0.0.1:$port, work dir $tmp"
printf 'machine: %s cores, %s, redis %s\n' "$(nproc)" "$(. /etc/os-release && echo "$PRETTY_NAME")" "$(redis-server --version | cut -d' ' -f3)"
for run in $(seq 1 "$REPEAT"); do
    printf '\nrun %d: load average before: %s\n' "$run" "$(cut -d' ' -f1-3 /proc/loadavg)"
    scenario 1 "$LINES" yes
    bytes=$(payload_bytes)
    ref1=$(xadd_reference 1 "$bytes")
    ref50=$(xadd_reference 50 "$bytes")
    rate=$(awk -v n="$LINES" -v s="$cycle1_s" 'BEGIN {printf "%.0f", n / s}')
    xrate=$(awk -v n="$LINES" -v s="$xadd_s" 'BEGIN {printf "%.0f", (s > 0) ? n / s : 0}')
    printf 'run %d: 1 MDT x %d lines (payload %d B)\n' "$run" "$LINES" "$bytes"
    printf '  initial cycle      %8.3f s  -> %7d events/s = %.2f x redis-benchmark -c1 (%.0f/s), %.2f x -c50 (%.0f/s)\n' \
        "$cycle1_s" "$rate" "$(awk -v a="$rate" -v b="$ref1" 'BEGIN {print a / b}')" "$ref1" \
        "$(awk -v a="$rate" -v b="$ref50" 'BEGIN {print a / b}')" "$ref50"
    printf '  XADD window        %8.3f s  -> %7d events/s = %.2f x redis-benchmark -c1\n' \
        "$xadd_s" "$xrate" "$(awk -v a="$xrate" -v b="$ref1" 'BEGIN {print a / b}')"
    printf '  CPU of initial     shipper %s s, redis-server %s s (%.2f + %.2f us/event)\n' ${cpu_initial} \
        "$(awk -v c="${cpu_initial%% *}" -v n="$LINES" 'BEGIN {print c / n * 1e6}')" \
        "$(awk -v c="${cpu_initial##* }" -v n="$LINES" 'BEGIN {print c / n * 1e6}')"
    printf '  no-change cycle    min/median/max %s s over %d cycles (shipper CPU %s s/cycle)\n' "$nochange" "$CYCLES" "$cpu_per_cycle"
    printf '  1%% change cycle    %8.3f s  (%s events)\n' "$change_s" "$change_shipped"
    printf '  RSS after load     VmHWM %s MB, VmRSS %s MB\n' ${rss_initial}
    printf '  RSS after cycles   VmHWM %s MB, VmRSS %s MB\n' ${rss_steady}

    (( BIG_MDTS > 0 )) || continue
    scenario "$BIG_MDTS" "$BIG_LINES" no
    rate=$(awk -v n="$((BIG_MDTS * BIG_LINES))" -v s="$cycle1_s" 'BEGIN {printf "%.0f", n / s}')
    printf 'run %d: %d MDTs x %d lines\n' "$run" "$BIG_MDTS" "$BIG_LINES"
    printf '  initial cycle      %8.3f s  -> %7d events/s\n' "$cycle1_s" "$rate"
    printf '  CPU of initial     shipper %s s, redis-server %s s\n' ${cpu_initial}
    printf '  no-change cycle    min/median/max %s s over %d cycles (shipper CPU %s s/cycle)\n' "$nochange" "$CYCLES" "$cpu_per_cycle"
    printf '  RSS after load     VmHWM %s MB, VmRSS %s MB\n' ${rss_initial}
    printf '  RSS after cycles   VmHWM %s MB, VmRSS %s MB\n' ${rss_steady}
done
