// The lfs stand-in itself (tests/support/fake_lfs.cpp) against the client behaviours listed in
// docs/lfs.md, so the tail's tests that rely on it test against the real clients' answers.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "fixtures.hpp"

using namespace hsm::test;
using namespace std::string_literals;

namespace {

struct Lfs {
    TempDir dir;
    Lfs() {
        write_file(dir / "tree", "0x200000400:0x1:0x0\tdata/a\n0x200000400:0x1:0x0\tother/a-link\n"
                                 "0x200000400:0x2:0x0\tdata/new\\nline\n");
    }
    ProcessResult operator()(const std::string& version, std::vector<std::string> args,
                             std::map<std::string, std::string> env = {}) const {
        args.insert(args.begin(), {HSM_FAKE_LFS, "fid2path"});
        env["FAKE_LFS_VERSION"] = version;
        env["FAKE_LFS_TREE"] = (dir / "tree").string();
        return run(args, 20s, env);
    }
};

}  // namespace

TEST_CASE("fake lfs: options per client version, unknown ones exit 4 with usage", "[tools][fake-lfs]") {
    Lfs lfs;
    for (const std::string v : {"2.12", "2.14"}) {
        auto r = lfs(v, {"--print-fid", "/lustre", "[0x200000400:0x1:0x0]"});
        CHECK(r.exit_code == 4);
        CHECK(r.out.empty());
        CHECK(r.err.find("unrecognized option '--print-fid'") != std::string::npos);
        CHECK(r.err.find("usage: fid2path") != std::string::npos);
        CHECK(lfs(v, {"-f", "/lustre", "[0x200000400:0x1:0x0]"}).exit_code == 4);
    }
    auto r15 = lfs("2.15", {"--print-fid", "--print0", "/lustre", "[0x200000400:0x1:0x0]"});
    CHECK(r15.exit_code == 4);
    CHECK(r15.err.find("unrecognized option '--print0'") != std::string::npos);
    for (const std::string v : {"2.12", "2.14", "2.15", "2.16"}) {
        auto r = lfs(v, {"--link", "0", "/lustre", "[0x200000400:0x1:0x0]"});
        CHECK(r.exit_code == 0);
        CHECK(r.out == "/lustre/data/a\n");
    }
}

TEST_CASE("fake lfs: output per FID with and without --print-fid and --print0", "[tools][fake-lfs]") {
    Lfs lfs;
    // Every hard link, one line each; nothing says which FID.
    auto plain = lfs("2.12", {"/lustre", "[0x200000400:0x1:0x0]", "0x200000400:0x2:0x0"});
    CHECK(plain.exit_code == 0);
    CHECK(plain.out == "/lustre/data/a\n/lustre/other/a-link\n/lustre/data/new\nline\n");
    CHECK(lfs("2.14", {"-l", "1", "/lustre", "[0x200000400:0x1:0x0]"}).out == "/lustre/other/a-link\n");
    // The FID as given, brackets kept or not.
    auto fid = lfs("2.15", {"-f", "/lustre", "[0x200000400:0x1:0x0]", "0x200000400:0x2:0x0"});
    CHECK(fid.out == "[0x200000400:0x1:0x0] /lustre/data/a\n[0x200000400:0x1:0x0] /lustre/other/a-link\n"
                     "0x200000400:0x2:0x0 /lustre/data/new\nline\n");
    auto nul = lfs("2.16", {"-0", "-f", "/lustre", "[0x200000400:0x2:0x0]"});
    CHECK(nul.out == "[0x200000400:0x2:0x0] /lustre/data/new\nline\0"s);
    CHECK(lfs("2.16", {"--print0", "/lustre", "[0x200000400:0x2:0x0]"}).out == "/lustre/data/new\nline\0"s);
}

TEST_CASE("fake lfs: a missing FID, then the next, and exit 19 off a Lustre mount", "[tools][fake-lfs]") {
    Lfs lfs;
    auto old = lfs("2.12", {"/lustre", "[0x200000400:0x9:0x0]", "[0x200000400:0x1:0x0]"});
    CHECK(old.exit_code != 0);
    CHECK(old.err.find("cannot find '[0x200000400:0x9:0x0]': No such file or directory") != std::string::npos);
    CHECK(old.out == "/lustre/data/a\n/lustre/other/a-link\n");  // went on with the next FID
    auto newer = lfs("2.16", {"-f", "/lustre", "[0x200000400:0x9:0x0]"});
    CHECK(newer.exit_code != 0);
    CHECK(newer.err.find("cannot find /lustre [0x200000400:0x9:0x0]: No such file or directory") != std::string::npos);
    for (const std::string v : {"2.12", "2.16"}) {
        auto r = lfs(v, {"/scratch", "[0x200000400:0x1:0x0]"});
        CHECK(r.exit_code == 19);
        CHECK(r.out.empty());
        CHECK(r.err.find("cannot resolve mount point for '/scratch'") != std::string::npos);
    }
}

TEST_CASE("fake lfs: slow answers are flushed one FID at a time", "[tools][fake-lfs]") {
    Lfs lfs;
    Process p({HSM_FAKE_LFS, "fid2path", "-f", "/lustre", "[0x200000400:0x1:0x0]", "[0x200000400:0x2:0x0]"},
              {{"FAKE_LFS_VERSION", "2.15"}, {"FAKE_LFS_TREE", (lfs.dir / "tree").string()},
               {"FAKE_LFS_DELAY_MS", "3000"}});
    REQUIRE(wait_until([&] { return p.out().find("/lustre/other/a-link\n") != std::string::npos; }, 20s));
    CHECK(p.out().find("data/new") == std::string::npos);  // the second FID is still on its way
    CHECK_FALSE(p.wait(0ms).has_value());
    CHECK(p.wait(20s) == 0);
    CHECK(p.out().find("/lustre/data/new\nline\n") != std::string::npos);
}
