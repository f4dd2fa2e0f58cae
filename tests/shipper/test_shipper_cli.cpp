// hsm-action-shipper's command line as an admin meets it: bad configs exit 2 naming the key (and
// touch nothing), --check-config, --run-once against a port where nothing listens fails fast with
// a clear message, --version and --config-reference.
#include <catch2/catch.hpp>

#include "shipper_fixture.hpp"

using namespace hsm::test;

namespace {
const std::string kMdt = "fs-MDT0000";
}

TEST_CASE("shipper cli: a bad config exits 2 naming the file and the key, touching nothing", "[shipper][integration]") {
    RedisServer redis;
    struct Case { const char* key; const char* literal; const char* named; };
    const Case cases[] = {
        {"redis_prot", "6379", "redis_prot"},            // unknown key (typo)
        {"redis_port", "\"6379\"", "redis_port"},        // wrong type
        {"redis_port", "70000", "redis_port"},           // out of range
        {"poll_interval", "0", "poll_interval"},         // out of range
        {"use_approximate_trimming", "1", "use_approximate_trimming"},
        {"log_level", "\"loud\"", "log_level"},          // not a level
        {"redis_host", "\"\"", "redis_host"},            // empty where empty makes no sense
        {"mdt_watch_glob", "\"\"", "mdt_watch_glob"},
        {"cache_path", "\"\"", "cache_path"},
        {"redis_stream_prefix", "\"\"", "redis_stream_prefix"},
    };
    for (const auto& c : cases) {
        ShipperFixture fx(redis.port());
        fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
        fx.set_raw(c.key, c.literal);
        for (const std::string mode : {"--run-once", "--check-config", "--dry-run"}) {
            const auto r = fx.run({mode}, 20s);
            INFO(c.key << " = " << c.literal << " with " << mode << "\nstderr: " << r.err);
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Catch::Contains(c.named));
            CHECK_THAT(r.err, Catch::Contains(fx.config_path().string()));
            CHECK(r.out.find("{") == std::string::npos);
        }
        const auto daemon = fx.run({}, 20s);  // the daemon refuses to start too
        CHECK(daemon.exit_code == 2);
        CHECK_FALSE(fs::exists(fx.cache_path()));
    }
    CHECK(redis.integer({"DBSIZE"}) == 0);
}

TEST_CASE("shipper cli: the file line is named for a bad key", "[shipper][integration]") {
    ShipperFixture fx(free_port());
    fx.write_config();
    // Append a bad key after the fixture's lines and find its line number.
    std::string text = read_file(fx.config_path());
    const auto line = std::count(text.begin(), text.end(), '\n') + 1;
    write_file(fx.config_path(), text + "redis_prot = 6379\n");
    const auto r = run({bin("hsm-action-shipper").string(), "-c", fx.config_path().string(), "--check-config"}, 20s);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(fx.config_path().string() + ":" + std::to_string(line)));
    CHECK_THAT(r.err, Catch::Contains("redis_prot"));
}

TEST_CASE("shipper cli: a config file that does not exist exits 2", "[shipper][integration]") {
    TempDir dir;
    const auto path = dir / "nope.toml";
    const auto r = run({bin("hsm-action-shipper").string(), "-c", path.string(), "--check-config"}, 20s);
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(path.string()));
}

TEST_CASE("shipper cli: invalid TOML exits 2", "[shipper][integration]") {
    ShipperFixture fx(free_port());
    fx.set_raw("redis_host", "\"unterminated");
    const auto r = fx.check_config();
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains(fx.config_path().string()));
}

TEST_CASE("shipper cli: --check-config accepts a good config without contacting anything", "[shipper][integration]") {
    ShipperFixture fx(free_port());  // nothing listens: must not matter
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = fx.check_config();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("configuration OK"));
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK_FALSE(fs::exists(fx.cache_path()));
}

TEST_CASE("shipper cli: --run-once with nothing listening fails in bounded time, clearly", "[shipper][integration]") {
    const int port = free_port();
    ShipperFixture fx(port);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = fx.run_once(60s);
    const auto elapsed = std::chrono::steady_clock::now() - t0;
    INFO("stderr: " << r.err);
    CHECK(r.exit_code != 0);
    CHECK(r.exit_code < 128);  // an error exit, not a crash or our kill
    CHECK(elapsed < 30s);
    CHECK_THAT(r.err, Catch::Contains("redis"));
    CHECK_THAT(r.err, Catch::Contains(std::to_string(port)));
    CHECK_FALSE(fs::exists(fx.cache_path()));
}

TEST_CASE("shipper cli: --version and --config-reference", "[shipper][integration]") {
    auto r = run({bin("hsm-action-shipper").string(), "--version"}, 20s);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("hsm-action-shipper "));
    r = run({bin("hsm-action-shipper").string(), "--config-reference"}, 20s);
    CHECK(r.exit_code == 0);
    for (const char* key : {"redis_host", "redis_port", "redis_db", "redis_stream_prefix", "mdt_watch_glob",
                            "poll_interval", "cache_path"})
        CHECK_THAT(r.out, Catch::Contains(std::string("`") + key + "`"));
}

TEST_CASE("shipper cli: a directory at cache_path is reported, not a crash", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fs::create_directories(fx.cache_path());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto r = fx.run_once();
    INFO("exit " << r.exit_code << "\nstderr: " << r.err);
    CHECK(r.exit_code < 128);  // aborts today: uncaught std::ios_base::failure from load_checkpoint
    CHECK_THAT(r.err, Catch::Contains(fx.cache_path().string()));
}

TEST_CASE("shipper cli: --run-once whose events Redis refused does not exit 0", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    redis.command({"SET", fx.stream(kMdt), "not a stream"});  // every XADD gets WRONGTYPE
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto r = fx.run_once();
    INFO("stderr: " << r.err);
    CHECK_THAT(r.err, Catch::Contains("WRONGTYPE"));
    CHECK(r.exit_code != 0);  // a cron job must be able to tell nothing was shipped
}
