// The wire vocabulary (hsm/wire/stream_id.hpp, hsm/wire/event_type.hpp): the one entry-ID type
// and the one event type enum, which the shipper, GC and the consumer API all use.
// core/event.hpp and core/state.hpp (every stage's contract) need StreamId but not hiredis:
// included first, before anything that could bring hiredis in, a hiredis include comes back as
// a build failure here.
#include "core/state.hpp"
#ifdef HIREDIS_MAJOR
#error "core/event.hpp or core/state.hpp includes hiredis again (StreamId is in hsm/wire/stream_id.hpp)"
#endif

#include <catch2/catch.hpp>

#include <limits>
#include <type_traits>

#include "hsm/consume/event.hpp"
#include "hsm/wire/event_type.hpp"
#include "hsm/wire/stream_id.hpp"

using hsm::EventType;
using hsm::StreamId;

TEST_CASE("wire types: one ID type and one event type enum for the shipper and the consumer API", "[wire]") {
    STATIC_REQUIRE(std::is_same_v<hsm::consume::EntryId, StreamId>);
    STATIC_REQUIRE(std::is_same_v<hsm::consume::EventType, EventType>);
}

TEST_CASE("wire types: stream IDs parse both ways alike, and next() is the smallest later ID", "[wire]") {
    for (const char* good : {"1759619143123-7", "5", "0-1", "18446744073709551615-18446744073709551615"}) {
        INFO(good);
        StreamId a;
        REQUIRE(StreamId::parse(good, a));
        REQUIRE(StreamId::parse(good).has_value());
        CHECK(*StreamId::parse(good) == a);
        CHECK(*StreamId::parse(a.str()) == a);
    }
    for (const char* bad : {"", "-", "1-", "-1", "a-1", "1-b", "1-2-3", "1 -2", "+1-2", "18446744073709551616-0"}) {
        INFO(bad);
        StreamId out{4, 2};
        CHECK_FALSE(StreamId::parse(bad, out));
        CHECK(out == StreamId{4, 2});  // untouched on failure
        CHECK_FALSE(StreamId::parse(bad).has_value());
    }
    constexpr auto kMax = std::numeric_limits<std::uint64_t>::max();
    CHECK(StreamId{5, 0}.next() == StreamId{5, 1});
    CHECK(StreamId{5, kMax}.next() == StreamId{6, 0});
    CHECK(StreamId{kMax, kMax}.next() == StreamId{kMax, kMax});
    CHECK(StreamId{5, 1} < StreamId{5, 1}.next());
}

TEST_CASE("wire types: event type names round-trip and nothing else parses", "[wire]") {
    for (EventType t : {EventType::New, EventType::Update, EventType::Purged}) {
        EventType back = EventType::New;
        REQUIRE(hsm::parse_event_type(hsm::to_string(t), back));
        CHECK(back == t);
        CHECK(std::string_view(hsm::event_type_name(t)) == hsm::to_string(t));
    }
    EventType out = EventType::Update;
    for (const char* bad : {"", "new", "REFRESH", "PURGED ", "NEWS"}) CHECK_FALSE(hsm::parse_event_type(bad, out));
    CHECK(out == EventType::Update);
}
