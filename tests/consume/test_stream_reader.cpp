// StreamReader against a private redis-server: snapshot replay with broken entries, discovery
// of a stream created after start, reconnection across a Redis restart, and replay-then-follow
// while a writer keeps adding entries (nothing lost, nothing repeated), and the library's log
// lines kept off stdout.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/spdlog.h>

#include "event_json.hpp"
#include "fixtures.hpp"
#include "hsm/consume/stream_reader.hpp"

using namespace hsm::consume;
using namespace std::chrono_literals;
using hsm::test::spec;
using hsm::test::RedisServer;
using hsm::test::wait_until;
using hsm::test::xadd;

namespace {

ReaderOptions options_for(const RedisServer& redis) {
    ReaderOptions o;
    o.port = redis.port();
    o.discovery_interval = 100ms;
    o.block = 50ms;
    return o;
}

struct Seen {
    std::string stream, id, mdt, status;
};

// Reads until `done` holds or the deadline passes, keeping copies of what came.
std::vector<Seen> drain(StreamReader& reader, const std::function<bool(const std::vector<Seen>&)>& done,
                        std::chrono::milliseconds timeout = 10s) {
    std::vector<Seen> seen;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(seen) && std::chrono::steady_clock::now() < deadline) {
        for (const Event& e : reader.read(50ms))
            seen.push_back({std::string(e.stream), e.id.str(), std::string(e.mdt), std::string(e.status)});
    }
    return seen;
}

}  // namespace

TEST_CASE("reader: snapshot replay reads every stream to its end and skips broken entries",
          "[consume][reader]") {
    RedisServer redis;
    for (std::uint32_t i = 1; i <= 30; ++i) xadd(redis, spec("elm-MDT0000", i));
    for (std::uint32_t i = 1; i <= 12; ++i) xadd(redis, spec("elm-MDT0001", i));
    xadd(redis, "hsm:actions:elm-MDT0001", "this is not json");
    xadd(redis, "hsm:actions:elm-MDT0001", R"({"event_type": "NEW", "mdt": "elm-MDT0001"})");
    redis.command({"XADD", "hsm:actions:elm-MDT0001", "*", "payload", "no data field"});
    // A number no event can hold (issue #12 item 3): skipped, not converted.
    xadd(redis, "hsm:actions:elm-MDT0001",
         R"({"event_type":"NEW","mdt":"elm-MDT0001","cat_idx":9,"rec_idx":9,"timestamp":2e191})");
    redis.command({"SET", "hsm:actions:not-a-stream", "x"});
    xadd(redis, "other:prefix:elm-MDT0002", "{}");

    ReaderOptions o = options_for(redis);
    o.follow = false;
    o.count = 7;  // several XREAD rounds
    StreamReader reader(o);
    auto seen = drain(reader, [&](const auto&) { return reader.finished(); });
    REQUIRE(reader.finished());
    CHECK(reader.caught_up());
    CHECK(seen.size() == 42);
    const auto stats = reader.stats();
    CHECK(stats.entries == 46);
    CHECK(stats.events == 42);
    CHECK(stats.skipped == 4);

    auto streams = reader.streams();
    REQUIRE(streams.size() == 2);
    CHECK(streams[0].name == "hsm:actions:elm-MDT0000");
    CHECK(streams[0].mdt == "elm-MDT0000");
    CHECK(streams[0].length == 30);
    CHECK(streams[1].length == 16);
    CHECK(streams[1].position == streams[1].last);
    CHECK_FALSE(streams[1].first.empty());

    // Entries added after the snapshot are not part of it.
    xadd(redis, spec("elm-MDT0000", 99));
    CHECK(reader.read(200ms).empty());
}

TEST_CASE("reader: a snapshot of an empty database finishes at once", "[consume][reader]") {
    RedisServer redis;
    ReaderOptions o = options_for(redis);
    o.follow = false;
    StreamReader reader(o);
    CHECK(wait_until([&] { return reader.finished(); }, 5s));
    CHECK(reader.streams().empty());
}

TEST_CASE("reader: following from now skips history and finds streams created later",
          "[consume][reader]") {
    RedisServer redis;
    for (std::uint32_t i = 1; i <= 5; ++i) xadd(redis, spec("elm-MDT0000", i));
    ReaderOptions o = options_for(redis);
    o.start = StartAt::Now;
    StreamReader reader(o);
    REQUIRE(wait_until([&] { return reader.caught_up() && reader.streams().size() == 1; }, 5s));

    const std::string live_id = xadd(redis, spec("elm-MDT0000", 6, "STARTED"));
    // A stream that did not exist at start: all of it is new, first entry included.
    const std::string first_new = xadd(redis, spec("elm-MDT0007", 1));
    const std::string second_new = xadd(redis, spec("elm-MDT0007", 2));
    auto seen = drain(reader, [](const auto& s) { return s.size() >= 3; });
    REQUIRE(seen.size() == 3);
    std::set<std::string> ids;
    for (const auto& s : seen) ids.insert(s.id);
    CHECK(ids == std::set<std::string>{live_id, first_new, second_new});
    CHECK(reader.read(200ms).empty());  // and nothing else
}

TEST_CASE("reader: started before any stream exists, it finds the first one within seconds",
          "[consume][reader]") {
    // The demo's case: hsm-action-top started before the shipper's first cycle showed nothing for
    // the default discovery interval (10 s) although 200,000 events had been shipped.
    RedisServer redis;
    ReaderOptions o = options_for(redis);
    o.discovery_interval = 10s;  // the default
    o.start = StartAt::Beginning;
    StreamReader reader(o);
    REQUIRE(wait_until([&] { return reader.stats().discoveries >= 1; }, 5s));
    const std::string id = xadd(redis, spec("elm-MDT0000", 1));
    auto seen = drain(reader, [](const auto& s) { return !s.empty(); }, 5s);  // < the 10 s interval
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].id == id);
}

TEST_CASE("reader: reconnects after a Redis restart and keeps reading", "[consume][reader]") {
    RedisServer redis;
    xadd(redis, spec("elm-MDT0000", 1));
    StreamReader reader(options_for(redis));
    auto seen = drain(reader, [](const auto& s) { return s.size() >= 1; });
    REQUIRE(seen.size() == 1);
    REQUIRE(reader.connected());

    redis.stop();
    CHECK(wait_until([&] { return !reader.connected(); }, 10s));
    redis.start();  // same port, empty (no persistence): the shipper would rebuild the stream
    const std::string id = xadd(redis, spec("elm-MDT0000", 2, "STARTED"));
    seen = drain(reader, [](const auto& s) { return !s.empty(); }, 20s);
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].id == id);
    CHECK(reader.connected());
    CHECK(reader.stats().reconnects >= 1);
}

TEST_CASE("reader: replay then follow loses and repeats nothing while a writer runs",
          "[consume][reader]") {
    RedisServer redis;
    const std::vector<std::string> mdts = {"elm-MDT0000", "elm-MDT0001", "elm-MDT0002"};
    for (std::uint32_t i = 0; i < 3000; ++i) xadd(redis, spec(mdts[i % 3], i));

    ReaderOptions o = options_for(redis);
    o.count = 500;
    StreamReader reader(o);
    constexpr std::uint32_t kLive = 3000;
    std::atomic<bool> writing{true};
    std::thread writer([&] {
        redisContext* c = redisConnect("127.0.0.1", redis.port());
        freeReplyObject(redisCommand(c, "SELECT 1"));
        for (std::uint32_t i = 0; i < kLive; ++i) {
            const std::string data = hsm::test::event_json(spec(mdts[i % 3], 100000 + i));
            const std::string key = hsm::test::stream_of(mdts[i % 3]);
            freeReplyObject(redisCommand(c, "XADD %s * data %b", key.c_str(), data.data(), data.size()));
        }
        redisFree(c);
        writing = false;
    });
    auto seen = drain(reader, [&](const auto& s) { return !writing && s.size() >= 3000 + kLive; }, 60s);
    writer.join();
    CHECK(reader.read(200ms).empty());

    std::set<std::pair<std::string, std::string>> unique;
    for (const auto& s : seen) unique.insert({s.stream, s.id});
    CHECK(unique.size() == seen.size());  // nothing twice
    std::size_t expected = 0;
    for (const auto& m : mdts) {
        const auto entries = redis.xrange(hsm::test::stream_of(m));
        expected += entries.size();
        for (const auto& [id, data] : entries) CHECK(unique.count({hsm::test::stream_of(m), id}) == 1);
    }
    CHECK(seen.size() == expected);  // nothing lost
    CHECK(reader.caught_up());
}

TEST_CASE("reader: caught_up turns true only once history is delivered", "[consume][reader]") {
    RedisServer redis;
    for (std::uint32_t i = 1; i <= 2500; ++i) xadd(redis, spec("elm-MDT0000", i));
    ReaderOptions o = options_for(redis);
    o.count = 100;
    StreamReader reader(o);
    std::size_t delivered = 0;
    bool early = false;
    REQUIRE(wait_until([&] {
        delivered += reader.read(20ms).size();
        if (reader.caught_up() && delivered < 2500) early = true;
        return reader.caught_up();
    }, 20s, 0ms));
    CHECK_FALSE(early);
    CHECK(delivered == 2500);
}

TEST_CASE("reader: without reconnect an unreachable Redis is a failure, not a hang",
          "[consume][reader]") {
    ReaderOptions o;
    o.port = hsm::test::free_port();
    o.reconnect = false;
    StreamReader reader(o);
    CHECK(wait_until([&] { return reader.failed(); }, 10s));
    CHECK(reader.error().find(std::to_string(o.port)) != std::string::npos);
    CHECK(reader.read(10ms).empty());
}

TEST_CASE("reader: next() yields events one by one", "[consume][reader]") {
    RedisServer redis;
    for (std::uint32_t i = 1; i <= 3; ++i) xadd(redis, spec("elm-MDT0000", i));
    StreamReader reader(options_for(redis));
    std::vector<std::uint32_t> recs;
    while (recs.size() < 3) {
        const Event* e = reader.next(5s);
        REQUIRE(e);
        recs.push_back(e->rec_idx);
    }
    CHECK(recs == std::vector<std::uint32_t>{1, 2, 3});
    CHECK(reader.next(100ms) == nullptr);
}

TEST_CASE("reader: AUTH with a password, and a clear failure without it", "[consume][reader]") {
    RedisServer redis;
    xadd(redis, spec("elm-MDT0000", 1));
    redis.command({"CONFIG", "SET", "requirepass", "s3cret"});  // from now on every client must AUTH

    ReaderOptions o = options_for(redis);
    o.follow = false;
    o.reconnect = false;
    {
        StreamReader denied(o);
        REQUIRE(wait_until([&] { return denied.failed(); }, 10s));
        CHECK(denied.error().find("AUTH") != std::string::npos);
    }
    o.password = "s3cret";
    StreamReader reader(o);
    auto seen = drain(reader, [&](const auto&) { return reader.finished() || reader.failed(); });
    CHECK_FALSE(reader.failed());
    CHECK(seen.size() == 1);
}

TEST_CASE("stream reader: the library logs to stderr, never to stdout", "[consume][reader]") {
    // A program that set up no logging has spdlog's built-in default logger, which writes to stdout.
    spdlog::set_default_logger(
        std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ansicolor_stdout_sink_mt>()));
    hsm::test::TempDir dir;
    std::fflush(stdout);
    std::fflush(stderr);
    const int saved_out = ::dup(1), saved_err = ::dup(2);
    const int out = ::open((dir / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open((dir / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    bool reported = false;
    {
        ReaderOptions o;
        o.port = hsm::test::free_port();  // nothing listens there: the reader logs a warning
        StreamReader reader(o);
        reported = wait_until([&] { return !reader.error().empty(); }, 10s);
    }
    spdlog::default_logger()->flush();
    std::fflush(stdout);
    std::fflush(stderr);
    ::dup2(saved_out, 1);
    ::dup2(saved_err, 2);
    for (int fd : {saved_out, saved_err, out, err}) ::close(fd);
    CHECK(reported);
    CHECK(hsm::test::read_file(dir / "stdout").empty());
    CHECK_THAT(hsm::test::read_file(dir / "stderr"), Catch::Contains("cannot connect"));
}
