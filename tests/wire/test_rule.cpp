// One decoder and one rule for Python-era PURGEDs (wire/wire.hpp), proven by their effect: over
// the same real stream, GC replay (what the shipper repairs against) and the consumer API's
// LiveState (what every consumer counts) keep the same live set and skip the same entries.
// Before src/wire, replay had a decoder of its own that folded an entry without `mdt`, which every
// consumer skips: the shipper then repaired against a live set no consumer saw.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "fixtures.hpp"
#include "gc/gc.hpp"
#include "hsm/consume/live_state.hpp"
#include "hsm/consume/stream_reader.hpp"
#include "wire/wire.hpp"

using namespace hsm;
using namespace hsm::test;

TEST_CASE("wire rule: GC replay and LiveState agree on Python PURGEDs and broken entries", "[wire][redis]") {
    RedisServer server;
    const std::string key = wire::stream_key("hsm:actions", "m");
    const auto add = [&](const std::string& json) {
        auto r = server.command({"XADD", key, "*", "data", json});
        REQUIRE(r);
        REQUIRE(r->type == REDIS_REPLY_STRING);
    };
    const auto ev = [](const char* type, int cat, int rec, const char* fid, const char* action, const char* status) {
        return std::string(R"({"event_type":")") + type + R"(","mdt":"m","cat_idx":)" + std::to_string(cat) +
               R"(,"rec_idx":)" + std::to_string(rec) + R"(,"fid":")" + fid + R"(","action":")" + action +
               R"(","status":")" + status + R"(","action_key":")" + fid + ":" + action + R"(","raw":"line )" +
               std::to_string(cat) + "/" + std::to_string(rec) + " " + status + R"("})";
    };
    const auto python_purge = [](const char* action_key) {
        return std::string(R"({"event_type":"PURGED","mdt":"m","action_key":")") + action_key +
               R"(","status":"PURGED","timestamp":1759619200,"source":"maintenance"})";
    };
    add(ev("NEW", 1, 1, "f1", "ARCHIVE", "WAITING"));
    add(ev("NEW", 1, 2, "f2", "RESTORE", "WAITING"));
    add(ev("NEW", 1, 3, "f1", "ARCHIVE", "STARTED"));  // a second record with the same action key
    add(python_purge("f1:ARCHIVE"));                   // removes 1/1 and 1/3, both older
    add(ev("NEW", 1, 4, "f1", "ARCHIVE", "WAITING"));   // newer than that PURGED: stays
    add(R"({"event_type":"NEW","cat_idx":5,"rec_idx":5,"fid":"f5","action":"ARCHIVE","raw":"x"})");  // no mdt
    add(R"({"event_type":"PURGED","mdt":"m","status":"PURGED"})");  // neither indices nor action_key
    add(python_purge("f9:ARCHIVE"));                               // matches nothing
    add(ev("UPDATE", 1, 2, "f2", "RESTORE", "STARTED"));
    add(ev("NEW", 2, 1, "f3", "ARCHIVE", "WAITING"));
    add(R"({"event_type":"PURGED","mdt":"m","cat_idx":2,"rec_idx":1,"status":"PURGED"})");

    RedisEndpoint ep;
    ep.port = server.port();
    RedisConnection redis(ep);
    REQUIRE(redis.connect());
    const gc::ReplayResult replay = gc::replay_stream(redis, key, "m", {}, 4);  // pages of 4
    REQUIRE(replay.ok);
    CHECK(replay.entries == 11);
    CHECK(replay.skipped == 2);
    CHECK(replay.live.size() == 2);
    CHECK(replay.live.find({1, 2}));
    CHECK(replay.live.find({1, 4}));
    std::map<std::string, std::uint64_t> replay_by_action;
    replay.live.for_each([&](RecordKey k, const LiveRecord& r) { ++replay_by_action[std::string(replay.live.action(k, r))]; });

    consume::ReaderOptions o;
    o.port = server.port();
    o.follow = false;
    o.reconnect = false;
    consume::StreamReader reader(o);
    consume::LiveState live;
    REQUIRE(wait_until([&] {
        live.apply(reader.read(100ms));
        return reader.finished() || reader.failed();
    }));
    REQUIRE_FALSE(reader.failed());
    CHECK(reader.stats().entries == 11);
    CHECK(reader.stats().skipped == replay.skipped);
    CHECK(live.live() == replay.live.size());
    std::map<std::string, std::uint64_t> live_by_action;
    for (const auto& row : live.breakdown()) live_by_action[std::string(row.action)] += row.count;
    CHECK(live_by_action == replay_by_action);
    CHECK(live_by_action == std::map<std::string, std::uint64_t>{{"ARCHIVE", 1}, {"RESTORE", 1}});
}
