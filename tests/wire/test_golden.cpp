// The encoder's bytes are part of the wire format: Python 0.3 consumers and every stream already
// written read them. The expected strings below were produced by the encoder of the last commit
// before src/wire existed (publish/encoder.cpp at 9826945), for each event type and flag and for
// hostile bytes (quotes, backslashes, control bytes, invalid UTF-8); any change to a byte here is
// a change of the wire format and must be deliberate. PURGEDs are built with make_purged(), the one
// builder, so this also proves it builds what the differ and the GC built by hand before.
#include <catch2/catch.hpp>

#include <string>

#include "core/event.hpp"
#include "wire/decoder.hpp"
#include "wire/wire.hpp"

using namespace hsm;

namespace {

const char* const kFid = "0x2c000596f:0x1ce71:0x0";
const char* const kStarted =
    "lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] action=ARCHIVE status=STARTED";
const char* const kSucceed =
    "lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] action=ARCHIVE status=SUCCEED";

Event new_event() {
    Event n;
    n.type = EventType::New;
    n.key = {517, 42068};
    n.hash = 0x0123456789abcdefULL;
    n.timestamp = 1759619143;
    n.mdt = "elm-MDT0003";
    n.fid = kFid;
    n.action = "ARCHIVE";
    n.status = "STARTED";
    n.raw = kStarted;
    return n;
}

Event update_event() {
    Event u = new_event();
    u.type = EventType::Update;
    u.status = "SUCCEED";
    u.first_seen = 1759619000;
    u.hash = 0xfedcba9876543210ULL;
    u.raw = kSucceed;
    return u;
}

std::string encode(const Event& e) {
    std::string out;
    wire::encode_event(e, out);
    return out;
}

}  // namespace

TEST_CASE("wire golden: NEW, UPDATE and their flags encode byte for byte as before", "[wire][golden]") {
    CHECK(encode(new_event()) ==
          R"({"event_type":"NEW","mdt":"elm-MDT0003","cat_idx":517,"rec_idx":42068,"fid":"0x2c000596f:0x1ce71:0x0","action":"ARCHIVE","status":"STARTED","timestamp":1759619143,"action_key":"0x2c000596f:0x1ce71:0x0:ARCHIVE","raw":"lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] action=ARCHIVE status=STARTED","hash":"0123456789abcdef"})");
    CHECK(encode(update_event()) ==
          R"({"event_type":"UPDATE","mdt":"elm-MDT0003","cat_idx":517,"rec_idx":42068,"fid":"0x2c000596f:0x1ce71:0x0","action":"ARCHIVE","status":"SUCCEED","timestamp":1759619143,"action_key":"0x2c000596f:0x1ce71:0x0:ARCHIVE","raw":"lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] action=ARCHIVE status=SUCCEED","hash":"fedcba9876543210","first_seen":1759619000})");
    Event refresh = update_event();
    refresh.flags = kRefresh;
    CHECK(encode(refresh) ==
          R"({"event_type":"UPDATE","mdt":"elm-MDT0003","cat_idx":517,"rec_idx":42068,"fid":"0x2c000596f:0x1ce71:0x0","action":"ARCHIVE","status":"SUCCEED","timestamp":1759619143,"action_key":"0x2c000596f:0x1ce71:0x0:ARCHIVE","raw":"lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] action=ARCHIVE status=SUCCEED","hash":"fedcba9876543210","refresh":true,"first_seen":1759619000})");
    Event repair = new_event();
    repair.flags = kFromMaintenance;
    CHECK(encode(repair) ==
          R"({"event_type":"NEW","mdt":"elm-MDT0003","cat_idx":517,"rec_idx":42068,"fid":"0x2c000596f:0x1ce71:0x0","action":"ARCHIVE","status":"STARTED","timestamp":1759619143,"action_key":"0x2c000596f:0x1ce71:0x0:ARCHIVE","raw":"lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] action=ARCHIVE status=STARTED","hash":"0123456789abcdef","source":"maintenance"})");
}

TEST_CASE("wire golden: PURGEDs from the one builder encode byte for byte as before", "[wire][golden]") {
    const Event purged = make_purged(3, {517, 42068}, 0xfedcba9876543210ULL, 1759619200, "elm-MDT0003", kFid, "ARCHIVE");
    CHECK(purged.type == EventType::Purged);
    CHECK(purged.status == "PURGED");
    CHECK(purged.raw.empty());
    CHECK(purged.first_seen == 0);
    CHECK(purged.mdt_slot == 3u);
    CHECK(purged.flags == 0);
    CHECK(encode(purged) ==
          R"({"event_type":"PURGED","mdt":"elm-MDT0003","cat_idx":517,"rec_idx":42068,"fid":"0x2c000596f:0x1ce71:0x0","action":"ARCHIVE","status":"PURGED","timestamp":1759619200,"action_key":"0x2c000596f:0x1ce71:0x0:ARCHIVE","hash":"fedcba9876543210"})");
    const Event orphan = make_purged(3, {517, 42068}, 0xfedcba9876543210ULL, 1759619200, "elm-MDT0003", kFid, "ARCHIVE",
                                     kFromMaintenance);
    CHECK(encode(orphan) ==
          R"({"event_type":"PURGED","mdt":"elm-MDT0003","cat_idx":517,"rec_idx":42068,"fid":"0x2c000596f:0x1ce71:0x0","action":"ARCHIVE","status":"PURGED","timestamp":1759619200,"action_key":"0x2c000596f:0x1ce71:0x0:ARCHIVE","hash":"fedcba9876543210","source":"maintenance"})");
}

TEST_CASE("wire golden: hostile bytes escape exactly as before", "[wire][golden]") {
    Event x = new_event();
    x.key = {0xffffffffu, 0};
    x.hash = 0;
    x.timestamp = 0;
    x.fid = "0x1:\"q\\";
    x.action = "RESTORE";
    x.status = "WAITING";
    x.raw = std::string("tab\there nul") + '\0' + "\x01\x1f del\x7f bad\xff\xfe utf8 \xc3\xa9 end\"\\";
    const std::string expected =
        std::string(R"({"event_type":"NEW","mdt":"elm-MDT0003","cat_idx":4294967295,"rec_idx":0,"fid":"0x1:\"q\\","action":"RESTORE","status":"WAITING","timestamp":0,"action_key":"0x1:\"q\\:RESTORE","raw":"tab\there nul\u0000\u0001\u001f del\u007f bad)") +
        "\xef\xbf\xbd\xef\xbf\xbd utf8 \xc3\xa9" + R"( end\"\\","hash":"0000000000000000"})";
    CHECK(encode(x) == expected);
}

TEST_CASE("wire: what the encoder writes, the decoder reads back (raw and hash kept on request)", "[wire]") {
    Event refresh = update_event();
    refresh.flags = kRefresh | kFromMaintenance;
    for (const Event& e : {new_event(), update_event(), refresh,
                           make_purged(0, {7, 9}, 42, 1759619200, "elm-MDT0001", "0x1:0x2:0x0", "RESTORE")}) {
        INFO(to_string(e.type));
        const std::string json = encode(e);
        std::string padded = json + std::string(wire::kJsonPadding, ' ');
        std::string strings;
        strings.reserve(json.size());
        wire::Decoder decoder;
        consume::Event d;
        wire::Kept kept;
        REQUIRE(decoder.decode(padded.data(), json.size(), strings, d, true, &kept).ok());
        CHECK(d.type == e.type);
        CHECK(d.mdt == e.mdt);
        CHECK(d.cat_idx == e.key.cat_idx);
        CHECK(d.rec_idx == e.key.rec_idx);
        CHECK(d.fid == e.fid);
        CHECK(d.action == e.action);
        CHECK(d.status == (e.type == EventType::Purged ? "PURGED" : e.status));
        CHECK(d.timestamp == e.timestamp);
        CHECK(d.first_seen == (e.type == EventType::Purged ? 0 : e.first_seen));
        CHECK(d.refresh == ((e.flags & kRefresh) != 0));
        CHECK(d.source == ((e.flags & kFromMaintenance) ? "maintenance" : ""));
        std::string ak;
        wire::append_action_key(ak, e.fid, e.action);
        CHECK(d.action_key == ak);
        CHECK(kept.raw == e.raw);
        CHECK(kept.hash.size() == 16);
        CHECK(kept.has(wire::Field::Hash));
        CHECK(kept.has(wire::Field::Raw) == (e.type != EventType::Purged));
        CHECK(kept.has(wire::Field::FirstSeen) == (e.type != EventType::Purged && e.first_seen != 0));
        CHECK_FALSE(wire::is_action_key_purge(d));

        // Without `keep`, raw and hash are skipped unread: nothing of the long line is copied.
        std::string lean;
        lean.reserve(json.size());
        consume::Event l;
        REQUIRE(decoder.decode(padded.data(), json.size(), lean, l).ok());
        CHECK(lean.size() + e.raw.size() + 16 == strings.size());
        CHECK(l.fid == d.fid);
    }
}

TEST_CASE("wire: one stream key, one action key", "[wire]") {
    CHECK(wire::stream_key("hsm:actions", "elm-MDT0003") == "hsm:actions:elm-MDT0003");
    CHECK(wire::stream_key("p", "m") == "p:m");
    CHECK(wire::stream_key("", "m") == ":m");
    std::string ak = "x";
    wire::append_action_key(ak, "0x1:0x2:0x0", "ARCHIVE");
    CHECK(ak == "x0x1:0x2:0x0:ARCHIVE");
}

TEST_CASE("wire: the publisher's host field is kept on request (replay counts other writers by it)", "[wire]") {
    std::string json = encode(new_event());
    json.back() = ',';  // the publisher replaces the closing brace with `,"host":"<name>"}`
    json += R"("host":"mds-a"})";
    const std::string padded = json + std::string(wire::kJsonPadding, ' ');
    wire::Decoder decoder;
    consume::Event d;
    std::string strings;
    strings.reserve(json.size());
    wire::Kept kept;
    REQUIRE(decoder.decode(padded.data(), json.size(), strings, d, true, &kept).ok());
    CHECK(kept.host == "mds-a");
    CHECK(kept.has(wire::Field::Host));
    // An event without the field (the Python version's) has no host: a foreign writer to a shipper.
    wire::Kept none;
    const std::string plain = encode(new_event()) + std::string(wire::kJsonPadding, ' ');
    strings.clear();
    REQUIRE(decoder.decode(plain.data(), plain.size() - wire::kJsonPadding, strings, d, true, &none).ok());
    CHECK(none.host.empty());
    CHECK_FALSE(none.has(wire::Field::Host));
}
