// The .deb: CPack from this build, extracted into a scratch root (dpkg-deb -x, as dpkg would
// unpack it), with the spec's layout, the /etc files as conffiles, the maintainer scripts, and
// the shipped configs accepted by the packaged tools.
#include <catch2/catch.hpp>

#include <regex>
#include <set>

#include "install_support.hpp"

using namespace hsm::test;

namespace {

fs::path find_deb(const fs::path& dir, const std::string& package) {
    const std::string prefix = package + "_" + HSM_VERSION + "_";
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().rfind(prefix, 0) == 0 && e.path().extension() == ".deb") return e.path();
    return {};
}

}  // namespace

TEST_CASE("deb: the packages unpack to the spec's layout, with conffiles, and the configs pass --check-config",
          "[packaging][deb]") {
    TempDir dir;
    auto cpack = run({"/usr/bin/cpack", "--config", std::string(HSM_BUILD_DIR) + "/CPackConfig.cmake", "-G", "DEB",
                      "-B", (dir / "out").string()}, 600s);
    INFO(cpack.out << cpack.err);
    REQUIRE(cpack.exit_code == 0);
    const fs::path main_deb = find_deb(dir / "out", "lustre-hsm-action-stream");
    const fs::path dev_deb = find_deb(dir / "out", "lustre-hsm-action-stream-dev");
    REQUIRE(!main_deb.empty());
    REQUIRE(!dev_deb.empty());

    const fs::path root = dir / "root";
    for (const auto& deb : {main_deb, dev_deb}) {
        auto x = run({"/usr/bin/dpkg-deb", "-x", deb.string(), root.string()}, 60s);
        INFO(x.err);
        REQUIRE(x.exit_code == 0);
    }
    // The multiarch libdir is the build's own: find where the library went.
    std::string libdir = "lib";
    for (const auto& e : fs::recursive_directory_iterator(root / "usr"))
        if (e.path().filename() == "libhsm_consume.a")
            libdir = fs::relative(e.path().parent_path(), root / "usr").string();
    for (const auto& f : spec_files(libdir)) {
        // One difference from the RPM, where -devel's examples sit in the main package's doc
        // directory: a .deb writes only under its own (/usr/share/doc/<package>-dev/examples).
        std::string path = f.path;
        const std::string rpm_examples = "share/doc/lustre-hsm-action-stream/examples";
        if (const auto at = path.find(rpm_examples); at != std::string::npos)
            path.replace(at, rpm_examples.size(), "share/doc/lustre-hsm-action-stream-dev/examples");
        INFO(f.path << " -> " << path);
        CHECK(exists_glob(root, path));
    }

    // conffiles: exactly the four /etc files; maintainer scripts present.
    auto ctl = run({"/usr/bin/dpkg-deb", "-e", main_deb.string(), (dir / "control").string()}, 60s);
    REQUIRE(ctl.exit_code == 0);
    const std::string conffiles = read_file(dir / "control/conffiles");
    for (const auto& t : tool_configs())
        CHECK(conffiles.find("/etc/lustre-hsm-action-stream/" + t.config + "\n") != std::string::npos);
    CHECK(lines(conffiles).size() == tool_configs().size());
    for (const auto& [script, names] : std::map<std::string, std::string>{
             {"postinst", "try-restart hsm-action-shipper.service"},
             {"prerm", "stop hsm-action-shipper.service"},
             {"postrm", "rm -rf /var/cache/hsm-action-shipper"}}) {
        INFO(script);
        CHECK(read_file(dir / "control" / script).find(names) != std::string::npos);
        CHECK((fs::status(dir / "control" / script).permissions() & fs::perms::owner_exec) != fs::perms::none);
    }
    // Each package says what it is: no two share a summary (the first line, what dpkg -l and
    // apt show), and each has a longer description under it.
    std::set<std::string> summaries;
    for (const auto& deb : {main_deb, dev_deb}) {
        auto d = run({"/usr/bin/dpkg-deb", "-f", deb.string(), "Description"}, 60s);
        INFO(deb << ": " << d.out);
        const auto text = lines(d.out);
        REQUIRE(text.size() >= 2);
        CHECK(text[0].find("Lustre HSM") != std::string::npos);
        CHECK(summaries.insert(text[0]).second);
    }
    auto depends = run({"/usr/bin/dpkg-deb", "-f", main_deb.string(), "Depends"}, 60s);
    CHECK(depends.out.find("libhiredis") != std::string::npos);  // from dpkg-shlibdeps

    // Debian policy: man pages gzipped (12.1), every package with /usr/share/doc/<package>/copyright
    // (12.5) naming the project's licence, and a Maintainer that can be written to (HSM_PACKAGE_MAINTAINER).
    for (const auto& tool : {"hsm-action-shipper", "hsm-action-top", "hsm-stream-tail", "hsm-stream-stats",
                             "hsm-action-simulate", "hsm-config-from-yaml"}) {
        INFO(tool);
        const fs::path page = root / "usr/share/man/man1" / (std::string(tool) + ".1.gz");
        CHECK_FALSE(fs::exists(root / "usr/share/man/man1" / (std::string(tool) + ".1")));
        REQUIRE(fs::exists(page));
        const auto text = run({"/bin/gzip", "-dc", page.string()}, 30s);
        CHECK(text.out.find(".SH OPTIONS") != std::string::npos);
    }
    // Executables stripped (policy 10.1): no symbol table left in any of them.
    for (const auto& t : tool_configs()) {
        const fs::path exe = root / "usr" / t.dir / t.tool;
        INFO(exe);
        const auto sections = run({"/usr/bin/readelf", "-S", "-W", exe.string()}, 30s);
        REQUIRE(sections.exit_code == 0);
        CHECK(sections.out.find(" .symtab ") == std::string::npos);
    }
    for (const auto& e : fs::directory_iterator(dir / "out")) {
        if (e.path().extension() != ".deb") continue;
        const std::string package = e.path().filename().string().substr(0, e.path().filename().string().find('_'));
        INFO(package);
        const fs::path unpacked = dir / ("copyright-of-" + package);
        REQUIRE(run({"/usr/bin/dpkg-deb", "-x", e.path().string(), unpacked.string()}, 60s).exit_code == 0);
        const std::string copyright = read_file(unpacked / "usr/share/doc" / package / "copyright");
        // A package writes only under its own doc directory (the -dev package's examples included).
        for (const auto& d : fs::directory_iterator(unpacked / "usr/share/doc")) CHECK(d.path().filename() == package);
        CHECK(copyright.rfind("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", 0) == 0);
        CHECK(copyright.find("License: GPL-3+\n") != std::string::npos);
        CHECK(copyright.find("/usr/share/common-licenses/GPL-3") != std::string::npos);
        const auto maintainer = run({"/usr/bin/dpkg-deb", "-f", e.path().string(), "Maintainer"}, 60s).out;
        CHECK(maintainer.find("localhost") == std::string::npos);
        CHECK(std::regex_match(maintainer, std::regex(R"([^<>\n]+ <[^@<>\s]+@[^@<>\s]+\.[a-z]+>\n)")));
    }
    CHECK(fs::exists(dir / "copyright-of-lustre-hsm-action-stream-dev/usr/share/doc/lustre-hsm-action-stream-dev" /
                     "examples/failed-alerter/CMakeLists.txt"));

    for (const auto& t : tool_configs()) {
        const fs::path conf = root / "etc/lustre-hsm-action-stream" / t.config;
        auto r = run({(root / "usr" / t.dir / t.tool).string(), "--check-config", "-c", conf.string()}, 30s);
        INFO(t.tool << ": " << r.out << r.err);
        CHECK(r.exit_code == 0);
    }
#if HSM_WITH_PYTHON
    // The Python API's package (the build has the module): unpacked, it imports with Debian's python3.
    const fs::path py_deb = find_deb(dir / "out", "python3-lustre-hsm-action-stream");
    REQUIRE(!py_deb.empty());
    // An extension module loads in the Python it was built for only.
    auto py_depends = run({"/usr/bin/dpkg-deb", "-f", py_deb.string(), "Depends"}, 60s);
    CHECK(py_depends.out.find("python3 (>= ") != std::string::npos);
    CHECK(py_depends.out.find("python3 (<< ") != std::string::npos);
    const fs::path pyroot = dir / "pyroot";
    REQUIRE(run({"/usr/bin/dpkg-deb", "-x", py_deb.string(), pyroot.string()}, 60s).exit_code == 0);
    // Where depends on the build's prefix (/usr/lib/python3/dist-packages for the README's
    // -DCMAKE_INSTALL_PREFIX=/usr build; this test build's prefix may differ).
    fs::path pkg;
    for (const auto& e : fs::recursive_directory_iterator(pyroot))
        if (e.path().filename() == "consumer.py") pkg = e.path().parent_path();
    REQUIRE(!pkg.empty());
    CHECK(pkg.filename() == "lustre_hsm_action_stream");
    CHECK(fs::exists(pkg / "consumer.pyi"));
    auto import = run({"/usr/bin/python3", "-c", "from lustre_hsm_action_stream.consumer import StreamReader; print('ok')"},
                      60s, {{"PYTHONPATH", pkg.parent_path().string()}});
    INFO(import.err);
    CHECK(import.out == "ok\n");
#endif
    const std::string unit = read_file(root / "usr/lib/systemd/system/hsm-action-shipper.service");
    CHECK(unit.find("\nExecStart=/usr/sbin/hsm-action-shipper ") != std::string::npos);
}
