// hsm-action-shipper as a daemon (a Process polling every 0.2 s): changes shipped as they happen,
// SIGTERM exits 0 within 5 s with a checkpoint, and a Redis outage commits nothing, then every
// event is shipped exactly once when Redis returns. Every wait has a deadline.
#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <tuple>

#include "shipper_fixture.hpp"

using namespace hsm::test;

namespace {

const std::string kMdt = "fs-MDT0000";

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
    return n;
}

// Waits for XLEN == n; on failure shows the daemon's log.
void wait_xlen(const RedisServer& redis, const std::string& stream, long long n, const Process& daemon,
               std::chrono::milliseconds timeout = 30s) {
    const bool reached = wait_until([&] { return redis.xlen(stream) == n; }, timeout, 20ms);
    INFO("daemon stderr:\n" << daemon.err());
    REQUIRE(reached);
}

// Stops the daemon with SIGTERM and requires a clean exit within 5 s.
void terminate_cleanly(Process& daemon) {
    const auto t0 = std::chrono::steady_clock::now();
    daemon.signal(SIGTERM);
    const auto code = daemon.wait(5s);
    INFO("daemon stderr:\n" << daemon.err());
    REQUIRE(code.has_value());
    CHECK(*code == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

// The daemon runs GC after its cycles. These streams stay far below one stream node (100 entries),
// so approximate trimming (XTRIM MINID ~) removes nothing and every event the tests count stays.
void keep_every_entry(ShipperFixture& fx) { fx.set("use_approximate_trimming", true); }

using EventId = std::tuple<std::string, std::int64_t, std::int64_t, std::string>;  // type, cat, rec, status

std::map<EventId, int> tally(const std::vector<StreamEvent>& events) {
    std::map<EventId, int> out;
    for (const auto& e : events) ++out[{e.event_type, e.cat_idx, e.rec_idx, e.status}];
    return out;
}

}  // namespace

TEST_CASE("shipper daemon: ships changes as they happen, SIGTERM exits 0 with a checkpoint", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    const std::string stream = fx.stream(kMdt);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"),
                            short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    wait_xlen(redis, stream, 2, *daemon);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED"),
                            short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    wait_xlen(redis, stream, 3, *daemon);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED")});
    wait_xlen(redis, stream, 4, *daemon);

    terminate_cleanly(*daemon);
    CHECK_THAT(daemon->err(), Catch::Contains("stopped cleanly"));
    REQUIRE(fs::exists(fx.cache_path()));
    const auto r = fx.run_once();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(redis.xlen(stream) == 4);  // the checkpoint held everything shipped
    const auto t = tally(stream_events(redis, stream));
    CHECK(t.size() == 4u);
    CHECK(t.at({"PURGED", 1, 2, "PURGED"}) == 1);
}

TEST_CASE("shipper daemon: SIGTERM during a long poll interval exits at once", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    fx.set("poll_interval", 3600.0);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    wait_xlen(redis, fx.stream(kMdt), 1, *daemon);
    terminate_cleanly(*daemon);
    CHECK(fs::exists(fx.cache_path()));
}

TEST_CASE("shipper daemon: SIGINT also stops it cleanly", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    wait_xlen(redis, fx.stream(kMdt), 1, *daemon);
    daemon->signal(SIGINT);
    const auto code = daemon->wait(5s);
    REQUIRE(code.has_value());
    CHECK(*code == 0);
}

TEST_CASE("shipper daemon: a Redis outage commits nothing, then each event is shipped exactly once",
          "[shipper][integration]") {
    RedisServer redis(true);  // persistence: the stream outlives the outage
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    fx.set("log_level", "debug");  // one line per cycle, to count the cycles
    const std::string stream = fx.stream(kMdt);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"),
                            short_line(1, 2, "0xb", "RESTORE", "WAITING")});
    auto daemon = fx.start_daemon();
    wait_xlen(redis, stream, 2, *daemon);
    REQUIRE(wait_until([&] { return fs::exists(fx.cache_path()); }, 10s));
    const std::string cache_before = read_file(fx.cache_path());

    const std::size_t before_outage = daemon->err().size();
    redis.stop();
    // During the outage: a status change, a new record and a removal.
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED"),
                            short_line(1, 3, "0xc", "REMOVE", "WAITING")});
    // Several cycles fail, and none of them commits anything. The outage is logged once per
    // change of state (not one warning per cycle): count the cycles by the per-cycle debug line.
    const auto outage_log = [&] { return daemon->err().substr(before_outage); };
    const bool failed_cycles = wait_until([&] { return count(outage_log(), "] cycle ") >= 4; }, 30s, 20ms);
    INFO("daemon stderr:\n" << daemon->err());
    REQUIRE(failed_cycles);
    CHECK(read_file(fx.cache_path()) == cache_before);
    // Four more failing cycles add no warning: the lines so far were changes of state.
    const std::size_t warnings = count(outage_log(), "warning");
    CHECK(warnings >= 1);
    REQUIRE(wait_until([&] { return count(outage_log(), "] cycle ") >= 8; }, 30s, 20ms));
    CHECK(count(outage_log(), "warning") == warnings);

    redis.start();
    REQUIRE(redis.xlen(stream) == 2);  // the outage lost nothing
    wait_xlen(redis, stream, 5, *daemon, 90s);  // reconnect backoff is capped at 30 s
    // Later cycles ship the next change and nothing again: proves the commits happened once.
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED"),
                            short_line(1, 3, "0xc", "REMOVE", "WAITING"),
                            short_line(1, 4, "0xd", "ARCHIVE", "WAITING")});
    wait_xlen(redis, stream, 6, *daemon);
    terminate_cleanly(*daemon);
    CHECK(redis.xlen(stream) == 6);
    const auto events = stream_events(redis, stream);
    const std::map<EventId, int> expected = {
        {{"NEW", 1, 1, "WAITING"}, 1},  {{"NEW", 1, 2, "WAITING"}, 1}, {{"UPDATE", 1, 1, "STARTED"}, 1},
        {{"NEW", 1, 3, "WAITING"}, 1},  {{"PURGED", 1, 2, "PURGED"}, 1}, {{"NEW", 1, 4, "WAITING"}, 1},
    };
    CHECK(tally(events) == expected);
    for (const auto& e : events) CHECK(e.complete);
    CHECK(read_file(fx.cache_path()) != cache_before);
}

TEST_CASE("shipper daemon: SIGTERM while Redis is down still exits 0 within 5 s", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    wait_xlen(redis, fx.stream(kMdt), 1, *daemon);
    redis.stop();
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED")});
    // Either a cycle's XADDs failed, or the next cycle found Redis gone before reading.
    REQUIRE(wait_until([&] {
        return count(daemon->err(), "not acknowledged") + count(daemon->err(), "MDT stream checks on redis") >= 1;
    }, 30s, 20ms));
    terminate_cleanly(*daemon);
}

TEST_CASE("shipper daemon: started while Redis is down, it ships once Redis appears", "[shipper][integration]") {
    RedisServer redis;
    redis.stop();
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"),
                            short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    // Either a cycle's XADDs failed, or the next cycle found Redis gone before reading.
    REQUIRE(wait_until([&] {
        return count(daemon->err(), "not acknowledged") + count(daemon->err(), "MDT stream checks on redis") >= 1;
    }, 30s, 20ms));
    CHECK(daemon->wait(0ms) == std::nullopt);  // the daemon keeps running; only --run-once gives up
    redis.start();
    wait_xlen(redis, fx.stream(kMdt), 2, *daemon, 90s);
    terminate_cleanly(*daemon);
    CHECK(redis.xlen(fx.stream(kMdt)) == 2);
}

// A stop that lands while a big first load is being shipped and Redis hangs (SIGSTOP): the
// readers wait on the line budget, the flush on Redis. The read and the flush share one grace,
// so the daemon still exits 0 within 5 s (they each had 2 s of their own, and the publisher's
// in-flight batch then waited out its Redis I/O timeout on top). Nothing is lost: the next start
// ships the rest, each event once.
TEST_CASE("shipper daemon: SIGTERM mid-load with Redis hung exits 0 within 5 s, the rest shipped next start",
          "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    keep_every_entry(fx);
    constexpr std::uint32_t kLines = 200'000;
    std::vector<std::string> lines;
    lines.reserve(kLines);
    for (std::uint32_t r = 1; r <= kLines; ++r) lines.push_back(short_line(1, r, "0x" + std::to_string(r), "ARCHIVE", "WAITING"));
    fx.write_actions(kMdt, lines);
    auto daemon = fx.start_daemon();
    REQUIRE(wait_until([&] { return redis.xlen(fx.stream(kMdt)) > 0; }, 30s, 5ms));
    redis.signal(SIGSTOP);
    terminate_cleanly(*daemon);
    redis.signal(SIGCONT);
    const long long shipped = redis.xlen(fx.stream(kMdt));
    INFO("shipped before the stop: " << shipped);
    auto again = fx.start_daemon();
    wait_xlen(redis, fx.stream(kMdt), kLines, *again, 120s);
    terminate_cleanly(*again);
    CHECK(redis.xlen(fx.stream(kMdt)) == kLines);  // each event once
}
