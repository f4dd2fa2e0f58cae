"""events(): replay then None, following from now, streams created after the start, a Redis
restart with nothing lost or repeated, the live state and the statistics, and the GIL left free
while waiting."""

import json
import threading
import time

from lustre_hsm_action_stream.consumer import LiveState, ReaderStats, StreamEvent, StreamReader

from conftest import kernel_line, wait_until, xread_clients

FID = "0x2c000596f:0x{:x}:0x0".format


def reader_for(server, **kw):
    return StreamReader(host="127.0.0.1", port=server.port, db=1, prefix="hsm:actions", **kw)


def take(gen, n, timeout=10.0):
    """The next n non-None items of a generator made with block_ms > 0, within `timeout`."""
    out = []
    deadline = time.monotonic() + timeout
    while len(out) < n and time.monotonic() < deadline:
        item = next(gen)
        if item is not None:
            out.append(item)
    return out


def all_entries(server, keys):
    return {k: server.entries(k) for k in keys}


def test_replay_then_none(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(517, r, FID(r), "ARCHIVE", "WAITING") for r in range(1, 40)])
    shipper.write_actions("elm-MDT0001", [kernel_line(3, r, FID(100 + r), "RESTORE", "STARTED") for r in range(1, 25)])
    shipper.run_once()
    shipper.write_actions("elm-MDT0000", [kernel_line(517, r, FID(r), "ARCHIVE", "STARTED") for r in range(1, 40)])
    shipper.run_once()
    written = all_entries(redis_server, ["hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0001"])
    assert sum(map(len, written.values())) == 39 + 24 + 39

    reader = reader_for(redis_server)
    got = {}
    started = time.monotonic()
    for event in reader.events(from_beginning=True, block_ms=300):
        if event is None:
            break
        assert isinstance(event, StreamEvent)
        assert event == (event.stream, event.id, event.data)  # a namedtuple: index access too
        got.setdefault(event[0], []).append((event[1], event[2]))
        assert time.monotonic() - started < 30, "no None after the replay"
    assert got == written  # every entry, in stream order, data equal to json.loads of it
    stats = reader.stats()
    assert isinstance(stats, ReaderStats)
    assert (stats.entries, stats.events, stats.delivered, stats.skipped) == (102, 102, 102, 0)
    assert stats.caught_up and stats.connected and stats.discoveries >= 1
    assert reader.streams == ["hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0001"]


def test_live_state_counts_and_oldest(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(517, 1, FID(1), "ARCHIVE", "WAITING"),
                                          kernel_line(517, 2, FID(2), "ARCHIVE", "WAITING"),
                                          kernel_line(517, 3, FID(3), "RESTORE", "STARTED")])
    shipper.write_actions("elm-MDT0001", [kernel_line(4, 1, FID(4), "ARCHIVE", "FAILED")])
    shipper.run_once()
    shipper.write_actions("elm-MDT0000", [kernel_line(517, 2, FID(2), "ARCHIVE", "STARTED"),
                                          kernel_line(517, 3, FID(3), "RESTORE", "STARTED")])
    shipper.run_once()  # record 1 purged, record 2 started
    reader = reader_for(redis_server)
    assert reader.live_state() == LiveState(0, {}, None, 0, 0, None)
    n, ids = 0, []
    for event in reader.events(from_beginning=True, block_ms=300):
        if event is None:
            break
        n += 1
        ids.append(tuple(map(int, event.id.split("-"))))
    live = reader.live_state()
    assert live.live == 3
    assert live.counts == {("elm-MDT0000", "ARCHIVE", "STARTED"): 1, ("elm-MDT0000", "RESTORE", "STARTED"): 1,
                           ("elm-MDT0001", "ARCHIVE", "FAILED"): 1}
    assert live.events_applied == n == 6  # 4 NEW, 1 UPDATE, 1 PURGED
    assert live.last_id == "%d-%d" % max(ids)  # the newest entry applied, of any stream
    # Record 1 (first entry of MDT0000) is purged: the oldest live one is the earliest of the rest,
    # each seen since its newest event's first_seen (seconds; UPDATEs carry it, since compaction
    # may delete the NEW) or else since its NEW's entry ID.
    since = {}
    for k in ("hsm:actions:elm-MDT0000", "hsm:actions:elm-MDT0001"):
        for i, d in redis_server.entries(k):
            key = (d["mdt"], d["cat_idx"], d["rec_idx"])
            if d["event_type"] == "PURGED":
                since.pop(key, None)
            else:
                since[key] = d["first_seen"] * 1000 if "first_seen" in d else int(i.split("-")[0])
    oldest_candidates = list(since.values())
    assert len(oldest_candidates) == 3
    assert live.oldest_live_ms == min(oldest_candidates)


def test_follow_from_now(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(1, 1, FID(1), "ARCHIVE", "WAITING")])
    shipper.run_once()
    reader = reader_for(redis_server)
    gen = reader.events(block_ms=100)
    assert next(gen) is None  # the history is not replayed; nothing new within 100 ms
    shipper.write_actions("elm-MDT0000", [kernel_line(1, 1, FID(1), "ARCHIVE", "STARTED"),
                                          kernel_line(1, 2, FID(2), "RESTORE", "WAITING")])
    shipper.run_once()
    new = redis_server.entries("hsm:actions:elm-MDT0000")[1:]
    got = take(gen, len(new))
    assert [(e.id, e.data) for e in got] == new
    assert [e.data["status"] for e in got] == ["STARTED", "WAITING"]


def test_block_ms_zero_waits_for_the_next_event(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(1, 1, FID(1), "ARCHIVE", "WAITING")])
    shipper.run_once()
    reader = reader_for(redis_server)
    gen = reader.events(from_beginning=True)  # block_ms=0: never yields None
    assert next(gen).data["status"] == "WAITING"
    got = []
    t = threading.Thread(target=lambda: got.append(next(gen)))
    t.start()
    t.join(0.5)
    assert t.is_alive(), "next() returned without an event"
    shipper.write_actions("elm-MDT0000", [kernel_line(1, 1, FID(1), "ARCHIVE", "SUCCEED")])
    shipper.run_once()
    t.join(10)
    assert not t.is_alive() and got[0].data["status"] == "SUCCEED"


def test_stream_created_after_start_is_found(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(1, 1, FID(1), "ARCHIVE", "WAITING")])
    shipper.run_once()
    reader = reader_for(redis_server, discovery_interval=0.2)
    gen = reader.events(block_ms=100)
    assert next(gen) is None
    assert reader.streams == ["hsm:actions:elm-MDT0000"]
    # A new MDT appears (failover, new MDT): its stream is created with its first events,
    # which must not be lost between two discoveries.
    shipper.write_actions("elm-MDT0007", [kernel_line(2, r, FID(r), "RESTORE", "WAITING") for r in range(1, 6)])
    shipper.run_once()
    written = redis_server.entries("hsm:actions:elm-MDT0007")
    got = take(gen, 5)
    assert [(e.stream, e.id, e.data) for e in got] == [("hsm:actions:elm-MDT0007", i, d) for i, d in written]
    assert "hsm:actions:elm-MDT0007" in reader.streams


def test_redis_restart_loses_and_repeats_nothing(persistent_redis):
    server = persistent_redis
    key = "hsm:actions:elm-MDT0000"

    def add(n, start):
        c = server.client()
        for r in range(start, start + n):
            c.xadd(key, {"data": json.dumps({"event_type": "NEW", "mdt": "elm-MDT0000", "cat_idx": 1, "rec_idx": r,
                                             "fid": FID(r), "action": "ARCHIVE", "status": "WAITING",
                                             "timestamp": 1759619143, "raw": "x", "action_key": FID(r) + ":ARCHIVE"})})

    add(50, 0)
    reader = reader_for(server, discovery_interval=0.2)
    gen = reader.events(from_beginning=True, block_ms=100)
    got = take(gen, 50)
    server.stop()
    assert wait_until(lambda: not reader.is_connected or next(gen) is None and not reader.is_connected, timeout=15)
    server.start()  # same port, data back from the append-only file
    add(30, 50)
    got += take(gen, 30, timeout=60)  # the reader's backoff is at most a few seconds here
    assert next(gen) is None
    assert [(e.id, e.data) for e in got] == server.entries(key)
    assert [e.data["rec_idx"] for e in got] == list(range(80))
    assert reader.stats().reconnects >= 1


def test_gil_is_released_while_waiting(redis_server, shipper):
    shipper.write_actions("elm-MDT0000", [kernel_line(1, 1, FID(1), "ARCHIVE", "WAITING")])
    shipper.run_once()
    reader = reader_for(redis_server)
    gen = reader.events(block_ms=1000)
    waiter = threading.Thread(target=lambda: next(gen))
    spins = 0
    waiter.start()
    assert wait_until(lambda: xread_clients(redis_server) > 0)
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        spins += 1
    waiter.join(10)
    # With the GIL held by the waiting thread this loop would get one switch interval (5 ms)
    # in turn with it at best; free, it runs the whole half second.
    assert spins > 100_000
