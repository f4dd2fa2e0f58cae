"""StreamReader's arguments: redis-py keyword arguments (used, accepted, or a clear TypeError),
real ACL credentials, discover_streams(), and the .pyi stubs agreeing with the module."""

import ast
import inspect
import os
import subprocess
import sys

import pytest

import lustre_hsm_action_stream.consumer as consumer
from lustre_hsm_action_stream.consumer import StreamReader


def reader_for(server, **kw):
    return StreamReader(host="127.0.0.1", port=server.port, db=1, prefix="hsm:actions", **kw)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="unexpected keyword argument 'pasword'"):
        StreamReader("h", 6379, 1, "hsm:actions", pasword="x")
    with pytest.raises(TypeError, match="'ssl' is not supported"):
        StreamReader("h", 6379, 1, "hsm:actions", ssl=True)
    with pytest.raises(TypeError, match="port must be an int"):
        StreamReader("h", "6379", 1, "hsm:actions")
    with pytest.raises(ValueError, match="port must be between"):
        StreamReader("h", 70000, 1, "hsm:actions")
    with pytest.raises(ValueError, match="socket_timeout"):
        StreamReader("h", 6379, 1, "hsm:actions", socket_timeout=-1)
    with pytest.raises(ValueError, match="discovery_interval"):
        StreamReader("h", 6379, 1, "hsm:actions", discovery_interval=0)
    with pytest.raises(ValueError, match="prefix"):
        StreamReader("h", 6379, 1, "")
    reader = StreamReader("h", 6379, 1, "hsm:actions")
    with pytest.raises(ValueError, match="block_ms"):
        reader.events(block_ms=-5)
    with pytest.raises(TypeError, match="block_ms"):
        reader.events(block_ms=0.5)


def test_redis_py_habits_are_accepted(redis_server):
    redis_server.client().xadd("hsm:actions:elm-MDT0000", {"data": '{"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 1}'})
    reader = reader_for(redis_server, socket_timeout=5, socket_connect_timeout=1.5, socket_keepalive=True,
                        health_check_interval=30, retry_on_timeout=True, encoding="utf-8")
    assert next(reader.events(from_beginning=True, block_ms=200)).data["rec_idx"] == 1


def test_acl_user_credentials(redis_server):
    admin = redis_server.client()
    admin.xadd("hsm:actions:elm-MDT0000", {"data": '{"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 1}'})
    # A read-only user limited to the streams, like a site's consumer account.
    admin.execute_command("ACL", "SETUSER", "hsmreader", "on", ">s3cret", "resetkeys", "~hsm:actions:*",
                          "nocommands", "+@read", "+@connection", "+select", "+scan", "+type")
    admin.execute_command("ACL", "SETUSER", "default", "off")
    good = reader_for(redis_server, username="hsmreader", password="s3cret")
    gen = good.events(from_beginning=True, block_ms=300)
    first = next(gen)
    assert first is not None and first.data["rec_idx"] == 1, good.stats()
    bad = reader_for(redis_server, username="hsmreader", password="wrong")
    gen = bad.events(from_beginning=True, block_ms=300)
    assert next(gen) is None and next(gen) is None
    assert not bad.is_connected and bad.stats().events == 0


def test_discover_streams(redis_server):
    c = redis_server.client()
    for mdt in ("elm-MDT0002", "elm-MDT0000"):
        c.xadd(f"hsm:actions:{mdt}", {"data": "{}"})
    c.set("hsm:actions:not-a-stream", "x")
    c.xadd("other:elm-MDT0001", {"data": "{}"})
    c.xadd("hsm:actions*x:elm-MDT0009", {"data": "{}"})  # the prefix is matched literally
    reader = reader_for(redis_server)
    assert reader.discover_streams() == ["hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0002"]
    assert reader.streams == ["hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0002"]
    glob = StreamReader("127.0.0.1", redis_server.port, 1, "hsm:actions*x")
    assert glob.discover_streams() == ["hsm:actions*x:elm-MDT0009"]


def test_stubs_match_the_module():
    stub = ast.parse(open(os.path.join(os.path.dirname(consumer.__file__), "consumer.pyi")).read())
    classes = {n.name: n for n in stub.body if isinstance(n, ast.ClassDef)}
    assert set(classes) == {"StreamEvent", "LiveState", "ReaderStats", "StreamReader"}
    for name, node in classes.items():
        runtime = getattr(consumer, name)
        fields = [n.target.id for n in node.body if isinstance(n, ast.AnnAssign)]
        methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
        if hasattr(runtime, "_fields"):
            assert tuple(fields) == runtime._fields, name
        for m, fn in methods.items():
            assert hasattr(runtime, m), (name, m)
            if m in ("__init__", "events"):
                stub_params = [a.arg for a in fn.args.args]
                real = [p for p in inspect.signature(getattr(runtime, m)).parameters.values()
                        if p.kind is p.POSITIONAL_OR_KEYWORD]
                assert stub_params == [p.name for p in real], (name, m)
    honoured_or_accepted = consumer._HONOURED | consumer._ACCEPTED
    init = next(n for n in classes["StreamReader"].body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    assert {a.arg for a in init.args.kwonlyargs} == honoured_or_accepted


def test_docstrings_give_units():
    assert "milliseconds" in StreamReader.events.__doc__ and "seconds" in StreamReader.__doc__
    assert consumer.LiveState.__doc__ and consumer.ReaderStats.__doc__


def test_cmake_install_puts_the_package_on_the_path(tmp_path):
    build = os.environ.get("HSM_BUILD_DIR")
    if not build:
        pytest.skip("HSM_BUILD_DIR not set (run through ctest)")
    r = subprocess.run(["cmake", "--install", build, "--component", "python", "--prefix", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    site = tmp_path / os.environ["HSM_PYTHON_INSTALL_DIR"]
    installed = sorted(p.name for p in (site / "lustre_hsm_action_stream").iterdir())
    assert {"__init__.py", "consumer.py", "consumer.pyi", "py.typed"} <= set(installed)
    assert any(n.startswith("_consumer.") and n.endswith(".so") for n in installed)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    r = subprocess.run([sys.executable, "-c", "import lustre_hsm_action_stream.consumer as c; print(c.__file__)"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(site / "lustre_hsm_action_stream" / "consumer.py")
