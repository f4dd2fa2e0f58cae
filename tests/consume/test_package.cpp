// The installed package: `cmake --install` the consumer component into a temporary prefix, build
// examples/failed-alerter against it with find_package(HsmActionStream), and run the alerter
// against a private redis-server until it reports a FAILED action; and read the installed archive's
// symbols, so it carries what consumers use and nothing of the shipper.
#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "event_json.hpp"
#include "fixtures.hpp"

using namespace hsm::test;

namespace {

// `cmake --install` of the consume-dev component into `prefix`, as a packager would.
void install_consumer_package(const fs::path& prefix) {
    auto install = run({"/usr/bin/cmake", "--install", HSM_BUILD_DIR, "--component", "consume-dev",
                        "--prefix", prefix.string()}, 120s);
    INFO(install.out << install.err);
    REQUIRE(install.exit_code == 0);
}

}  // namespace

TEST_CASE("package: find_package(HsmActionStream) builds and runs the README alerter",
          "[consume][package]") {
    TempDir dir;
    const auto prefix = dir / "prefix";
    install_consumer_package(prefix);
    CHECK(fs::exists(prefix / "include/hsm/consume/stream_reader.hpp"));
    CHECK_FALSE(fs::exists(prefix / "include/core"));  // the public headers stand alone

    const auto build = dir / "build";
    // A sanitizer build installs instrumented objects: the consumer must link the runtime too.
    const std::string sanitize = HSM_SANITIZE_FLAGS;
    auto configure = run({"/usr/bin/cmake", "-S", std::string(HSM_SOURCE_DIR) + "/examples/failed-alerter",
                          "-B", build.string(), "-DCMAKE_PREFIX_PATH=" + prefix.string(),
                          "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_FLAGS=" + sanitize,
                          "-DCMAKE_EXE_LINKER_FLAGS=" + sanitize}, 180s);
    INFO(configure.out << configure.err);
    REQUIRE(configure.exit_code == 0);
    auto compile = run({"/usr/bin/cmake", "--build", build.string()}, 300s);
    INFO(compile.out << compile.err);
    REQUIRE(compile.exit_code == 0);

    RedisServer redis;
    Process alerter({(build / "failed-alerter").string(), "127.0.0.1", std::to_string(redis.port())});
    REQUIRE(wait_until([&] { return alerter.out().find("Monitoring for failed HSM actions...") != std::string::npos; }, 20s));
    xadd(redis, spec("elm-MDT0002", 1, "STARTED"));
    // The alerter follows from its first discovery, which it does not announce: keep adding
    // FAILED events until one arrives after it.
    EventSpec failed = spec("elm-MDT0002", 2, "FAILED");
    failed.action = "RESTORE";
    failed.fid = "0x200000400:0x2a:0x0";
    CHECK(wait_until([&] {
        if (alerter.out().find("ALERT: RESTORE failed on elm-MDT0002 for FID 0x200000400:0x2a:0x0") != std::string::npos)
            return true;
        xadd(redis, failed);
        return false;
    }, 30s, 300ms));
    CHECK(alerter.out().find("ARCHIVE failed") == std::string::npos);
    alerter.signal(SIGTERM);
    CHECK(alerter.wait(10s) == 0);
}

// What the installed archive carries: the consumer library, the wire decoder and the services
// they use (Redis client, the library log guard, escaping, JSON), and none of the shipper's code.
// Before core was split, libhsm_consume.a held every object of the old hsm_core: the committed
// state (MdtState), the config loader and key tables, the heartbeat format, the file writer.
TEST_CASE("package: the installed libhsm_consume.a holds no shipper state, config or heartbeat code",
          "[consume][package]") {
    TempDir dir;
    const auto prefix = dir / "prefix";
    install_consumer_package(prefix);
    fs::path archive;
    for (const auto& e : fs::recursive_directory_iterator(prefix))
        if (e.path().filename() == "libhsm_consume.a") archive = e.path();
    REQUIRE_FALSE(archive.empty());

    auto nm = run({"/usr/bin/nm", "-C", "--defined-only", archive.string()}, 120s);
    INFO(nm.err);
    REQUIRE(nm.exit_code == 0);
    // The lines that define a symbol (not the "member.o:" headers), by name.
    std::vector<std::string> defined;
    std::istringstream lines(nm.out);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > 19 && line[16] == ' ' && line[18] == ' ') defined.push_back(line.substr(19));
    auto defines = [&](std::string_view what) {
        return std::count_if(defined.begin(), defined.end(),
                             [&](const std::string& s) { return s.find(what) != std::string::npos; });
    };
    // What a consumer uses is there (so an empty or unreadable archive cannot pass)...
    CHECK(defines("hsm::consume::StreamReader::StreamReader(") > 0);
    CHECK(defines("hsm::consume::LiveState::") > 0);
    CHECK(defines("hsm::wire::Decoder::decode(") > 0);
    CHECK(defines("hsm::RedisConnection::") > 0);
    // ...and nothing of the shipper's.
    for (const std::string_view shipper_only : {"hsm::MdtState::", "hsm::make_purged(", "hsm::config::", "hsm::beat::",
                                                "hsm::files::", "hsm::manpage::", "hsm::Shipper"}) {
        INFO(shipper_only);
        CHECK(defines(shipper_only) == 0);
    }
}
