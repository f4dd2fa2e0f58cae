#!/usr/bin/env bash
# How long hsm-stream-tail --run-once takes to resolve N distinct FIDs with each lfs client form
# (tests/support/fake_lfs.cpp standing in for 2.12, 2.14, 2.15 and 2.16), at a given time per
# FID: the cost of one FID per call (2.12/2.14, 4 calls at once) against batches (2.15, 2.16).
#
# Usage: bench/tail/lfs_forms.sh   (env: BUILD_DIR, FIDS=300, DELAY_MS=20, VERSIONS)
# Needs hsm-stream-tail in BUILD_DIR/bin and fake-lfs in BUILD_DIR/tests/bin (a build with
# -DHSM_BUILD_TESTS=ON); redis-server and redis-cli on PATH. Runs in a temp dir on a free
# loopback port; ends only the redis-server it started, by pid.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build}
FIDS=${FIDS:-300}
DELAY_MS=${DELAY_MS:-20}
VERSIONS=${VERSIONS:-"2.12 2.14 2.15 2.16"}
tail_bin=$(realpath "$BUILD_DIR/bin/hsm-stream-tail")
fake=$(realpath "$BUILD_DIR/tests/bin/fake-lfs")
for f in "$tail_bin" "$fake"; do [[ -x $f ]] || { echo "lfs_forms.sh: $f not built" >&2; exit 1; }; done

tmp=$(mktemp -d -t hsm-tail-bench.XXXXXX)
redis_pid=""
cleanup() {
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null && wait "$redis_pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$(dirname "${BASH_SOURCE[0]}")/../lib/private_redis.sh"
start_private_redis || exit 1

for i in $(seq 1 "$FIDS"); do
    printf 'XADD hsm:actions:elm-MDT0000 * data "{\\"event_type\\":\\"NEW\\",\\"mdt\\":\\"elm-MDT0000\\",\\"cat_idx\\":1,\\"rec_idx\\":%d,\\"fid\\":\\"0x200000400:0x%x:0x0\\",\\"action\\":\\"ARCHIVE\\",\\"status\\":\\"WAITING\\",\\"timestamp\\":1759619143}"\n' "$i" "$i"
done | redis-cli -p "$port" -n 1 >/dev/null

mkdir -p "$tmp/bin"
ln -s "$fake" "$tmp/bin/lfs"
printf 'lfs forms: %d FIDs, %d ms per FID, %s cores, load %s\n' "$FIDS" "$DELAY_MS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
for v in $VERSIONS; do
    : > "$tmp/calls"
    start=$(date +%s.%N)
    PATH="$tmp/bin:$PATH" FAKE_LFS_VERSION=$v FAKE_LFS_PATTERN=data/ FAKE_LFS_DELAY_MS=$DELAY_MS \
        FAKE_LFS_LOG="$tmp/calls" "$tail_bin" --host 127.0.0.1 --port "$port" --mountpoint /lustre \
        --run-once > "$tmp/out" 2> "$tmp/err" || { echo "lfs_forms.sh: hsm-stream-tail failed:" >&2; cat "$tmp/err" >&2; exit 1; }
    end=$(date +%s.%N)
    resolved=$(grep -c -- '-> /lustre/data/' "$tmp/out" || true)
    printf '  %s  %6.2f s  %d/%d resolved  %d lfs calls\n' "$v" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" "$resolved" \
        "$FIDS" "$(wc -l < "$tmp/calls")"
done
