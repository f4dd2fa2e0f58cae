// ingest/line_parser: the kernel format and the short test format (fields in any order, idx with
// or without brackets, no lrh), garbage of every kind (binary, NUL bytes, 1 MiB, missing or broken
// fields) rejected with the right reason, and fingerprint stability (XXH3-64, fixed values).
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <xxhash.h>

#include "ingest/line_parser.hpp"
#include "line_parser_reference.hpp"

using hsm::RecordKey;
using hsm::ingest::ParsedLine;
using hsm::ingest::ParseError;
using hsm::ingest::parse_line;

namespace {

const std::string kRealLine =
    "lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] "
    "dfid=[0x2c000596f:0x1ce71:0x0] compound/cookie=0x0/0x6912db05 action=ARCHIVE archive#=1 "
    "flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=STARTED data=[7461673D6D]";
const std::string kShortLine = "idx=[1/2] action=RESTORE fid=[0xb] status=WAITING";

ParseError parse(const std::string& line) {
    ParsedLine out;
    return parse_line(line, out);
}

}  // namespace

TEST_CASE("parser: a real kernel line", "[ingest][parser]") {
    ParsedLine p;
    REQUIRE(parse_line(kRealLine, p) == ParseError::None);
    CHECK(p.key == RecordKey{517, 42068});
    CHECK(p.fid == "0x2c000596f:0x1ce71:0x0");
    CHECK(p.action == "ARCHIVE");
    CHECK(p.status == "STARTED");
    // The fields are views into the line, so the reader can send offsets instead of copies.
    CHECK(p.fid.data() >= kRealLine.data());
    CHECK(p.status.data() + p.status.size() <= kRealLine.data() + kRealLine.size());
}

TEST_CASE("parser: every action and status the kernel prints", "[ingest][parser]") {
    for (const std::string action : {"NOOP", "ARCHIVE", "RESTORE", "REMOVE", "CANCEL", "UNKNOWN"})
        for (const std::string status : {"WAITING", "STARTED", "SUCCEED", "FAILED", "CANCELED", "UNKNOWN"}) {
            const std::string line = "lrh=[type=10680000 len=192 idx=3/4] fid=[0x200000401:0x1:0x0] "
                                     "dfid=[0x200000401:0x1:0x0] compound/cookie=0x0/0x1 action=" +
                                     action + " archive#=1 flags=0x0 extent=0x0-0x0 gid=0x0 "
                                     "datalen=0 status=" + status + " data=[]";
            ParsedLine p;
            REQUIRE(parse_line(line, p) == ParseError::None);
            CHECK(p.action == action);
            CHECK(p.status == status);
        }
}

TEST_CASE("parser: the short test format", "[ingest][parser]") {
    ParsedLine p;
    REQUIRE(parse_line(kShortLine, p) == ParseError::None);
    CHECK(p.key == RecordKey{1, 2});
    CHECK(p.fid == "0xb");
    CHECK(p.action == "RESTORE");
    CHECK(p.status == "WAITING");
}

TEST_CASE("parser: fields in any order", "[ingest][parser]") {
    std::vector<std::string> tokens = {"idx=[1/2]", "action=RESTORE", "fid=[0xb]", "status=WAITING"};
    std::sort(tokens.begin(), tokens.end());
    int permutations = 0;
    do {
        std::string line;
        for (const auto& t : tokens) line += (line.empty() ? "" : " ") + t;
        INFO(line);
        ParsedLine p;
        REQUIRE(parse_line(line, p) == ParseError::None);
        CHECK(p.key == RecordKey{1, 2});
        CHECK(p.fid == "0xb");
        CHECK(p.action == "RESTORE");
        CHECK(p.status == "WAITING");
        ++permutations;
    } while (std::next_permutation(tokens.begin(), tokens.end()));
    CHECK(permutations == 24);
}

TEST_CASE("parser: idx with or without brackets, inside or outside lrh", "[ingest][parser]") {
    for (const std::string idx : {"idx=1/2", "idx=[1/2]", "lrh=[type=10680000 len=192 idx=1/2]"}) {
        ParsedLine p;
        INFO(idx);
        REQUIRE(parse_line(idx + " fid=[0xb] action=ARCHIVE status=SUCCEED", p) == ParseError::None);
        CHECK(p.key == RecordKey{1, 2});
    }
    ParsedLine p;
    REQUIRE(parse_line("idx=4294967295/4294967295 fid=[0xb] action=A status=S", p) == ParseError::None);
    CHECK(p.key == RecordKey{4294967295u, 4294967295u});
}

TEST_CASE("parser: dfid is not mistaken for fid", "[ingest][parser]") {
    ParsedLine p;
    REQUIRE(parse_line("idx=1/2 dfid=[0x1:0x2:0x0] fid=[0x3:0x4:0x0] action=A status=S", p) == ParseError::None);
    CHECK(p.fid == "0x3:0x4:0x0");
    CHECK(parse("idx=1/2 dfid=[0x1:0x2:0x0] action=A status=S") == ParseError::MissingFid);
}

TEST_CASE("parser: missing fields are reported by name", "[ingest][parser]") {
    CHECK(parse("") == ParseError::MissingIdx);
    CHECK(parse("action=RESTORE fid=[0xb] status=WAITING") == ParseError::MissingIdx);
    CHECK(parse("idx=[1/2] action=RESTORE status=WAITING") == ParseError::MissingFid);
    CHECK(parse("idx=[1/2] fid=[] action=RESTORE status=WAITING") == ParseError::MissingFid);
    CHECK(parse("idx=[1/2] fid=[0xb] status=WAITING") == ParseError::MissingAction);
    CHECK(parse("idx=[1/2] fid=[0xb] action= status=WAITING") == ParseError::MissingAction);
    CHECK(parse("idx=[1/2] fid=[0xb] action=RESTORE") == ParseError::MissingStatus);
    CHECK(parse("idx=[1/2] fid=[0xb] action=RESTORE status=") == ParseError::MissingStatus);
    // Every error has a readable name for the log.
    for (auto e : {ParseError::MissingIdx, ParseError::BadIdx, ParseError::MissingFid,
                   ParseError::MissingAction, ParseError::MissingStatus, ParseError::TooLong})
        CHECK(std::string(hsm::ingest::parse_error_name(e)).size() > 3);
}

TEST_CASE("parser: malformed idx values are rejected", "[ingest][parser]") {
    for (const std::string idx : {"idx=", "idx=[]", "idx=1", "idx=1/", "idx=/2", "idx=a/b", "idx=1/2/3",
                                  "idx=-1/2", "idx=1/-2", "idx=0x1/2", "idx=4294967296/1",
                                  "idx=1/99999999999", "idx=1 /2", "idx=1/2x", "idx=[1/2]x"}) {
        INFO(idx);
        CHECK(parse(idx + " fid=[0xb] action=RESTORE status=WAITING") == ParseError::BadIdx);
    }
}

TEST_CASE("parser: binary garbage and NUL bytes are rejected without crashing", "[ingest][parser]") {
    CHECK(parse(std::string("\0\0\0\0", 4)) == ParseError::MissingIdx);
    CHECK(parse(std::string("idx=[1/2]\0 fid=[0xb] action=A status=S", 38)) == ParseError::BadIdx);
    CHECK(parse("\xff\xfe\x80 idx=\x01/\x02 fid=[\x00] ") == ParseError::BadIdx);
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> byte(0, 255), len(0, 600);
    for (int n = 0; n < 5000; ++n) {
        std::string s;
        const int l = len(rng);
        for (int i = 0; i < l; ++i) s.push_back(static_cast<char>(byte(rng)));
        ParsedLine p;
        const ParseError e = parse_line(s, p);
        // Random bytes essentially never spell "idx=" at a token start; when they do not, the
        // line must be rejected for that.
        if (s.find("idx=") == std::string::npos) CHECK(e == ParseError::MissingIdx);
    }
}

TEST_CASE("parser: over-long lines are rejected, 4096 bytes is still a line", "[ingest][parser]") {
    const auto padded = [](std::size_t total) {
        std::string line = kShortLine + " pad=";
        line.append(total - line.size(), 'x');
        return line;
    };
    CHECK(padded(hsm::ingest::kMaxLineLength).size() == 4096u);
    CHECK(parse(padded(hsm::ingest::kMaxLineLength)) == ParseError::None);
    CHECK(parse(padded(hsm::ingest::kMaxLineLength + 1)) == ParseError::TooLong);
    CHECK(parse(padded(1 << 20)) == ParseError::TooLong);
    CHECK(parse(std::string(1 << 20, 'a')) == ParseError::TooLong);
}

TEST_CASE("parser: a failed parse does not leave fields of an earlier line", "[ingest][parser]") {
    ParsedLine p;
    REQUIRE(parse_line(kShortLine, p) == ParseError::None);
    CHECK(parse_line("idx=[3/4] status=WAITING", p) == ParseError::MissingFid);
    CHECK(p.fid.empty());
    CHECK(p.action.empty());
}

TEST_CASE("fingerprint: XXH3-64 of the whole line, with fixed known values", "[ingest][fingerprint]") {
    using hsm::ingest::fingerprint;
    // XXH3-64 of the empty input with seed 0, from the xxHash reference test vectors.
    CHECK(fingerprint("") == 0x2D06800538D394C2ull);
    // Fixed values: a change here re-ships every live record as UPDATE after an upgrade, because
    // the checkpoint stores these fingerprints.
    CHECK(fingerprint(kShortLine) == 0xdf0be1982c17b9f6ull);
    CHECK(fingerprint(kRealLine) == 0x7332e08a0705af29ull);
    CHECK(fingerprint(kRealLine) == XXH3_64bits(kRealLine.data(), kRealLine.size()));
}

TEST_CASE("fingerprint: equal lines give equal hashes, any difference another", "[ingest][fingerprint]") {
    using hsm::ingest::fingerprint;
    const std::string copy(kRealLine.begin(), kRealLine.end());
    CHECK(fingerprint(copy) == fingerprint(kRealLine));
    // A view into a larger buffer hashes like the line alone.
    const std::string buffer = "xx\n" + kRealLine + "\nyy";
    CHECK(fingerprint(std::string_view(buffer).substr(3, kRealLine.size())) == fingerprint(kRealLine));
    std::string changed = kRealLine;
    changed.replace(changed.find("STARTED"), 7, "SUCCEED");
    CHECK(fingerprint(changed) != fingerprint(kRealLine));
    CHECK(fingerprint(kRealLine + " ") != fingerprint(kRealLine));
    CHECK(fingerprint(kRealLine.substr(1)) != fingerprint(kRealLine));
}

// The fast parser against the token-by-token reference (line_parser_reference.hpp), on inputs
// built to hit every place a field can be cut: each prefix and suffix of real and short lines,
// a space inserted or a byte replaced at every position, doubled and leading/trailing spaces,
// repeated fields, and lengths around the 16-byte blocks the scan works in.
TEST_CASE("parser: agrees with the reference parser at every split point", "[ingest][parser]") {
    using hsm::ingest::reference::agrees;
    const std::vector<std::string> bases = {
        kRealLine, kShortLine,
        "lrh=[type=10680000 len=192 idx=3/4] fid=[0x200000401:0x1:0x0] dfid=[0x200000401:0x1:0x0] "
        "compound/cookie=0x0/0x1 action=CANCEL archive#=1 flags=0x0 extent=0x0-0x0 gid=0x0 "
        "datalen=0 status=SUCCEED data=[]",
        "idx=1/2 fid=[0xb] action=A status=S idx=[3/4] fid=0xc action=B status=T",
        "status=S action=A fid=[0xb] idx=[9/8]"};
    std::size_t accepted = 0, rejected = 0;
    const auto check = [&](const std::string& line) {
        INFO("line: " << line);
        REQUIRE(agrees(line));
        ParsedLine p;
        ++(parse_line(line, p) == ParseError::None ? accepted : rejected);
    };
    for (const std::string& base : bases) {
        check(base);
        for (std::size_t i = 0; i <= base.size(); ++i) {
            check(base.substr(0, i));                                 // cut after i bytes
            check(base.substr(i));                                    // cut before byte i
            check(base.substr(0, i) + " " + base.substr(i));          // a space inserted at i
            check(base.substr(0, i) + "  " + base.substr(i));         // an empty token at i
            if (i < base.size()) {
                std::string replaced = base;
                for (const char c : {' ', ']', '[', '/', '=', 'x', '\0', '\xff'}) {
                    replaced[i] = c;                                  // one byte changed at i
                    check(replaced);
                }
            }
        }
        check(" " + base);
        check(base + " ");
        check(base + " " + base);
    }
    // Every length from 0 to 80 of padding in front, so each field starts at every offset of a
    // 16-byte block, and ends at every offset (the last partial block is handled apart).
    for (std::size_t pad = 0; pad <= 80; ++pad) {
        check(std::string(pad, 'p') + " " + kShortLine);
        check(kShortLine + " " + std::string(pad, 'p'));
        check(std::string(pad, ' ') + kShortLine);
        check(kShortLine + std::string(pad, ' '));
    }
    // Random bytes drawn from the characters that matter, so fields do appear.
    std::mt19937 rng(11);
    const std::string alphabet = "idx=fid=action=status=[]/ 0123 ab";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1), len(0, 120);
    for (int n = 0; n < 20000; ++n) {
        std::string s;
        for (std::size_t i = 0, l = len(rng); i < l; ++i) s.push_back(alphabet[pick(rng)]);
        check(s);
    }
    // Both paths were exercised in bulk, not just the rejections.
    CHECK(accepted > 5000u);
    CHECK(rejected > 5000u);
}

TEST_CASE("parser: a line of exactly 4096 bytes is scanned to its last byte", "[ingest][parser]") {
    // The fields are at the very end, past the last full 16-byte block.
    std::string line(hsm::ingest::kMaxLineLength, 'x');
    const std::string tail = " idx=7/8 fid=[0xb] action=A status=Z";
    line.replace(line.size() - tail.size(), tail.size(), tail);
    ParsedLine p;
    REQUIRE(parse_line(line, p) == ParseError::None);
    CHECK(p.key == RecordKey{7, 8});
    CHECK(p.status == "Z");
    CHECK(p.status.data() + 1 == line.data() + line.size());
}
