"""Fixtures of the Python API tests, the Python twins of tests/support: a private redis-server
on a free loopback port (stop()/start() keep the port and, with persistence, the data), a
shipper under test (the built hsm-action-shipper over a temp MDT tree), lines in the kernel's
format, and waiting on a condition with a deadline."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import redis

BIN_DIR = os.environ.get("HSM_BIN_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build", "bin"))


def wait_until(condition, timeout=10.0, poll=0.01):
    """Polls `condition` until it is true or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(poll)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    def __init__(self, persistence=False):
        self.port = free_port()
        self.persistence = persistence
        self.dir = tempfile.mkdtemp(prefix="hsm-py-redis-")
        self.proc = None
        self.start()

    def start(self):
        argv = ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", self.dir, "--save", "", "--appendonly", "yes" if self.persistence else "no",
                "--logfile", os.path.join(self.dir, "redis.log")]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_until(self._answers, timeout=10):
            raise RuntimeError(f"redis-server did not come up on port {self.port}")

    def _answers(self):
        try:
            return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1).ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None

    def client(self, db=1):
        return redis.Redis(host="127.0.0.1", port=self.port, db=db)

    def entries(self, key, db=1):
        """Every entry of a stream as (id, data dict), oldest first."""
        return [(i.decode(), json.loads(f[b"data"])) for i, f in self.client(db).xrange(key)]

    def close(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def kernel_line(cat, rec, fid, action, status, cookie=0x6912db05):
    """One line of hsm/actions in the kernel's format."""
    return (f"lrh=[type=10680000 len=192 idx={cat}/{rec}] fid=[{fid}] dfid=[{fid}] "
            f"compound/cookie=0x0/{cookie:#x} action={action} archive#=1 flags=0x0 "
            f"extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status={status} data=[7461673D6D]")


class Shipper:
    """The built hsm-action-shipper over its own MDT tree (<tmp>/mdt/<mdt>/hsm/actions)."""

    def __init__(self, redis_port):
        self.root = tempfile.mkdtemp(prefix="hsm-py-shipper-")
        self.config = os.path.join(self.root, "shipper.toml")
        with open(self.config, "w") as f:
            f.write(f'redis_host = "127.0.0.1"\nredis_port = {redis_port}\nredis_db = 1\n'
                    f'mdt_watch_glob = "{self.root}/mdt/*/hsm/actions"\n'
                    f'cache_path = "{self.root}/cache/state.bin"\n'
                    'poll_interval = 0.2\nlog_level = "warning"\n')

    def write_actions(self, mdt, lines):
        """Replaces an MDT's hsm/actions atomically, as the kernel's view changes at once."""
        path = os.path.join(self.root, "mdt", mdt, "hsm", "actions")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            f.write("".join(line + "\n" for line in lines))
        os.rename(path + ".tmp", path)

    def run_once(self):
        r = subprocess.run([os.path.join(BIN_DIR, "hsm-action-shipper"), "-c", self.config, "--run-once"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"shipper failed ({r.returncode}): {r.stderr}"

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture
def persistent_redis():
    server = RedisServer(persistence=True)
    yield server
    server.close()


@pytest.fixture
def shipper(redis_server):
    s = Shipper(redis_server.port)
    yield s
    s.close()


def xread_clients(server):
    """How many clients are blocked in (or last ran) XREAD: a follower that is listening."""
    try:
        clients = server.client().client_list()
    except redis.ConnectionError:
        return 0
    return sum(1 for c in clients if c.get("cmd") == "xread")


class Script:
    """A Python program run as a consumer would run it, output captured, signalled for real."""

    def __init__(self, code, tmpdir):
        path = os.path.join(tmpdir, "consumer.py")
        with open(path, "w") as f:
            f.write(code)
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        self.out = []
        os.set_blocking(self.proc.stdout.fileno(), False)

    def stdout_so_far(self):
        chunk = self.proc.stdout.read()  # None when nothing new (non-blocking)
        if chunk:
            self.out.append(chunk.decode())
        return "".join(self.out)

    def interrupt(self, timeout=5):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=timeout)
        os.set_blocking(self.proc.stdout.fileno(), True)
        rest = self.proc.stdout.read()
        if rest:
            self.out.append(rest.decode())
        return "".join(self.out), self.proc.stderr.read().decode()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
