// escape_control: what the tools print from outside (lfs paths and messages, stream fields) never
// reaches the terminal as a control sequence, and ordinary text (UTF-8 included) is unchanged.
#include <catch2/catch.hpp>

#include "tools/common/escape.hpp"

using hsm::consume::cli::escape_control;

TEST_CASE("escape: printable ASCII and valid UTF-8 pass unchanged", "[consume][escape]") {
    CHECK(escape_control("/lustre/project/data run 42/output.dat") == "/lustre/project/data run 42/output.dat");
    CHECK(escape_control("/lustre/r\xc3\xa9sum\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x93\xbc") ==
          "/lustre/r\xc3\xa9sum\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x93\xbc");
    CHECK(escape_control("back\\slash") == "back\\slash");
    CHECK(escape_control("") == "");
}

TEST_CASE("escape: C0 controls, DEL and C1 controls become visible escapes", "[consume][escape]") {
    CHECK(escape_control("a\nb") == "a\\nb");
    CHECK(escape_control("a\tb\rc") == "a\\tb\\rc");
    CHECK(escape_control("\033]0;pwned\007") == "\\x1b]0;pwned\\x07");
    CHECK(escape_control(std::string("nul\0byte", 8)) == "nul\\x00byte");
    CHECK(escape_control("del\x7f") == "del\\x7f");
    CHECK(escape_control("csi\xc2\x9b" "2J") == "csi\\u009b2J");  // U+009B, an 8-bit CSI
}

TEST_CASE("escape: bytes that are not UTF-8 are escaped one by one", "[consume][escape]") {
    CHECK(escape_control("latin1 \xe9t\xe9") == "latin1 \\xe9t\\xe9");
    CHECK(escape_control("raw C1 \x9b") == "raw C1 \\x9b");
    CHECK(escape_control("overlong \xc0\xaf") == "overlong \\xc0\\xaf");
    CHECK(escape_control("surrogate \xed\xa0\x80") == "surrogate \\xed\\xa0\\x80");
    CHECK(escape_control("cut \xe6\x97") == "cut \\xe6\\x97");
}
