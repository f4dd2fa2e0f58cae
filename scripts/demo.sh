#!/usr/bin/env bash
# The whole system on one machine: a private Redis, simulated MDTs (4 x 50,000 live actions),
# the shipper polling them every 2 s, and the hsm-action-top dashboard on the live streams.
# Everything runs from a temp dir and is stopped when the dashboard exits (press q). Where its
# Redis listens, with commands to paste into another terminal, is printed before the dashboard.
#   scripts/demo.sh [--mdts N] [--live N]
set -euo pipefail
cd "$(dirname "$0")/.."
mdts=4 live=50000
while [ $# -gt 0 ]; do
  case "$1" in
    --mdts) mdts="$2"; shift 2 ;;
    --live) live="$2"; shift 2 ;;
    *) echo "usage: $0 [--mdts N] [--live N]" >&2; exit 2 ;;
  esac
done
scripts/install-deps.sh
# Same configuration as scripts/test.sh, so the two commands share one build/ and never undo
# each other's settings; only the demo's targets are built here: the three it runs and the two whose
# commands it prints for another terminal (hsm-stream-stats, hsm-stream-tail).
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DHSM_BUILD_TESTS=ON -DHSM_BUILD_BENCH=ON -DHSM_SANITIZE= >/dev/null
cmake --build build -j"$(nproc)" --target hsm-action-shipper hsm-action-simulate hsm-action-top \
    hsm-stream-stats hsm-stream-tail
bin="$PWD/build/bin"
work=$(mktemp -d /tmp/hsm-demo-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
       || shuf -i 20000-60000 -n 1)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

redis-server --port "$port" --bind 127.0.0.1 --dir "$work" --save '' --appendonly no \
  --logfile "$work/redis.log" --daemonize no &
pids+=($!)
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

"$bin/hsm-action-simulate" --root "$work/mdt" --mdts "$mdts" --live "$live" --tick 1 --speed 5 &
pids+=($!)
until [ "$(ls "$work"/mdt/*/hsm/actions 2>/dev/null | wc -l)" -ge "$mdts" ]; do sleep 0.1; done

cat > "$work/shipper.toml" <<TOML
redis_host = "127.0.0.1"
redis_port = $port
mdt_watch_glob = "$work/mdt/*/hsm/actions"
cache_path = "$work/shipper-state.bin"
poll_interval = 2.0
log_file = "$work/shipper.log"
TOML
"$bin/hsm-action-shipper" -c "$work/shipper.toml" &
pids+=($!)
# How to reach the demo from another terminal: shown before the dashboard takes the screen (which
# would hide it), and again in the exit message.
first=$(ls "$work"/mdt/*/hsm/actions | head -1)
mdt=$(basename "$(dirname "$(dirname "$first")")")
cat <<TEXT
The demo's Redis: 127.0.0.1:$port (streams in database 1). While the dashboard runs, from another terminal:
  $bin/hsm-stream-stats --host 127.0.0.1 --port $port
  $bin/hsm-stream-tail --host 127.0.0.1 --port $port --no-resolve
  redis-cli -p $port -n 1 xlen hsm:actions:$mdt
Files under $work/mdt, shipper log $work/shipper.log.
TEXT
if [ -t 0 ]; then
  echo "The dashboard starts in 5 s, or now on Enter; press q in it to stop the demo."
  read -r -t 5 || true
fi
status=0
"$bin/hsm-action-top" --host 127.0.0.1 --port "$port" --interval 1 || status=$?
echo "The demo's Redis was 127.0.0.1:$port; stopping it, the shipper and the simulator, and removing $work."
exit "$status"
