// hsm-action-shipper --run-once / --dry-run against a private redis-server and MDT files in a temp
// dir: the XLEN after each kind of change, one stream per MDT, restarts from the checkpoint,
// garbage and torn files, and dry runs that leave Redis and the cache alone.
#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "shipper_fixture.hpp"

using namespace hsm::test;

namespace {

const std::string kMdt = "fs-MDT0000";

std::vector<std::string> keys(const RedisServer& redis, const std::string& pattern, int db = 1) {
    auto r = redis.command({"KEYS", pattern}, db);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < r->elements; ++i) out.emplace_back(r->element[i]->str, r->element[i]->len);
    std::sort(out.begin(), out.end());
    return out;
}

long long dbsize(const RedisServer& redis, int db) { return redis.integer({"DBSIZE"}, db); }

void require_ok(const ProcessResult& r) {
    INFO("exit " << r.exit_code << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
    REQUIRE(r.exit_code == 0);
}

std::vector<std::string> split_lines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

}  // namespace

TEST_CASE("shipper run-once: each kind of change adds exactly its events", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    const std::string stream = fx.stream(kMdt);
    const auto a_wait = kernel_line(517, 42068, "0x2c000596f:0x1ce71:0x0", "ARCHIVE", "WAITING");
    const auto a_started = kernel_line(517, 42068, "0x2c000596f:0x1ce71:0x0", "ARCHIVE", "STARTED");
    const auto b = short_line(1, 2, "0xb", "RESTORE", "WAITING");

    fx.write_actions(kMdt, {a_wait, b});
    require_ok(fx.run_once());
    CHECK(redis.xlen(stream) == 2);

    require_ok(fx.run_once());  // unchanged file: nothing
    CHECK(redis.xlen(stream) == 2);

    fx.write_actions(kMdt, {a_started, b});  // status change
    require_ok(fx.run_once());
    CHECK(redis.xlen(stream) == 3);

    fx.write_actions(kMdt, {a_started});  // one line removed
    require_ok(fx.run_once());
    CHECK(redis.xlen(stream) == 4);

    fx.write_actions(kMdt, {});  // file emptied
    require_ok(fx.run_once());
    CHECK(redis.xlen(stream) == 5);

    require_ok(fx.run_once());  // still empty: nothing
    CHECK(redis.xlen(stream) == 5);

    const auto events = stream_events(redis, stream);
    REQUIRE(events.size() == 5u);
    for (const auto& e : events) {
        INFO(e.json);
        CHECK(e.valid);
        CHECK(e.complete);
        CHECK(e.mdt == kMdt);
    }
    // NEW a, NEW b (either order), UPDATE a, PURGED b, PURGED a.
    const auto& n0 = events[0].rec_idx == 42068 ? events[0] : events[1];
    const auto& n1 = events[0].rec_idx == 42068 ? events[1] : events[0];
    CHECK(n0.event_type == "NEW");
    CHECK(n0.cat_idx == 517);
    CHECK(n0.status == "WAITING");
    CHECK(n0.raw == a_wait);
    CHECK(n0.action_key == "0x2c000596f:0x1ce71:0x0:ARCHIVE");
    CHECK(n1.event_type == "NEW");
    CHECK(n1.cat_idx == 1);
    CHECK(n1.rec_idx == 2);
    CHECK(n1.fid == "0xb");
    CHECK(n1.action == "RESTORE");
    CHECK(events[2].event_type == "UPDATE");
    CHECK(events[2].rec_idx == 42068);
    CHECK(events[2].status == "STARTED");
    CHECK(events[2].raw == a_started);
    CHECK(events[3].event_type == "PURGED");
    CHECK(events[3].cat_idx == 1);
    CHECK(events[3].rec_idx == 2);
    CHECK(events[3].status == "PURGED");
    CHECK(events[3].fid == "0xb");  // a non-canonical FID survives the checkpoint
    CHECK(events[3].action_key == "0xb:RESTORE");
    CHECK(events[3].hash == n1.hash);  // fingerprint of the last line seen
    CHECK(events[4].event_type == "PURGED");
    CHECK(events[4].rec_idx == 42068);
    CHECK(events[4].hash == events[2].hash);
    CHECK(events[4].action_key == "0x2c000596f:0x1ce71:0x0:ARCHIVE");
}

TEST_CASE("shipper run-once: two MDTs give two streams", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fx.write_actions("fs-MDT0000", {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"),
                                    short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    fx.write_actions("fs-MDT0001", {short_line(1, 1, "0xa", "RESTORE", "STARTED"),
                                    short_line(1, 2, "0xb", "RESTORE", "STARTED"),
                                    short_line(2, 1, "0xc", "REMOVE", "WAITING")});
    require_ok(fx.run_once());
    CHECK(keys(redis, "hsm:actions:*") == std::vector<std::string>{"hsm:actions:fs-MDT0000", "hsm:actions:fs-MDT0001"});
    CHECK(redis.xlen("hsm:actions:fs-MDT0000") == 2);
    CHECK(redis.xlen("hsm:actions:fs-MDT0001") == 3);
    for (const std::string mdt : {"fs-MDT0000", "fs-MDT0001"})
        for (const auto& e : stream_events(redis, fx.stream(mdt))) {
            CHECK(e.mdt == mdt);
            CHECK(e.event_type == "NEW");
        }
    // A change on one MDT touches only its stream.
    fx.write_actions("fs-MDT0001", {short_line(1, 1, "0xa", "RESTORE", "SUCCEED"),
                                    short_line(1, 2, "0xb", "RESTORE", "STARTED"),
                                    short_line(2, 1, "0xc", "REMOVE", "WAITING")});
    require_ok(fx.run_once());
    CHECK(redis.xlen("hsm:actions:fs-MDT0000") == 2);
    CHECK(redis.xlen("hsm:actions:fs-MDT0001") == 4);
}

TEST_CASE("shipper run-once: a restart with its cache ships nothing", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    const auto a = short_line(1, 1, "0x200000401:0x1:0x0", "ARCHIVE", "WAITING");
    const auto b = short_line(1, 2, "0x200000401:0x2:0x0", "ARCHIVE", "WAITING");
    fx.write_actions(kMdt, {a, b});
    require_ok(fx.run_once());
    REQUIRE(redis.xlen(fx.stream(kMdt)) == 2);
    REQUIRE(fs::exists(fx.cache_path()));
    for (int restart = 0; restart < 3; ++restart) {
        require_ok(fx.run_once());
        CHECK(redis.xlen(fx.stream(kMdt)) == 2);
    }
    // The state came from the cache: a change is an UPDATE, not a NEW.
    fx.write_actions(kMdt, {a, short_line(1, 2, "0x200000401:0x2:0x0", "ARCHIVE", "STARTED")});
    require_ok(fx.run_once());
    const auto events = stream_events(redis, fx.stream(kMdt));
    REQUIRE(events.size() == 3u);
    CHECK(events[2].event_type == "UPDATE");
    CHECK(events[2].rec_idx == 2);
}

TEST_CASE("shipper run-once: garbage lines ship nothing and are reported", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    std::string garbage = "this is not a record\n";
    garbage += std::string("\0\0\0 idx=\0/\0 fid=[\0]\n", 20);
    garbage += "idx=[1/2] action=RESTORE status=WAITING\n";  // no fid
    garbage += "idx=[x/y] action=RESTORE fid=[0xb] status=WAITING\n";
    garbage += short_line(1, 3, "0xc", "RESTORE", "WAITING") + " pad=" + std::string(10000, 'p') + "\n";
    for (int i = 0; i < 2000; ++i) garbage.push_back(static_cast<char>((i * 97 + 13) % 256));
    garbage += "\n";
    fx.write_actions_raw(kMdt, garbage);
    const auto r = fx.run_once();
    require_ok(r);
    CHECK(redis.integer({"EXISTS", fx.stream(kMdt)}) == 0);
    CHECK_THAT(r.err, Catch::Contains("unparsable"));
    CHECK_THAT(r.err, Catch::Contains(fx.actions_path(kMdt).string()));

    // One good line among the garbage is shipped, and only it.
    const auto good = short_line(7, 8, "0xd", "ARCHIVE", "WAITING");
    fx.write_actions_raw(kMdt, garbage + good + "\n" + garbage);
    require_ok(fx.run_once());
    const auto events = stream_events(redis, fx.stream(kMdt));
    REQUIRE(events.size() == 1u);
    CHECK(events[0].raw == good);
}

TEST_CASE("shipper run-once: a torn last line ships the whole lines but purges nothing", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    const auto a = short_line(1, 1, "0xa", "ARCHIVE", "WAITING");
    const auto b = short_line(1, 2, "0xb", "ARCHIVE", "WAITING");
    fx.write_actions(kMdt, {a, b});
    require_ok(fx.run_once());
    REQUIRE(redis.xlen(fx.stream(kMdt)) == 2);
    // b is gone from the whole lines, and the file stops inside a line: no proof of removal.
    fx.write_actions_raw(kMdt, short_line(1, 1, "0xa", "ARCHIVE", "STARTED") + "\nidx=[1/3] act");
    require_ok(fx.run_once());
    const auto events = stream_events(redis, fx.stream(kMdt));
    REQUIRE(events.size() == 3u);
    CHECK(events[2].event_type == "UPDATE");
    CHECK(events[2].rec_idx == 1);
    // Once the file reads whole, b's removal is shipped.
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED")});
    require_ok(fx.run_once());
    const auto after = stream_events(redis, fx.stream(kMdt));
    REQUIRE(after.size() == 4u);
    CHECK(after[3].event_type == "PURGED");
    CHECK(after[3].rec_idx == 2);
}

TEST_CASE("shipper --dry-run prints JSON lines and touches neither Redis nor the cache", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    const auto a = short_line(1, 1, "0xa", "ARCHIVE", "WAITING");
    const auto b = short_line(1, 2, "0xb", "RESTORE", "WAITING");
    fx.write_actions(kMdt, {a, b});
    SECTION("no cache yet") {
        const auto r = fx.dry_run();
        require_ok(r);
        const auto lines = split_lines(r.out);
        REQUIRE(lines.size() == 2u);
        for (const auto& l : lines) {
            const auto e = parse_event(l);
            INFO(l);
            CHECK(e.complete);
            CHECK(e.event_type == "NEW");
            CHECK(e.mdt == kMdt);
        }
        for (int db = 0; db < 16; ++db) CHECK(dbsize(redis, db) == 0);
        CHECK_FALSE(fs::exists(fx.cache_path()));
        CHECK_FALSE(fs::exists(fx.cache_path().parent_path()));
    }
    SECTION("with a cache: only the changes, and the cache is left as it was") {
        require_ok(fx.run_once());
        REQUIRE(redis.xlen(fx.stream(kMdt)) == 2);
        const std::string cache = read_file(fx.cache_path());
        const auto mtime = fs::last_write_time(fx.cache_path());
        fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "SUCCEED"), b});
        const auto r = fx.dry_run();
        require_ok(r);
        const auto lines = split_lines(r.out);
        REQUIRE(lines.size() == 1u);
        const auto e = parse_event(lines[0]);
        CHECK(e.event_type == "UPDATE");
        CHECK(e.status == "SUCCEED");
        CHECK(redis.xlen(fx.stream(kMdt)) == 2);
        CHECK(read_file(fx.cache_path()) == cache);
        CHECK(fs::last_write_time(fx.cache_path()) == mtime);
        CHECK_FALSE(fs::exists(fx.cache_path().string() + ".tmp"));
    }
}

TEST_CASE("shipper --dry-run needs no Redis at all", "[shipper][integration]") {
    ShipperFixture fx(free_port());  // nothing listens there
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = fx.dry_run();
    require_ok(r);
    CHECK(split_lines(r.out).size() == 1u);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("shipper run-once: stream prefix and database come from the config", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fx.set("redis_stream_prefix", "site:hsm");
    fx.set("redis_db", 3);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    require_ok(fx.run_once());
    CHECK(fx.stream(kMdt) == "site:hsm:fs-MDT0000");
    CHECK(redis.xlen("site:hsm:fs-MDT0000", 3) == 1);
    CHECK(dbsize(redis, 1) == 0);
}

TEST_CASE("shipper run-once: no MDT on this host is not an error", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    require_ok(fx.run_once());
    CHECK(dbsize(redis, 1) == 0);
}
