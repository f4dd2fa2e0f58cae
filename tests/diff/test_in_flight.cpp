// diff/in_flight.hpp: the flat table of events in flight, against a std::unordered_map model
// under random set/erase (keys from a small range, so probe runs collide, wrap around the end of
// the table and shift back on erase), and the rule that an acknowledgement of an older event
// does not remove a newer one of the same record.
#include <catch2/catch.hpp>

#include <random>
#include <unordered_map>

#include "diff/in_flight.hpp"

using hsm::diff::InFlightMap;

TEST_CASE("in-flight map: behaves like a map under random churn", "[diff][in_flight]") {
    std::mt19937_64 rng(3);
    for (const std::uint64_t range : {8u, 100u, 5000u}) {
        InFlightMap m;
        std::unordered_map<std::uint64_t, std::uint64_t> model;
        std::uniform_int_distribution<std::uint64_t> key(0, range - 1), op(0, 2);
        for (int step = 0; step < 50000; ++step) {
            // Keys as the diff makes them: catalog slot in the high half, record in the low.
            const std::uint64_t k = (key(rng) % 3) << 32 | key(rng);
            const std::uint64_t h = rng() % 4;
            if (op(rng) == 0) {
                m.set(k, h);
                model[k] = h;
            } else {
                const auto it = model.find(k);
                const bool expect = it != model.end() && it->second == h;
                CHECK(m.erase_if(k, h) == expect);
                if (expect) model.erase(it);
            }
            REQUIRE(m.size() == model.size());
            if (step % 1000 == 0)
                for (const auto& [mk, mh] : model) {
                    const std::uint64_t* found = m.find(mk);
                    REQUIRE(found != nullptr);
                    CHECK(*found == mh);
                }
        }
        for (const auto& [mk, mh] : std::unordered_map(model)) CHECK(m.erase_if(mk, mh));
        CHECK(m.empty());
    }
}

TEST_CASE("in-flight map: an older event's ack leaves the newer one in flight", "[diff][in_flight]") {
    InFlightMap m;
    const std::uint64_t key = std::uint64_t{517} << 32 | 42068;
    CHECK(m.find(key) == nullptr);
    m.set(key, 1);
    m.set(key, 2);  // the line changed again before the first event came back
    CHECK(m.size() == 1u);
    CHECK_FALSE(m.erase_if(key, 1));
    REQUIRE(m.find(key) != nullptr);
    CHECK(*m.find(key) == 2u);
    CHECK(m.erase_if(key, 2));
    CHECK(m.find(key) == nullptr);
    // Keys at the extremes are ordinary keys (no value is reserved as "empty").
    m.set(0, 7);
    m.set(UINT64_MAX, 8);
    CHECK(*m.find(0) == 7u);
    CHECK(*m.find(UINT64_MAX) == 8u);
}

TEST_CASE("in-flight map: a big load empties and is reusable", "[diff][in_flight]") {
    InFlightMap m;
    for (std::uint64_t k = 0; k < 100'000; ++k) m.set(k, k * 3);
    CHECK(m.size() == 100'000u);
    for (std::uint64_t k = 0; k < 100'000; ++k) REQUIRE(m.erase_if(k, k * 3));
    CHECK(m.empty());
    m.set(42, 1);
    CHECK(*m.find(42) == 1u);
}
