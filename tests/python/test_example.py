"""The product description's alerter, unchanged except host and port, against events written by
the real shipper: one ALERT line per FAILED event, and nothing else."""

from conftest import Script, kernel_line, wait_until, xread_clients

EXAMPLE = '''#!/usr/bin/env python3
from lustre_hsm_action_stream.consumer import StreamReader
import logging
logging.basicConfig(level="INFO")
reader = StreamReader(
    host='127.0.0.1', port={port}, db=1, prefix='hsm:actions'
)
print("Monitoring for failed HSM actions...")
try:
    # The events() generator blocks and yields new events from all streams.
    for event in reader.events():
        if event.data.get('status') == 'FAILED':
            print(f"ALERT: {{event.data.get('action')}} failed on {{event.data.get('mdt')}}!")
except KeyboardInterrupt:
    print("Stopped.")
'''


def test_alerter_prints_one_line_per_failed_event(redis_server, shipper, tmp_path):
    fid = "0x2c000596f:0x{:x}:0x0".format
    old_failure = kernel_line(8, 1, fid(99), "ARCHIVE", "FAILED")
    shipper.write_actions("elm-MDT0000", [kernel_line(517, 1, fid(1), "ARCHIVE", "WAITING"),
                                          kernel_line(517, 2, fid(2), "RESTORE", "WAITING")])
    shipper.write_actions("elm-MDT0001", [old_failure, kernel_line(9, 1, fid(3), "ARCHIVE", "STARTED")])
    shipper.run_once()  # history, with one FAILED: the example follows from now, so not printed
    history = {i for key in ("hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0001")
               for i, _ in redis_server.entries(key)}

    script = Script(EXAMPLE.format(port=redis_server.port), str(tmp_path))
    try:
        assert wait_until(lambda: xread_clients(redis_server) > 0), "the example never started reading"
        # Two records fail, one succeeds, one new record arrives already FAILED, one starts.
        round2 = {"elm-MDT0000": [kernel_line(517, 1, fid(1), "ARCHIVE", "FAILED"),
                                  kernel_line(517, 2, fid(2), "RESTORE", "SUCCEED")],
                  "elm-MDT0001": [old_failure, kernel_line(9, 1, fid(3), "ARCHIVE", "FAILED"),
                                  kernel_line(9, 2, fid(4), "REMOVE", "FAILED"),
                                  kernel_line(9, 3, fid(5), "RESTORE", "STARTED")]}
        for mdt, lines in round2.items():
            shipper.write_actions(mdt, lines)
        shipper.run_once()
        assert wait_until(lambda: script.stdout_so_far().count("ALERT") >= 3), script.stdout_so_far()
        # A last FAILED on each MDT, after the SUCCEED and STARTED events: once both are
        # printed, every event before them has been read, and none of those printed anything.
        shipper.write_actions("elm-MDT0000", round2["elm-MDT0000"] + [kernel_line(517, 3, fid(6), "RESTORE", "FAILED")])
        shipper.write_actions("elm-MDT0001", round2["elm-MDT0001"] + [kernel_line(9, 4, fid(7), "ARCHIVE", "FAILED")])
        shipper.run_once()
        assert wait_until(lambda: script.stdout_so_far().count("ALERT") >= 5), script.stdout_so_far()
        out, err = script.interrupt()
    finally:
        script.kill()
    # What the shipper wrote: the FAILED events are exactly those the example must report.
    failed = [d for key in ("hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0001")
              for i, d in redis_server.entries(key) if d.get("status") == "FAILED" and i not in history]
    expected_alerts = sorted(f"ALERT: {d['action']} failed on {d['mdt']}!" for d in failed)
    assert len(expected_alerts) == 5
    lines = out.splitlines()
    assert lines[0] == "Monitoring for failed HSM actions..."
    assert lines[-1] == "Stopped."
    assert sorted(lines[1:-1]) == expected_alerts, out
    assert script.proc.returncode == 0, err
