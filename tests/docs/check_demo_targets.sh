#!/usr/bin/env bash
# scripts/demo.sh builds only the targets it names (a full build is scripts/test.sh's job), yet it
# runs some executables and prints commands for others: every "$bin/<tool>" it mentions must be in
# its --target list, or a new admin pastes a command that is not there (found by a README trial:
# the demo printed hsm-stream-stats / hsm-stream-tail commands it had not built).
set -euo pipefail
demo="$1/scripts/demo.sh"
# The --target list: from "--target" to the end of the command (continuation lines included).
targets=$(awk '/--target/ {on=1} on {print; if ($0 !~ /\\$/) exit}' "$demo" | sed 's/.*--target//; s/\\//g' | tr -s ' \n' '\n')
used=$(grep -o '\$bin/[A-Za-z0-9_-]*' "$demo" | sed 's/^\$bin\///' | sort -u)
[[ -n $used ]] || { echo "check_demo_targets: no \$bin/<tool> found in $demo" >&2; exit 1; }
missing=0
for tool in $used; do
    grep -qx "$tool" <<<"$targets" || { echo "$demo: uses \$bin/$tool but does not build it (--target list)" >&2; missing=1; }
done
exit $missing
