// hsm-action-shipper's command line as an admin meets it: bad configs exit 2 naming the key (and
// touch nothing), --check-config, --run-once against a port where nothing listens fails fast with
// a clear message, --version and --config-reference; usage errors exit 2; a migrated config
// (Python key names, INFO, retired keys) runs; a cache_path that is not ours is never overwritten.
#include <catch2/catch.hpp>

#include <csignal>

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

// ---- Issue #7: files and habits carried over from the Python version ----

TEST_CASE("shipper cli: a cache_path naming the Python version's cache.json is never overwritten",
          "[shipper][integration][migration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    const fs::path python_cache = fx.root() / "cache" / "cache.json";
    // The shape of the Python version's cache: one JSON object of actions.
    const std::string python_bytes =
        "{\"fs-MDT0000\": {\"1:1\": {\"hash\": \"9e107d9d372bb6826bd81d3542a419d6\"}}}\n";
    write_file(python_cache, python_bytes);
    fx.set("cache_path", python_cache.string());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"),
                            short_line(1, 2, "0xb", "RESTORE", "WAITING")});

    const auto r = fx.run_once();
    INFO("stderr: " << r.err);
    // Shipping itself works; only the checkpoint is refused, and a cron job learns it (exit 1).
    CHECK(redis.xlen(fx.stream(kMdt)) == 2);
    CHECK(r.exit_code == 1);
    CHECK(read_file(python_cache) == python_bytes);
    CHECK_THAT(r.err, Catch::Contains("cache_path"));
    CHECK_THAT(r.err, Catch::Contains(python_cache.string()));
    CHECK_THAT(r.err, Catch::Contains("Python"));
    for (const auto& e : fs::directory_iterator(python_cache.parent_path()))
        CHECK(e.path().filename() == "cache.json");  // no temp file or checkpoint beside it

    SECTION("the daemon keeps running and says it once, not every cycle") {
        auto d = fx.start_daemon();
        const auto said = [&] {
            std::size_t n = 0;
            for (auto pos = d->err().find(python_cache.string()); pos != std::string::npos;
                 pos = d->err().find(python_cache.string(), pos + 1))
                ++n;
            return n;
        };
        REQUIRE(wait_until([&] { return said() >= 1; }, 20s));
        // Two more changes shipped (two cycles that would each checkpoint) ...
        fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED"),
                                short_line(1, 2, "0xb", "RESTORE", "WAITING")});
        REQUIRE(wait_until([&] { return redis.xlen(fx.stream(kMdt)) == 3; }, 20s));
        fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "SUCCEED"),
                                short_line(1, 2, "0xb", "RESTORE", "WAITING")});
        REQUIRE(wait_until([&] { return redis.xlen(fx.stream(kMdt)) == 4; }, 20s));
        d->signal(SIGTERM);
        CHECK(d->wait(20s) == 0);
        CHECK(said() == 1);  // ... and still one message
        CHECK(read_file(python_cache) == python_bytes);
    }
}

TEST_CASE("shipper cli: the checkpoint follows a symlinked cache_path", "[shipper][integration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    const fs::path real = fx.root() / "elsewhere" / "state.bin";
    fs::create_directories(real.parent_path());
    fs::create_directories(fx.root() / "links");
    const fs::path link = fx.root() / "links" / "state.bin";
    fs::create_symlink(real, link);
    fx.set("cache_path", link.string());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto r = fx.run_once();
    INFO("stderr: " << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(fs::is_symlink(link));
    CHECK(fs::file_size(real) > 8);
    // The next run loads it through the link: nothing is shipped again.
    REQUIRE(fx.run_once().exit_code == 0);
    CHECK(redis.xlen(fx.stream(kMdt)) == 1);
}

TEST_CASE("shipper cli: usage errors exit 2 with the message on stderr", "[shipper][integration]") {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"--no-such-option"}, {"--run-once", "extra"}, {"-c"}}) {
        std::vector<std::string> argv = {bin("hsm-action-shipper").string()};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = run(argv, 20s);
        INFO(args.front() << "\nstderr: " << r.err);
        CHECK(r.exit_code == 2);  // CLI11's own code was 109
        CHECK_FALSE(r.err.empty());
        CHECK(r.out.empty());
    }
}

TEST_CASE("shipper cli: the Python version's shipped config, key: value -> key = value, runs",
          "[shipper][integration][migration]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    // config/hsm_action_shipper.yaml of the Python version, values as it shipped them except the
    // host, port, glob and cache, which point at this test's private Redis and files.
    const fs::path cfg = fx.root() / "migrated.toml";
    write_file(cfg, "redis_host = \"127.0.0.1\"\nredis_port = " + std::to_string(redis.port()) +
                        "\nredis_db = 1\nredis_stream_prefix = \"hsm:actions\"\n"
                        "mdt_watch_glob = \"" + (fx.mdt_root() / "*" / "hsm" / "actions").string() + "\"\n"
                        "poll_interval = 20\nreconcile_interval = 21600 # 6 hours\n"
                        "aggressive_trim_threshold = 5000\n"
                        "cache_path = \"" + (fx.root() / "state.bin").string() + "\"\n"
                        "log_level = \"INFO\"\n");
    const auto check = run({bin("hsm-action-shipper").string(), "-c", cfg.string(), "--check-config"}, 20s);
    INFO("stderr: " << check.err);
    CHECK(check.exit_code == 0);
    CHECK_THAT(check.err, Catch::Contains("aggressive_trim_threshold"));
    CHECK_THAT(check.err, Catch::Contains("trim_chunk_size"));  // what replaced it
    const auto once = run({bin("hsm-action-shipper").string(), "-c", cfg.string(), "--run-once"}, 60s);
    INFO("stderr: " << once.err);
    CHECK(once.exit_code == 0);
    CHECK(redis.xlen("hsm:actions:" + kMdt) == 1);
    CHECK_THAT(once.err, Catch::Contains("warning"));
    CHECK_THAT(once.err, Catch::Contains("aggressive_trim_threshold"));
    // The Python level names work on the command line of the daemon's config too.
    fx.set("log_level", "WARNING");
    CHECK(fx.check_config().exit_code == 0);
}
