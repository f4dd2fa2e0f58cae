// The setup every shipper test starts from, written once: a private redis-server, a
// ShipperFixture (temp MDT tree, config, cache) pointed at it, and what the tests ask of both:
// how many entries a stream was ever given (trimming does not hide a duplicate from it), how
// often a log says something, and, for the in-process policy tests, a started Shipper on the
// fixture's config with scripted parts injected (shipper.hpp's Injected).
// Header-only: used by tests that link the shipper (hsm_shipper) and hsm_test_shipper.
#pragma once

#include <catch2/catch.hpp>

#include <cstddef>
#include <memory>
#include <string>

#include "services/config.hpp"
#include "shipper/shipper.hpp"
#include "shipper_fixture.hpp"

namespace hsm::test {

// How many times `needle` occurs in `haystack` (log lines, counted).
inline std::size_t occurrences(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) ++n;
    return n;
}

struct ShipperScene {
    RedisServer redis;
    ShipperFixture fx{redis.port()};

    std::string stream(const std::string& mdt) const { return fx.stream(mdt); }

    // Entries ever added to the MDT's stream (XINFO STREAM entries-added, Redis 7): the shipper
    // trims what is superseded, so XLEN does not count what was shipped; this does.
    long long added(const std::string& mdt) const {
        const auto r = redis.command({"XINFO", "STREAM", stream(mdt)});
        REQUIRE(r);
        REQUIRE(r->type == REDIS_REPLY_ARRAY);
        for (std::size_t i = 0; i + 1 < r->elements; i += 2)
            if (std::string(r->element[i]->str, r->element[i]->len) == "entries-added") return r->element[i + 1]->integer;
        FAIL("no entries-added in XINFO STREAM (Redis older than 7.0?)");
        return -1;
    }

    // The fixture's config as the daemon loads it (the file is written now).
    config::Config config() const { return config::load(shipper::config_schema(), fx.write_config(), true); }

    // An in-process Shipper on that config, started as a daemon would start (Redis required).
    std::unique_ptr<shipper::Shipper> start(shipper::Injected injected = {}, shipper::RunOptions options = {}) const {
        auto s = std::make_unique<shipper::Shipper>(config(), options, injected);
        std::string error;
        if (!s->start(true, error)) FAIL("cannot start the shipper: " << error);
        return s;
    }
};

}  // namespace hsm::test
