// services/redis without a server: stream entry IDs (parse, order, text) and the reconnect backoff
// (1 s doubling to a 30 s cap, reset on success), driven with explicit time points.
#include <catch2/catch.hpp>

#include "services/redis.hpp"

using hsm::Backoff;
using hsm::StreamId;
using namespace std::chrono_literals;

TEST_CASE("redis: stream IDs parse, compare and print", "[services][redis]") {
    StreamId id;
    REQUIRE(StreamId::parse("1759619143123-7", id));
    CHECK(id.ms == 1759619143123u);
    CHECK(id.seq == 7u);
    CHECK(id.str() == "1759619143123-7");
    REQUIRE(StreamId::parse("5", id));  // XTRIM MINID accepts a bare ms part
    CHECK(id.ms == 5u);
    CHECK(id.seq == 0u);
    CHECK(StreamId{1, 2} < StreamId{1, 3});
    CHECK(StreamId{1, 9} < StreamId{2, 0});
    CHECK(StreamId{}.empty());
    CHECK_FALSE(StreamId{0, 1}.empty());
    for (const char* bad : {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", "1 -2", "18446744073709551616-0"}) {
        INFO(bad);
        StreamId out;
        CHECK_FALSE(StreamId::parse(bad, out));
    }
}

TEST_CASE("redis: backoff doubles to the cap and resets on success", "[services][redis]") {
    Backoff b(1s, 30s);
    const auto t0 = Backoff::clock::now();
    CHECK(b.ready(t0));
    b.failed(t0);
    CHECK_FALSE(b.ready(t0 + 999ms));
    CHECK(b.ready(t0 + 1s));
    std::chrono::milliseconds expected = 2s;
    auto now = t0 + 1s;
    for (int i = 0; i < 10; ++i) {
        CHECK(b.current_delay() == expected);
        b.failed(now);
        CHECK_FALSE(b.ready(now + expected - 1ms));
        CHECK(b.ready(now + expected));
        now += expected;
        expected = std::min<std::chrono::milliseconds>(expected * 2, 30s);
    }
    CHECK(b.current_delay() == 30s);
    b.succeeded();
    CHECK(b.ready(now));
    CHECK(b.current_delay() == 1s);
}
