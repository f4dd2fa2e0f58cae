// publish/encode_event: the event JSON of docs/wire-format.md. Every case is parsed back with simdjson:
// all fields present with the right JSON types for NEW, UPDATE and PURGED, and hostile bytes
// (quotes, backslashes, control bytes, NUL, invalid UTF-8) in any string still give valid JSON.
#include <catch2/catch.hpp>

#include <cstdio>

#include "publish/publish.hpp"
#include "shipper_fixture.hpp"

using namespace hsm;
using hsm::test::parse_event;

namespace {

const std::string kRaw =
    "lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] "
    "dfid=[0x2c000596f:0x1ce71:0x0] compound/cookie=0x0/0x6912db05 action=ARCHIVE archive#=1 "
    "flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=STARTED data=[7461673D6D]";

Event sample(EventType type) {
    Event e;
    e.type = type;
    e.mdt = "elm-MDT0003";
    e.key = {517, 42068};
    e.hash = 0x7332e08a0705af29ull;
    e.timestamp = 1759619143;
    e.fid = "0x2c000596f:0x1ce71:0x0";
    e.action = "ARCHIVE";
    e.status = type == EventType::Purged ? "PURGED" : "STARTED";
    if (type != EventType::Purged) e.raw = kRaw;
    return e;
}

std::string encode(const Event& e) {
    std::string out;
    publish::encode_event(e, out);
    return out;
}

std::string hex16(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace

TEST_CASE("encoder: NEW and UPDATE carry every wire field with its type", "[publish][encoder]") {
    for (EventType type : {EventType::New, EventType::Update}) {
        const Event e = sample(type);
        const auto ev = parse_event(encode(e));
        INFO(ev.json);
        REQUIRE(ev.valid);
        CHECK(ev.complete);
        CHECK(ev.missing.empty());
        CHECK(ev.event_type == (type == EventType::New ? "NEW" : "UPDATE"));
        CHECK(ev.mdt == "elm-MDT0003");
        CHECK(ev.cat_idx == 517);
        CHECK(ev.rec_idx == 42068);
        CHECK(ev.fid == "0x2c000596f:0x1ce71:0x0");
        CHECK(ev.action == "ARCHIVE");
        CHECK(ev.status == "STARTED");
        CHECK(ev.timestamp == 1759619143);
        CHECK(ev.raw == kRaw);
        CHECK(ev.action_key == "0x2c000596f:0x1ce71:0x0:ARCHIVE");
        CHECK(ev.hash == hex16(e.hash));
        CHECK(ev.source.empty());
        CHECK_FALSE(ev.refresh);
    }
}

TEST_CASE("encoder: PURGED carries its wire fields, status PURGED, no raw", "[publish][encoder]") {
    Event e = sample(EventType::Purged);
    e.status = "SUCCEED";  // whatever the diff stage left there, the wire says PURGED
    const auto ev = parse_event(encode(e));
    INFO(ev.json);
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    CHECK(ev.event_type == "PURGED");
    CHECK(ev.status == "PURGED");
    CHECK(ev.mdt == "elm-MDT0003");
    CHECK(ev.cat_idx == 517);
    CHECK(ev.rec_idx == 42068);
    CHECK(ev.timestamp == 1759619143);
    CHECK(ev.action_key == "0x2c000596f:0x1ce71:0x0:ARCHIVE");
    CHECK(ev.fid == "0x2c000596f:0x1ce71:0x0");
    CHECK(ev.action == "ARCHIVE");
    CHECK(ev.hash == "7332e08a0705af29");
    CHECK(ev.json.find("\"raw\"") == std::string::npos);
}

TEST_CASE("encoder: maintenance and refresh flags become fields", "[publish][encoder]") {
    Event e = sample(EventType::Update);
    e.flags = kFromMaintenance;
    auto ev = parse_event(encode(e));
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    CHECK(ev.source == "maintenance");
    CHECK_FALSE(ev.refresh);

    e.flags = kRefresh;
    e.first_seen = 1759000000;
    ev = parse_event(encode(e));
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    CHECK(ev.refresh);
    CHECK(ev.first_seen == 1759000000);

    // Every UPDATE of a known record says when it was first shipped (its NEW may be compacted
    // away), without being a refresh.
    e.flags = 0;
    e.first_seen = 1759000001;
    ev = parse_event(encode(e));
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    CHECK_FALSE(ev.refresh);
    CHECK(ev.first_seen == 1759000001);

    Event p = sample(EventType::Purged);
    p.flags = kFromMaintenance;
    p.first_seen = 1759000001;
    ev = parse_event(encode(p));
    CHECK(ev.first_seen == -1);  // PURGED events carry no first_seen
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    CHECK(ev.source == "maintenance");
}

TEST_CASE("encoder: hostile bytes in every string still give valid JSON", "[publish][encoder]") {
    const std::string hostile = std::string("q\"b\\s/\n\r\t\x01\x1f\x7f nul:") + std::string(1, '\0') + "end";
    for (EventType type : {EventType::New, EventType::Update, EventType::Purged}) {
        Event e = sample(type);
        e.mdt = "m\"dt\\" + hostile;
        e.fid = "[f\"id]" + hostile;
        e.action = "A\\C" + hostile;
        if (type != EventType::Purged) {
            e.raw = kRaw + hostile;
            e.status = "S\"T";
        }
        const auto ev = parse_event(encode(e));
        INFO(ev.json);
        REQUIRE(ev.valid);
        CHECK(ev.complete);
        CHECK(ev.mdt == e.mdt);
        CHECK(ev.fid == e.fid);
        CHECK(ev.action == e.action);
        CHECK(ev.action_key == e.fid + ":" + e.action);
        if (type != EventType::Purged) {
            CHECK(ev.raw == e.raw);
            CHECK(ev.status == "S\"T");
        }
    }
}

TEST_CASE("encoder: invalid UTF-8 in a line becomes U+FFFD, the rest intact", "[publish][encoder]") {
    Event e = sample(EventType::New);
    e.raw = "idx=[1/2] action=RESTORE fid=[0xb] status=WAITING data=[\xff\xfe\xC0\xAF\xED\xA0\x80]";
    e.fid = "0x\xff";
    const auto ev = parse_event(encode(e));
    INFO(ev.json);
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    const std::string fffd = "\xEF\xBF\xBD";
    CHECK(ev.raw == "idx=[1/2] action=RESTORE fid=[0xb] status=WAITING data=[" + fffd + fffd + fffd + fffd +
                        fffd + fffd + fffd + "]");
    CHECK(ev.fid == "0x" + fffd);
    CHECK(ev.action_key == "0x" + fffd + ":ARCHIVE");
}

TEST_CASE("encoder: extreme numbers are JSON integers", "[publish][encoder]") {
    Event e = sample(EventType::New);
    e.key = {4294967295u, 0};
    e.hash = 0;
    e.timestamp = 0;
    auto ev = parse_event(encode(e));
    REQUIRE(ev.valid);
    CHECK(ev.complete);
    CHECK(ev.cat_idx == 4294967295);
    CHECK(ev.rec_idx == 0);
    CHECK(ev.hash == "0000000000000000");
    e.hash = ~0ull;
    ev = parse_event(encode(e));
    CHECK(ev.hash == "ffffffffffffffff");
}

TEST_CASE("encoder: appends to the buffer, one object per call", "[publish][encoder]") {
    std::string out = "prefix|";
    publish::encode_event(sample(EventType::New), out);
    const std::size_t first_end = out.size();
    publish::encode_event(sample(EventType::Purged), out);
    CHECK(out.rfind("prefix|", 0) == 0);
    CHECK(parse_event(out.substr(7, first_end - 7)).complete);
    CHECK(parse_event(out.substr(first_end)).event_type == "PURGED");
}

TEST_CASE("encoder: stream keys are <prefix>:<mdt>", "[publish][encoder]") {
    CHECK(publish::stream_key("hsm:actions", "elm-MDT0003") == "hsm:actions:elm-MDT0003");
    CHECK(publish::stream_key("p", "m") == "p:m");
}
