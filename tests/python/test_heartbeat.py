"""The shipper's heartbeat hash (<redis_shipper_prefix>:<host>, default hsm:shippers:<host>) is not
under the stream prefix: with a real shipper daemon writing it, the Python API and a reader in the
Python 0.3 version's way (SCAN MATCH <prefix>:*, then XREAD on what it found) see streams only,
and no entry is skipped."""

import os
import signal
import socket
import subprocess

from lustre_hsm_action_stream.consumer import StreamReader

from conftest import BIN_DIR, kernel_line, wait_until

FID = "0x2c000596f:0x{:x}:0x0".format


def test_stream_readers_never_meet_the_heartbeat(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(517, r, FID(r), "ARCHIVE", "WAITING") for r in range(1, 6)])
    daemon = subprocess.Popen([os.path.join(BIN_DIR, "hsm-action-shipper"), "-c", shipper.config],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = redis_server.client()
        beat = f"hsm:shippers:{socket.gethostname()}"
        assert wait_until(lambda: client.exists(beat) and client.xlen("hsm:actions:elm-MDT0000") == 5, timeout=30)
        assert client.type(beat) == b"hash"

        # The Python 0.3 way: every key the prefix matches is read as a stream.
        keys = sorted(k.decode() for k in client.scan_iter(match="hsm:actions:*"))
        assert keys == ["hsm:actions:elm-MDT0000"]
        entries = client.xread({k: "0-0" for k in keys}, count=100)
        assert sum(len(e) for _, e in entries) == 5

        # The Python API: streams only, nothing skipped.
        reader = StreamReader(host="127.0.0.1", port=redis_server.port, db=1, prefix="hsm:actions")
        got = []
        for event in reader.events(from_beginning=True, block_ms=300):
            if event is None:
                break
            got.append(event)
        assert len(got) == 5
        assert reader.streams == ["hsm:actions:elm-MDT0000"]
        assert reader.stats().skipped == 0
    finally:
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
