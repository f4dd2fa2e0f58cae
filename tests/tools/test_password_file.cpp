// redis_password_file end to end: a real Redis ACL user whose password is only in a file; the
// shipper ships with it and hsm-stream-stats reads with it, and a wrong password in the file is
// refused by Redis (so the file, not some default, is what authenticated).
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "shipper_fixture.hpp"

using namespace hsm::test;

TEST_CASE("password file: the shipper and stats authenticate as an ACL user from redis_password_file",
          "[tools][secrets]") {
    RedisServer redis;
    auto r = redis.command({"ACL", "SETUSER", "hsm", "on", ">s3cret-pw", "~*", "+@all"});
    REQUIRE(r);
    REQUIRE(r->type == REDIS_REPLY_STATUS);
    // The default user may no longer do anything, so unauthenticated access would fail.
    TempDir dir;
    const fs::path pw = dir / "redis_password";
    write_file(pw, "s3cret-pw\n");
    REQUIRE(::chmod(pw.c_str(), 0600) == 0);

    ShipperFixture f(redis.port());
    f.write_actions("elm-MDT0000", {kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "STARTED")});
    f.set("redis_username", "hsm");
    f.set("redis_password_file", pw.string());
    // Without the password from the file nothing could connect: the default user is off.
    redis.command({"ACL", "SETUSER", "default", "off"});
    {
        auto run = f.run_once();
        INFO(run.out << run.err);
        REQUIRE(run.exit_code == 0);
    }
    f.set("redis_password_file", (dir / "missing").string());
    CHECK(f.run_once().exit_code == 2);  // an unreadable password file is a configuration error
    f.set("redis_password_file", pw.string());

    const fs::path stats_conf = dir / "stats.toml";
    write_file(stats_conf, "redis_host = \"127.0.0.1\"\nredis_port = " + std::to_string(redis.port()) +
                               "\nredis_username = \"hsm\"\nredis_password_file = \"" + pw.string() +
                               "\"\nredis_stream_prefix = \"" + f.prefix() + "\"\n");
    REQUIRE(::chmod(stats_conf.c_str(), 0600) == 0);
    auto stats = run({bin("hsm-stream-stats").string(), "-c", stats_conf.string()}, 60s);
    INFO(stats.out << stats.err);
    CHECK(stats.exit_code == 0);
    CHECK(stats.out.find("\"total_live_actions\": 1") != std::string::npos);  // the shipped record

    // A wrong password in the file: Redis refuses, the tool fails.
    write_file(pw, "wrong\n");
    REQUIRE(::chmod(pw.c_str(), 0600) == 0);
    stats = run({bin("hsm-stream-stats").string(), "-c", stats_conf.string()}, 60s);
    CHECK(stats.exit_code == 1);
}

TEST_CASE("password file: a world-readable config holding a password is warned about at start",
          "[tools][secrets]") {
    TempDir dir;
    const fs::path conf = dir / "stats.toml";
    write_file(conf, "redis_password = \"s3cret\"\n");
    REQUIRE(::chmod(conf.c_str(), 0644) == 0);
    auto r = run({bin("hsm-stream-stats").string(), "--check-config", "-c", conf.string()}, 30s);
    CHECK(r.exit_code == 0);
    CHECK(r.err.find("warning: " + conf.string() + " holds redis_password and is readable by every user (mode 0644)") !=
          std::string::npos);
    RedisServer redis;
    ShipperFixture f(redis.port());
    f.set("redis_password", "s3cret");
    ::chmod(f.write_config().c_str(), 0644);
    auto s = run({bin("hsm-action-shipper").string(), "--check-config", "-c", f.config_path().string()}, 30s);
    CHECK(s.exit_code == 0);
    CHECK(s.err.find("readable by every user") != std::string::npos);
}
