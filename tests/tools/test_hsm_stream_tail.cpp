// hsm-stream-tail with the `lfs` stand-in on PATH: the line format, FID resolution with every
// client version (2.12 to 2.16) in batches where the client allows it, slow, stalling, hung and
// failing lfs, control bytes from lfs or the stream shown escaped, the default filters and
// --show/--hide, events without record indices, and the error when lfs is missing.
#include <catch2/catch.hpp>

#include <csignal>
#include <ctime>
#include <sys/stat.h>

#include "event_json.hpp"
#include "fixtures.hpp"
#include "tmux.hpp"

using namespace hsm::test;

namespace {

// The `lfs` stand-in (tests/support/fake_lfs.cpp) on PATH, as one client version answers: every
// FID resolves to /lustre/data/file-<fid> unless the tree file says otherwise; object id 0xdead
// is never found.
struct FakeLfs {
    TempDir dir;
    std::string version;
    explicit FakeLfs(std::string v = "2.16") : version(std::move(v)) {
        fs::create_directories(dir / "bin");
        fs::create_symlink(HSM_FAKE_LFS, dir / "bin" / "lfs");
    }
    // `<fid>\t<path below /lustre>` per hard link, or `<fid>\t!<error message>`.
    void tree(const std::string& lines) const { write_file(dir / "tree", lines); }
    std::map<std::string, std::string> env(std::map<std::string, std::string> more = {}) const {
        std::map<std::string, std::string> e = {{"PATH", (dir / "bin").string() + ":/usr/bin:/bin"},
                                                {"FAKE_LFS_LOG", (dir / "calls").string()},
                                                {"FAKE_LFS_VERSION", version},
                                                {"FAKE_LFS_PATTERN", "data/file-"},
                                                {"FAKE_LFS_TREE", (dir / "tree").string()}};
        for (auto& [k, v] : more) e[k] = v;
        return e;
    }
    std::vector<std::string> calls() const {
        std::vector<std::string> out;
        std::istringstream in(fs::exists(dir / "calls") ? read_file(dir / "calls") : "");
        for (std::string line; std::getline(in, line);) out.push_back(line);
        return out;
    }
};

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

std::vector<std::string> tail_argv(const RedisServer& redis, std::vector<std::string> extra,
                                   const std::string& mountpoint = "/lustre") {
    std::vector<std::string> argv = {bin("hsm-stream-tail").string(), "--host", "127.0.0.1", "--port",
                                     std::to_string(redis.port()), "--mountpoint", mountpoint};
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

TEST_CASE("tail: formats lines and resolves every FID", "[tools][tail]") {
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
    REQUIRE(calls.size() == 2);  // the first call asks one FID (it finds out the form), then a batch
    CHECK(calls[0] == "fid2path --print-fid --print0 /lustre [0x200000400:0x1:0x0]");
    CHECK(calls[1] == "fid2path --print-fid --print0 /lustre [0x200000400:0xdead:0x0]");
    CHECK(r.err.find("failed") == std::string::npos);  // a FID that does not exist is no failure
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
    auto r = run(tail_argv(redis, {"--run-once", "-c", (dir / "t.toml").string()}), 30s,
                 lfs.env({{"FAKE_LFS_DELAY_MS", "20000"}}));
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(r.exit_code == 0);
    CHECK(took < 10s);
    CHECK(lines_of(r.out).size() == 4);
    CHECK(r.out.find("-> (path for 0x200000400:0x1:0x0 not found)") != std::string::npos);
    CHECK(count(r.err, "gave no answer within 500 ms; path resolution paused for 30 s") == 1);
    CHECK(lfs.calls().size() == 1);  // paused: no second call
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

namespace {

// Adds one event per FID to elm-MDT0000 (record numbers from `first_rec`).
void add_events(const RedisServer& redis, const std::vector<std::string>& fids, std::uint32_t first_rec) {
    for (std::size_t i = 0; i < fids.size(); ++i) {
        EventSpec e = spec("elm-MDT0000", first_rec + static_cast<std::uint32_t>(i));
        e.fid = fids[i];
        xadd(redis, e);
    }
}

std::vector<std::string> numbered_fids(int n, int from = 0x1000) {
    std::vector<std::string> out;
    char buf[64];
    for (int i = 0; i < n; ++i) {
        std::snprintf(buf, sizeof buf, "0x200000400:0x%x:0x0", from + i);
        out.push_back(buf);
    }
    return out;
}

// Calls of the log that hold `needle`.
std::size_t calls_with(const std::vector<std::string>& calls, const std::string& needle) {
    return static_cast<std::size_t>(std::count_if(calls.begin(), calls.end(),
                                                  [&](const std::string& c) { return c.find(needle) != std::string::npos; }));
}

bool has_lines(const Process& p, std::size_t n) { return lines_of(p.out()).size() >= n; }

}  // namespace

TEST_CASE("tail: resolves paths with the 2.12, 2.14, 2.15 and 2.16 lfs, finding out the form once",
          "[tools][tail][lfs]") {
    const std::string version = GENERATE(as<std::string>{}, "2.12", "2.14", "2.15", "2.16");
    CAPTURE(version);
    RedisServer redis;
    FakeLfs lfs(version);
    // Two hard links (the first is shown), a name with a newline, one with a terminal escape,
    // a FID that does not exist.
    lfs.tree("0x200000400:0x10:0x0\tdata/a\n0x200000400:0x10:0x0\tother/a-link\n"
             "0x200000400:0x11:0x0\tdata/new\\nline\n"
             "0x200000400:0x12:0x0\tdata/\033]0;owned\007title\n");
    add_events(redis, {"0x200000400:0x10:0x0", "0x200000400:0x11:0x0", "0x200000400:0x12:0x0",
                       "0x200000400:0xdead:0x0"}, 1);
    Process tail(tail_argv(redis, {"--from-beginning", "--log-level", "debug"}), lfs.env());
    REQUIRE(wait_until([&] { return has_lines(tail, 4); }, 30s));
    add_events(redis, {"0x200000400:0x20:0x0", "0x200000400:0x21:0x0"}, 10);  // a second gathering
    REQUIRE(wait_until([&] { return has_lines(tail, 6); }, 30s));
    tail.signal(SIGTERM);
    REQUIRE(tail.wait(10s) == 0);

    const auto lines = lines_of(tail.out());
    REQUIRE(lines.size() == 6);
    CHECK(lines[0].find("-> /lustre/data/a (id: ") != std::string::npos);
    CHECK(lines[1].find("-> /lustre/data/new\\nline (id: ") != std::string::npos);
    CHECK(lines[2].find("-> /lustre/data/\\x1b]0;owned\\x07title (id: ") != std::string::npos);
    CHECK(lines[3].find("-> (path for 0x200000400:0xdead:0x0 not found)") != std::string::npos);
    CHECK(lines[4].find("-> /lustre/data/file-0x200000400:0x20:0x0 (id: ") != std::string::npos);
    CHECK(lines[5].find("-> /lustre/data/file-0x200000400:0x21:0x0 (id: ") != std::string::npos);
    CHECK(tail.out().find('\033') == std::string::npos);
    CHECK(tail.err().find("failed") == std::string::npos);  // a missing FID is not a failure
    CHECK(tail.err().find("paused") == std::string::npos);

    const auto calls = lfs.calls();
    CAPTURE(calls);
    // The best form is tried once; an older client rejects it once and is not asked it again.
    CHECK(calls_with(calls, "--print0") == (version == "2.16" ? calls.size() : 1));
    if (version == "2.15") {
        CHECK(calls_with(calls, "fid2path --print-fid /lustre ") == calls.size() - 1);
        CHECK(count(tail.err(), "lfs fid2path: using --print-fid, many FIDs per call") == 1);
    }
    if (version == "2.12" || version == "2.14") {
        // It names --print-fid as the option it does not know: no try of --print-fid alone.
        CHECK(calls_with(calls, "fid2path --print-fid /lustre ") == 0);
        // Then one FID per call, each asked once, for its first link only.
        CHECK(calls_with(calls, "fid2path --link 0 /lustre [") == 6);
        CHECK(calls.size() == 7);
        for (const auto& c : calls)
            if (c.find("--link 0") != std::string::npos) CHECK(count(c, "[") == 1);
        CHECK(count(tail.err(), "lfs fid2path: using --link 0, one FID per call") == 1);
    }
}

TEST_CASE("tail: a slow lfs (300 FIDs at 20 ms each) resolves every FID", "[tools][tail][lfs]") {
    const std::string version = GENERATE(as<std::string>{}, "2.12", "2.14", "2.15", "2.16");
    CAPTURE(version);
    RedisServer redis;
    FakeLfs lfs(version);
    add_events(redis, numbered_fids(300), 1);
    auto r = run(tail_argv(redis, {"--run-once"}), 120s, lfs.env({{"FAKE_LFS_DELAY_MS", "20"}}));
    REQUIRE(r.exit_code == 0);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 300);
    CHECK(count(r.out, "-> /lustre/data/file-0x200000400:0x") == 300);
    CHECK(r.out.find("not found") == std::string::npos);
    CHECK(r.err.find("paused") == std::string::npos);
}

TEST_CASE("tail: answers received before lfs hangs are used, the FID it hangs on is given up",
          "[tools][tail][lfs]") {
    const std::string version = GENERATE(as<std::string>{}, "2.12", "2.16");
    CAPTURE(version);
    RedisServer redis;
    FakeLfs lfs(version);
    const auto fids = numbered_fids(300);
    const std::string stuck = fids[150];
    lfs.tree(stuck + "\t~\n");  // lfs never returns from this FID's look-up
    add_events(redis, fids, 1);
    TempDir dir;
    write_file(dir / "t.toml", "lfs_timeout = 0.5\n");
    auto r = run(tail_argv(redis, {"--run-once", "-c", (dir / "t.toml").string()}), 60s, lfs.env());
    REQUIRE(r.exit_code == 0);
    CHECK(count(r.out, "-> /lustre/data/file-0x200000400:0x") == 299);
    CHECK(r.out.find("(path for " + stuck + " not found)") != std::string::npos);
    CHECK(count(r.err, "no answer for [" + stuck + "] within 500 ms while other FIDs resolve") == 1);
    CHECK(r.err.find("paused") == std::string::npos);
    // The call that hung was killed; what it had answered was used, not asked again.
    const auto calls = lfs.calls();
    CHECK(calls_with(calls, "[" + stuck + "]") == 1);
    for (const auto& call : calls) {
        const auto at = call.find("[" + stuck + "]");
        if (at == std::string::npos) continue;
        std::istringstream before(call.substr(0, at));
        for (std::string word; before >> word;)
            if (word.front() == '[') CHECK(calls_with(calls, word) == 1);
    }
}

TEST_CASE("tail: the batch size follows a slow lfs", "[tools][tail][lfs]") {
    RedisServer redis;
    FakeLfs lfs("2.16");
    TempDir dir;
    write_file(dir / "t.toml", "lfs_timeout = 1.0\n");
    add_events(redis, numbered_fids(60), 1);
    Process tail(tail_argv(redis, {"--from-beginning", "-c", (dir / "t.toml").string()}),
                 lfs.env({{"FAKE_LFS_DELAY_MS", "20"}}));
    REQUIRE(wait_until([&] { return has_lines(tail, 60); }, 60s));
    const std::size_t first_calls = lfs.calls().size();
    add_events(redis, numbered_fids(200, 0x2000), 100);
    REQUIRE(wait_until([&] { return has_lines(tail, 260); }, 60s));
    tail.signal(SIGTERM);
    REQUIRE(tail.wait(10s) == 0);
    CHECK(count(tail.out(), "-> /lustre/data/file-0x200000400:0x") == 260);
    // About 20 ms per FID measured: calls of about half the 1 s deadline, ~25 FIDs each, where
    // the first calls took up to 1,000 (a loaded machine measures slower, so fewer, not more).
    const auto calls = lfs.calls();
    REQUIRE(calls.size() > first_calls);
    for (std::size_t i = first_calls; i < calls.size(); ++i) CHECK(count(calls[i], "[") <= 30);
    CHECK(calls.size() - first_calls >= 7);
}

TEST_CASE("tail: lfs failures other than a missing FID are reported once, in lfs's words", "[tools][tail][lfs]") {
    RedisServer redis;
    const auto follow_two_gatherings = [&](const FakeLfs& lfs, const std::string& mountpoint = "/lustre") {
        add_events(redis, numbered_fids(3, 0x100), 1);
        auto p = std::make_unique<Process>(tail_argv(redis, {"--from-beginning"}, mountpoint), lfs.env());
        REQUIRE(wait_until([&] { return has_lines(*p, 3); }, 30s));
        add_events(redis, numbered_fids(3, 0x200), 10);
        REQUIRE(wait_until([&] { return has_lines(*p, 6); }, 30s));
        p->signal(SIGTERM);
        REQUIRE(p->wait(10s) == 0);
        return p;
    };

    SECTION("not a Lustre mount point, with every client version") {
        const std::string version = GENERATE(as<std::string>{}, "2.12", "2.15", "2.16");
        CAPTURE(version);
        FakeLfs lfs(version);
        auto tail = follow_two_gatherings(lfs, "/scratch");
        CHECK(count(tail->out(), "not found)") == 6);
        CHECK(count(tail->err(), "cannot resolve mount point for '/scratch': No such device") == 1);
        CHECK(calls_with(lfs.calls(), " /scratch [") >= 2);  // asked again at the next gathering
    }
    SECTION("permission denied on some FIDs; the others resolve") {
        FakeLfs lfs("2.16");
        lfs.tree("0x200000400:0x101:0x0\t!Permission denied\n0x200000400:0x201:0x0\t!Permission denied\n");
        auto tail = follow_two_gatherings(lfs);
        CHECK(count(tail->out(), "-> /lustre/data/file-") == 4);
        CHECK(count(tail->out(), "not found)") == 2);
        CHECK(count(tail->err(), "Permission denied") == 1);
        CHECK(tail->err().find("cannot find /lustre [0x200000400:0x101:0x0]: Permission denied") != std::string::npos);
    }
    SECTION("control bytes in lfs's message are shown escaped") {
        FakeLfs lfs("2.12");
        lfs.tree("0x200000400:0x101:0x0\t!No\033[2J access\n");
        auto tail = follow_two_gatherings(lfs);
        CHECK(count(tail->err(), "cannot find '[0x200000400:0x101:0x0]': No\\x1b[2J access") == 1);
        CHECK(tail->err().find('\033') == std::string::npos);
    }
    SECTION("an lfs that rejects every form") {
        FakeLfs lfs;
        fs::remove(lfs.dir / "bin" / "lfs");
        write_file(lfs.dir / "bin" / "lfs", "#!/bin/sh\necho \"$@\" >> \"$FAKE_LFS_LOG\"\n"
                                            "echo \"lfs: unrecognized option '$2'\" >&2\nexit 4\n");
        ::chmod((lfs.dir / "bin" / "lfs").c_str(), 0755);
        auto tail = follow_two_gatherings(lfs);
        CHECK(count(tail->out(), "not found)") == 6);
        CHECK(count(tail->err(), "accepts none of the fid2path forms") == 1);
        CHECK(count(tail->err(), "unrecognized option '--link'") == 1);
        CHECK(lfs.calls().size() == 2);  // --print-fid rejected by name, then --link 0: no more calls
        CHECK(calls_with(lfs.calls(), "--link 0") == 1);
    }
}

TEST_CASE("tail: an UPDATE without cat_idx is printed", "[tools][tail]") {
    RedisServer redis;
    FakeLfs lfs;
    const std::string id = xadd(redis, stream_of("elm-MDT0001"),
                                R"({"event_type": "UPDATE", "mdt": "elm-MDT0001", "fid": "0x200000400:0x5:0x0", )"
                                R"("action": "RESTORE", "status": "STARTED", "timestamp": 1759619143})");
    auto r = run(tail_argv(redis, {"--run-once"}), 30s, lfs.env());
    REQUIRE(r.exit_code == 0);
    CHECK(lines_of(r.out) == std::vector<std::string>{
        local(1759619143) + " [elm-MDT0001] RESTORE  STARTED  -> /lustre/data/file-0x200000400:0x5:0x0 (id: " + id + ")"});
    CHECK(r.err.find("skipping") == std::string::npos);
}

// Issue #12's finding: a status of ESC ] 0 ; TITLE BEL ESC [ 2 J set the admin's window title and
// cleared the screen, and a newline in a field forged an extra output line. Anyone who can XADD
// reaches this output, so every field from the stream is shown escaped.
TEST_CASE("tail: control bytes in stream fields are shown escaped and forge no line", "[tools][tail]") {
    RedisServer redis;
    FakeLfs lfs;
    const std::string id = xadd(redis, stream_of("elm-MDT0001"),
                                R"({"event_type": "NEW", "mdt": "elm\u001b[31mMDT", "cat_idx": 1, "rec_idx": 2, )"
                                R"("fid": "0x200000400:0xdead:0x0\n2099-01-01 forged", "action": "ARC\u009bHIVE", )"
                                R"("status": "\u001b]0;TITLE\u0007\u001b[2J", "timestamp": 1759619143})");
    auto r = run(tail_argv(redis, {"--run-once"}), 30s, lfs.env());
    REQUIRE(r.exit_code == 0);
    INFO(r.out);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 1);  // the newline in the FID forged no second line
    CHECK(lines[0] == local(1759619143) + " [elm\\x1b[31mMDT] ARC\\u009bHIVE \\x1b]0;TITLE\\x07\\x1b[2J"
                                          " -> (path for 0x200000400:0xdead:0x0\\n2099-01-01 forged not found) (id: " + id + ")");
    for (const char c : {'\033', '\007'}) CHECK(r.out.find(c) == std::string::npos);
    CHECK(r.out.find("\xc2\x9b") == std::string::npos);  // C1 CSI as UTF-8
}
