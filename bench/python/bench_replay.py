#!/usr/bin/python3
"""Python API benchmark: a replay of N stream entries (default 1,000,000) into Python objects.

Loads N realistic events (the JSON our shipper writes: NEW WAITING, UPDATE STARTED, PURGED of
each record, full-length `raw` line) into 4 MDT streams of a private redis-server on a free
port, then measures in one run, so the ratios compare like with like:
  cpp      - the C++ StreamReader + LiveState (hsm-py-bench-native): the ceiling
  python   - lustre_hsm_action_stream.consumer: events(from_beginning=True, block_ms=...),
             every event a StreamEvent with its data dict, up to the N-th event
  python03 - the Python version's way of reading (redis-py XREAD COUNT 100, json.loads per
             entry), as the baseline consumers run today
Each of cpp and python runs --repeat times (alternating); the medians are reported, as wall
seconds and as CPU seconds of the consumer process (all its threads; Redis excluded). On a
machine shared with other work the CPU figure moves much less than the wall-clock one.
Usage: bench_replay.py [--build build] [--events N] [--repeat 3] [--skip-python03]
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis

MDTS = ["elm-MDT0000", "elm-MDT0001", "elm-MDT0002", "elm-MDT0003"]


def event_json(mdt, rec, etype, status, ts=1759619143):
    fid = "0x2c000596f:0x%x:0x0" % rec
    j = ('{"event_type": "%s", "mdt": "%s", "cat_idx": 517, "rec_idx": %d, "fid": "%s", '
         '"action": "ARCHIVE", "status": "%s", "timestamp": %d, "action_key": "%s:ARCHIVE"'
         % (etype, mdt, rec, fid, status, ts, fid))
    if etype == "PURGED":
        return j + ', "hash": "3b5d3c7d207e37dc"}'
    return j + (', "raw": "lrh=[type=10680000 len=192 idx=517/%d] fid=[%s] dfid=[%s] '
                'compound/cookie=0x0/0x6912db05 action=ARCHIVE archive#=1 flags=0x0 '
                'extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=%s data=[7461673D6D]", '
                '"hash": "3b5d3c7d207e37dc"}' % (rec, fid, fid, status))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(client, n):
    life = [("NEW", "WAITING"), ("UPDATE", "STARTED"), ("PURGED", "PURGED")]
    pipe = client.pipeline(transaction=False)
    for i in range(n):
        mdt = MDTS[i % len(MDTS)]
        rec = i // 3
        etype, status = life[(i // len(MDTS)) % 3]
        pipe.xadd("hsm:actions:" + mdt, {"data": event_json(mdt, rec, etype, status)})
        if i % 10000 == 9999:
            pipe.execute()
    pipe.execute()


def replay_python(port, block_ms, expected):
    """Times the replay up to the last of `expected` events (reading no clock per event)."""
    from lustre_hsm_action_stream.consumer import StreamReader
    reader = StreamReader(host="127.0.0.1", port=port, db=1, prefix="hsm:actions")
    n = 0
    start = time.perf_counter()
    cpu = time.process_time()
    for event in reader.events(from_beginning=True, block_ms=block_ms):
        if event is None:
            break
        if event.data["event_type"] is not None:  # touch the data, as a consumer would
            n += 1
            if n == expected:
                break
    return n, time.perf_counter() - start, time.process_time() - cpu


def replay_python03(port):
    """The Python version's consumer loop, reduced to its reading: XREAD COUNT 100 over every
    stream, json.loads per entry, one namedtuple per event."""
    import collections
    import json
    Event = collections.namedtuple("Event", ["stream", "id", "data"])
    client = redis.Redis(host="127.0.0.1", port=port, db=1, decode_responses=False)
    last_ids = {("hsm:actions:" + m): "0-0" for m in MDTS}
    n = 0
    start = time.perf_counter()
    cpu = time.process_time()
    while True:
        response = client.xread(last_ids, count=100, block=None)
        if not response:
            break
        for stream_bytes, messages in response:
            stream = stream_bytes.decode("utf-8")
            for msg_id, fields in messages:
                ev = Event(stream, msg_id.decode("utf-8"), json.loads(fields[b"data"]))
                if ev.data["event_type"] is not None:
                    n += 1
                last_ids[stream] = msg_id
    return n, time.perf_counter() - start, time.process_time() - cpu


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="the CMake build directory")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--block-ms", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-python03", action="store_true")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    sys.path.insert(0, os.path.join(build, "python"))
    native = os.path.join(build, "bin", "hsm-py-bench-native")
    if not os.access(native, os.X_OK):
        sys.exit(f"bench_replay.py: {native} not found: build the hsm-py-bench-native target")

    tmp = tempfile.mkdtemp(prefix="hsm-py-bench-")
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", tmp],
                              stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(host="127.0.0.1", port=port, db=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        t = time.perf_counter()
        load(client, args.events)
        print(f"loaded {args.events:,} entries into {len(MDTS)} streams in {time.perf_counter() - t:.1f} s")

        cpp, py = [], []
        for _ in range(args.repeat):
            out = subprocess.run([native, str(port)], check=True, capture_output=True, text=True).stdout.split()
            cpp.append((int(out[0]), float(out[1]), float(out[2])))
            py.append(replay_python(port, args.block_ms, args.events))
        for name, runs in (("C++", cpp), ("Python", py)):
            if any(n != args.events for n, _, _ in runs):
                sys.exit(f"bench_replay.py: {name} read {[r[0] for r in runs]} events, expected {args.events}")
        rows = [("C++ StreamReader + LiveState", cpp), ("Python API (this package)", py)]
        if not args.skip_python03:
            rows.append(("Python 0.3 way (redis-py + json.loads)", [replay_python03(port)]))
        base_wall = args.events / statistics.median(r[1] for r in cpp)
        base_cpu = args.events / statistics.median(r[2] for r in cpp)
        print(f"median of {args.repeat} runs (Python 0.3 way: 1 run); load average {os.getloadavg()[0]:.1f}")
        print(f"{'reader':40} {'wall s':>7} {'events/s':>10} {'vs C++':>6} {'CPU s':>7} {'ev/CPU-s':>10} {'vs C++':>6}")
        for name, runs in rows:
            wall = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            n = runs[0][0]
            print(f"{name:40} {wall:>7.2f} {n / wall:>10,.0f} {(n / wall) / base_wall:>6.2f} "
                  f"{cpu:>7.2f} {n / cpu:>10,.0f} {(n / cpu) / base_cpu:>6.2f}")
        print("all runs (events, wall s, CPU s): C++", [r[1:] for r in cpp], "Python", [r[1:] for r in py])
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
