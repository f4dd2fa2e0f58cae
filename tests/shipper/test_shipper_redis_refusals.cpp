// The shipper under real Redis ACL users on a private redis-server: the README's minimal shipper
// user ships and trims; that user minus any one command is a clear error naming command and user
// and a bounded non-zero exit of --run-once / --maintenance-now; the daemon without XTRIM keeps
// shipping, retries the trim with backoff and logs the refusal once, not every cycle.
#include <catch2/catch.hpp>

#include <signal.h>

#include <fstream>
#include <sstream>

#include "shipper_fixture.hpp"

using namespace hsm::test;

namespace {

constexpr const char* kMdt = "fs-MDT0000";
constexpr const char* kPassword = "CHANGE-ME";  // the README's placeholder

// The README's `ACL SETUSER <user> ...` line, split into arguments: what an admin copies.
std::vector<std::string> readme_acl(const std::string& user) {
    std::ifstream in(std::string(HSM_SOURCE_DIR) + "/README.md");
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find("ACL SETUSER " + user + " ");
        if (at == std::string::npos) continue;
        std::istringstream words(line.substr(at));
        std::vector<std::string> argv;
        for (std::string w; words >> w;) argv.push_back(w);
        return argv;
    }
    FAIL("README.md has no 'ACL SETUSER " << user << "' line");
    return {};
}

void set_user(const RedisServer& redis, std::vector<std::string> argv, const std::string& minus = "") {
    redis.command({"ACL", "DELUSER", argv.at(2)});
    if (!minus.empty()) argv.push_back("-" + minus);
    auto r = redis.command(argv);
    REQUIRE(r->type == REDIS_REPLY_STATUS);
}

void as_shipper_user(ShipperFixture& fx) {
    fx.set("redis_username", "hsm-shipper");
    fx.set("redis_password", kPassword);
    fx.set("use_approximate_trimming", false);  // exact trimming: XTRIM runs on any stream length
}

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}


}  // namespace

TEST_CASE("shipper refusals: the README's shipper user ships, reconciles, trims and compacts", "[shipper][redis][acl]") {
    RedisServer redis;
    set_user(redis, readme_acl("hsm-shipper"));
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    fx.set("compact_retention", 0.0);  // maintenance compacts everything superseded
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"), short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    auto r = fx.run_once();
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(redis.xlen(fx.stream(kMdt)) == 2);
    // Record 1 stays WAITING (its NEW pins the trim point); record 2 changes twice: its older
    // entries sit behind record 1's, where only compaction (XDEL) can remove them.
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"), short_line(1, 2, "0xb", "ARCHIVE", "STARTED")});
    REQUIRE(fx.run_once().exit_code == 0);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"), short_line(1, 2, "0xb", "ARCHIVE", "FAILED")});
    REQUIRE(fx.run_once().exit_code == 0);
    CHECK(redis.xlen(fx.stream(kMdt)) == 4);
    // Nothing changes: maintenance reconciles, trims below record 1's NEW and compacts the two
    // superseded entries of record 2 behind it.
    r = fx.maintenance_now();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    const auto events = stream_events(redis, fx.stream(kMdt));
    REQUIRE(events.size() == 2);
    CHECK(events[0].status == "WAITING");  // record 1's NEW, still live
    CHECK(events[1].status == "FAILED");   // record 2's newest
    CHECK(acl_denials(redis, "hsm-shipper", "xtrim") == 0);
    CHECK(acl_denials(redis, "hsm-shipper", "xdel") == 0);

    // A restart finds the stream gone on past its checkpoint (an entry from another writer):
    // under the README's user it folds in only the entries after the checkpoint (XINFO STREAM
    // proves that tail whole), not the whole stream.
    redis.command({"XADD", fx.stream(kMdt), "*", "data",
                   R"({"event_type":"UPDATE","mdt":"fs-MDT0000","cat_idx":1,"rec_idx":1,"fid":"0xa","action":"ARCHIVE",)"
                   R"("status":"STARTED","timestamp":1759619200,"action_key":"0xa:ARCHIVE","raw":"x","host":"elsewhere"})"});
    r = fx.run_once();
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(count(r.err, "caught up with the stream: 1 entries after") == 1);
    CHECK(count(r.err, "XINFO STREAM refused") == 0);
}

TEST_CASE("shipper refusals: the shipper user without XDEL cannot compact, and says so", "[shipper][redis][acl]") {
    RedisServer redis;
    set_user(redis, readme_acl("hsm-shipper"));
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    fx.set("compact_retention", 0.0);
    for (const char* status : {"WAITING", "STARTED", "FAILED"}) {
        fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"), short_line(1, 2, "0xb", "ARCHIVE", status)});
        REQUIRE(fx.run_once().exit_code == 0);
    }
    set_user(redis, readme_acl("hsm-shipper"), "xdel");
    const auto r = fx.maintenance_now(30s);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("refused XDEL") != std::string::npos);
    CHECK(r.err.find("for user 'hsm-shipper'") != std::string::npos);
}

TEST_CASE("shipper refusals: the shipper user minus one command is a clear error and a non-zero exit",
          "[shipper][redis][acl]") {
    RedisServer redis;
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    // Each command the shipper uses; XTRIM only runs in maintenance (--run-once does not trim).
    for (const std::string command : {"select", "xadd", "xlen", "xrange", "xrevrange", "xtrim"}) {
        redis.command({"FLUSHALL"});
        fs::remove(fx.cache_path());
        set_user(redis, readme_acl("hsm-shipper"), command);
        fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
        const auto t0 = std::chrono::steady_clock::now();
        const auto r = command == "xtrim" ? fx.maintenance_now(30s) : fx.run_once(30s);
        const auto took = std::chrono::steady_clock::now() - t0;
        std::string upper = command;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        INFO("-" << command << "\nstderr:\n" << r.err);
        CHECK(r.exit_code == 1);
        CHECK(took < 10s);  // a refusal is not waited on like an outage
        CHECK(r.err.find("refused " + upper) != std::string::npos);
        CHECK(r.err.find("for user 'hsm-shipper'") != std::string::npos);
        CHECK(r.err.find("NOPERM") != std::string::npos);
    }
}

TEST_CASE("shipper refusals: the daemon without XTRIM keeps shipping and logs the refusal once",
          "[shipper][redis][acl]") {
    RedisServer redis;
    set_user(redis, readme_acl("hsm-shipper"), "xtrim");
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto t0 = std::chrono::steady_clock::now();
    auto daemon = fx.start_daemon();
    // Several tries, each refused (poll_interval is 0.2 s, so without backoff that would be a
    // try every cycle)...
    REQUIRE(wait_until([&] { return acl_denials(redis, "hsm-shipper", "xtrim") >= 3; }, 30s));
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED")});
    REQUIRE(wait_until([&] { return redis.xlen(fx.stream(kMdt)) == 2; }, 20s));  // ...shipping went on
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string err = daemon->err();
    INFO(err);
    // ...paced by the backoff (1 s, 2 s, 4 s...), and logged once.
    CHECK(acl_denials(redis, "hsm-shipper", "xtrim") <= 2 + static_cast<long long>(seconds));
    CHECK(count(err, "refused XTRIM") == 1);
    CHECK(count(err, "for user 'hsm-shipper'") == 1);
    CHECK(count(err, "retrying with backoff") == 1);
    // Granted: the next trim works, and the recovery is logged with the number of failures.
    redis.command({"ACL", "SETUSER", "hsm-shipper", "+xtrim"});
    CHECK(wait_until([&] { return redis.xlen(fx.stream(kMdt)) == 1; }, 40s));
    CHECK(wait_until([&] { return daemon->err().find("(trimming): working again after") != std::string::npos; }, 10s));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
}

TEST_CASE("shipper refusals: --run-once without Redis gives up after its bound, promising no retries",
          "[shipper][redis]") {
    ShipperFixture fx(free_port());  // nothing listens there
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto r = fx.run_once(60s);
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("cannot reach redis") != std::string::npos);
    CHECK(r.err.find("retrying") == std::string::npos);
}

TEST_CASE("shipper refusals: the daemon without XADD logs the refusal once, backs off, and ships when granted",
          "[shipper][redis][acl]") {
    RedisServer redis;
    set_user(redis, readme_acl("hsm-shipper"), "xadd");
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING"), short_line(1, 2, "0xb", "ARCHIVE", "WAITING")});
    const auto t0 = std::chrono::steady_clock::now();
    auto daemon = fx.start_daemon();
    REQUIRE(wait_until([&] { return acl_denials(redis, "hsm-shipper", "xadd") >= 6; }, 30s));  // 3 tries of 2 events
    // Redis counts a denial before the daemon has read the reply and logged it: on a loaded machine
    // the log line can trail the ACL LOG, so wait for it rather than read stderr at once.
    REQUIRE(wait_until([&] { return daemon->err().find("not acknowledged") != std::string::npos; }, 30s));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string err = daemon->err();
    INFO(err);
    CHECK(acl_denials(redis, "hsm-shipper", "xadd") <= 2 * (2 + static_cast<long long>(seconds)));
    CHECK(count(err, "refused XADD") == 1);
    CHECK(count(err, "not acknowledged") == 1);  // what it cost, once per streak
    redis.command({"ACL", "SETUSER", "hsm-shipper", "+xadd"});
    CHECK(wait_until([&] { return redis.xlen(fx.stream(kMdt)) == 2; }, 40s));
    CHECK(wait_until([&] { return daemon->err().find("acknowledged again") != std::string::npos; }, 10s));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
    CHECK(redis.xlen(fx.stream(kMdt)) == 2);  // each event once
}

TEST_CASE("shipper refusals: a refused heartbeat never stops shipping, is logged once, and recovers",
          "[shipper][redis][acl][heartbeat]") {
    RedisServer redis;
    set_user(redis, readme_acl("hsm-shipper"), "hset");
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    fx.set("use_approximate_trimming", true);  // keep every entry the test counts
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    auto daemon = fx.start_daemon();
    // Refused cycle after cycle (ACL LOG counts each), yet every event is shipped.
    REQUIRE(wait_until([&] { return acl_denials(redis, "hsm-shipper", "hset") >= 4; }, 30s, 50ms));
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "STARTED")});
    CHECK(wait_until([&] { return redis.xlen(fx.stream(kMdt)) == 2; }, 20s, 20ms));
    std::string err = daemon->err();
    INFO(err);
    CHECK(count(err, "refused HSET") == 1);  // one line for the whole state
    CHECK(err.find("for user 'hsm-shipper'") != std::string::npos);
    // Granted again: the next cycle writes it, and says so once.
    auto grant = redis.command({"ACL", "SETUSER", "hsm-shipper", "+hset"});
    REQUIRE(grant->type == REDIS_REPLY_STATUS);
    CHECK(wait_until([&] { return daemon->err().find("working again") != std::string::npos; }, 20s, 50ms));
    CHECK(wait_until([&] {
        auto keys = redis.command({"KEYS", "hsm:shippers:*"});
        return keys->type == REDIS_REPLY_ARRAY && keys->elements == 1;
    }, 20s, 50ms));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
}

TEST_CASE("shipper refusals: a clean stop removes the heartbeat under the README's user, and without EVAL only warns",
          "[shipper][redis][acl][heartbeat]") {
    RedisServer redis;
    set_user(redis, readme_acl("hsm-shipper"));
    ShipperFixture fx(redis.port());
    as_shipper_user(fx);
    fx.write_actions(kMdt, {short_line(1, 1, "0xa", "ARCHIVE", "WAITING")});
    const auto beats = [&] {
        auto keys = redis.command({"KEYS", "hsm:shippers:*"});
        return keys->type == REDIS_REPLY_ARRAY ? keys->elements : 0;
    };
    auto daemon = fx.start_daemon();
    REQUIRE(wait_until([&] { return beats() == 1; }, 20s, 50ms));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
    CHECK(beats() == 0);
    CHECK(acl_denials(redis, "hsm-shipper", "eval") == 0);

    set_user(redis, readme_acl("hsm-shipper"), "eval");
    daemon = fx.start_daemon();
    REQUIRE(wait_until([&] { return beats() == 1; }, 20s, 50ms));
    daemon->signal(SIGTERM);
    CHECK(daemon->wait(10s) == 0);
    const std::string err = daemon->err();
    INFO(err);
    CHECK(count(err, "not removed at stop") == 1);
    CHECK(err.find("for user 'hsm-shipper'") != std::string::npos);
    CHECK(beats() == 1);  // it expires by its TTL, as after a crash
}
