// Reading `lfs fid2path` output per form, on bytes (no lfs run): what each client version prints
// for hard links, names with newlines or spaces, missing FIDs, failures and unknown options, and
// what a call killed mid-record leaves.
#include <catch2/catch.hpp>

#include "fid2path_output.hpp"

using namespace hsm::consume::tail;
using namespace std::string_literals;

namespace {
const std::vector<std::string> kFids = {"0x200000400:0x1:0x0", "0x200000400:0x2:0x0", "0x200000400:0x3:0x0"};
}

TEST_CASE("fid2path output: command lines per form", "[tools][fid2path]") {
    CHECK(fid2path_argv(Fid2pathForm::Print0Fid, "/usr/bin/lfs", "/lustre", {kFids[0], kFids[1]}) ==
          std::vector<std::string>{"/usr/bin/lfs", "fid2path", "--print-fid", "--print0", "/lustre",
                                   "[0x200000400:0x1:0x0]", "[0x200000400:0x2:0x0]"});
    CHECK(fid2path_argv(Fid2pathForm::PrintFid, "lfs", "/l", {kFids[0]}) ==
          std::vector<std::string>{"lfs", "fid2path", "--print-fid", "/l", "[0x200000400:0x1:0x0]"});
    CHECK(fid2path_argv(Fid2pathForm::OnePerCall, "lfs", "/l", {kFids[0]}) ==
          std::vector<std::string>{"lfs", "fid2path", "--link", "0", "/l", "[0x200000400:0x1:0x0]"});
}

TEST_CASE("fid2path output: --print0 records, first hard link wins, odd names kept whole", "[tools][fid2path]") {
    const std::string out = "[0x200000400:0x1:0x0] /lustre/a b\0[0x200000400:0x1:0x0] /lustre/link\0"
                            "[0x200000400:0x2:0x0] /lustre/new\nline\0"s;
    const auto a = read_fid2path(Fid2pathForm::Print0Fid, kFids, out,
                                 "lfs fid2path: cannot find /lustre [0x200000400:0x3:0x0]: No such file or directory\n", true);
    CHECK(a.found.at(kFids[0]) == "/lustre/a b");
    CHECK(a.found.at(kFids[1]) == "/lustre/new\nline");
    CHECK(a.missing.count(kFids[2]) == 1);
    CHECK(a.failures.empty());
    CHECK(a.settled() == 3);
}

TEST_CASE("fid2path output: a killed call keeps its whole records only", "[tools][fid2path]") {
    const std::string out = "[0x200000400:0x1:0x0] /lustre/a\0[0x200000400:0x2:0x0] /lustre/cut-sh"s;
    const auto killed = read_fid2path(Fid2pathForm::Print0Fid, kFids, out, "", false);
    CHECK(killed.found.size() == 1);
    CHECK(killed.found.count(kFids[0]) == 1);
    const auto lines = read_fid2path(Fid2pathForm::PrintFid, kFids,
                                     "[0x200000400:0x1:0x0] /lustre/a\n[0x200000400:0x2:0x0] /lustre/cu", "", false);
    CHECK(lines.found.size() == 1);
    CHECK(read_fid2path(Fid2pathForm::OnePerCall, {kFids[0]}, "/lustre/partial", "", false).found.empty());
}

TEST_CASE("fid2path output: --print-fid lines, a newline in a name continues the path", "[tools][fid2path]") {
    const std::string out = "[0x200000400:0x1:0x0] /lustre/new\nline\n[0x200000400:0x1:0x0] /lustre/2nd\nlink\n"
                            "[0x200000400:0x2:0x0] /lustre/b\n";
    const auto a = read_fid2path(Fid2pathForm::PrintFid, kFids, out, "", true);
    CHECK(a.found.at(kFids[0]) == "/lustre/new\nline");  // the second link and its tail are not shown
    CHECK(a.found.at(kFids[1]) == "/lustre/b");
    CHECK(a.found.count(kFids[2]) == 0);
}

TEST_CASE("fid2path output: only FIDs asked are answered", "[tools][fid2path]") {
    const auto a = read_fid2path(Fid2pathForm::Print0Fid, {kFids[0]},
                                 "[0x200000400:0x9:0x0] /lustre/other\0[0X200000400:0X1:0X0] /lustre/a\0"s, "", true);
    CHECK(a.found.size() == 1);
    CHECK(a.found.at(kFids[0]) == "/lustre/a");  // FIDs compare without case
}

TEST_CASE("fid2path output: one FID per call is the whole of stdout", "[tools][fid2path]") {
    CHECK(read_fid2path(Fid2pathForm::OnePerCall, {kFids[0]}, "/lustre/new\nline\n", "", true).found.at(kFids[0]) ==
          "/lustre/new\nline");
    const auto missing = read_fid2path(Fid2pathForm::OnePerCall, {kFids[0]}, "",
                                       "lfs fid2path: cannot find '[0x200000400:0x1:0x0]': No such file or directory\n", true);
    CHECK(missing.missing.count(kFids[0]) == 1);
    CHECK(missing.failures.empty());
}

TEST_CASE("fid2path output: failures and unknown options are told apart from missing FIDs", "[tools][fid2path]") {
    const auto denied = read_fid2path(Fid2pathForm::OnePerCall, {kFids[0]}, "",
                                      "lfs fid2path: cannot find '[0x200000400:0x1:0x0]': Permission denied\n", true);
    CHECK(denied.missing.empty());
    REQUIRE(denied.failures.size() == 1);
    CHECK(denied.failures[0] == "lfs fid2path: cannot find '[0x200000400:0x1:0x0]': Permission denied");
    const auto mount = read_fid2path(Fid2pathForm::Print0Fid, kFids, "",
                                     "lfs fid2path: cannot resolve mount point for '/scratch': No such device", true);
    CHECK(mount.failures.size() == 1);  // a last line without newline counts too
    CHECK_FALSE(mount.unknown_option);
    const auto old = read_fid2path(Fid2pathForm::Print0Fid, kFids, "",
                                   "fid2path: unrecognized option '--print-fid'\nusage: fid2path [--link <linkno>] ...\n", true);
    CHECK(old.unknown_option);
    CHECK(old.settled() == 0);
    // A message naming a FID with strerror(ENOENT) but about something else is still a missing FID
    // only when the FID is one we asked.
    const auto other = read_fid2path(Fid2pathForm::Print0Fid, {kFids[0]}, "",
                                     "cannot find '[0x1:0x1:0x0]': No such file or directory\n", true);
    CHECK(other.missing.empty());
    CHECK(other.failures.size() == 1);
}

TEST_CASE("fid2path output: FID syntax", "[tools][fid2path]") {
    CHECK(valid_fid("0x200000400:0x1:0x0"));
    CHECK(valid_fid("[0x200000400:0x1:0x0]"));
    CHECK_FALSE(valid_fid("$(touch /tmp/pwned);x"));
    CHECK_FALSE(valid_fid("0x1:0x2"));
    CHECK_FALSE(valid_fid("0x1:0x2:0x3 -f"));
    CHECK(normalize_fid("[0X2:0XAB:0X0]") == "0x2:0xab:0x0");
}
