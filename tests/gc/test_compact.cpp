// Compaction called directly against a private redis-server: what it deletes and what it never
// touches (live entries, the retention window, entries after the snapshot), the bound on every
// call, the refusal to act on a stream that lost the snapshot's newest entry, and a Redis restart
// in the middle of a pass.
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

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

std::vector<StreamId> fill(RedisConnection& c, const std::string& key, int n) {
    std::vector<StreamId> ids;
    for (int i = 0; i < n; ++i) c.append({"XADD", key, "*", "data", "{}"});
    for (int i = 0; i < n; ++i) {
        Reply r = c.read_reply();
        REQUIRE(r);
        StreamId id;
        REQUIRE(StreamId::parse({r->str, r->len}, id));
        ids.push_back(id);
    }
    return ids;
}

std::set<std::string> ids_in(const RedisServer& server, const std::string& key) {
    std::set<std::string> out;
    for (const auto& [id, data] : server.xrange(key)) out.insert(id);
    return out;
}

// Every `every`-th entry is "live"; the rest are superseded.
std::vector<StreamId> pick_live(const std::vector<StreamId>& ids, std::size_t every) {
    std::vector<StreamId> live;
    for (std::size_t i = 0; i < ids.size(); i += every) live.push_back(ids[i]);
    return live;
}

gc::CompactOptions no_retention(std::size_t chunk) {
    gc::CompactOptions o;
    o.chunk = chunk;
    o.retention_ms = 0;
    return o;
}

}  // namespace

TEST_CASE("compaction keeps exactly the live entries and the snapshot's newest, in bounded calls", "[gc][compact]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto ids = fill(c, "s", 2000);
    const auto live = pick_live(ids, 7);
    const StreamId bound = ids[1899];
    const auto after = fill(c, "s", 50);  // written while the pass would run: never read

    const gc::CompactResult r = gc::compact_stream(c, "s", live, bound, no_retention(100));
    REQUIRE(r.ok);
    std::set<std::string> expected;
    for (const auto& id : live) expected.insert(id.str());
    for (std::size_t i = 1899; i < ids.size(); ++i) expected.insert(ids[i].str());  // >= bound
    for (const auto& id : after) expected.insert(id.str());
    CHECK(ids_in(server, "s") == expected);
    CHECK(r.scanned == 1899);
    CHECK(r.deleted == 1899 - 272);  // 272 live among the first 1899 (0, 7, ..., 1897)
    CHECK(r.kept_live == 272);
    // One bound check, then per chunk of 100 (19 chunks, the last one short, which ends the
    // pass): an XRANGE and an XDEL of at most 100 IDs.
    CHECK(r.calls == 1 + 2 * 19);
}

TEST_CASE("compaction never touches the retention window", "[gc][compact]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto old_ids = fill(c, "s", 300);
    // The retention window is measured in the IDs' own milliseconds: wait until Redis's clock
    // has moved on by more than the window before writing the recent part.
    const auto now_ms = [&] {
        auto t = fill(c, "clock", 1);
        return t[0].ms;
    };
    const std::uint64_t start = old_ids.back().ms;
    REQUIRE(wait_until([&] { return now_ms() > start + 300; }, 5s));
    const auto recent = fill(c, "s", 100);
    gc::CompactOptions o = no_retention(64);
    o.retention_ms = 200;
    const gc::CompactResult r = gc::compact_stream(c, "s", {}, recent.back(), o);
    REQUIRE(r.ok);
    CHECK(r.deleted == 300);
    const auto left = ids_in(server, "s");
    CHECK(left.size() == 100);
    for (const auto& id : recent) CHECK(left.count(id.str()) == 1);
    CHECK(gc::compaction_limit(StreamId{1000, 5}, 0) == StreamId{1000, 5});
    CHECK(gc::compaction_limit(StreamId{1000, 5}, 200) == StreamId{800, 0});
    CHECK(gc::compaction_limit(StreamId{100, 5}, 200).empty());
    CHECK(gc::compaction_limit(StreamId{}, 0).empty());
}

TEST_CASE("compaction does nothing on a stream that lost the snapshot's newest entry", "[gc][compact]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto ids = fill(c, "s", 500);
    // A restart from an older dump: the stream ends before the snapshot's newest entry, and an
    // older version of a live record may be that record's newest entry there.
    server.command({"XTRIM", "s", "MAXLEN", "400"});
    server.command({"XDEL", "s", ids.back().str()});
    const auto before = ids_in(server, "s");
    const gc::CompactResult r = gc::compact_stream(c, "s", pick_live(ids, 10), ids.back(), no_retention(50));
    CHECK_FALSE(r.ok);
    CHECK(r.error.find("no longer holds") != std::string::npos);
    CHECK(r.deleted == 0);
    CHECK(ids_in(server, "s") == before);
}

TEST_CASE("a Redis restart in the middle of a compaction pass deletes nothing live", "[gc][compact][restart]") {
    RedisServer server(true);  // appendonly: the stream survives the restart
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto ids = fill(c, "s", 3000);
    const auto live = pick_live(ids, 13);
    const StreamId bound = ids.back();

    gc::CompactOptions o = no_retention(100);
    int chunks = 0;
    o.on_chunk = [&](const gc::CompactResult&) {
        if (++chunks == 5) {  // SIGTERM, then a fresh server on the same port and data
            server.stop();
            server.start();
        }
    };
    const gc::CompactResult first = gc::compact_stream(c, "s", live, bound, o);
    CHECK_FALSE(first.ok);
    CHECK(first.error.find("connection lost") != std::string::npos);
    CHECK(first.deleted > 0);
    CHECK(first.scanned < 3000);
    auto left = ids_in(server, "s");
    for (const auto& id : live) CHECK(left.count(id.str()) == 1);
    CHECK(left.count(bound.str()) == 1);

    // The next pass (a new connection, as the GC thread makes after an outage) finishes the job.
    auto again = connect(server);
    o.on_chunk = nullptr;
    const gc::CompactResult second = gc::compact_stream(*again, "s", live, bound, o);
    REQUIRE(second.ok);
    CHECK(first.deleted + second.deleted == 3000 - live.size() - 1);
    left = ids_in(server, "s");
    std::set<std::string> expected{bound.str()};
    for (const auto& id : live) expected.insert(id.str());
    CHECK(left == expected);
}

TEST_CASE("a cancelled pass stops between calls", "[gc][compact]") {
    RedisServer server;
    auto owner = connect(server);
    RedisConnection& c = *owner;
    const auto ids = fill(c, "s", 1000);
    std::atomic<bool> cancel{false};
    gc::CompactOptions o = no_retention(100);
    o.cancel = &cancel;
    o.on_chunk = [&](const gc::CompactResult& r) { cancel = r.scanned >= 200; };
    const gc::CompactResult r = gc::compact_stream(c, "s", {}, ids.back(), o);
    CHECK(r.ok);
    CHECK(r.deleted == 200);
    CHECK(server.xlen("s") == 800);
}

TEST_CASE("the compaction trigger", "[gc][compact]") {
    CHECK_FALSE(gc::needs_compaction(8, 4, 0, 0));
    CHECK(gc::needs_compaction(9, 4, 0, 0));
    CHECK_FALSE(gc::needs_compaction(12, 4, 4, 0));
    // What the last compaction had to keep (retention window) raises the floor, so a stream
    // whose recent history is large is not rescanned every cycle.
    CHECK_FALSE(gc::needs_compaction(30, 4, 0, 15));
    CHECK(gc::needs_compaction(31, 4, 0, 15));
}
