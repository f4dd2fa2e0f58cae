"""Every field of events written by our shipper, and of entries written the way the Python
version wrote them (WIRE-FORMAT quirks included), arrives with the Python type json.loads gives;
entries that are not events are skipped, counted, and do not stop the reader."""

import json
import math

from lustre_hsm_action_stream.consumer import StreamReader

from conftest import kernel_line

FID = "0x2c000596f:0x{:x}:0x0".format
SHIPPER_TYPES = {"event_type": str, "mdt": str, "cat_idx": int, "rec_idx": int, "fid": str, "action": str,
                 "status": str, "timestamp": int, "raw": str, "action_key": str}
PURGED_TYPES = {"event_type": str, "status": str, "mdt": str, "cat_idx": int, "rec_idx": int, "timestamp": int,
                "action_key": str, "fid": str, "action": str, "hash": str}


def same(a, b):
    """Equal and of the same type all the way down (1 == 1.0 == True would hide a wrong type)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def replay(server):
    reader = StreamReader(host="127.0.0.1", port=server.port, db=1, prefix="hsm:actions")
    events = []
    for event in reader.events(from_beginning=True, block_ms=300):
        if event is None:
            break
        events.append(event)
    return reader, events


def test_shipper_events_have_the_wire_format_types(redis_server, shipper):
    shipper.write_actions("elm-MDT0003", [kernel_line(517, 42068, FID(1), "ARCHIVE", "WAITING"),
                                          kernel_line(517, 42069, FID(2), "RESTORE", "STARTED")])
    shipper.run_once()
    shipper.write_actions("elm-MDT0003", [kernel_line(517, 42068, FID(1), "ARCHIVE", "STARTED")])
    shipper.run_once()  # an UPDATE and a PURGED
    _, events = replay(redis_server)
    kinds = [e.data["event_type"] for e in events]
    assert sorted(kinds) == ["NEW", "NEW", "PURGED", "UPDATE"]
    written = dict(redis_server.entries("hsm:actions:elm-MDT0003"))
    for e in events:
        assert type(e.stream) is str and type(e.id) is str and type(e.data) is dict
        assert same(e.data, written[e.id])
        expected = PURGED_TYPES if e.data["event_type"] == "PURGED" else SHIPPER_TYPES
        for key, kind in expected.items():
            assert type(e.data[key]) is kind, (key, e.data)
    purged = next(e for e in events if e.data["event_type"] == "PURGED")
    assert purged.data["status"] == "PURGED" and purged.data["rec_idx"] == 42069


PYTHON_WRITTEN = [
    # NEW as the Python shipper wrote it (WIRE-FORMAT's example), MD5 hash
    {"cat_idx": 517, "rec_idx": 42068, "fid": "0x2c000596f:0x1ce71:0x0", "action": "ARCHIVE", "status": "STARTED",
     "event_type": "NEW", "mdt": "elm-MDT0003", "timestamp": 1759619143,
     "raw": kernel_line(517, 42068, "0x2c000596f:0x1ce71:0x0", "ARCHIVE", "STARTED"),
     "action_key": "0x2c000596f:0x1ce71:0x0:ARCHIVE", "hash": "9e107d9d372bb6826bd81d3542a419d6"},
    # its maintenance PURGED: no cat_idx/rec_idx, source "maintenance"
    {"event_type": "PURGED", "mdt": "elm-MDT0003", "action_key": "0x2c000596f:0x1ce71:0x0:ARCHIVE",
     "status": "PURGED", "timestamp": 1759619200, "source": "maintenance"},
    # values of every JSON type, as fields a newer writer might add
    {"event_type": "UPDATE", "mdt": "elm-MDT0003", "cat_idx": 1, "rec_idx": 2, "status": "FAILED",
     "float": 0.25, "negative": -7, "zero": 0, "big": 2**70, "u64": 2**64 - 1, "none": None, "yes": True, "no": False,
     "list": [1, "two", 3.5, None, [False]], "object": {"nested": {"deep": [1, {"x": "y"}]}}, "empty": "",
     "empty_list": [], "empty_object": {}, "unicode": "caf\u00e9 \u2603 \U0001F600", "control": "tab\tnl\nnul\x00",
     "quotes": "say \"hi\" \\ back", "timestamp": 1759619201},
]

RAW_JSON = [
    # hand-written JSON json.dumps would not produce, with what json.loads makes of it
    ('{"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 3, "exp": 1E5, "negzero": -0, '
     '"negzerof": -0.0, "huge": 1e400, "ascii_escape": "\\u00e9\\ud83d\\ude00", "dup": 1, "dup": 2}'),
    '{"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 4, "lone_surrogate": "\\ud800"}',
    # 19+ significant digits: simdjson 3.0.1's get_number() reads these as 0.0 (alone in their
    # entry: anything above that sends the whole document down the json.loads path)
    ('{"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 5, "long_float": 1234567890123456789.5, '
     '"two_63": 9223372036854775808.0, "long_neg": -100000000000000000000.0}'),
]


def test_python_written_entries_arrive_as_json_loads_gives_them(redis_server):
    c = redis_server.client()
    key = "hsm:actions:elm-MDT0003"
    for doc in PYTHON_WRITTEN:
        c.xadd(key, {"data": json.dumps(doc)})  # json.dumps: ASCII with \u escapes, like the Python shipper
    for raw in RAW_JSON:
        c.xadd(key, {"data": raw})
    c.xadd(key, {"data": json.dumps(PYTHON_WRITTEN[2], ensure_ascii=False)})  # raw UTF-8 this time
    _, events = replay(redis_server)
    expected = [json.loads(json.dumps(d)) for d in PYTHON_WRITTEN] + [json.loads(r) for r in RAW_JSON] + \
               [PYTHON_WRITTEN[2]]
    assert len(events) == len(expected)
    for e, want in zip(events, expected):
        assert same(e.data, want), (e.data, want)
    assert events[3].data["huge"] == math.inf and events[3].data["dup"] == 2
    assert math.copysign(1, events[3].data["negzerof"]) == -1 and type(events[3].data["negzero"]) is int


def test_entries_that_are_not_events_are_skipped_and_counted(redis_server):
    c = redis_server.client()
    key = "hsm:actions:elm-MDT0000"
    good = {"event_type": "NEW", "mdt": "elm-MDT0000", "cat_idx": 1, "rec_idx": 1, "status": "WAITING"}
    c.xadd(key, {"data": json.dumps(good)})
    c.xadd(key, {"data": "not json {"})
    c.xadd(key, {"data": "[1, 2]"})
    c.xadd(key, {"data": json.dumps({"mdt": "elm-MDT0000", "status": "FAILED"})})  # no event_type
    c.xadd(key, {"other": "no data field"})
    c.xadd(key, {"data": b"{\"event_type\": \"NEW\", \"mdt\": \"\xff\xfe\"}"})  # not UTF-8
    # valid keys, but an invalid escape in a field the C++ decoder skips without reading
    c.xadd(key, {"data": '{"event_type": "NEW", "mdt": "elm-MDT0000", "cat_idx": 1, "rec_idx": 3, "x": "\\q"}'})
    c.xadd(key, {"data": json.dumps(dict(good, rec_idx=2))})
    reader, events = replay(redis_server)
    assert [e.data["rec_idx"] for e in events] == [1, 2]
    stats = reader.stats()
    assert (stats.entries, stats.delivered, stats.skipped) == (8, 2, 6)


def test_a_stream_name_that_is_not_utf8_keeps_its_bytes(redis_server):
    key = b"hsm:actions:elm-\xff"
    redis_server.client().xadd(key, {"data": '{"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 1}'})
    reader, events = replay(redis_server)
    assert [e.stream for e in events] == ["hsm:actions:elm-\udcff"]
    assert events[0].stream.encode("utf-8", "surrogateescape") == key
    assert reader.streams == ["hsm:actions:elm-\udcff"]
