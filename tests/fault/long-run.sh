#!/usr/bin/env bash
# A long run of the fault suite and the results table of docs/reliability.md from it.
#   tests/fault/long-run.sh [ROUNDS=20]     (env: BUILD_DIR, default build/)
# Every scenario repeats its faults ROUNDS times (FAULT_ROUNDS); each appends one row to a results
# file (FAULT_RESULTS), printed here as a Markdown table. Exit status: the test binary's.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${BUILD_DIR:-$here/../../build}
rounds=${1:-20}
results=$(mktemp -t hsm-fault-results.XXXXXX)
trap 'rm -f "$results"' EXIT
start=$(date +%s)
FAULT_ROUNDS=$rounds FAULT_RESULTS=$results "$BUILD_DIR/tests/bin/test_fault" >&2
status=$?
echo "FAULT_ROUNDS=$rounds, $(( $(date +%s) - start )) s, $(date -u '+%Y-%m-%d %H:%M UTC'), test status $status"
echo
echo "| scenario | rounds | XADDs recorded | duplicates | repairs (tagged) | refreshes | missing (stream) | missing (recorded) | worst recovery s | PURGEDs the witness never saw live |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
while IFS=$'\t' read -r name r xadds dup rep ref miss rmiss rec unseen; do
    echo "| $name | $r | $xadds | $dup | $rep | $ref | $miss | $rmiss | $rec | $unseen |"
done < "$results"
exit $status
