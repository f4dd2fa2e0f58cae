// hsm-action-simulate run as a user would: the tree it writes, its stop on SIGTERM/SIGINT, and its
// refusal of bad arguments. Waits are on conditions with deadlines, never fixed sleeps.
#include <catch2/catch.hpp>

#include <csignal>
#include <set>
#include <sstream>

#include "fixtures.hpp"
#include "kernel_line.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using hsm::test::bin;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

std::set<std::string> files_under(const fs::path& root) {
    std::set<std::string> out;
    if (!fs::exists(root)) return out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) out.insert(fs::relative(e.path(), root).string());
    return out;
}

std::vector<std::string> simulate(const hsm::test::TempDir& dir, std::vector<std::string> args) {
    std::vector<std::string> argv = {bin("hsm-action-simulate").string(), "--root",
                                     dir.path().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace

TEST_CASE("hsm-action-simulate --once writes one full file per MDT", "[sim][tool]") {
    hsm::test::TempDir dir;
    const auto r = hsm::test::run(simulate(dir, {"--once", "--mdts", "2", "--live", "100"}));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(files_under(dir.path()) ==
          std::set<std::string>{"elm-MDT0000/hsm/actions", "elm-MDT0001/hsm/actions"});
    for (const char* mdt : {"elm-MDT0000", "elm-MDT0001"}) {
        const auto lines = lines_of(hsm::test::read_file(dir / mdt / "hsm" / "actions"));
        CHECK(lines.size() == 100);
        for (const auto& line : lines) {
            INFO(line);
            CHECK(std::regex_match(line, hsm::sim::test::kernel_line()));
        }
    }
}

TEST_CASE("hsm-action-simulate --ticks stops by itself and --short-format writes short lines",
          "[sim][tool]") {
    hsm::test::TempDir dir;
    const auto r =
        hsm::test::run(simulate(dir, {"--mdts", "1", "--live", "50", "--tick", "0.01", "--ticks",
                                      "5", "--short-format", "--verbose", "--fsname", "fs_1"}));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(lines_of(r.out).size() == 6);  // the initial write and five ticks
    const auto lines = lines_of(hsm::test::read_file(dir / "fs_1-MDT0000" / "hsm" / "actions"));
    REQUIRE_FALSE(lines.empty());
    for (const auto& line : lines) {
        INFO(line);
        CHECK(std::regex_match(line, hsm::sim::test::short_line()));
    }
}

TEST_CASE("a running hsm-action-simulate exits 0 on SIGTERM or SIGINT", "[sim][tool]") {
    const int sig = GENERATE(SIGTERM, SIGINT);
    hsm::test::TempDir dir;
    const fs::path file = dir / "elm-MDT0000" / "hsm" / "actions";

    SECTION("while ticking") {
        hsm::test::Process p(simulate(dir, {"--mdts", "1", "--live", "200", "--tick", "0.02"}));
        REQUIRE(hsm::test::wait_until([&] { return fs::exists(file); }));
        const std::string first = hsm::test::read_file(file);
        REQUIRE(hsm::test::wait_until([&] { return hsm::test::read_file(file) != first; }));
        p.signal(sig);
        CHECK(p.wait(5s) == 0);
    }
    SECTION("within a long tick, without waiting for its end") {
        hsm::test::Process p(simulate(dir, {"--mdts", "1", "--live", "200", "--tick", "600"}));
        REQUIRE(hsm::test::wait_until([&] { return fs::exists(file); }));
        p.signal(sig);
        CHECK(p.wait(5s) == 0);
    }
}

TEST_CASE("hsm-action-simulate refuses bad arguments with exit 2 and a message", "[sim][tool]") {
    hsm::test::TempDir dir;
    const std::vector<std::vector<std::string>> cases = {
        {"--mdts", "0"},     {"--fsname", "much-too-long"},
        {"--fsname", "a/b"}, {"--tick", "0"},
        {"--speed", "-1"},   {"--live", "-3"},
        {"--rate", "-1"},    {"--once", "--ticks", "3"},
        {"--bogus"},         {"--mdts", "four"},
    };
    for (const auto& args : cases) {
        auto argv = simulate(dir, args);
        argv.push_back("--once");
        if (args.front() == "--once") argv.pop_back();
        INFO(argv[3]);
        const auto r = hsm::test::run(argv);
        CHECK(r.exit_code == 2);
        CHECK_FALSE(r.err.empty());
    }
    const auto no_root = hsm::test::run({bin("hsm-action-simulate").string(), "--once"});
    CHECK(no_root.exit_code == 2);
    CHECK(no_root.err.find("--root") != std::string::npos);
    CHECK(files_under(dir.path()).empty());
    CHECK(hsm::test::run({bin("hsm-action-simulate").string(), "--help"}).exit_code == 0);
}
