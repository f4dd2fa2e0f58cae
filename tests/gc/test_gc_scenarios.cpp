// Self-healing, driven as a user would: the built shipper against a private redis-server and
// real files. Every scenario ends with the oracle: the stream's live set equals the files'.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include <simdjson.h>

#include "oracle.hpp"

using namespace hsm::test;

namespace {

const std::string kMdt = "elm-MDT0000";

std::string line(int rec, const std::string& status, const std::string& action = "ARCHIVE") {
    return kernel_line(517, static_cast<std::uint32_t>(rec), "0x2c000596f:0x" + std::to_string(rec) + ":0x0",
                       action, status);
}

void require_ok(const ProcessResult& r) {
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
}

void check_oracle(const RedisServer& redis, const ShipperFixture& s, const std::string& mdt = kMdt) {
    const LiveSet from_file =
        fs::exists(s.actions_path(mdt)) ? file_live_set(s.actions_path(mdt)) : LiveSet{};
    CHECK(stream_live_set(redis, s.stream(mdt)) == from_file);
}

std::size_t count_type(const std::vector<StreamEvent>& events, const std::string& type) {
    std::size_t n = 0;
    for (const auto& e : events) n += e.event_type == type;
    return n;
}


// Thirty cycles of churn around one long-lived RESTORE: three records, each cycle one arrives,
// one flips, one leaves (the file of cycle `c`).
std::vector<std::string> churn_file(const std::string& pinned, int c) {
    return {pinned, line(100 + c, "WAITING"), line(99 + c, "STARTED"), line(98 + c, "SUCCEED")};
}

// The live set as hsm-stream-stats (our replay, LiveState) counts it: status -> count.
std::map<std::string, std::int64_t> stats_by_status(const RedisServer& redis, const ShipperFixture& s,
                                                    std::int64_t& total) {
    const auto r = run({bin("hsm-stream-stats").string(), "--host", "127.0.0.1", "--port",
                        std::to_string(redis.port()), "--stream-prefix", s.prefix()});
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(r.out).get(doc) == simdjson::SUCCESS);
    REQUIRE(doc["summary"]["total_live_actions"].get(total) == simdjson::SUCCESS);
    std::map<std::string, std::int64_t> out;
    simdjson::dom::array rows;
    REQUIRE(doc["breakdown"].get(rows) == simdjson::SUCCESS);
    for (auto row : rows) {
        std::string_view status;
        std::int64_t count = 0;
        REQUIRE(row["status"].get(status) == simdjson::SUCCESS);
        REQUIRE(row["count"].get(count) == simdjson::SUCCESS);
        out[std::string(status)] += count;
    }
    return out;
}

// Our tools' replay and a reader that upserts on NEW/UPDATE (the oracle's, and the Python stats
// tool's rule) must agree with each other and with the file.
void check_replays_agree(const RedisServer& redis, const ShipperFixture& s) {
    const LiveSet upserted = stream_live_set(redis, s.stream(kMdt));
    CHECK(upserted == file_live_set(s.actions_path(kMdt)));
    std::map<std::string, std::int64_t> expected;
    for (const auto& [key, status] : upserted) ++expected[status];
    std::int64_t total = -1;
    CHECK(stats_by_status(redis, s, total) == expected);
    CHECK(total == static_cast<std::int64_t>(upserted.size()));
}

}  // namespace

TEST_CASE("an orphan written behind the shipper's back is purged and the stream ends empty", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.write_actions(kMdt, {});
    require_ok(s.run_once());
    redis.command({"XADD", s.stream(kMdt), "*", "data",
                   R"({"event_type":"NEW","mdt":"elm-MDT0000","cat_idx":9,"rec_idx":9,"fid":"0x1:0x2:0x0","action":"ARCHIVE","status":"WAITING","raw":"x"})"});
    const auto r = s.maintenance_now();
    require_ok(r);
    CHECK(redis.xlen(s.stream(kMdt)) == 0);
    check_oracle(redis, s);
    // An admin running it by hand sees that the pass ran and what it did, at the default level.
    INFO(r.err);
    CHECK(r.err.find("maintenance pass over 1 MDTs in ") != std::string::npos);
    CHECK(r.err.find(": 0 repairs shipped, trimming deleted 2 entries (") != std::string::npos);  // the orphan and its PURGED
}

TEST_CASE("exact trimming keeps exactly the newest event of each live record", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("use_approximate_trimming", false);
    s.set("trim_chunk_size", 2);  // several bounded XTRIM calls even on a tiny stream
    s.write_actions(kMdt, {line(1, "WAITING"), line(2, "WAITING")});
    require_ok(s.run_once());
    s.write_actions(kMdt, {line(1, "STARTED"), line(2, "STARTED")});
    require_ok(s.run_once());
    s.write_actions(kMdt, {line(1, "STARTED"), line(2, "STARTED"), line(3, "WAITING")});
    require_ok(s.run_once());
    REQUIRE(redis.xlen(s.stream(kMdt)) == 5);
    require_ok(s.maintenance_now());
    const auto events = stream_events(redis, s.stream(kMdt));
    REQUIRE(events.size() == 3);
    CHECK(events[0].rec_idx == 1);
    CHECK(events[0].status == "STARTED");
    CHECK(events[1].rec_idx == 2);
    CHECK(events[1].status == "STARTED");
    CHECK(events[2].event_type == "NEW");
    CHECK(events[2].rec_idx == 3);
    check_oracle(redis, s);
}

TEST_CASE("approximate trimming stays bounded and never drops a live record's newest event", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("trim_chunk_size", 100);
    std::vector<std::string> lines;
    for (int round = 0; round < 6; ++round) {
        lines.clear();
        for (int r = 0; r < 100; ++r) lines.push_back(line(r, round % 2 ? "STARTED" : "WAITING"));
        s.write_actions(kMdt, lines);
        require_ok(s.run_once());
    }
    REQUIRE(redis.xlen(s.stream(kMdt)) == 600);
    require_ok(s.maintenance_now());
    const auto len = redis.xlen(s.stream(kMdt));
    CHECK(len < 600);
    CHECK(len <= 100 + 100 + 100);  // live + one macro-node of slack + one cycle of churn
    check_oracle(redis, s);
}

TEST_CASE("a lost cache re-ships nothing and a cache older than the stream takes over without duplicates", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.write_actions(kMdt, {line(1, "WAITING"), line(2, "WAITING")});
    require_ok(s.run_once());
    const std::string old_cache = read_file(s.cache_path());
    s.write_actions(kMdt, {line(1, "STARTED"), line(2, "WAITING"), line(3, "WAITING")});
    require_ok(s.run_once());
    REQUIRE(redis.xlen(s.stream(kMdt)) == 4);

    fs::remove(s.cache_path());
    require_ok(s.run_once());
    CHECK(redis.xlen(s.stream(kMdt)) == 4);

    write_file(s.cache_path(), old_cache);  // the stream holds entries this cache never saw
    require_ok(s.run_once());
    CHECK(redis.xlen(s.stream(kMdt)) == 4);
    s.write_actions(kMdt, {line(1, "STARTED"), line(3, "WAITING")});
    require_ok(s.run_once());
    CHECK(redis.xlen(s.stream(kMdt)) == 5);
    check_oracle(redis, s);
}

TEST_CASE("failover between two shippers adds nothing and a later change is one UPDATE", "[gc]") {
    RedisServer redis;
    ShipperFixture a(redis.port()), b(redis.port());
    const std::vector<std::string> lines = {line(1, "WAITING"), line(2, "STARTED")};
    a.write_actions(kMdt, lines);
    require_ok(a.run_once());
    REQUIRE(redis.xlen(a.stream(kMdt)) == 2);

    a.remove_mdt(kMdt);  // the MDT moves to host b
    b.write_actions(kMdt, lines);
    require_ok(a.run_once());
    require_ok(b.run_once());
    CHECK(redis.xlen(a.stream(kMdt)) == 2);
    b.write_actions(kMdt, {line(1, "STARTED"), line(2, "STARTED")});
    require_ok(b.run_once());
    CHECK(redis.xlen(a.stream(kMdt)) == 3);

    b.remove_mdt(kMdt);  // and back to a, whose cache predates b's change
    a.write_actions(kMdt, {line(1, "STARTED"), line(2, "STARTED")});
    require_ok(b.run_once());
    require_ok(a.run_once());
    CHECK(redis.xlen(a.stream(kMdt)) == 3);
    a.write_actions(kMdt, {line(1, "STARTED"), line(2, "SUCCEED")});
    require_ok(a.run_once());
    const auto events = stream_events(redis, a.stream(kMdt));
    REQUIRE(events.size() == 4);
    CHECK(events.back().event_type == "UPDATE");
    CHECK(events.back().status == "SUCCEED");
    CHECK(count_type(events, "PURGED") == 0);
    check_oracle(redis, a);
}

TEST_CASE("FLUSHDB and a restart without persistence are rebuilt within one cycle", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.write_actions(kMdt, {line(1, "WAITING"), line(2, "STARTED"), line(3, "FAILED")});
    require_ok(s.run_once());
    SECTION("FLUSHDB") { redis.command({"FLUSHDB"}); }
    SECTION("restart without persistence") {
        redis.stop();
        redis.start();
    }
    REQUIRE(redis.xlen(s.stream(kMdt)) == 0);
    const auto r = s.run_once();
    require_ok(r);
    CHECK(r.err.find("lost entries") != std::string::npos);
    const auto events = stream_events(redis, s.stream(kMdt));
    CHECK(events.size() == 3);
    for (const auto& e : events) CHECK(e.source == "maintenance");
    check_oracle(redis, s);
}

TEST_CASE("a long-lived action is compacted around, never re-published", "[gc][compact]") {
    const bool approximate = GENERATE(true, false);
    INFO((approximate ? "approximate" : "exact") << " trimming");
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("use_approximate_trimming", approximate);
    s.set("compact_retention", 0.0);  // nothing protected: the tightest bound
    s.set("trim_chunk_size", 7);      // several bounded XRANGE/XDEL calls even on a tiny stream
    const std::string pinned = line(1, "WAITING", "RESTORE");
    for (int cycle = 0; cycle < 30; ++cycle) {
        s.write_actions(kMdt, churn_file(pinned, cycle));
        require_ok(s.run_once());
    }
    const auto before = redis.xlen(s.stream(kMdt));
    const std::string pinned_id = stream_events(redis, s.stream(kMdt)).front().id;
    require_ok(s.maintenance_now());
    const auto after = redis.xlen(s.stream(kMdt));
    INFO("before " << before << ", after " << after);
    CHECK(before > 100);
    CHECK(after >= 4);
    CHECK(after <= 4 + 4);  // live records plus one cycle's churn
    const auto events = stream_events(redis, s.stream(kMdt));
    std::size_t pinned_events = 0;
    for (const auto& e : events) {
        CHECK_FALSE(e.refresh);
        pinned_events += e.rec_idx == 1;
        // An UPDATE whose NEW was compacted away still says when its record was first shipped.
        if (e.event_type == "UPDATE") {
            CHECK(e.first_seen > 0);
            CHECK(e.first_seen <= e.timestamp);
        }
    }
    CHECK(pinned_events == 1);
    CHECK(events.front().id == pinned_id);  // the very NEW it had: nothing re-published
    check_oracle(redis, s);
    check_replays_agree(redis, s);
}

TEST_CASE("refresh_long_lived re-publishes long-lived records so trimming can advance", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("use_approximate_trimming", false);
    s.set("refresh_long_lived", true);
    const std::string pinned = line(1, "STARTED", "RESTORE");
    for (int cycle = 0; cycle < 30; ++cycle) {
        s.write_actions(kMdt, churn_file(pinned, cycle));
        require_ok(s.run_once());
    }
    require_ok(s.maintenance_now());
    const auto after = redis.xlen(s.stream(kMdt));
    CHECK(after <= 2 * 4 + 4);  // 2x live plus one cycle's churn
    const auto events = stream_events(redis, s.stream(kMdt));
    bool refreshed = false;
    for (const auto& e : events) refreshed |= e.refresh && e.rec_idx == 1 && e.event_type == "UPDATE";
    CHECK(refreshed);
    check_oracle(redis, s);
}

TEST_CASE("a follower sees exactly one event per real change while the daemon compacts", "[gc][compact][follow]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("poll_interval", 0.1);
    // Compaction runs during the test (the stream outgrows its bound every few cycles) on
    // everything older than this; the follower is never that far behind, since every step
    // waits for it.
    s.set("compact_retention", 1.0);
    s.set("log_level", "debug");
    const std::string pinned = line(1, "WAITING", "RESTORE");
    const std::string key = s.stream(kMdt);

    // The follower, as a Python-era consumer is written: XREAD BLOCK from the start, every
    // event a trigger.
    std::mutex mu;
    std::vector<StreamEvent> seen;
    std::atomic<bool> stop{false};
    std::thread follower([&] {
        redisContext* c = redisConnect("127.0.0.1", redis.port());
        if (!c || c->err) return;
        redisReply* sel = static_cast<redisReply*>(redisCommand(c, "SELECT 1"));
        if (sel) freeReplyObject(sel);
        std::string last = "0-0";
        while (!stop) {
            auto* r = static_cast<redisReply*>(
                redisCommand(c, "XREAD BLOCK 100 STREAMS %s %s", key.c_str(), last.c_str()));
            if (!r) break;
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
                const redisReply* entries = r->element[0]->element[1];
                std::lock_guard lock(mu);
                for (std::size_t i = 0; i < entries->elements; ++i) {
                    const redisReply* e = entries->element[i];
                    last.assign(e->element[0]->str, e->element[0]->len);
                    StreamEvent ev = parse_event({e->element[1]->element[1]->str, e->element[1]->element[1]->len});
                    ev.id = last;
                    seen.push_back(std::move(ev));
                }
            }
            freeReplyObject(r);
        }
        redisFree(c);
    });
    const auto seen_count = [&] {
        std::lock_guard lock(mu);
        return seen.size();
    };

    // The expected events: the difference between consecutive files, as (type, rec, status).
    using Change = std::tuple<std::string, std::int64_t, std::string>;
    std::multiset<Change> expected;
    LiveSet previous;
    s.write_actions(kMdt, {pinned});
    auto daemon = s.start_daemon();
    for (int step = -1; step < 30; ++step) {
        if (step >= 0) s.write_actions(kMdt, churn_file(pinned, step));
        const LiveSet now = file_live_set(s.actions_path(kMdt));
        for (const auto& [rec, status] : now) {
            auto it = previous.find(rec);
            if (it == previous.end()) expected.insert({"NEW", rec.second, status});
            else if (it->second != status) expected.insert({"UPDATE", rec.second, status});
        }
        for (const auto& [rec, status] : previous)
            if (!now.count(rec)) expected.insert({"PURGED", rec.second, "PURGED"});
        previous = now;
        INFO("step " << step << ", daemon stderr: " << daemon->err());
        REQUIRE(wait_until([&] { return seen_count() >= expected.size(); }, 30s));
    }
    // Nothing more arrives for a while (no refresh, no repeat), with the daemon still cycling.
    const std::string err_before = daemon->err();
    REQUIRE(wait_until([&] { return daemon->err().size() > err_before.size() + 200; }, 10s));
    const auto stream_last = [&] {
        auto r = redis.command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
        return r->elements ? std::string(r->element[0]->element[0]->str) : std::string();
    };
    REQUIRE(wait_until([&] {
        std::lock_guard lock(mu);
        return !seen.empty() && seen.back().id == stream_last();
    }));
    stop = true;
    follower.join();
    daemon->signal(SIGTERM);
    REQUIRE(daemon->wait(10s) == 0);

    std::multiset<Change> got;
    std::size_t pinned_events = 0;
    for (const auto& e : seen) {
        CHECK_FALSE(e.refresh);
        CHECK(e.source.empty());
        got.insert({e.event_type, e.rec_idx, e.status});
        pinned_events += e.rec_idx == 1;
    }
    CHECK(got == expected);
    CHECK(pinned_events == 1);
    // Compaction did run meanwhile: the stream holds fewer entries than were shipped, and what
    // it holds still replays to the file.
    INFO("daemon stderr: " << daemon->err());
    CHECK(redis.xlen(key) < static_cast<long long>(expected.size()));
    check_oracle(redis, s);
}

TEST_CASE("a stream written by the Python shipper is taken over and compacted", "[gc][compact][python]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("compact_retention", 0.0);
    const std::string key = s.stream(kMdt);
    // The Python version's habits: ", " separators, MD5 hashes, one timestamp per cycle, and a
    // maintenance PURGED that names the action by action_key only.
    const auto py = [&](const std::string& type, int rec, const std::string& status) {
        const std::string fid = "0x2c000596f:0x" + std::to_string(rec) + ":0x0";
        std::string json = "{\"cat_idx\": 517, \"rec_idx\": " + std::to_string(rec) + ", \"fid\": \"" + fid +
                           "\", \"action\": \"ARCHIVE\", \"status\": \"" + status + "\", \"event_type\": \"" +
                           type + "\", \"mdt\": \"" + kMdt + "\", \"timestamp\": 1759619143, ";
        if (type != "PURGED") {
            std::string raw = line(rec, status);
            json += "\"raw\": \"" + raw + "\", ";
        } else {
            json += "\"hash\": \"9e107d9d372bb6826bd81d3542a419d6\", ";
        }
        json += "\"action_key\": \"" + fid + ":ARCHIVE\"}";
        redis.command({"XADD", key, "*", "data", json});
    };
    py("NEW", 1, "WAITING");  // the long-lived one, first in the stream
    for (int r = 2; r < 40; ++r) py("NEW", r, "WAITING");
    for (int r = 2; r < 40; ++r) py("UPDATE", r, "STARTED");
    for (int r = 2; r < 30; ++r) py("PURGED", r, "PURGED");
    redis.command({"XADD", key, "*", "data",
                   R"({"event_type": "PURGED", "mdt": "elm-MDT0000", "action_key": "0x2c000596f:0x30:0x0:ARCHIVE", "status": "PURGED", "timestamp": 1759619200, "source": "maintenance"})"});
    const std::string first_id = redis.xrange(key).front().first;

    // Record 30 (FID ...:0x30:...) was purged by the maintenance entry above.
    std::vector<std::string> lines = {line(1, "WAITING")};
    for (int r = 31; r < 40; ++r) lines.push_back(line(r, "STARTED"));
    s.write_actions(kMdt, lines);
    const auto before = redis.xlen(key);
    const auto r = s.maintenance_now();
    require_ok(r);
    INFO("stderr: " << r.err);
    CHECK(r.err.find("taking over") != std::string::npos);
    const auto events = stream_events(redis, key);
    CHECK(static_cast<long long>(events.size()) < before);
    CHECK(events.size() <= lines.size() + 1);  // live records (+ the newest entry)
    CHECK(events.front().id == first_id);      // the Python-written NEW of the long-lived record
    for (const auto& e : events) CHECK_FALSE(e.refresh);
    check_oracle(redis, s);
    check_replays_agree(redis, s);
}

TEST_CASE("compaction waits for a refused repair instead of deleting the stream's only version", "[gc][compact][acl]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("compact_retention", 0.0);
    s.write_actions(kMdt, {line(1, "WAITING"), line(2, "WAITING")});
    require_ok(s.run_once());
    s.write_actions(kMdt, {line(1, "STARTED"), line(2, "WAITING")});
    require_ok(s.run_once());
    s.write_actions(kMdt, {line(1, "STARTED"), line(2, "WAITING"), line(3, "WAITING")});
    require_ok(s.run_once());
    // Record 1's newest entry (its UPDATE) vanishes behind the shipper's back; the stream still
    // ends with our newest entry, so only a reconcile notices that it holds an older version.
    auto events = stream_events(redis, s.stream(kMdt));
    REQUIRE(events.size() == 4);
    REQUIRE(events[2].event_type == "UPDATE");
    const std::string new_of_1 = events[0].id;
    redis.command({"XDEL", s.stream(kMdt), events[2].id});
    // A real ACL user that may read and delete but not XADD: the repair is refused.
    redis.command({"ACL", "SETUSER", "gc-only", "on", ">secret", "~*", "+@all", "-xadd"});
    s.set("redis_username", "gc-only");
    s.set("redis_password", "secret");
    const auto r = s.maintenance_now();
    INFO("stderr: " << r.err);
    CHECK(r.err.find("stale") != std::string::npos);  // reconcile found it
    events = stream_events(redis, s.stream(kMdt));
    CHECK(events.size() == 3);
    CHECK(events.front().id == new_of_1);  // the only version of record 1 the stream has
    // With XADD allowed again the repair lands and the next maintenance compacts the rest.
    s.unset("redis_username");
    s.unset("redis_password");
    require_ok(s.maintenance_now());
    CHECK(redis.xlen(s.stream(kMdt)) <= 3 + 1);
    check_oracle(redis, s);
}

TEST_CASE("a record missing from one read causes no PURGED and no second NEW", "[gc][torn]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    const std::vector<std::string> full = {line(1, "WAITING"), line(2, "WAITING"), line(3, "WAITING")};
    s.write_actions(kMdt, full);
    require_ok(s.run_once());
    REQUIRE(redis.xlen(s.stream(kMdt)) == 3);

    // The file becomes a FIFO: each open is one read, served by this test. The first read lacks
    // record 2 (a torn pass); the confirming re-read is whole.
    fs::remove(s.actions_path(kMdt));
    REQUIRE(::mkfifo(s.actions_path(kMdt).c_str(), 0644) == 0);
    std::atomic<int> served{0};
    std::atomic<bool> done{false};
    std::thread writer([&] {
        const std::string reads[] = {join_lines({full[0], full[2]}), join_lines(full)};
        for (const std::string& content : reads) {
            int fd = -1;
            wait_until([&] {  // the reader must open first; O_NONBLOCK fails with ENXIO until then
                fd = ::open(s.actions_path(kMdt).c_str(), O_WRONLY | O_NONBLOCK);
                return fd >= 0 || done.load();
            }, 30s, 2ms);
            if (fd < 0) return;
            ::fcntl(fd, F_SETFL, 0);
            CHECK(::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()));
            ::close(fd);
            ++served;
        }
    });
    const auto r = s.run_once();
    done = true;
    writer.join();
    require_ok(r);
    CHECK(served == 2);  // the shipper did re-read
    const auto events = stream_events(redis, s.stream(kMdt));
    CHECK(events.size() == 3);
    CHECK(count_type(events, "PURGED") == 0);
    CHECK(count_type(events, "NEW") == 3);
}
