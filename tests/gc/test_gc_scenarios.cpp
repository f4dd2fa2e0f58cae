// Self-healing, driven as a user would: the built shipper against a private redis-server and
// real files. Every scenario ends with the oracle: the stream's live set equals the files'.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

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

}  // namespace

TEST_CASE("an orphan written behind the shipper's back is purged and the stream ends empty", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.write_actions(kMdt, {});
    require_ok(s.run_once());
    redis.command({"XADD", s.stream(kMdt), "*", "data",
                   R"({"event_type":"NEW","mdt":"elm-MDT0000","cat_idx":9,"rec_idx":9,"fid":"0x1:0x2:0x0","action":"ARCHIVE","status":"WAITING","raw":"x"})"});
    require_ok(s.maintenance_now());
    CHECK(redis.xlen(s.stream(kMdt)) == 0);
    check_oracle(redis, s);
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

TEST_CASE("a long-lived action does not pin the whole history", "[gc]") {
    RedisServer redis;
    ShipperFixture s(redis.port());
    s.set("use_approximate_trimming", false);
    const std::string pinned = line(1, "STARTED", "RESTORE");
    for (int cycle = 0; cycle < 30; ++cycle) {
        // Three churning records: each cycle one arrives, one flips, one leaves.
        s.write_actions(kMdt, {pinned, line(100 + cycle, "WAITING"), line(99 + cycle, "STARTED"),
                               line(98 + cycle, "SUCCEED")});
        require_ok(s.run_once());
    }
    const auto before = redis.xlen(s.stream(kMdt));
    require_ok(s.maintenance_now());
    const auto after = redis.xlen(s.stream(kMdt));
    INFO("before " << before << ", after " << after);
    CHECK(after <= 2 * 4 + 4);  // 2x live plus one cycle's churn
    const auto events = stream_events(redis, s.stream(kMdt));
    bool refreshed = false;
    for (const auto& e : events) refreshed |= e.refresh && e.rec_idx == 1 && e.event_type == "UPDATE";
    CHECK(refreshed);
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
