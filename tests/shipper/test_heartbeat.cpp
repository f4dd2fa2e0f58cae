// The shipper heartbeat: wire/shipper_beat's fields, TTL and stale rule as units; then the built
// daemon against a private redis-server, writing <redis_shipper_prefix>:<host> every cycle with
// the counters of that run, outside the stream prefix, and not at all for one-shot runs.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include "wire/shipper_beat.hpp"
#include "shipper/heartbeat.hpp"
#include "shipper_fixture.hpp"

using namespace hsm::test;

namespace {

const std::string kMdt = "fs-MDT0000";

std::string host_name() {
    char name[256] = {};
    REQUIRE(gethostname(name, sizeof name - 1) == 0);
    return name;
}

std::map<std::string, std::string> hgetall(const RedisServer& redis, const std::string& key) {
    std::map<std::string, std::string> out;
    auto r = redis.command({"HGETALL", key});
    if (r && r->type == REDIS_REPLY_ARRAY)
        for (std::size_t i = 0; i + 1 < r->elements; i += 2) out[r->element[i]->str] = r->element[i + 1]->str;
    return out;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

TEST_CASE("heartbeat: fields round-trip, unknown fields and bad numbers do not break a read", "[shipper][heartbeat]") {
    hsm::PipelineCounters c;
    c.events_new = 5;
    c.events_update = 2;
    c.events_purged = 1;
    c.events_failed = 3;
    c.takeovers = 1;
    c.reader_waits = 7;
    c.cycles = 9;
    c.last_cycle_micros = 250'000;
    c.compacted_entries = 11;
    const auto b = hsm::shipper::make_beat({0.01, true, {"fs-MDT0000", "fs-MDT0001"}}, c, 20.0);
    auto fields = hsm::beat::to_fields(b);
    fields.emplace_back("from_a_newer_version", "x");
    const auto back = hsm::beat::from_fields("mds1", fields);
    CHECK(back.host == "mds1");
    CHECK(back.version == b.version);
    CHECK(back.mdts == std::vector<std::string>{"fs-MDT0000", "fs-MDT0001"});
    CHECK(back.events_shipped == 8);
    CHECK(back.events_refused == 3);
    CHECK(back.takeovers == 1);
    CHECK(back.reader_waits == 7);
    CHECK(back.cycles == 9);
    CHECK(back.compacted_entries == 11);
    CHECK(back.poll_interval == 20.0);
    CHECK(back.cycle_seconds == Approx(0.25));
    CHECK(back.written_ms - back.cycle_started_ms == 250);
    const auto odd = hsm::beat::from_fields("mds2", {{"cycles", "lots"}, {"poll_interval", "nan"}, {"mdts", ""}});
    CHECK(odd.cycles == 0);
    CHECK(odd.poll_interval == 0.0);
    CHECK(odd.mdts.empty());
}

TEST_CASE("heartbeat: stale after three poll intervals (at least 2 s); TTL ten intervals, at least 10 s",
          "[shipper][heartbeat]") {
    hsm::beat::ShipperBeat b;
    b.poll_interval = 20;
    b.written_ms = 1'000'000;
    CHECK_FALSE(hsm::beat::stale(b, 1'000'000 + 60'000));
    CHECK(hsm::beat::stale(b, 1'000'000 + 60'001));
    b.poll_interval = 0.1;
    CHECK_FALSE(hsm::beat::stale(b, 1'000'000 + 2'000));
    CHECK(hsm::beat::stale(b, 1'000'000 + 2'001));
    CHECK(hsm::beat::age_seconds(b, 1'000'000 - 5'000) == 0);  // a clock behind: never negative
    CHECK(hsm::beat::ttl_seconds(20) == 200);
    CHECK(hsm::beat::ttl_seconds(0.2) == 10);
    CHECK(hsm::beat::ttl_seconds(2.05) == 21);
}

TEST_CASE("heartbeat: the daemon rewrites its hash every cycle, with a TTL, outside the streams",
          "[shipper][heartbeat][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"), short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    const std::string key = "hsm:shippers:" + host_name();
    std::map<std::string, std::string> h;
    const bool shipped = wait_until([&] {
        h = hgetall(redis, key);
        return h.count("events_shipped") && h["events_shipped"] == "2" && h.count("cycles") && std::stoll(h["cycles"]) >= 2;
    }, 30s, 50ms);
    INFO("daemon stderr:\n" << daemon->err());
    REQUIRE(shipped);
    CHECK(h["mdts"] == kMdt);
    CHECK(h["mdt_count"] == "1");
    CHECK(h["version"].size() > 0);
    CHECK(std::stoll(h["pid"]) == daemon->pid());
    CHECK(std::stod(h["poll_interval"]) == Approx(0.2));
    CHECK(std::llabs(std::stoll(h["written_ms"]) - now_ms()) < 10'000);
    CHECK(h["events_refused"] == "0");
    CHECK(h["checkpoint_ok"] == "1");
    for (const char* f : {"reconnects", "reader_waits", "takeovers", "repairs", "trims", "checkpoint_seconds",
                          "cycle_seconds", "cycle_started_ms"})
        CHECK(h.count(f) == 1);
    const long long ttl = redis.integer({"TTL", key});
    CHECK(ttl > 0);
    CHECK(ttl <= hsm::beat::ttl_seconds(0.2));
    // Rewritten every cycle: the cycle count keeps growing.
    const long long cycles = std::stoll(h["cycles"]);
    CHECK(wait_until([&] { return std::stoll(hgetall(redis, key)["cycles"]) > cycles + 2; }, 20s, 50ms));
    // A consumer's SCAN MATCH <stream prefix>:* never meets it.
    auto scan = redis.command({"SCAN", "0", "MATCH", "hsm:actions:*", "COUNT", "1000"});
    REQUIRE(scan->type == REDIS_REPLY_ARRAY);
    for (std::size_t i = 0; i < scan->element[1]->elements; ++i)
        CHECK(std::string(scan->element[1]->element[i]->str) == fx.stream(kMdt));
    // read_beats() sees it as the tools do.
    hsm::RedisEndpoint ep;
    ep.port = redis.port();
    hsm::RedisConnection conn(ep);
    REQUIRE(conn.connect());
    std::vector<hsm::beat::ShipperBeat> beats;
    hsm::RedisProblem problem;
    REQUIRE(hsm::beat::read_beats(conn, "hsm:shippers", beats, problem));
    REQUIRE(beats.size() == 1);
    CHECK(beats[0].host == host_name());
    CHECK_FALSE(hsm::beat::stale(beats[0], now_ms()));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
    // A clean stop removes it: the shipper leaves top/stats instead of showing STALE for a TTL.
    CHECK(redis.integer({"EXISTS", key}) == 0);
}

TEST_CASE("heartbeat: kill -9 leaves the hash to expire (STALE until then)", "[shipper][heartbeat][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    const std::string key = "hsm:shippers:" + host_name();
    REQUIRE(wait_until([&] { return redis.integer({"EXISTS", key}) == 1; }, 20s, 50ms));
    daemon->signal(SIGKILL);
    daemon->wait(10s);
    CHECK(redis.integer({"EXISTS", key}) == 1);
    CHECK(redis.integer({"TTL", key}) > 0);
}

// The writer on its own, against a real server: remove() deletes only a hash that still holds
// its last write; one another shipper (same host name, a failover node) rewrote is kept.
TEST_CASE("heartbeat: remove() deletes the hash only while it is still ours", "[shipper][heartbeat][integration]") {
    RedisServer redis;
    hsm::RedisEndpoint ep;
    ep.port = redis.port();
    ep.db = 1;
    hsm::PipelineCounters counters;
    hsm::shipper::HeartbeatWriter writer(ep, "hsm:shippers", "mds1", 1.0);
    CHECK(writer.remove());  // never written: nothing to do
    REQUIRE(writer.write({0.001, true, {kMdt}}, counters));
    REQUIRE(redis.integer({"EXISTS", "hsm:shippers:mds1"}) == 1);
    CHECK(writer.remove());
    CHECK(redis.integer({"EXISTS", "hsm:shippers:mds1"}) == 0);

    REQUIRE(writer.write({0.001, true, {kMdt}}, counters));
    redis.command({"HSET", "hsm:shippers:mds1", "pid", "1", "written_ms", std::to_string(now_ms())});  // another's
    CHECK(writer.remove());
    CHECK(redis.integer({"EXISTS", "hsm:shippers:mds1"}) == 1);
}

TEST_CASE("heartbeat: redis_shipper_prefix moves it; one-shot runs write none", "[shipper][heartbeat][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto once = fx.run_once();
    INFO(once.err);
    REQUIRE(once.exit_code == 0);
    CHECK(redis.integer({"EXISTS", "hsm:shippers:" + host_name()}) == 0);
    fx.set("redis_shipper_prefix", "site:beats");
    auto daemon = fx.start_daemon();
    INFO("daemon stderr:\n" << daemon->err());
    CHECK(wait_until([&] { return redis.integer({"EXISTS", "site:beats:" + host_name()}) == 1; }, 20s, 50ms));
    CHECK(redis.integer({"EXISTS", "hsm:shippers:" + host_name()}) == 0);
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
}

TEST_CASE("heartbeat: a shipper prefix under the stream prefix is a configuration error, exit 2",
          "[shipper][heartbeat][config]") {
    ShipperFixture fx(free_port());
    fx.set("redis_shipper_prefix", "hsm:actions:shippers");
    const auto r = fx.check_config();
    INFO(r.err);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("redis_shipper_prefix"));
    CHECK_THAT(r.err, Catch::Contains("overlaps redis_stream_prefix"));
    // The tools apply the same rule, command-line overrides included.
    const auto stats = run({bin("hsm-stream-stats").string(), "--port", std::to_string(free_port()),
                            "--stream-prefix", "hsm:shippers:x"});
    CHECK(stats.exit_code == 2);
    CHECK_THAT(stats.err, Catch::Contains("overlaps"));
    CHECK(stats.out.empty());
}
