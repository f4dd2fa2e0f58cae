// The consumer tools under real Redis ACL users and real server states, on a private redis-server:
// the README's minimal reader user works for every tool; that user minus any one command is a
// clear refusal (command and user named) and a bounded exit for one-shot runs, and a logged,
// backed-off retry in follow mode; a read-only user without MULTI/EXEC reads real data, never
// "empty"; a busy server (a real BUSY from a running script) is waited out, not reported.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "event_json.hpp"
#include "fixtures.hpp"
#include "tmux.hpp"

using namespace hsm::test;

namespace {

constexpr const char* kPassword = "CHANGE-ME";  // the README's placeholder, used as is

// The `ACL SETUSER <user> ...` line for `user` as README.md gives it, split into arguments:
// the test runs exactly what an admin copies.
std::vector<std::string> readme_acl(const std::string& user) {
    std::ifstream in(std::string(HSM_SOURCE_DIR) + "/README.md");
    std::string line;
    while (std::getline(in, line)) {
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

void acl(const RedisServer& redis, const std::vector<std::string>& argv) {
    auto r = redis.command(argv);
    INFO((argv.size() > 2 ? argv[2] : std::string()));
    REQUIRE(r->type == REDIS_REPLY_STATUS);
}

// Three live actions on two MDTs.
void write_three_live(const RedisServer& redis) {
    xadd(redis, spec("elm-MDT0000", 1));
    xadd(redis, spec("elm-MDT0000", 2));
    EventSpec other = spec("elm-MDT0001", 1);
    other.fid = "0x240000400:0xa:0x0";
    xadd(redis, other);
}

fs::path config(const TempDir& dir, const RedisServer& redis, const std::string& user) {
    const fs::path path = dir / (user + ".toml");
    std::ofstream(path) << "redis_host = \"127.0.0.1\"\nredis_port = " << redis.port()
                        << "\nredis_username = \"" << user << "\"\nredis_password = \"" << kPassword << "\"\n";
    return path;
}

struct Tool {
    std::string name;
    std::vector<std::string> one_shot_flags;
    std::string shows_three;  // what its output holds when it read the three live actions
};

const std::vector<Tool>& tools() {
    static const std::vector<Tool> t = {
        {"hsm-stream-stats", {}, "\"total_live_actions\": 3"},
        {"hsm-action-top", {"--run-once"}, "Live Actions: 3 |"},
        {"hsm-stream-tail", {"--run-once", "--no-resolve"}, "0x240000400:0xa:0x0"},
    };
    return t;
}

std::vector<std::string> argv_of(const Tool& t, const fs::path& cfg, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {bin(t.name).string(), "-c", cfg.string()};
    argv.insert(argv.end(), t.one_shot_flags.begin(), t.one_shot_flags.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}


}  // namespace

TEST_CASE("refusals: every consumer tool works under the README's reader user and a read-only user",
          "[tools][redis][acl]") {
    RedisServer redis;
    write_three_live(redis);
    acl(redis, readme_acl("hsm-reader"));
    // The usual monitoring user: no MULTI/EXEC (the snapshot falls back to plain reads).
    acl(redis, {"ACL", "SETUSER", "ro", "on", std::string(">") + kPassword, "~hsm:actions:*", "+@read", "+@connection"});
    TempDir dir;
    for (const std::string user : {"hsm-reader", "ro"})
        for (const auto& tool : tools()) {
            auto r = run(argv_of(tool, config(dir, redis, user)), 30s);
            INFO(user << " " << tool.name << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out.find(tool.shows_three) != std::string::npos);
            if (tool.name == "hsm-stream-tail") CHECK(count_of(r.out, "WAITING") == 3);
        }
}

TEST_CASE("refusals: the reader user minus one command is a clear error and a bounded exit",
          "[tools][redis][acl]") {
    RedisServer redis;
    write_three_live(redis);
    TempDir dir;
    const fs::path cfg = config(dir, redis, "hsm-reader");
    for (const std::string command : {"select", "scan", "xread", "xlen", "xrange", "xrevrange"}) {
        redis.command({"ACL", "DELUSER", "hsm-reader"});  // starts from the README line each time
        auto line = readme_acl("hsm-reader");
        line.push_back("-" + command);
        acl(redis, line);
        std::string upper = command;
        for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        for (const auto& tool : tools()) {
            const auto t0 = std::chrono::steady_clock::now();
            auto r = run(argv_of(tool, cfg), 30s);
            const auto took = std::chrono::steady_clock::now() - t0;
            INFO("-" << command << " " << tool.name << "\nstdout:\n" << r.out << "\nstderr:\n" << r.err);
            CHECK(r.exit_code == 1);  // by itself: a kill after the 30 s would be 137
            CHECK(took < 10s);
            CHECK(r.out.empty());     // never a report of data it did not read
            CHECK(r.err.find("refused " + upper) != std::string::npos);
            CHECK(r.err.find("for user 'hsm-reader'") != std::string::npos);
            CHECK(r.err.find("NOPERM") != std::string::npos);
            CHECK(r.err.find("retrying") == std::string::npos);  // a one-shot run does not promise retries
        }
    }
}

TEST_CASE("refusals: tail in follow mode logs a refusal once, backs off, and recovers when granted",
          "[tools][redis][acl][tail]") {
    RedisServer redis;
    write_three_live(redis);
    auto line = readme_acl("hsm-reader");
    line.push_back("-scan");
    acl(redis, line);
    TempDir dir;
    const auto t0 = std::chrono::steady_clock::now();
    Process tail({bin("hsm-stream-tail").string(), "-c", config(dir, redis, "hsm-reader").string(), "--no-resolve",
                  "--log-level", "info"});
    // A retry happened (so this is not the first attempt's line only)...
    REQUIRE(wait_until([&] { return acl_denials(redis, "hsm-reader", "scan") >= 3; }, 20s));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::string err = tail.err();
    INFO(err);
    // ...yet one line for the whole state, and attempts paced by the backoff (1 s, 2 s, 4 s...),
    // not the thousands per second a reconnect loop makes.
    CHECK(count_of(err, "refused SCAN for user 'hsm-reader'") == 1);
    CHECK(err.find("retrying with backoff") != std::string::npos);
    CHECK(acl_denials(redis, "hsm-reader", "scan") <= 2 + static_cast<long long>(seconds));
    CHECK(tail.out().empty());

    acl(redis, {"ACL", "SETUSER", "hsm-reader", "+scan"});
    CHECK(wait_until([&] { return tail.err().find("working again after") != std::string::npos; }, 40s));
    // Following from now: the history is not printed as new, a new event is.
    EventSpec fresh = spec("elm-MDT0001", 9, "STARTED");
    fresh.fid = "0x240000400:0x99:0x0";
    CHECK(wait_until([&] {
        if (tail.out().find(fresh.fid) != std::string::npos) return true;
        xadd(redis, fresh);  // until it is seen: the first ones may predate the discovery
        return false;
    }, 20s, 500ms));
    CHECK(count_of(tail.out(), "0x240000400:0xa:0x0") == 0);
    tail.signal(SIGTERM);
    CHECK(tail.wait(10s) == 0);
}

TEST_CASE("refusals: tail in follow mode under a read-only user prints new events only",
          "[tools][redis][acl][tail]") {
    RedisServer redis;
    write_three_live(redis);
    acl(redis, {"ACL", "SETUSER", "ro", "on", std::string(">") + kPassword, "~hsm:actions:*", "+@read", "+@connection"});
    TempDir dir;
    Process tail({bin("hsm-stream-tail").string(), "-c", config(dir, redis, "ro").string(), "--no-resolve",
                  "--log-level", "info"});
    // Both streams discovered (with their real ends, not "empty") before the new event.
    REQUIRE(wait_until([&] { return tail.err().find("reading stream hsm:actions:elm-MDT0001 (1 entries)") != std::string::npos; }, 20s));
    EventSpec fresh = spec("elm-MDT0000", 7, "STARTED");
    fresh.fid = "0x200000400:0x77:0x0";
    xadd(redis, fresh);
    CHECK(wait_until([&] { return tail.out().find(fresh.fid) != std::string::npos; }, 20s));
    INFO(tail.out());
    CHECK(count_of(tail.out(), "\n") == 1);
    tail.signal(SIGTERM);
    CHECK(tail.wait(10s) == 0);
}

namespace {

// A real BUSY: a script that never ends, on a server told to answer BUSY after 100 ms of it.
class BusyScript {
public:
    explicit BusyScript(const RedisServer& redis) : redis_(redis) {
        redis.command({"CONFIG", "SET", "busy-reply-threshold", "100"});
        thread_ = std::thread([this] { redis_.command({"EVAL", "while true do end", "0"}); });
        REQUIRE(wait_until([&] { return busy(); }, 10s, 50ms));
    }
    ~BusyScript() { stop(); }
    bool busy() const {
        auto r = redis_.command({"PING"});
        return r->type == REDIS_REPLY_ERROR && std::string(r->str).rfind("BUSY", 0) == 0;
    }
    void stop() {
        if (!thread_.joinable()) return;
        redis_.command({"SCRIPT", "KILL"});
        thread_.join();
    }

private:
    const RedisServer& redis_;
    std::thread thread_;
};

}  // namespace

TEST_CASE("refusals: a one-shot tool waits out a busy server and reports the real data",
          "[tools][redis][transient]") {
    RedisServer redis;
    write_three_live(redis);
    acl(redis, readme_acl("hsm-reader"));
    TempDir dir;
    BusyScript script(redis);
    Process stats({bin("hsm-stream-stats").string(), "-c", config(dir, redis, "hsm-reader").string()});
    // It met the BUSY state (said so once on stderr) and is waiting, not failing.
    REQUIRE(wait_until([&] { return stats.err().find("BUSY") != std::string::npos; }, 10s));
    CHECK_FALSE(stats.wait(0ms));
    script.stop();
    const auto code = stats.wait(20s);
    INFO(stats.err());
    CHECK(code == 0);
    CHECK(stats.out().find("\"total_live_actions\": 3") != std::string::npos);
    CHECK(count_of(stats.err(), "BUSY") == 1);
}

TEST_CASE("refusals: a one-shot tool gives up on a server that stays busy, within a bound",
          "[tools][redis][transient]") {
    RedisServer redis;
    write_three_live(redis);
    BusyScript script(redis);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = run({bin("hsm-stream-stats").string(), "--host", "127.0.0.1", "--port", std::to_string(redis.port())}, 60s);
    const auto took = std::chrono::steady_clock::now() - t0;
    INFO(r.err);
    CHECK(r.exit_code == 1);
    CHECK(took >= 9s);   // it waited (ReaderOptions::transient_wait, 10 s)...
    CHECK(took < 13s);   // ...and gave up at that bound, not at the next backoff step (16 s)
    CHECK(r.out.empty());
    CHECK(r.err.find("BUSY") != std::string::npos);
}

TEST_CASE("refusals: interactive top shows the Redis address and the refusal, then recovers",
          "[tools][redis][acl][top][tmux]") {
    RedisServer redis;
    write_three_live(redis);
    auto line = readme_acl("hsm-reader");
    line.push_back("-xread");
    acl(redis, line);
    TempDir dir;
    Tmux tmux;
    REQUIRE(tmux.start(bin("hsm-action-top").string() + " -c " + config(dir, redis, "hsm-reader").string(), 200, 30));
    const std::string address = "DISCONNECTED (127.0.0.1:" + std::to_string(redis.port()) + ")";
    CHECK(wait_until([&] {
        const auto s = tmux.screen();
        return s.find(address) != std::string::npos && s.find("refused XREAD for user 'hsm-reader'") != std::string::npos;
    }, 20s));
    INFO(tmux.screen());
    acl(redis, {"ACL", "SETUSER", "hsm-reader", "+xread"});
    CHECK(wait_until([&] {
        const auto s = tmux.screen();
        return s.find("Redis: Connected") != std::string::npos && s.find("Live Actions: 3 |") != std::string::npos;
    }, 40s));
    tmux.cmd({"send-keys", "-t", "top", "q"});
    CHECK(wait_until([&] { return !tmux.alive(); }, 10s));
}

TEST_CASE("refusals: a one-shot tool facing no server exits 1 at once and promises no retries",
          "[tools][redis]") {
    const std::string port = std::to_string(free_port());  // nothing listens there
    for (const auto& tool : tools()) {
        std::vector<std::string> argv = {bin(tool.name).string(), "--host", "127.0.0.1", "--port", port};
        argv.insert(argv.end(), tool.one_shot_flags.begin(), tool.one_shot_flags.end());
        const auto t0 = std::chrono::steady_clock::now();
        auto r = run(argv, 30s);
        INFO(tool.name << "\n" << r.err);
        CHECK(r.exit_code == 1);
        CHECK(std::chrono::steady_clock::now() - t0 < 5s);
        CHECK(r.out.empty());
        CHECK(r.err.find("cannot connect") != std::string::npos);
        CHECK(r.err.find("retrying") == std::string::npos);
    }
}
