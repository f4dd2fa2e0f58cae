// The description's install path: the tarball from `dist` builds with `rpmbuild -ta --nodeps`
// (Debian's rpm), the main package lists the tools, the unit, the four configs marked as config
// files and the man pages, and the -devel package builds the example consumer it carries.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>

#include "install_support.hpp"

using namespace hsm::test;

TEST_CASE("rpm: rpmbuild -ta builds the dist tarball, rpm -qlp shows the layout, -devel builds the example",
          "[packaging][rpm]") {
    TempDir dir;
    auto dist = run({std::string(HSM_SOURCE_DIR) + "/scripts/dist.sh", dir.path().string()}, 120s);
    INFO(dist.out << dist.err);
    REQUIRE(dist.exit_code == 0);
    const std::string name = std::string("lustre-hsm-action-stream-") + HSM_VERSION;
    const fs::path tarball = dir / (name + ".tar.gz");
    REQUIRE(fs::exists(tarball));
    auto listing = run({"/bin/tar", "-tzf", tarball.string()}, 60s);
    CHECK(listing.out.find(name + "/lustre-hsm-action-stream.spec\n") != std::string::npos);
    CHECK(listing.out.find(name + "/CMakeLists.txt\n") != std::string::npos);
    CHECK(listing.out.find("/build/") == std::string::npos);

    const fs::path top = dir / "rpmbuild";
    // ccache (when present) can reuse objects across runs only with paths made relative.
    std::map<std::string, std::string> env = {{"CCACHE_BASEDIR", top.string()}, {"CCACHE_NOHASHDIR", "1"}};
    if (fs::exists("/usr/bin/ccache")) env["CMAKE_CXX_COMPILER_LAUNCHER"] = "/usr/bin/ccache";
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    const long jobs = std::max(2L, cpus);
    // -O0: this checks the packaging, not the optimiser, and takes a fraction of the time.
    auto build = run({"/usr/bin/rpmbuild", "-ta", "--nodeps", "--define", "_topdir " + top.string(),
                      "--define", "debug_package %{nil}", "--define", "_smp_mflags -j" + std::to_string(jobs),
                      "--define", "optflags -O0",
                      tarball.string()}, 1800s, env);
    INFO(build.out.substr(build.out.size() > 4000 ? build.out.size() - 4000 : 0) << build.err);
    REQUIRE(build.exit_code == 0);

    fs::path main_rpm, devel_rpm, python_rpm;
    for (const auto& e : fs::recursive_directory_iterator(top / "RPMS")) {
        const std::string f = e.path().filename().string();
        if (f.rfind(name + "-1", 0) == 0) main_rpm = e.path();
        if (f.rfind(std::string("lustre-hsm-action-stream-devel-") + HSM_VERSION, 0) == 0) devel_rpm = e.path();
        if (f.rfind(std::string("python3-lustre-hsm-action-stream-") + HSM_VERSION, 0) == 0) python_rpm = e.path();
    }
    REQUIRE(!main_rpm.empty());
    REQUIRE(!devel_rpm.empty());
    REQUIRE(!python_rpm.empty());

    // The Python subpackage: the module, its stubs, importable from where the package put it.
    const std::string py_files = run({"/usr/bin/rpm", "-qlp", python_rpm.string()}, 60s).out;
    INFO(py_files);
    for (const char* f : {"/lustre_hsm_action_stream/consumer.py\n", "/lustre_hsm_action_stream/consumer.pyi\n",
                          "/lustre_hsm_action_stream/__init__.py\n", "/lustre_hsm_action_stream/_consumer."})
        CHECK(py_files.find(f) != std::string::npos);
    const fs::path pyroot = dir / "python";
    fs::create_directories(pyroot);
    REQUIRE(run({"/bin/sh", "-c", "rpm2archive - < '" + python_rpm.string() + "' | tar -xzf - -C '" + pyroot.string() + "'"},
                120s).exit_code == 0);
    fs::path pkg_parent;
    for (const auto& e : fs::recursive_directory_iterator(pyroot))
        if (e.path().filename() == "consumer.py") pkg_parent = e.path().parent_path().parent_path();
    REQUIRE(!pkg_parent.empty());
    auto import = run({"/usr/bin/python3", "-c", "from lustre_hsm_action_stream.consumer import StreamReader; print('ok')"},
                      60s, {{"PYTHONPATH", pkg_parent.string()}});
    INFO(import.err);
    CHECK(import.out == "ok\n");

    const std::string files = run({"/usr/bin/rpm", "-qlp", main_rpm.string()}, 60s).out;
    INFO(files);
    for (const char* f : {"/usr/sbin/hsm-action-shipper\n", "/usr/bin/hsm-action-top\n", "/usr/bin/hsm-stream-tail\n",
                          "/usr/bin/hsm-stream-stats\n", "/usr/bin/hsm-action-simulate\n", "/usr/bin/hsm-config-from-yaml\n",
                          "/usr/lib/systemd/system/hsm-action-shipper.service\n", "/var/cache/hsm-action-shipper\n",
                          "/usr/share/doc/lustre-hsm-action-stream/telegraf/hsm-stream-stats.conf\n"})
        CHECK(files.find(f) != std::string::npos);
    for (const char* tool : {"hsm-action-shipper", "hsm-action-top", "hsm-stream-tail", "hsm-stream-stats",
                             "hsm-action-simulate", "hsm-config-from-yaml"})
        CHECK(files.find(std::string("/usr/share/man/man1/") + tool + ".1") != std::string::npos);
    const auto configs = lines(run({"/usr/bin/rpm", "-qcp", main_rpm.string()}, 60s).out);
    CHECK(configs.size() == tool_configs().size());
    for (const auto& t : tool_configs())
        CHECK(std::find(configs.begin(), configs.end(), "/etc/lustre-hsm-action-stream/" + t.config) != configs.end());
    const std::string scripts = run({"/usr/bin/rpm", "-qp", "--scripts", main_rpm.string()}, 60s).out;
    CHECK(scripts.find("hsm-action-shipper.service") != std::string::npos);
    CHECK(scripts.find("%systemd") == std::string::npos);  // every scriptlet macro expanded

    // -devel: unpack it and build the example consumer it ships, with find_package.
    const fs::path devroot = dir / "devel";
    fs::create_directories(devroot);
    auto unpack = run({"/bin/sh", "-c", "rpm2archive - < '" + devel_rpm.string() + "' | tar -xzf - -C '" + devroot.string() + "'"}, 120s);
    INFO(unpack.err);
    REQUIRE(unpack.exit_code == 0);
    const fs::path example = devroot / "usr/share/doc/lustre-hsm-action-stream/examples/failed-alerter";
    REQUIRE(fs::exists(example / "CMakeLists.txt"));
    // The package's libdir is EL9's lib64, which Debian's CMake does not search: name the
    // package directory the -devel package installed.
    fs::path config_dir;
    for (const auto& e : fs::recursive_directory_iterator(devroot))
        if (e.path().filename() == "HsmActionStreamConfig.cmake") config_dir = e.path().parent_path();
    REQUIRE(!config_dir.empty());
    auto configure = run({"/usr/bin/cmake", "-S", example.string(), "-B", (dir / "alerter").string(),
                          "-DHsmActionStream_DIR=" + config_dir.string(), "-DCMAKE_BUILD_TYPE=Release"}, 180s);
    INFO(configure.out << configure.err);
    REQUIRE(configure.exit_code == 0);
    auto compile = run({"/usr/bin/cmake", "--build", (dir / "alerter").string()}, 300s);
    INFO(compile.out << compile.err);
    CHECK(compile.exit_code == 0);
    CHECK(fs::exists(dir / "alerter/failed-alerter"));
}
