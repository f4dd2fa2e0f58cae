// hsm-action-top: the --run-once frame (exact table), and the interactive dashboard driven in a
// private tmux server: it bootstraps, its counts and diffs follow new events, s sorts, q quits.
#include <catch2/catch.hpp>

#include <signal.h>
#include <unistd.h>

#include <regex>

#include "event_json.hpp"
#include "fixtures.hpp"
#include "tmux.hpp"

using namespace hsm::test;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

void add_many(const RedisServer& redis, const std::string& mdt, const std::string& action,
              const std::string& status, std::uint32_t first, std::uint32_t n) {
    for (std::uint32_t i = 0; i < n; ++i) {
        EventSpec e = spec(mdt, first + i, status);
        e.action = action;
        xadd(redis, e);
    }
}

}  // namespace

TEST_CASE("top: --run-once prints one plain frame", "[tools][top]") {
    RedisServer redis;
    add_many(redis, "elm-MDT0000", "ARCHIVE", "STARTED", 1, 3);
    add_many(redis, "elm-MDT0000", "ARCHIVE", "WAITING", 100, 2);
    add_many(redis, "elm-MDT0001", "RESTORE", "STARTED", 1, 1);
    xadd(redis, "hsm:actions:elm-MDT0001", "garbage");
    auto r = run({bin("hsm-action-top").string(), "--host", "127.0.0.1", "--port", std::to_string(redis.port()),
                  "--run-once"});
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find('\033') == std::string::npos);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 14);
    CHECK(lines[0] == "--- Lustre HSM Action Dashboard ---");
    CHECK(lines[1].rfind("Time: ", 0) == 0);
    CHECK(lines[1].find(" | Redis: Connected") != std::string::npos);
    CHECK(lines[2] == "Viewer Status: Snapshot complete (6 events).");
    CHECK(lines[3].rfind("Live Actions: 6 | Total Events Processed: 6 | Last Event: ", 0) == 0);
    CHECK(lines[4] == "Shippers: none (no heartbeat under hsm:shippers:*; is hsm-action-shipper running?)");
    CHECK(lines[5].empty());
    CHECK(lines[6] == "--- Live Action Count by (MDT, Action, Status) ---");
    CHECK(lines[7] == "MDT         | ACTION  | STATUS     |      COUNT DIFF");
    CHECK(lines[8] == std::string(58, '-'));
    CHECK(lines[9] == "elm-MDT0000 | ARCHIVE | STARTED    |          3");
    CHECK(lines[10] == "elm-MDT0000 | ARCHIVE | WAITING    |          2");
    CHECK(lines[11] == "elm-MDT0001 | RESTORE | STARTED    |          1");
    CHECK(lines[12].empty());
    CHECK(lines[13] == "WARNING: 1 stream events failed to parse.");
}

// Issue #12 item 1: status, mdt and action come from the stream, written by anyone who can XADD.
// An ESC sequence set the admin's window title and cleared the screen; a newline forged lines.
TEST_CASE("top: --run-once shows control bytes in stream fields escaped", "[tools][top]") {
    RedisServer redis;
    xadd(redis, "hsm:actions:elm-MDT0000",
         R"({"event_type":"NEW","mdt":"elm-MDT0000","cat_idx":1,"rec_idx":1,"fid":"0x1:0x1:0x0",)"
         R"("action":"ARCHIVE\nforged line","status":"\u001b]0;TITLE\u0007\u001b[2J","timestamp":1})");
    xadd(redis, "hsm:actions:odd",
         R"({"event_type":"NEW","mdt":"odd\u009b\u007f","cat_idx":1,"rec_idx":2,)"
         R"("action":"RESTORE","status":"WAITING\u0085","timestamp":1})");
    auto r = run({bin("hsm-action-top").string(), "--host", "127.0.0.1", "--port", std::to_string(redis.port()),
                  "--run-once"});
    REQUIRE(r.exit_code == 0);
    for (const char c : r.out) {
        const auto u = static_cast<unsigned char>(c);
        CHECK((c == '\n' || (u >= 0x20 && u != 0x7f)));
    }
    CHECK(r.out.find("\xc2\x9b") == std::string::npos);  // C1 controls, as UTF-8
    CHECK(r.out.find("\xc2\x85") == std::string::npos);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 11);  // no forged line
    CHECK(lines[9] == R"(elm-MDT0000   | ARCHIVE\nforged line | \x1b]0;TITLE\x07\x1b[2J |          1)");
    CHECK(lines[10] == R"(odd\u009b\x7f | RESTORE              | WAITING\u0085 |          1)");
}

TEST_CASE("top: thousands separators and an empty database", "[tools][top]") {
    RedisServer redis;
    auto empty = run({bin("hsm-action-top").string(), "--port", std::to_string(redis.port()), "--run-once"});
    REQUIRE(empty.exit_code == 0);
    CHECK(empty.out.find("Live Actions: 0 | Total Events Processed: 0 | Last Event: Never") != std::string::npos);
    CHECK(empty.out.find("No live actions detected.") != std::string::npos);

    redisContext* c = redisConnect("127.0.0.1", redis.port());
    freeReplyObject(redisCommand(c, "SELECT 1"));
    for (std::uint32_t i = 0; i < 1234; ++i) {
        const std::string data = event_json(spec("elm-MDT0000", i));
        redisAppendCommand(c, "XADD hsm:actions:elm-MDT0000 * data %b", data.data(), data.size());
    }
    for (int i = 0; i < 1234; ++i) {
        void* reply = nullptr;
        redisGetReply(c, &reply);
        freeReplyObject(reply);
    }
    redisFree(c);
    auto r = run({bin("hsm-action-top").string(), "--port", std::to_string(redis.port()), "--run-once"});
    CHECK(r.out.find("Live Actions: 1,234 | Total Events Processed: 1,234") != std::string::npos);
    CHECK(r.out.find("elm-MDT0000 | ARCHIVE | WAITING    |      1,234") != std::string::npos);

    auto down = run({bin("hsm-action-top").string(), "--port", std::to_string(free_port()), "--run-once"});
    CHECK(down.exit_code == 1);
}

TEST_CASE("top: the live dashboard follows events in tmux and quits on q", "[tools][top][tmux]") {
    RedisServer redis;
    add_many(redis, "elm-MDT0000", "ARCHIVE", "WAITING", 1, 5);
    Tmux tmux;
    const std::string command = bin("hsm-action-top").string() + " --host 127.0.0.1 --port " +
                                std::to_string(redis.port()) + " --interval 0.2";
    REQUIRE(tmux.start(command));
    REQUIRE(wait_until([&] {
        const auto s = tmux.screen();
        return s.find("Listening for live updates...") != std::string::npos &&
               s.find("elm-MDT0000 | ARCHIVE | WAITING    |          5") != std::string::npos;
    }, 20s));

    add_many(redis, "elm-MDT0000", "ARCHIVE", "WAITING", 100, 3);
    add_many(redis, "elm-MDT0003", "REMOVE", "FAILED", 1, 2);
    INFO(tmux.screen());
    CHECK(wait_until([&] {
        const auto s = tmux.screen();
        return s.find("elm-MDT0000 | ARCHIVE | WAITING    |          8") != std::string::npos &&
               s.find("Live Actions: 10 |") != std::string::npos;
    }, 20s));
    // A change within one refresh shows as a diff; since the redraw may split it, any (+N) will do.
    add_many(redis, "elm-MDT0003", "REMOVE", "FAILED", 10, 1);
    CHECK(wait_until([&] { return tmux.screen().find("|          3 (+") != std::string::npos; }, 20s));

    tmux.cmd({"send-keys", "-t", "top", "s"});
    CHECK(wait_until([&] { return tmux.screen().find("Sort: ACTION") != std::string::npos; }, 10s));
    // A resize redraws at the new size: the footer moves to the new last line.
    tmux.cmd({"resize-window", "-t", "top", "-x", "70", "-y", "18"});
    CHECK(wait_until([&] {
        const auto lines = lines_of(tmux.screen());
        return lines.size() == 18 && lines.back().rfind("Sort: ACTION", 0) == 0;
    }, 10s));
    tmux.cmd({"send-keys", "-t", "top", "r"});  // reset: no diff left on screen
    CHECK(wait_until([&] { return tmux.screen().find("(+") == std::string::npos; }, 10s));
    tmux.cmd({"send-keys", "-t", "top", "q"});
    CHECK(wait_until([&] { return !tmux.alive(); }, 10s));
}

namespace {

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void heartbeat(const RedisServer& redis, const std::string& host, std::int64_t written_ms, const std::string& mdts) {
    auto r = redis.command({"HSET", "hsm:shippers:" + host, "version", "9.9.9", "mdts", mdts, "poll_interval",
                            "20.000000", "written_ms", std::to_string(written_ms), "cycle_seconds", "0.250000",
                            "events_shipped", "3456", "events_refused", "7", "reconnects", "1"});
    REQUIRE(r->type == REDIS_REPLY_INTEGER);
}

}  // namespace

TEST_CASE("top: --run-once shows one line per shipper, a stale heartbeat marked STALE", "[tools][top][heartbeat]") {
    RedisServer redis;
    add_many(redis, "elm-MDT0000", "ARCHIVE", "STARTED", 1, 1);
    heartbeat(redis, "mds1", now_ms(), "elm-MDT0000,elm-MDT0001");
    heartbeat(redis, "mds2", now_ms() - 120'000, "elm-MDT0002");
    heartbeat(redis, "mds3\x1b[2J", now_ms(), "");
    auto r = run({bin("hsm-action-top").string(), "--port", std::to_string(redis.port()), "--run-once"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() >= 8);
    CHECK(std::regex_match(lines[4], std::regex(R"(Shipper mds1: alive, last cycle [0-9]s ago \(0\.250 s\) \| )"
                                                R"(MDTs: elm-MDT0000, elm-MDT0001 \| Shipped: 3,456 \| Refused: 7 \| Reconnects: 1)")));
    CHECK(std::regex_match(lines[5], std::regex(R"(Shipper mds2: STALE, no heartbeat for 1[12][0-9]s \| MDTs: elm-MDT0002 \| .*)")));
    CHECK(lines[6].rfind(R"(Shipper mds3\x1b[2J: alive, last cycle )", 0) == 0);
    CHECK(lines[6].find("MDTs: none") != std::string::npos);
    CHECK(r.out.find('\x1b') == std::string::npos);
}

TEST_CASE("top: a user that may not read heartbeats sees why, and the actions", "[tools][top][heartbeat][acl]") {
    RedisServer redis;
    add_many(redis, "elm-MDT0000", "ARCHIVE", "STARTED", 1, 1);
    heartbeat(redis, "mds1", now_ms(), "elm-MDT0000");
    auto acl = redis.command({"ACL", "SETUSER", "ro", "on", ">pw", "~hsm:actions:*", "+@read", "+@connection"});
    REQUIRE(acl->type == REDIS_REPLY_STATUS);
    TempDir dir;
    write_file(dir / "ro.toml", "redis_username = \"ro\"\nredis_password = \"pw\"\n");
    auto r = run({bin("hsm-action-top").string(), "-c", (dir / "ro.toml").string(), "--port",
                  std::to_string(redis.port()), "--run-once"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("Shippers: heartbeats not readable (refused HGETALL hsm:shippers:mds1 for user 'ro': NOPERM"));
    CHECK_THAT(r.out, Catch::Contains("elm-MDT0000 | ARCHIVE | STARTED    |          1"));
}

TEST_CASE("top: in tmux, a real shipper shows alive, then STALE when it stops, then alive again",
          "[tools][top][tmux][heartbeat]") {
    RedisServer redis;
    TempDir dir;
    fs::create_directories(dir / "mdt" / "fs-MDT0000" / "hsm");
    write_file(dir / "mdt" / "fs-MDT0000" / "hsm" / "actions",
               "idx=[1/1] action=ARCHIVE fid=[0xa] status=WAITING\n");
    write_file(dir / "shipper.toml", "redis_host = \"127.0.0.1\"\nredis_port = " + std::to_string(redis.port()) +
                                         "\npoll_interval = 0.2\nmdt_watch_glob = \"" + (dir / "mdt" / "*" / "hsm" / "actions").string() +
                                         "\"\ncache_path = \"" + (dir / "state.bin").string() + "\"\n");
    Process shipper({bin("hsm-action-shipper").string(), "-c", (dir / "shipper.toml").string()});
    char host[256] = {};
    REQUIRE(gethostname(host, sizeof host - 1) == 0);
    Tmux tmux;
    REQUIRE(tmux.start(bin("hsm-action-top").string() + " --host 127.0.0.1 --port " + std::to_string(redis.port()) +
                       " --interval 0.2", 160, 30));
    const std::string alive = "Shipper " + std::string(host) + ": alive, last cycle ";
    const std::string stale = "Shipper " + std::string(host) + ": STALE, no heartbeat for ";
    INFO("shipper stderr:\n" << shipper.err());
    CHECK(wait_until([&] {
        const auto s = tmux.screen();
        return s.find(alive) != std::string::npos && s.find("MDTs: fs-MDT0000") != std::string::npos &&
               s.find("fs-MDT0000 | ARCHIVE | WAITING    |          1") != std::string::npos;
    }, 20s));
    // A hung shipper (stopped, so it cannot write): the MDT's line stays, the shipper goes STALE.
    shipper.signal(SIGSTOP);
    CHECK(wait_until([&] { return tmux.screen().find(stale) != std::string::npos; }, 20s));
    CHECK(tmux.screen().find("fs-MDT0000 | ARCHIVE | WAITING    |          1") != std::string::npos);
    shipper.signal(SIGCONT);
    CHECK(wait_until([&] { return tmux.screen().find(alive) != std::string::npos; }, 20s));
    tmux.cmd({"send-keys", "-t", "top", "q"});
    CHECK(wait_until([&] { return !tmux.alive(); }, 10s));
    shipper.signal(SIGTERM);
    CHECK(shipper.wait(10s) == 0);
}
