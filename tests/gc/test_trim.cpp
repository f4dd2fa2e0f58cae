// Trimming, replay and the stream check, called directly against a private redis-server: the
// bounds on every XTRIM call, both trimming modes, Python-written streams, and the verdicts.
#include <catch2/catch.hpp>

#include "fixtures.hpp"
#include "gc/gc.hpp"

using namespace hsm;
using namespace hsm::test;

namespace {

std::unique_ptr<RedisConnection> connect(const RedisServer& server) {
    RedisEndpoint ep;
    ep.port = server.port();
    auto c = std::make_unique<RedisConnection>(ep);
    REQUIRE(c->connect());
    return c;
}

// Adds `n` entries and returns their IDs.
std::vector<StreamId> fill(RedisConnection& c, const std::string& key, int n) {
    std::vector<StreamId> ids;
    for (int i = 0; i < n; ++i) c.append({"XADD", key, "*", "data", "{}"});
    for (int i = 0; i < n; ++i) {
        Reply r = c.read_reply();
        StreamId id;
        REQUIRE(StreamId::parse({r->str, r->len}, id));
        ids.push_back(id);
    }
    return ids;
}

}  // namespace

TEST_CASE("exact trimming deletes below MINID in calls of at most trim_chunk_size", "[gc][trim]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    auto ids = fill(c, "s", 2500);
    const gc::TrimResult r = gc::trim_stream(c, "s", ids[2345], {false, 1000});
    CHECK(r.ok);
    CHECK(r.deleted == 2345);
    CHECK(r.calls >= 3);  // 1000 + 1000 + 345: no call deleted more than a chunk
    CHECK(server.xlen("s") == 2500 - 2345);
    auto rest = server.xrange("s");
    CHECK(rest.front().first == ids[2345].str());  // the MINID entry itself survives
}

TEST_CASE("approximate trimming never deletes at or above MINID and converges", "[gc][trim]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    auto ids = fill(c, "s", 3000);
    const gc::TrimResult r = gc::trim_stream(c, "s", ids[2500], {true, 1000});
    CHECK(r.ok);
    const auto len = server.xlen("s");
    CHECK(len >= 500);
    CHECK(len < 500 + 100 + 1);  // at most one macro-node (stream-node-max-entries 100) left over
    CHECK(server.xrange("s").back().first == ids.back().str());
    bool kept = false;
    for (auto& [id, data] : server.xrange("s")) kept |= id == ids[2500].str();
    CHECK(kept);
}

TEST_CASE("trimming with nothing live empties the stream in both modes", "[gc][trim]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    for (bool approximate : {true, false}) {
        fill(c, "s", 1234);
        const gc::TrimResult r = gc::trim_stream(c, "s", {}, {approximate, 500});
        CHECK(r.ok);
        CHECK(server.xlen("s") == 0);
    }
}

TEST_CASE("id_at_position walks in chunks", "[gc][trim]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    auto ids = fill(c, "s", 250);
    CHECK(gc::id_at_position(c, "s", 1, 100) == ids[0]);
    CHECK(gc::id_at_position(c, "s", 237, 100) == ids[236]);
    CHECK(gc::id_at_position(c, "s", 251, 100).empty());
}

TEST_CASE("the bound on stream length", "[gc][trim]") {
    CHECK_FALSE(gc::needs_refresh(8, 4, 0));
    CHECK(gc::needs_refresh(9, 4, 0));
    CHECK_FALSE(gc::needs_refresh(12, 4, 4));
    CHECK_FALSE(gc::needs_refresh(100, 0, 0));  // nothing live: trimming empties it instead
}

TEST_CASE("replay folds NEW/UPDATE/PURGED and copes with Python-written entries", "[gc][replay]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto add = [&](const std::string& json) { c.command({"XADD", "k", "*", "data", json}); };
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":1,"rec_idx":1,"fid":"0x1:0x1:0x0","action":"ARCHIVE","status":"WAITING","raw":"a"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":1,"rec_idx":2,"fid":"0x1:0x2:0x0","action":"RESTORE","status":"WAITING","raw":"b"})");
    add(R"({"event_type":"UPDATE","mdt":"m","cat_idx":1,"rec_idx":1,"fid":"0x1:0x1:0x0","action":"ARCHIVE","status":"STARTED","raw":"c","first_seen":1759000000})");
    add("not json at all");
    add(R"({"event_type":"NEW","mdt":"m"})");  // no identity
    // Python maintenance PURGED: action_key only.
    add(R"({"event_type":"PURGED","mdt":"m","action_key":"0x1:0x2:0x0:RESTORE","status":"PURGED","timestamp":1,"source":"maintenance"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":2,"rec_idx":7,"fid":"0xb","action":"ARCHIVE","status":"WAITING","raw":"d","hash":"0123456789abcdef0123456789abcdef"})");
    add(R"({"event_type":"PURGED","mdt":"m","cat_idx":2,"rec_idx":7,"status":"PURGED"})");

    const gc::ReplayResult r = gc::replay_stream(c, "k", "m", {}, 3);  // small chunks: paging
    REQUIRE(r.ok);
    CHECK(r.entries == 8);
    CHECK(r.skipped == 2);
    CHECK(r.live.size() == 1);
    const LiveRecord* rec = r.live.find({1, 1});
    REQUIRE(rec);
    CHECK(r.live.action({1, 1}, *rec) == "ARCHIVE");
    CHECK(r.live.fid({1, 1}, *rec) == "0x1:0x1:0x0");
    CHECK(rec->first_seen == 1759000000);  // from the UPDATE: its NEW may have been compacted away
}

// Issue #12 item 3, the gc's side: replay skips (and counts) every entry whose numbers the
// consumers' decoder rejects, so the live set the shipper repairs against is the one they see.
TEST_CASE("replay skips entries with numbers out of range, as the consumers do", "[gc][replay]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto add = [&](const std::string& json) { c.command({"XADD", "k", "*", "data", json}); };
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":1,"rec_idx":1,"fid":"f1","action":"ARCHIVE","raw":"a"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":9,"rec_idx":9,"timestamp":2e191,"raw":"b"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":9,"rec_idx":8,"first_seen":9223372036854775808,"raw":"b"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":4294967296,"rec_idx":1,"raw":"c"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":1e300,"rec_idx":1,"raw":"c"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":2,"rec_idx":1e400,"raw":"c"})");
    // An out-of-range index is not "no index": this must not purge f1 by its action_key.
    add(R"({"event_type":"PURGED","mdt":"m","cat_idx":-1,"rec_idx":1,"action_key":"f1:ARCHIVE"})");
    add(R"({"event_type":"NEW","mdt":"m","cat_idx":3,"rec_idx":3,"timestamp":1759619143.5,"raw":"d"})");

    const gc::ReplayResult r = gc::replay_stream(c, "k", "m", {}, 100);
    REQUIRE(r.ok);
    CHECK(r.entries == 8);
    CHECK(r.skipped == 6);
    CHECK(r.live.size() == 2);
    CHECK(r.live.find({1, 1}));
    CHECK(r.live.find({3, 3}));
    CHECK_FALSE(r.live.find({9, 9}));
}

TEST_CASE("stream check verdicts", "[gc][check]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    MdtState state("m");
    CHECK(gc::check_stream(c, "k", state).verdict == gc::StreamVerdict::Consistent);  // new stream
    auto ids = fill(c, "k", 3);
    CHECK(gc::check_stream(c, "k", state).verdict == gc::StreamVerdict::Unknown);
    state.newest_written = ids[1];
    LiveRecord& r = state.upsert({1, 1}, "0x1:0x1:0x0", "ARCHIVE");
    r.id_ms = ids[1].ms;
    r.id_seq = ids[1].seq;
    CHECK(gc::check_stream(c, "k", state).verdict == gc::StreamVerdict::ForeignWrites);
    state.newest_written = ids[2];
    CHECK(gc::check_stream(c, "k", state).verdict == gc::StreamVerdict::Consistent);
    server.command({"FLUSHDB"});
    CHECK(gc::check_stream(c, "k", state).verdict == gc::StreamVerdict::DataLoss);
    server.stop();
    CHECK(gc::check_stream(c, "k", state).verdict == gc::StreamVerdict::Unreachable);
}
