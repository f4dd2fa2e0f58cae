# shellcheck shell=bash
# Sourced by the bench/ harnesses: one private redis-server per run, on a random free loopback
# port (never a fixed one), no persistence, its files in "$tmp". Kept in one place so every
# harness tries ports, waits for PONG and gives up the same way.
#
# start_private_redis: sets $port and $redis_pid, or prints why on stderr and returns 1 (the
# server of each failed attempt is stopped first). Needs $tmp (a directory the caller removes).
# shellcheck disable=SC2034,SC2154  # loop counters unused; $tmp is the caller's
start_private_redis() {
    local _try _wait
    for _try in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
            --logfile "$tmp/redis.log" --daemonize no &
        redis_pid=$!
        for _wait in $(seq 1 100); do
            if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then return 0; fi
            kill -0 "$redis_pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null || true
        redis_pid=""
    done
    echo "${0##*/}: could not start a private redis-server (20 ports tried; see $tmp/redis.log)" >&2
    return 1
}
