// publish/Publisher against a private redis-server: pipelined XADDs across several batches and
// streams, every event acknowledged with its entry ID in order; refused XADDs and a Redis outage
// give events back without an ID (never lost, never committed); the db and AUTH settings apply.
#include <catch2/catch.hpp>

#include <map>

#include "publish/publish.hpp"
#include "shipper_fixture.hpp"

using namespace hsm;
using hsm::test::RedisServer;
using hsm::test::wait_until;
using namespace std::chrono_literals;

namespace {

Event make_event(const std::string& mdt, std::uint32_t rec, EventType type = EventType::New) {
    Event e;
    e.type = type;
    e.mdt = mdt;
    e.key = {1, rec};
    e.hash = rec;
    e.timestamp = 1759619143;
    e.fid = "0x200000401:0x" + std::to_string(rec) + ":0x0";
    e.action = "ARCHIVE";
    e.status = type == EventType::Purged ? "PURGED" : "WAITING";
    if (type != EventType::Purged) e.raw = "idx=[1/" + std::to_string(rec) + "] action=ARCHIVE status=WAITING";
    return e;
}

// A Publisher between its two queues, as the shipper wires it.
struct Rig {
    EventQueue events;
    DiffInbox inbox;
    PipelineCounters counters;
    std::unique_ptr<publish::Publisher> publisher;

    explicit Rig(int port, int db = 1, const std::string& password = "") {
        publish::PublisherOptions o;
        o.endpoint.host = "127.0.0.1";
        o.endpoint.port = port;
        o.endpoint.db = db;
        o.endpoint.password = password;
        o.endpoint.connect_timeout = 1s;
        o.endpoint.io_timeout = 1s;
        publisher = std::make_unique<publish::Publisher>(o, events, inbox, counters);
    }
    ~Rig() { publisher->stop(); }

    // Waits until `n` events came back (in AckBatches), or the deadline passed.
    std::vector<Event> acks(std::size_t n, std::chrono::milliseconds timeout = 20s) {
        std::vector<Event> out;
        wait_until(
            [&] {
                DiffMessage msg;
                while (inbox.try_dequeue(msg))
                    if (auto* a = std::get_if<AckBatch>(&msg))
                        for (auto& e : a->events) out.push_back(std::move(e));
                return out.size() >= n;
            },
            timeout, 5ms);
        return out;
    }
};

}  // namespace

TEST_CASE("publisher: every event acknowledged with its entry ID, in order", "[publish][publisher]") {
    RedisServer redis;
    Rig rig(redis.port());
    std::string error;
    REQUIRE(rig.publisher->connect_within(5s, error));
    rig.publisher->start();
    // More than one pipelined batch (batch_size 2000), two streams interleaved.
    std::vector<Event> sent;
    for (std::uint32_t i = 0; i < 4500; ++i) sent.push_back(make_event(i % 3 ? "fs-MDT0000" : "fs-MDT0001", i));
    for (const auto& e : sent) rig.events.enqueue(e);
    const auto acked = rig.acks(sent.size());
    REQUIRE(acked.size() == sent.size());
    std::map<std::string, StreamId> last;
    for (std::size_t i = 0; i < acked.size(); ++i) {
        INFO("event " << i);
        REQUIRE(acked[i].key == sent[i].key);  // same order as sent
        REQUIRE_FALSE(acked[i].id.empty());
        REQUIRE(last[acked[i].mdt] < acked[i].id);
        last[acked[i].mdt] = acked[i].id;
    }
    CHECK(redis.xlen("hsm:actions:fs-MDT0000") == 3000);
    CHECK(redis.xlen("hsm:actions:fs-MDT0001") == 1500);
    // The stored entries are exactly the encoded events, under the IDs that were acknowledged.
    const auto entries = redis.xrange("hsm:actions:fs-MDT0001");
    std::size_t k = 0;
    for (const auto& e : acked) {
        if (e.mdt != "fs-MDT0001") continue;
        std::string json;
        publish::encode_event(e, json);
        REQUIRE(entries[k].first == e.id.str());
        REQUIRE(entries[k].second == json);
        ++k;
    }
    CHECK(rig.publisher->connected());
    CHECK(rig.counters.events_failed == 0u);  // counting failures is the diff stage's job
}

TEST_CASE("publisher: a refused XADD fails that event only", "[publish][publisher]") {
    RedisServer redis;
    redis.command({"SET", "hsm:actions:wrongtype", "not a stream"});
    Rig rig(redis.port());
    rig.publisher->start();
    rig.events.enqueue(make_event("fs-MDT0000", 1));
    rig.events.enqueue(make_event("wrongtype", 2));
    rig.events.enqueue(make_event("fs-MDT0000", 3));
    const auto acked = rig.acks(3);
    REQUIRE(acked.size() == 3u);
    CHECK_FALSE(acked[0].id.empty());
    CHECK(acked[1].id.empty());
    CHECK_FALSE(acked[2].id.empty());
    CHECK(redis.xlen("hsm:actions:fs-MDT0000") == 2);
}

TEST_CASE("publisher: during an outage events come back without ID, then flow again", "[publish][publisher]") {
    RedisServer redis;
    Rig rig(redis.port());
    rig.publisher->start();
    rig.events.enqueue(make_event("fs-MDT0000", 1));
    auto acked = rig.acks(1);
    REQUIRE(acked.size() == 1u);
    REQUIRE_FALSE(acked[0].id.empty());

    redis.stop();
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint32_t i = 2; i < 12; ++i) rig.events.enqueue(make_event("fs-MDT0000", i));
    acked = rig.acks(10, 15s);
    REQUIRE(acked.size() == 10u);  // returned, not held or dropped
    for (const auto& e : acked) CHECK(e.id.empty());
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    CHECK_FALSE(rig.publisher->connected());

    redis.start();
    // Backoff (1 s, 2 s, ...) decides when the next attempt is made: keep offering events.
    std::vector<Event> ok;
    std::uint32_t rec = 100;
    REQUIRE(wait_until(
        [&] {
            rig.events.enqueue(make_event("fs-MDT0000", rec++));
            for (auto& e : rig.acks(1, 2s))
                if (!e.id.empty()) ok.push_back(e);
            return !ok.empty();
        },
        60s, 200ms));
    CHECK(rig.publisher->connected());
    CHECK(redis.xlen("hsm:actions:fs-MDT0000") == static_cast<long long>(ok.size()));
}

TEST_CASE("publisher: connect_within gives up in bounded time when nothing listens", "[publish][publisher]") {
    const int port = hsm::test::free_port();
    Rig rig(port);
    std::string error;
    const auto t0 = std::chrono::steady_clock::now();
    CHECK_FALSE(rig.publisher->connect_within(2s, error));
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK_FALSE(error.empty());
    CHECK_FALSE(rig.publisher->connected());
}

TEST_CASE("publisher: writes to the configured database", "[publish][publisher]") {
    RedisServer redis;
    Rig rig(redis.port(), 5);
    rig.publisher->start();
    rig.events.enqueue(make_event("fs-MDT0000", 1));
    const auto acked = rig.acks(1);
    REQUIRE(acked.size() == 1u);
    CHECK_FALSE(acked[0].id.empty());
    CHECK(redis.xlen("hsm:actions:fs-MDT0000", 5) == 1);
    CHECK(redis.xlen("hsm:actions:fs-MDT0000", 1) == 0);
}

TEST_CASE("publisher: authenticates with the configured password", "[publish][publisher]") {
    RedisServer redis;
    redis.command({"CONFIG", "SET", "requirepass", "s3cret"});
    SECTION("right password") {
        Rig rig(redis.port(), 1, "s3cret");
        std::string error;
        REQUIRE(rig.publisher->connect_within(5s, error));
        rig.publisher->start();
        rig.events.enqueue(make_event("fs-MDT0000", 1));
        const auto acked = rig.acks(1);
        REQUIRE(acked.size() == 1u);
        CHECK_FALSE(acked[0].id.empty());
    }
    SECTION("no password: refused, with a reason") {
        Rig rig(redis.port());
        std::string error;
        CHECK_FALSE(rig.publisher->connect_within(1500ms, error));
        CHECK_FALSE(error.empty());
    }
}

TEST_CASE("publisher: stop() mid-stream returns every event it took, with its ID if written", "[publish][publisher]") {
    RedisServer redis;
    Rig rig(redis.port());
    std::string error;
    REQUIRE(rig.publisher->connect_within(5s, error));
    constexpr std::size_t kEvents = 20000;
    for (std::uint32_t i = 0; i < kEvents; ++i) rig.events.enqueue(make_event("fs-MDT0000", i));
    rig.publisher->start();
    REQUIRE(wait_until([&] { return rig.events.size_approx() < kEvents; }, 10s, 1ms));
    rig.publisher->stop();
    const auto acked = rig.acks(0, 0ms);
    // Nothing lost: what the publisher did not take is still queued.
    CHECK(acked.size() + rig.events.size_approx() == kEvents);
    std::size_t with_id = 0;
    for (const auto& e : acked) with_id += e.id.empty() ? 0 : 1;
    // Nothing written without its ID coming back (in-flight replies are read before stopping).
    CHECK(redis.xlen("hsm:actions:fs-MDT0000") == static_cast<long long>(with_id));
    CHECK(with_id == acked.size());
}
