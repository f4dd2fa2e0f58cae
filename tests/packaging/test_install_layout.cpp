// `cmake --install` into a DESTDIR, checked against the spec's %files (the list the RPM is built
// from), then used as installed: the shipped configs pass each tool's --check-config, the man
// pages document every key the tool accepts, and the pkg-config file builds the example consumer.
#include <catch2/catch.hpp>

#include <regex>

#include "install_support.hpp"

using namespace hsm::test;

TEST_CASE("install: every file of the spec's %files is where the spec says", "[packaging][install]") {
    TempDir dir;
    const fs::path root = dir / "root";
    install_into(root);
    for (const auto& f : spec_files("lib")) {
        INFO(f.path);
        CHECK(exists_glob(root, f.path));
    }
    // The unit starts the shipper where it is installed, with the /etc config.
    const std::string unit = read_file(root / "usr/lib/systemd/system/hsm-action-shipper.service");
    CHECK(unit.find("\nExecStart=/usr/sbin/hsm-action-shipper -c /etc/lustre-hsm-action-stream/hsm_action_shipper.toml\n") !=
          std::string::npos);
    CHECK(fs::exists(root / "usr/sbin/hsm-action-shipper"));
    CHECK((fs::status(root / "var/cache/hsm-action-shipper").permissions() & fs::perms::others_all) == fs::perms::none);
}

TEST_CASE("install: every relative link of the installed README and docs resolves", "[packaging][install]") {
    TempDir dir;
    const fs::path root = dir / "root";
    install_into(root);
    const fs::path doc = root / "usr/share/doc/lustre-hsm-action-stream";
    REQUIRE(fs::exists(doc / "README.md"));
    REQUIRE(fs::exists(doc / "COPYING"));
    static const std::regex link("\\]\\(([^)#:]+)(#[^)]*)?\\)");  // [text](path) or (path#anchor), no URL
    int links = 0;
    for (const auto& e : fs::recursive_directory_iterator(doc)) {
        if (e.path().extension() != ".md") continue;
        const std::string text = read_file(e.path());
        for (std::sregex_iterator m(text.begin(), text.end(), link), end; m != end; ++m) {
            ++links;
            INFO(e.path() << " links to " << (*m)[1].str());
            CHECK(fs::exists(e.path().parent_path() / (*m)[1].str()));
        }
    }
    CHECK(links >= 10);
}

TEST_CASE("install: the shipped configs pass each tool's --check-config and set no key", "[packaging][install]") {
    TempDir dir;
    const fs::path root = dir / "root";
    install_into(root);
    for (const auto& t : tool_configs()) {
        const fs::path conf = root / "etc/lustre-hsm-action-stream" / t.config;
        INFO(conf);
        REQUIRE(fs::exists(conf));
        auto r = run({(root / "usr" / t.dir / t.tool).string(), "--check-config", "-c", conf.string()}, 30s);
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("configuration OK") != std::string::npos);
        CHECK(r.err.empty());
        // Every key is there, commented out at its default: as shipped the file changes nothing.
        const std::string text = read_file(conf);
        auto ref = run({(root / "usr" / t.dir / t.tool).string(), "--config-reference"}, 30s);
        static const std::regex row("^\\| `([a-z_]+)` \\|");
        std::smatch m;
        int keys = 0;
        for (const auto& l : lines(ref.out))
            if (std::regex_search(l, m, row)) {
                ++keys;
                CHECK(text.find("\n#" + m[1].str() + " = ") != std::string::npos);
            }
        CHECK(keys >= 8);
        for (const auto& l : lines(text)) CHECK((l.empty() || l[0] == '#'));
    }
}

TEST_CASE("install: each man page documents every option and key of its tool", "[packaging][install]") {
    TempDir dir;
    const fs::path root = dir / "root";
    install_into(root);
    for (const auto& t : tool_configs()) {
        const fs::path exe = root / "usr" / t.dir / t.tool;
        const std::string page = read_file(root / "usr/share/man/man1" / (t.tool + ".1"));
        INFO(t.tool);
        CHECK(page.find(".TH ") != std::string::npos);
        CHECK(page.find(".SH CONFIGURATION") != std::string::npos);
        auto ref = run({exe.string(), "--config-reference"}, 30s);
        static const std::regex row("^\\| `([a-z_]+)` \\|");
        std::smatch m;
        for (const auto& l : lines(ref.out))
            if (std::regex_search(l, m, row)) CHECK(page.find("\\fB" + m[1].str() + "\\fR") != std::string::npos);
        // Every long option --help lists is on the page (roff spells '-' as '\-').
        auto help = run({exe.string(), "--help"}, 30s);
        static const std::regex opt("--([a-z][a-z-]*)");
        for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), opt); it != std::sregex_iterator(); ++it) {
            std::string roff = "\\-\\-";
            for (char c : (*it)[1].str()) roff += c == '-' ? std::string("\\-") : std::string(1, c);
            INFO("--" << (*it)[1].str());
            CHECK(page.find(roff) != std::string::npos);
        }
    }
    for (const char* tool : {"hsm-action-simulate", "hsm-config-from-yaml"})
        CHECK(read_file(root / "usr/share/man/man1" / (std::string(tool) + ".1")).find(".SH OPTIONS") != std::string::npos);
}

TEST_CASE("install: the pkg-config file builds the example consumer", "[packaging][install]") {
    TempDir dir;
    const fs::path root = dir / "root";
    install_into(root);
    const std::map<std::string, std::string> env = {{"PKG_CONFIG_PATH", (root / "usr/lib/pkgconfig").string()}};
    auto flags = run({"/usr/bin/pkg-config", "--cflags", "--libs", "lustre-hsm-action-stream"}, 30s, env);
    INFO(flags.err);
    REQUIRE(flags.exit_code == 0);
    CHECK(flags.out.find("-I" + (root / "usr/lib/pkgconfig").string()) != std::string::npos);  // relative to itself
    CHECK(flags.out.find("-lhsm_consume") != std::string::npos);
    std::vector<std::string> argv = {"/bin/sh", "-c",
        "exec c++ -std=c++20 " + std::string(HSM_SANITIZE_FLAGS) + " -o " + (dir / "alerter").string() + " " +
        (root / "usr/share/doc/lustre-hsm-action-stream/examples/failed-alerter/failed_alerter.cpp").string() +
        " " + flags.out};
    auto cc = run(argv, 300s);
    INFO(cc.out << cc.err);
    CHECK(cc.exit_code == 0);
    CHECK(fs::exists(dir / "alerter"));
}
