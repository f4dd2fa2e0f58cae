// Reply classification (every Redis error code we know, and unknown ones) against real replies
// from a private redis-server, and FaultLog's one line per change of state with its counter.
#include <catch2/catch.hpp>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "services/redis.hpp"
#include "services/redis_fault.hpp"
#include "fixtures.hpp"

using namespace hsm;

TEST_CASE("redis fault: error codes are classified as transient or refused", "[services][redis]") {
    for (const char* t : {"LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script",
                          "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
                          "TRYAGAIN Multiple keys request during rehashing of slot", "READONLY You can't write against a read only replica.",
                          "OOM command not allowed when used memory > 'maxmemory'.", "CLUSTERDOWN The cluster is down",
                          "NOREPLICAS Not enough good replicas to write.", "MISCONF Redis is configured to save RDB snapshots"})
        CHECK(classify_error(t) == RedisFault::Transient);
    for (const char* r : {"NOPERM this user has no permissions to run the 'scan' command", "NOAUTH Authentication required.",
                          "WRONGPASS invalid username-password pair or user is disabled.", "ERR unknown command 'XTRIM'",
                          "EXECABORT Transaction discarded because of previous errors.", "WRONGTYPE Operation against a key",
                          "SOMETHINGNEW we have never seen", "", "BUSYKEY Target key name already exists."})
        CHECK(classify_error(r) == RedisFault::Refused);
    CHECK(classify(nullptr) == RedisFault::ConnectionLost);
}

TEST_CASE("redis fault: real replies of a private server, refusals name command and user", "[services][redis]") {
    test::RedisServer redis;
    redis.command({"ACL", "SETUSER", "noscan", "on", ">pw", "~*", "+@all", "-scan"});
    RedisEndpoint ep;
    ep.port = redis.port();
    ep.username = "noscan";
    ep.password = "pw";
    RedisConnection conn(ep);
    REQUIRE(conn.connect());
    Reply ok = conn.command({"XLEN", "hsm:actions:x"});
    CHECK(classify(ok.get()) == RedisFault::None);
    Reply refused = conn.command({"SCAN", "0"});
    const RedisProblem p = problem_of(refused.get(), "SCAN", ep.user());
    CHECK(p.fault == RedisFault::Refused);
    CHECK(p.message().find("refused SCAN for user 'noscan': NOPERM") == 0);

    ep.password = "wrong";
    RedisConnection bad(ep);
    CHECK_FALSE(bad.connect());
    CHECK(bad.last_problem().fault == RedisFault::Refused);
    CHECK(bad.last_problem().command == "AUTH");
    CHECK(bad.last_error().find("WRONGPASS") != std::string::npos);

    ep.port = test::free_port();  // nothing listens there
    RedisConnection gone(ep);
    CHECK_FALSE(gone.connect());
    CHECK(gone.last_problem().fault == RedisFault::ConnectionLost);
}

TEST_CASE("redis fault: FaultLog logs each change of state once, with the count", "[services][redis]") {
    auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("ring", ring));
    FaultLog log("redis 127.0.0.1:1");
    const RedisProblem scan{RedisFault::Refused, "SCAN", "ro", "NOPERM no scan\x1b[2J"};
    const RedisProblem loading{RedisFault::Transient, "SCAN", "ro", "LOADING Redis is loading"};
    CHECK(log.failed(scan));
    for (int i = 0; i < 1000; ++i) CHECK_FALSE(log.failed(scan));
    CHECK(log.failed(loading));
    CHECK_FALSE(log.failed(loading));
    log.succeeded();
    log.succeeded();  // nothing to end: no line
    spdlog::set_default_logger(previous);
    const auto lines = ring->last_formatted();
    REQUIRE(lines.size() == 3);
    CHECK(lines[0].find("refused SCAN for user 'ro': NOPERM no scan\\x1b[2J") != std::string::npos);  // escaped
    CHECK(lines[1].find("LOADING") != std::string::npos);
    CHECK(lines[1].find("(1001 failures so far)") != std::string::npos);
    CHECK(lines[2].find("working again after 1003 failed attempts") != std::string::npos);
    CHECK(log.total_failures() == 1003);
    CHECK(log.failures() == 0);
}

TEST_CASE("redis fault: an outage is one state whatever its symptom", "[services][redis]") {
    // Found when the shipper probed a stopped Redis every cycle: "lost during a command", then
    // "connection refused" on each reconnect, logged as two states.
    auto ring = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("ring", ring));
    FaultLog log("redis 127.0.0.1:1");
    const RedisProblem lost{RedisFault::ConnectionLost, "XREVRANGE hsm:actions:fs-MDT0000", "default",
                            "connection lost during a command: Server closed the connection"};
    const RedisProblem refused{RedisFault::ConnectionLost, "connect", "default", "cannot connect: Connection refused"};
    const RedisProblem timeout{RedisFault::ConnectionLost, "connect", "default", "cannot connect: Connection timed out"};
    CHECK(log.failed(lost));
    for (int i = 0; i < 10; ++i) {
        CHECK_FALSE(log.failed(refused));
        CHECK_FALSE(log.failed(timeout));
    }
    spdlog::set_default_logger(previous);
    CHECK(ring->last_formatted().size() == 1);
    CHECK(log.failures() == 21);
}

TEST_CASE("redis fault: which refusals are about every key", "[services][redis]") {
    const auto refused = [](const char* text) { return RedisProblem{classify_error(text), "XADD k", "u", text}; };
    CHECK(affects_every_key(refused("NOPERM this user has no permissions to run the 'xadd' command")));
    CHECK(affects_every_key(refused("ERR unknown command 'XADD', with args beginning with:")));
    CHECK(affects_every_key(refused("WRONGPASS invalid username-password pair or user is disabled.")));
    CHECK(affects_every_key(refused("OOM command not allowed when used memory > 'maxmemory'.")));
    CHECK_FALSE(affects_every_key(refused("NOPERM this user has no permissions to access one of the keys used as arguments")));
    CHECK_FALSE(affects_every_key(refused("WRONGTYPE Operation against a key holding the wrong kind of value")));
}
