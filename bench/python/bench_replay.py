#!/usr/bin/python3
"""Python API benchmark: a replay of N stream entries (default 1,000,000) into Python objects.

Loads N realistic events (the JSON our shipper writes: NEW WAITING, UPDATE STARTED, PURGED of
each record, full-length `raw` line) into 4 MDT streams of a private redis-server on a free
port, then measures in one run, so the ratios compare like with like:
  cpp      - the C++ StreamReader + LiveState (hsm-py-bench-native): the ceiling
  python   - lustre_hsm_action_stream.consumer: events(from_beginning=True, block_ms=...),
             every event a StreamEvent with its data dict, until the first None
  python03 - the Python version's way of reading (redis-py XREAD COUNT 100, json.loads per
             entry), as the baseline consumers run today
Usage: bench_replay.py [--build build] [--events N] [--skip-python03]
"""

import argparse
import os
import shutil
import socket
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


def replay_python(port, block_ms):
    from lustre_hsm_action_stream.consumer import StreamReader
    reader = StreamReader(host="127.0.0.1", port=port, db=1, prefix="hsm:actions")
    n = 0
    start = time.perf_counter()
    last = start
    for event in reader.events(from_beginning=True, block_ms=block_ms):
        if event is None:
            break
        if event.data["event_type"] is not None:  # touch the data, as a consumer would
            n += 1
        last = time.perf_counter()
    return n, last - start, reader.live_state().live


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
    return n, time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="the CMake build directory")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--block-ms", type=int, default=500)
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

        out = subprocess.run([native, str(port)], check=True, capture_output=True, text=True).stdout.split()
        cpp_n, cpp_s = int(out[0]), float(out[1])
        py_n, py_s, py_live = replay_python(port, args.block_ms)
        if py_n != args.events or cpp_n != args.events:
            sys.exit(f"bench_replay.py: expected {args.events} events, C++ read {cpp_n}, Python {py_n}")
        rows = [("C++ StreamReader + LiveState", cpp_n, cpp_s),
                ("Python API (this package)", py_n, py_s)]
        if not args.skip_python03:
            old_n, old_s = replay_python03(port)
            rows.append(("Python 0.3 way (redis-py + json.loads)", old_n, old_s))
        print(f"{'reader':40} {'events':>10} {'seconds':>8} {'events/s':>12} {'vs C++':>7}")
        for name, n, s in rows:
            print(f"{name:40} {n:>10,} {s:>8.2f} {n / s:>12,.0f} {(n / s) / (cpp_n / cpp_s):>7.2f}")
        if not args.skip_python03:
            print(f"Python API / Python 0.3 way: {(py_n / py_s) / (rows[2][1] / rows[2][2]):.1f}x")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
