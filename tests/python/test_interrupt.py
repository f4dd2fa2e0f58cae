"""Ctrl+C (a real SIGINT to a real consumer process) raises KeyboardInterrupt promptly out of
events(), whether the reader is idle on a live Redis or retrying an unreachable one, and out
of discover_streams()."""

import signal

import pytest

from conftest import Script, free_port, wait_until, xread_clients

CONSUMER = '''
from lustre_hsm_action_stream.consumer import StreamReader
reader = StreamReader(host="127.0.0.1", port={port}, db=1, prefix="hsm:actions")
print("started")
{body}
print("not reached")
'''


def interrupted(script):
    """SIGINT, then the exit: KeyboardInterrupt uncaught, so Python dies of SIGINT."""
    out, err = script.interrupt(timeout=5)  # TimeoutExpired here means Ctrl+C was not handled
    assert "KeyboardInterrupt" in err, err
    assert script.proc.returncode == -signal.SIGINT, (script.proc.returncode, err)
    assert "not reached" not in out


@pytest.mark.parametrize("block_ms", [0, 2000])
def test_ctrl_c_while_following_an_idle_stream(redis_server, tmp_path, block_ms):
    redis_server.client().xadd("hsm:actions:elm-MDT0000", {"data": "{}"})
    script = Script(CONSUMER.format(port=redis_server.port,
                                    body=f"for e in reader.events(block_ms={block_ms}): pass"), str(tmp_path))
    try:
        assert wait_until(lambda: xread_clients(redis_server) > 0), "the consumer never started reading"
        interrupted(script)
    finally:
        script.kill()


def test_ctrl_c_while_redis_is_unreachable(tmp_path):
    script = Script(CONSUMER.format(port=free_port(), body="for e in reader.events(): pass"), str(tmp_path))
    try:
        assert wait_until(lambda: "started" in script.stdout_so_far())
        interrupted(script)
    finally:
        script.kill()


def test_ctrl_c_in_discover_streams_while_redis_is_unreachable(tmp_path):
    script = Script(CONSUMER.format(port=free_port(), body="reader.discover_streams()"), str(tmp_path))
    try:
        assert wait_until(lambda: "started" in script.stdout_so_far())
        interrupted(script)
    finally:
        script.kill()
