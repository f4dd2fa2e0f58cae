// services/common_keys and Config's lookup rule: the suite's Redis and log keys come from one table
// and reach the code as typed settings; reading a key the tool never declared (or as the wrong
// type) is a programming error that throws std::logic_error instead of answering "" / 0 / false.
#include <catch2/catch.hpp>

#include <stdexcept>

#include "services/common_keys.hpp"
#include "services/config.hpp"
#include "fixtures.hpp"

using hsm::config::ConfigError;
using hsm::config::KeySpec;
using hsm::config::Type;
using hsm::test::TempDir;
using hsm::test::write_file;

namespace {

const KeySpec kOwn[] = {
    {"interval", Type::Float, 2.0, "Seconds.", 0.05, 3600},
    {"count", Type::Integer, std::int64_t{3}, "How many.", 0, 10},
};

std::string logic_error_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::logic_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("common keys: an undeclared key fails loudly, whatever the getter", "[services][config]") {
    const auto schema = hsm::config::tool_schema(kOwn, "warning");
    const hsm::config::Config cfg(schema);
    CHECK_THAT(logic_error_of([&] { (void)cfg.str("redis_hots"); }), Catch::Contains("'redis_hots'"));
    CHECK_THAT(logic_error_of([&] { (void)cfg.integer("poll_interval"); }), Catch::Contains("not declared"));
    CHECK_THAT(logic_error_of([&] { (void)cfg.real("nope"); }), Catch::Contains("'nope'"));
    CHECK_THAT(logic_error_of([&] { (void)cfg.boolean("use_approximate_trimming"); }),
               Catch::Contains("'use_approximate_trimming'"));
    CHECK_THAT(logic_error_of([&] { (void)cfg.has("cache_path"); }), Catch::Contains("'cache_path'"));
    // A Config nobody gave a table declares nothing.
    const hsm::config::Config empty;
    CHECK_THAT(logic_error_of([&] { (void)empty.str("redis_host"); }), Catch::Contains("'redis_host'"));
}

TEST_CASE("common keys: reading a declared key as another type fails loudly", "[services][config]") {
    const auto schema = hsm::config::tool_schema(kOwn, "warning");
    const hsm::config::Config cfg(schema);
    CHECK_THAT(logic_error_of([&] { (void)cfg.str("redis_port"); }), Catch::Contains("'redis_port' is declared integer, read as string"));
    CHECK_THAT(logic_error_of([&] { (void)cfg.integer("interval"); }), Catch::Contains("declared float, read as integer"));
    CHECK_THAT(logic_error_of([&] { (void)cfg.boolean("redis_host"); }), Catch::Contains("'redis_host'"));
    // The one conversion allowed: an Integer key read as a real.
    CHECK(cfg.real("count") == 3.0);
    CHECK(cfg.integer("redis_port") == 6379);
}

TEST_CASE("common keys: one table, Redis keys first, the tool's own, log keys last", "[services][config]") {
    const auto schema = hsm::config::tool_schema(kOwn, "info");
    std::vector<std::string> names;
    for (const auto& k : schema) names.emplace_back(k.name);
    CHECK(names == std::vector<std::string>{"redis_host", "redis_port", "redis_db", "redis_username",
                                            "redis_password", "redis_password_file", "redis_stream_prefix",
                                            "redis_shipper_prefix", "interval", "count", "log_level", "log_file"});
    // Two tools' tables share the very same Redis specs; only the default level differs.
    const auto other = hsm::config::tool_schema({}, "warning");
    for (std::size_t i = 0; i < hsm::config::redis_keys().size(); ++i) {
        CHECK(schema[i].name == other[i].name);
        CHECK(schema[i].help == other[i].help);
        CHECK(schema[i].min == other[i].min);
        CHECK(schema[i].max == other[i].max);
        CHECK(schema[i].default_value == other[i].default_value);
    }
    CHECK(std::get<std::string>(schema[10].default_value) == "info");
    CHECK(std::get<std::string>(other.end()[-2].default_value) == "warning");
}

TEST_CASE("common keys: typed settings carry the file's values", "[services][config]") {
    const auto schema = hsm::config::tool_schema(kOwn, "warning");
    TempDir dir;
    write_file(dir / "t.toml",
               "redis_host = \"redis.example\"\nredis_port = 6380\nredis_db = 7\nredis_username = \"ro\"\n"
               "redis_stream_prefix = \"fs1:actions\"\nredis_shipper_prefix = \"fs1:shippers\"\n"
               "log_level = \"WARN\"\nlog_file = \"/tmp/x.log\"\n");
    const auto cfg = hsm::config::load(schema, dir / "t.toml", true);
    const auto redis = hsm::config::redis_settings(cfg);
    CHECK(redis.host == "redis.example");
    CHECK(redis.port == 6380);
    CHECK(redis.db == 7);
    CHECK(redis.username == "ro");
    CHECK(redis.password.empty());
    CHECK(redis.stream_prefix == "fs1:actions");
    CHECK(redis.shipper_prefix == "fs1:shippers");
    CHECK(hsm::config::describe(redis) == "redis.example:6380 db 7");
    const auto log = hsm::config::log_settings(cfg);
    CHECK(log.level == "warn");
    CHECK(log.file == "/tmp/x.log");
}

TEST_CASE("common keys: heartbeat and stream prefixes must not overlap", "[services][config]") {
    const auto schema = hsm::config::tool_schema(kOwn, "warning");
    const auto error_for = [&](const std::string& streams, const std::string& shippers) -> std::string {
        hsm::config::Config cfg(schema);
        cfg.set("redis_stream_prefix", streams);
        cfg.set("redis_shipper_prefix", shippers);
        try {
            (void)hsm::config::redis_settings(cfg);
        } catch (const ConfigError& e) {
            return e.what();
        }
        return "";
    };
    CHECK_THAT(error_for("hsm:actions", "hsm:actions"), Catch::Contains("redis_shipper_prefix"));
    CHECK_THAT(error_for("hsm:actions", "hsm:actions:shippers"), Catch::Contains("overlaps"));
    CHECK_THAT(error_for("hsm:shippers:x", "hsm:shippers"), Catch::Contains("overlaps"));
    CHECK_THAT(error_for("hsm:actions", "hsm:actions\x1b[2J"), !Catch::Contains("\x1b"));
    CHECK(error_for("hsm:actions", "hsm:shippers").empty());
    CHECK(error_for("hsm:actions", "hsm:actionsX").empty());  // not under "hsm:actions:"
}
