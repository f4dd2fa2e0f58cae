// The systemd unit as installed: `systemd-analyze verify` clean, `systemd-analyze security
// --offline=true` at most 3.0, and the settings the daemon relies on (Type=notify, watchdog,
// cache directory, the Python version's name, paths and ordering).
#include <catch2/catch.hpp>

#include <regex>

#include "install_support.hpp"

using namespace hsm::test;

namespace {

// The installed unit with /usr/sbin pointing into the scratch root, so verify can check that
// the ExecStart binary exists and is executable; nothing else is changed.
fs::path rooted_unit(const fs::path& root, const fs::path& dir) {
    std::string unit = read_file(root / "usr/lib/systemd/system/hsm-action-shipper.service");
    for (std::size_t at; (at = unit.find("=/usr/sbin/")) != std::string::npos;)
        unit.replace(at, 11, "=" + (root / "usr/sbin").string() + "/");
    const fs::path path = dir / "hsm-action-shipper.service";
    write_file(path, unit);
    return path;
}

}  // namespace

TEST_CASE("unit: systemd-analyze verify is clean", "[packaging][unit]") {
    TempDir dir;
    install_into(dir / "root");
    const fs::path unit = rooted_unit(dir / "root", dir.path());
    auto r = run({"/usr/bin/systemd-analyze", "verify", "--man=no", unit.string()}, 60s);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
}

TEST_CASE("unit: systemd-analyze security scores it at most 3.0", "[packaging][unit]") {
    TempDir dir;
    install_into(dir / "root");
    const fs::path unit = rooted_unit(dir / "root", dir.path());
    auto r = run({"/usr/bin/systemd-analyze", "security", "--offline=true", "--no-pager", unit.string()}, 60s);
    INFO(r.out << r.err);
    std::smatch m;
    static const std::regex score("Overall exposure level for hsm-action-shipper.service: ([0-9.]+)");
    REQUIRE(std::regex_search(r.out, m, score));
    CHECK(std::stod(m[1].str()) <= 3.0);
    auto t = run({"/usr/bin/systemd-analyze", "security", "--offline=true", "--threshold=30", unit.string()}, 60s);
    CHECK(t.exit_code == 0);
}

TEST_CASE("unit: notify with a watchdog, the Python version's name and paths, writes only its cache", "[packaging][unit]") {
    TempDir dir;
    install_into(dir / "root");
    const std::string unit = read_file(dir / "root/usr/lib/systemd/system/hsm-action-shipper.service");
    for (const char* line : {"Type=notify", "WatchdogSec=", "CacheDirectory=hsm-action-shipper", "ProtectSystem=strict",
                             "CapabilityBoundingSet=\n", "After=network-online.target redis.service",
                             "ExecStart=/usr/sbin/hsm-action-shipper -c /etc/lustre-hsm-action-stream/hsm_action_shipper.toml",
                             "WantedBy=multi-user.target"}) {
        INFO(line);
        CHECK(unit.find(std::string("\n") + line) != std::string::npos);
    }
    CHECK(unit.find("\nReadWritePaths=") == std::string::npos);
    CHECK(unit.find("\nUser=") == std::string::npos);  // root: debugfs is root-only
}
