// hsm-stream-tail with a fake `lfs` on PATH: the line format, FID resolution in batches (one
// call for many events), the default filters and --show/--hide, unresolvable and invalid FIDs,
// a hung lfs that must not stall the tail, and the error when lfs is missing.
#include <catch2/catch.hpp>

#include <csignal>
#include <ctime>
#include <sys/stat.h>

#include "event_json.hpp"
#include "fixtures.hpp"
#include "tmux.hpp"

using namespace hsm::test;

namespace {

// Logs each call (one line of arguments) to $FAKE_LFS_LOG, then prints "<fid> <path>" for every
// FID argument except those whose object id is 0xdead, which it reports as not found.
constexpr const char* kFakeLfs = R"(#!/bin/sh
echo "$@" >> "$FAKE_LFS_LOG"
[ -n "$FAKE_LFS_SLEEP" ] && sleep "$FAKE_LFS_SLEEP"
shift 3
for f in "$@"; do
  case "$f" in
    *:0xdead:*) echo "lfs fid2path: cannot find $f: No such file or directory" >&2 ;;
    *) fid=$(echo "$f" | tr -d '[]'); echo "$f /lustre/data/file-$fid" ;;
  esac
done
)";

struct FakeLfs {
    TempDir dir;
    FakeLfs() {
        write_file(dir / "bin" / "lfs", kFakeLfs);
        ::chmod((dir / "bin" / "lfs").c_str(), 0755);
    }
    std::map<std::string, std::string> env(const std::string& sleep = "") const {
        std::map<std::string, std::string> e = {{"PATH", (dir / "bin").string() + ":/usr/bin:/bin"},
                                                {"FAKE_LFS_LOG", (dir / "calls").string()}};
        if (!sleep.empty()) e["FAKE_LFS_SLEEP"] = sleep;
        return e;
    }
    std::vector<std::string> calls() const {
        std::vector<std::string> out;
        std::istringstream in(fs::exists(dir / "calls") ? read_file(dir / "calls") : "");
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
};

std::vector<std::string> tail_argv(const RedisServer& redis, std::vector<std::string> extra) {
    std::vector<std::string> argv = {bin("hsm-stream-tail").string(), "--host", "127.0.0.1", "--port",
                                     std::to_string(redis.port()), "--mountpoint", "/lustre"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

std::string local(std::int64_t t) {
    std::time_t tt = t;
    std::tm tm{};
    localtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// NEW, UPDATE, PURGED and a refresh of one file, one unresolvable FID and one invalid FID.
std::vector<std::string> write_sample(const RedisServer& redis) {
    std::vector<std::string> ids;
    EventSpec e = spec("elm-MDT0001", 1);
    e.action = "RESTORE";
    e.fid = "0x200000400:0x1:0x0";
    ids.push_back(xadd(redis, e));
    e.type = "UPDATE";
    e.status = "STARTED";
    e.timestamp += 2;
    ids.push_back(xadd(redis, e));
    EventSpec refresh = e;
    refresh.extra = R"("refresh": true)";
    ids.push_back(xadd(redis, refresh));
    EventSpec purged = e;
    purged.type = "PURGED";
    purged.status = "PURGED";
    ids.push_back(xadd(redis, purged));
    EventSpec gone = spec("elm-MDT0002", 7, "SUCCEED");
    gone.fid = "0x200000400:0xdead:0x0";
    ids.push_back(xadd(redis, gone));
    EventSpec evil = spec("elm-MDT0002", 8, "FAILED");
    evil.fid = "$(touch /tmp/pwned);x";
    ids.push_back(xadd(redis, evil));
    return ids;
}

}  // namespace

TEST_CASE("tail: formats lines and resolves every FID with one lfs call", "[tools][tail]") {
    RedisServer redis;
    FakeLfs lfs;
    const auto ids = write_sample(redis);
    auto r = run(tail_argv(redis, {"--run-once"}), 30s, lfs.env());
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.find("Tailing streams with prefix 'hsm:actions:*'. Press Ctrl+C to exit.") != std::string::npos);
    const std::int64_t t = 1759619143;
    const std::vector<std::string> expected = {
        local(t) + " [elm-MDT0001] RESTORE  WAITING  -> /lustre/data/file-0x200000400:0x1:0x0 (id: " + ids[0] + ")",
        local(t + 2) + " [elm-MDT0001] RESTORE  STARTED  -> /lustre/data/file-0x200000400:0x1:0x0 (id: " + ids[1] + ")",
        local(t) + " [elm-MDT0002] ARCHIVE  SUCCEED  -> (path for 0x200000400:0xdead:0x0 not found) (id: " + ids[4] + ")",
        local(t) + " [elm-MDT0002] ARCHIVE  FAILED   -> (path for $(touch /tmp/pwned);x not found) (id: " + ids[5] + ")",
    };
    CHECK(lines_of(r.out) == expected);
    CHECK(r.out.find('\033') == std::string::npos);  // not a terminal: no colours
    const auto calls = lfs.calls();
    REQUIRE(calls.size() == 1);
    CHECK(calls[0] == "fid2path --print-fid /lustre [0x200000400:0x1:0x0] [0x200000400:0xdead:0x0]");
}

TEST_CASE("tail: --show brings back PURGED and refresh events, --hide removes more", "[tools][tail]") {
    RedisServer redis;
    FakeLfs lfs;
    const auto ids = write_sample(redis);
    auto shown = run(tail_argv(redis, {"--run-once", "--show", "purged", "REFRESH"}), 30s, lfs.env());
    REQUIRE(shown.exit_code == 0);
    const auto lines = lines_of(shown.out);
    REQUIRE(lines.size() == 6);
    CHECK(lines[2].find("(id: " + ids[2] + ")") != std::string::npos);
    CHECK(lines[3].find("RESTORE  PURGED   -> /lustre/data/file-0x200000400:0x1:0x0") != std::string::npos);

    auto hidden = run(tail_argv(redis, {"--run-once", "--hide", "STARTED", "ARCHIVE"}), 30s, lfs.env());
    REQUIRE(hidden.exit_code == 0);
    REQUIRE(lines_of(hidden.out).size() == 1);
    CHECK(hidden.out.find("RESTORE  WAITING") != std::string::npos);

    auto raw = run(tail_argv(redis, {"--run-once", "--no-resolve"}), 30s, {{"PATH", "/usr/bin:/bin"}});
    REQUIRE(raw.exit_code == 0);
    CHECK(lines_of(raw.out)[0].find("RESTORE  WAITING  -> [0x200000400:0x1:0x0] (id: ") != std::string::npos);
}

TEST_CASE("tail: a burst of events costs a few lfs calls, not one per event", "[tools][tail]") {
    RedisServer redis;
    FakeLfs lfs;
    Process tail(tail_argv(redis, {}), lfs.env());  // following from now
    REQUIRE(wait_until([&] { return tail.err().find("Tailing streams") != std::string::npos; }, 10s));
    // The tail follows from its first discovery, which it does not announce: add events until
    // one shows, then count from there.
    REQUIRE(wait_until([&] {
        if (!lines_of(tail.out()).empty()) return true;
        xadd(redis, spec("elm-MDT0000", 1));
        return false;
    }, 30s, 300ms));
    REQUIRE(wait_until([&] { return lfs.calls().size() >= 1; }, 10s));
    const std::size_t before = lines_of(tail.out()).size();
    const std::size_t calls_before = lfs.calls().size();

    redisContext* c = redisConnect("127.0.0.1", redis.port());
    freeReplyObject(redisCommand(c, "SELECT 1"));
    constexpr int kBurst = 2000;
    for (int i = 0; i < kBurst; ++i) {
        EventSpec e = spec("elm-MDT0000", static_cast<std::uint32_t>(100 + i));
        e.fid = "0x200000400:0x" + std::to_string(1000 + i) + ":0x0";
        const std::string data = event_json(e);
        redisAppendCommand(c, "XADD hsm:actions:elm-MDT0000 * data %b", data.data(), data.size());
    }
    for (int i = 0; i < kBurst; ++i) {
        void* reply = nullptr;
        redisGetReply(c, &reply);
        freeReplyObject(reply);
    }
    redisFree(c);
    // >=: a warm-up event still in its gathering window may print after `before` was taken.
    REQUIRE(wait_until([&] { return lines_of(tail.out()).size() >= before + kBurst; }, 30s));
    const auto out = tail.out();
    CHECK(out.find("-> /lustre/data/file-0x200000400:0x2999:0x0") != std::string::npos);
    CHECK(out.find("not found") == std::string::npos);
    // 2000 FIDs, at most 1000 per call, gathered for 200 ms: a handful of calls, even on a
    // loaded machine where a burst is read in more pieces (one call per event would be 2000).
    CHECK(lfs.calls().size() - calls_before <= 20);
    tail.signal(SIGTERM);
    CHECK(tail.wait(10s) == 0);
}

TEST_CASE("tail: a hung lfs does not stall the tail", "[tools][tail]") {
    RedisServer redis;
    FakeLfs lfs;
    write_sample(redis);
    TempDir dir;
    write_file(dir / "t.toml", "lfs_timeout = 0.5\n");
    const auto start = std::chrono::steady_clock::now();
    auto r = run(tail_argv(redis, {"--run-once", "-c", (dir / "t.toml").string()}), 30s, lfs.env("20"));
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(r.exit_code == 0);
    CHECK(took < 10s);
    CHECK(lines_of(r.out).size() == 4);
    CHECK(r.out.find("-> (path for 0x200000400:0x1:0x0 not found)") != std::string::npos);
    CHECK(r.err.find("did not answer") != std::string::npos);
}

TEST_CASE("tail: clear errors for a missing lfs or mountpoint", "[tools][tail]") {
    RedisServer redis;
    auto no_lfs = run(tail_argv(redis, {"--run-once"}), 30s, {{"PATH", "/nonexistent"}});
    CHECK(no_lfs.exit_code == 1);
    CHECK(no_lfs.err.find("'lfs' not found") != std::string::npos);

    FakeLfs lfs;
    auto no_mount = run({bin("hsm-stream-tail").string(), "--port", std::to_string(redis.port()), "--run-once"},
                        30s, lfs.env());
    CHECK(no_mount.exit_code == 2);
    CHECK(no_mount.err.find("--mountpoint") != std::string::npos);
}

TEST_CASE("tail: colours on a terminal, none with NO_COLOR", "[tools][tail][tmux]") {
    RedisServer redis;
    write_sample(redis);
    const std::string tail = bin("hsm-stream-tail").string() + " --host 127.0.0.1 --port " +
                             std::to_string(redis.port()) + " --run-once --no-resolve";
    const auto shows = [](const Tmux& t) {
        return wait_until([&] { return t.screen().find("FAILED") != std::string::npos; }, 20s);
    };
    Tmux colour;
    REQUIRE(colour.start(tail + "; sleep 60"));
    REQUIRE(shows(colour));
    const std::string painted = colour.screen(true);
    CHECK(painted.find("\033[") != std::string::npos);  // tmux re-encodes, but escapes are there

    Tmux plain;
    REQUIRE(plain.start("NO_COLOR=1 " + tail + "; sleep 60"));
    REQUIRE(shows(plain));
    const std::string bare = plain.screen(true);
    CHECK(bare.find("\033[") == std::string::npos);
}
