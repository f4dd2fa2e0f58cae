// What every executable of the suite agrees on, run as an admin would: --version (from the one
// place the version is written), usage errors exit 2 with the message on stderr, the Python
// logging names on the command line, and one configuration file shared by every tool (each
// accepts the others' keys with a notice; the suite's list of those keys matches the tools').
#include <catch2/catch.hpp>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "fixtures.hpp"

using namespace hsm::test;

namespace {

const char* const kTools[] = {"hsm-action-shipper", "hsm-action-top", "hsm-stream-tail", "hsm-stream-stats",
                              "hsm-action-simulate", "hsm-config-from-yaml"};
const char* const kConfigTools[] = {"hsm-action-shipper", "hsm-action-top", "hsm-stream-tail", "hsm-stream-stats"};

// The keys a tool's --config-reference lists.
std::set<std::string> keys_of(const std::string& tool) {
    const auto r = run({bin(tool).string(), "--config-reference"}, 20s);
    REQUIRE(r.exit_code == 0);
    std::set<std::string> keys;
    static const std::regex row(R"(^\| `([a-z_]+)` \|)");
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        std::smatch m;
        if (std::regex_search(line, m, row)) keys.insert(m[1]);
    }
    REQUIRE_FALSE(keys.empty());
    return keys;
}

}  // namespace

TEST_CASE("suite: every tool prints the project version with --version", "[tools][suite]") {
    for (const char* tool : kTools) {
        const auto r = run({bin(tool).string(), "--version"}, 20s);
        INFO(tool << "\nstderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == std::string(tool) + " " + HSM_PROJECT_VERSION + "\n");
        CHECK(r.err.empty());
    }
}

TEST_CASE("suite: usage errors exit 2, message on stderr, nothing on stdout", "[tools][suite]") {
    for (const char* tool : kTools) {
        for (const std::vector<std::string>& args : {std::vector<std::string>{"--no-such-option"},
                                                   {"--config"},  // a value is missing
                                                   {"stray-argument"}}) {
            std::vector<std::string> argv = {bin(tool).string()};
            argv.insert(argv.end(), args.begin(), args.end());
            const auto r = run(argv, 20s);
            INFO(tool << " " << args.front() << "\nstderr: " << r.err);
            CHECK(r.exit_code == 2);
            CHECK_FALSE(r.err.empty());
            CHECK(r.out.empty());
        }
    }
}

TEST_CASE("suite: the Python logging names work on every tool's command line", "[tools][suite][migration]") {
    RedisServer redis;
    for (const char* level : {"WARNING", "CRITICAL", "INFO", "Debug", "warn"}) {
        const auto r = run({bin("hsm-stream-stats").string(), "--host", "127.0.0.1", "--port",
                            std::to_string(redis.port()), "--log-level", level},
                           30s);
        INFO(level << "\nstderr: " << r.err);
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::StartsWith("{"));  // the report only: logs never reach stdout
    }
    // A bad level: exit 2, the flag and the key named on stderr, stdout untouched (the shipper
    // has no --log-level; its file's log_level is covered by the shipper's own tests).
    for (const char* tool : {"hsm-action-top", "hsm-stream-tail", "hsm-stream-stats"}) {
        const auto bad = run({bin(tool).string(), "--log-level", "LOUD", "--port", "1"}, 20s);
        INFO(tool << "\nstderr: " << bad.err);
        CHECK(bad.exit_code == 2);
        CHECK(bad.out.empty());
        CHECK_THAT(bad.err, Catch::Contains("--log-level"));
        CHECK_THAT(bad.err, Catch::Contains("'log_level'"));
        CHECK_THAT(bad.err, Catch::Contains("LOUD"));
    }
}

TEST_CASE("suite: one configuration file shared by every tool", "[tools][suite][migration]") {
    std::set<std::string> all;
    std::map<std::string, std::set<std::string>> by_tool;
    for (const char* tool : kConfigTools) {
        by_tool[tool] = keys_of(tool);
        all.insert(by_tool[tool].begin(), by_tool[tool].end());
    }
    // Every key of every tool, in one file, with values each tool accepts.
    TempDir dir;
    std::string text;
    std::map<std::string, std::string> values = {
        {"redis_host", "\"127.0.0.1\""}, {"redis_stream_prefix", "\"hsm:actions\""}, {"redis_port", std::to_string(free_port())}, {"redis_db", "1"},
        {"log_level", "\"INFO\""},       {"mountpoint", "\"/lustre\""},               {"interval", "2"},
        {"poll_interval", "20"},         {"use_approximate_trimming", "true"},         {"float_fields", "false"},
        {"refresh_long_lived", "false"}, {"redis_shipper_prefix", "\"hsm:shippers\""},
        {"mdt_watch_glob", "\"" + (dir / "none" / "*").string() + "\""},
        {"cache_path", "\"" + (dir / "state.bin").string() + "\""},
    };
    for (const auto& key : all) {
        if (key == "log_file" || key == "redis_username" || key == "redis_password" ||
            key == "redis_password_file")
            continue;
        text += key + " = " + (values.count(key) ? values[key] : std::string("1")) + "\n";
    }
    write_file(dir / "shared.toml", text);
    INFO(text);
    for (const char* tool : kConfigTools) {
        // --config-reference ends before the file is read: a one-shot run reads it and, with
        // nothing listening on redis_port, fails with 1, never 2.
        // The shipper's --check-config prints notices; the consumer tools log them at info.
        const std::string t = tool;
        std::vector<std::string> argv = {bin(tool).string(), "-c", (dir / "shared.toml").string()};
        if (t == "hsm-action-shipper") argv.push_back("--check-config");
        else argv.insert(argv.end(), {"--log-level", "info"});
        if (t == "hsm-action-top" || t == "hsm-stream-tail") argv.push_back("--run-once");
        if (t == "hsm-stream-tail") argv.push_back("--no-resolve");
        const auto r = run(argv, 60s);
        INFO(tool << "\nstderr: " << r.err);
        CHECK(r.exit_code != 2);
        // Each key it does not own is named once in a notice on stderr.
        for (const auto& key : all)
            if (!by_tool[tool].count(key)) CHECK_THAT(r.err, Catch::Contains("'" + key + "'"));
    }
}

// "configuration OK" must not hide a file that was not read: with the default file absent, every
// tool says it found none and uses defaults; with -c, it names the file it read.
TEST_CASE("suite: --check-config says which file was read, or that none was and defaults apply", "[tools][suite]") {
    TempDir dir;
    write_file(dir / "mine.toml", "log_level = \"INFO\"\n");
    for (const char* tool : kConfigTools) {
        INFO(tool);
        const std::string defaults = std::string("/etc/lustre-hsm-action-stream/") +
                                     (std::string(tool) == "hsm-action-shipper" ? "hsm_action_shipper.toml"
                                      : std::string(tool) == "hsm-action-top"   ? "hsm_action_top.toml"
                                      : std::string(tool) == "hsm-stream-tail"  ? "hsm_stream_tail.toml"
                                                                                : "hsm_stream_stats.toml");
        if (!fs::exists(defaults)) {  // a machine with the package installed has it
            const auto r = run({bin(tool).string(), "--check-config"}, 20s);
            INFO(r.err);
            CHECK(r.exit_code == 0);
            CHECK(r.out == defaults + ": not found, no configuration file read: configuration OK, every setting is its default\n");
        }
        const auto r = run({bin(tool).string(), "--check-config", "-c", (dir / "mine.toml").string()}, 20s);
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out == (dir / "mine.toml").string() + ": configuration OK\n");
    }
}
