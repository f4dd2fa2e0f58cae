// shipper/config_schema: the daemon's key table loaded through services/config: its defaults, and
// unknown keys, wrong types and out-of-range values refused with file:line and the key named.
#include <catch2/catch.hpp>

#include "services/config.hpp"
#include "fixtures.hpp"
#include "shipper/shipper.hpp"

using hsm::config::ConfigError;
using hsm::test::TempDir;

namespace {

std::string load_error(const std::string& text, std::string& file) {
    TempDir dir;
    const auto path = dir / "hsm_action_shipper.toml";
    hsm::test::write_file(path, text);
    file = path.string();
    try {
        hsm::config::load(hsm::shipper::config_schema(), path, true);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("shipper config: defaults match the Python version's", "[shipper][config]") {
    TempDir dir;
    const auto cfg = hsm::config::load(hsm::shipper::config_schema(), dir / "none.toml", false);
    CHECK(cfg.str("redis_host") == "localhost");
    CHECK(cfg.integer("redis_port") == 6379);
    CHECK(cfg.integer("redis_db") == 1);
    CHECK(cfg.str("redis_stream_prefix") == "hsm:actions");
    CHECK(cfg.str("mdt_watch_glob") == "/sys/kernel/debug/lustre/mdt/*-MDT\?\?\?\?/hsm/actions");
    CHECK(cfg.real("poll_interval") == 20.0);
    CHECK_FALSE(cfg.str("cache_path").empty());
    CHECK(cfg.str("redis_password").empty());
    CHECK(cfg.str("redis_shipper_prefix") == "hsm:shippers");
}

TEST_CASE("shipper config: typed settings are built once from the file", "[shipper][config]") {
    TempDir dir;
    const auto path = dir / "c.toml";
    hsm::test::write_file(path,
                          "redis_port = 6390\nredis_stream_prefix = \"fs2:actions\"\npoll_interval = 5\n"
                          "reconcile_interval = 60\ntrim_chunk_size = 50\nuse_approximate_trimming = false\n"
                          "compact_retention = 2.5\nrefresh_long_lived = true\ncache_path = \"/tmp/c.bin\"\n"
                          "mdt_watch_glob = \"/tmp/m/*\"\nlog_level = \"DEBUG\"\n");
    const auto s = hsm::shipper::ShipperSettings::from(hsm::config::load(hsm::shipper::config_schema(), path, true));
    CHECK(s.redis.port == 6390);
    CHECK(s.redis.stream_prefix == "fs2:actions");
    CHECK(s.redis.shipper_prefix == "hsm:shippers");
    CHECK(s.poll_interval == 5.0);
    CHECK(s.reconcile_interval == 60.0);
    CHECK(s.trim_chunk_size == 50);
    CHECK_FALSE(s.use_approximate_trimming);
    CHECK(s.compact_retention == 2.5);
    CHECK(s.refresh_long_lived);
    CHECK(s.cache_path == "/tmp/c.bin");
    CHECK(s.mdt_watch_glob == "/tmp/m/*");
    CHECK(s.log.level == "debug");
}

TEST_CASE("shipper config: the Redis keys are the suite's, declared once", "[shipper][config]") {
    const auto schema = hsm::shipper::config_schema();
    const auto shared = hsm::config::redis_keys();
    REQUIRE(schema.size() > shared.size());
    for (std::size_t i = 0; i < shared.size(); ++i) {
        CHECK(schema[i].name == shared[i].name);
        CHECK(schema[i].help.data() == shared[i].help.data());  // the very same declaration
    }
    CHECK(schema.end()[-2].name == "log_level");
    CHECK(std::get<std::string>(schema.end()[-2].default_value) == "info");
    CHECK(schema.end()[-1].name == "log_file");
}

TEST_CASE("shipper config: overlapping heartbeat and stream prefixes are refused at start",
          "[shipper][config]") {
    TempDir dir;
    const auto path = dir / "c.toml";
    hsm::test::write_file(path, "redis_shipper_prefix = \"hsm:actions:beats\"\n");
    const auto cfg = hsm::config::load(hsm::shipper::config_schema(), path, true);
    CHECK_THROWS_AS(hsm::shipper::ShipperSettings::from(cfg), hsm::config::ConfigError);
}

TEST_CASE("shipper config: a migrated file loads", "[shipper][config]") {
    TempDir dir;
    const auto path = dir / "c.toml";
    hsm::test::write_file(path,
                          "redis_host = \"10.0.0.5\"\nredis_port = 6380\nredis_db = 2\n"
                          "redis_stream_prefix = \"x:y\"\nmdt_watch_glob = \"/proc/fs/lustre/mdt/*/hsm/actions\"\n"
                          "poll_interval = 5\ncache_path = \"/tmp/c.bin\"\nreconcile_interval = 3600\n"
                          "trim_chunk_size = 100\nuse_approximate_trimming = false\nlog_level = \"debug\"\n");
    const auto cfg = hsm::config::load(hsm::shipper::config_schema(), path, true);
    CHECK(cfg.integer("redis_port") == 6380);
    CHECK(cfg.real("poll_interval") == 5.0);  // an integer where a float is declared
    CHECK_FALSE(cfg.boolean("use_approximate_trimming"));
}

TEST_CASE("shipper config: errors name the file, the line and the key", "[shipper][config]") {
    struct Case { const char* text; const char* key; int line; };
    const Case cases[] = {
        {"redis_host = \"h\"\nredis_prot = 6379\n", "redis_prot", 2},          // unknown (typo)
        {"log_file_path = \"/x\"\n", "log_file_path", 1},                      // unknown
        {"redis_port = \"6379\"\n", "redis_port", 1},                          // wrong type
        {"\nuse_approximate_trimming = \"yes\"\n", "use_approximate_trimming", 2},
        {"poll_interval = \"20\"\n", "poll_interval", 1},
        {"cache_path = 5\n", "cache_path", 1},
        {"redis_port = 0\n", "redis_port", 1},                                 // out of range
        {"redis_port = 65536\n", "redis_port", 1},
        {"\n\npoll_interval = 0\n", "poll_interval", 3},
        {"poll_interval = -5.0\n", "poll_interval", 1},
        {"trim_chunk_size = 0\n", "trim_chunk_size", 1},
        {"redis_db = -1\n", "redis_db", 1},
        {"reconcile_interval = 0.5\n", "reconcile_interval", 1},
        {"redis_host = \"\"\n", "redis_host", 1},                            // empty (issue #12)
        {"\nmdt_watch_glob = ''\n", "mdt_watch_glob", 2},
        {"cache_path = \"\"\n", "cache_path", 1},
        {"redis_stream_prefix = \"\"\n", "redis_stream_prefix", 1},
        {"log_level = \"\"\n", "log_level", 1},
    };
    for (const auto& c : cases) {
        INFO(c.text);
        std::string file;
        const std::string err = load_error(c.text, file);
        CHECK_THAT(err, Catch::Contains(file + ":" + std::to_string(c.line)));
        CHECK_THAT(err, Catch::Contains(std::string("'") + c.key + "'"));
        if (std::string(c.text).find("= \"\"") != std::string::npos || std::string(c.text).find("''") != std::string::npos)
            CHECK_THAT(err, Catch::Contains("must not be empty"));
    }
    // Keys where empty has a meaning stay accepted.
    std::string file;
    CHECK(load_error("redis_username = \"\"\nredis_password = \"\"\nlog_file = \"\"\n", file).empty());
}

TEST_CASE("shipper config: the reference documents every key", "[shipper][config]") {
    const std::string md = hsm::config::reference_markdown(hsm::shipper::config_schema());
    for (const auto& k : hsm::shipper::config_schema()) {
        CHECK_THAT(md, Catch::Contains(std::string("`").append(k.name).append("`")));
        CHECK_FALSE(k.help.empty());
    }
}
