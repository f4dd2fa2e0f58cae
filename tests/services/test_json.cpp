// services/json: any input bytes (quotes, backslashes, control bytes, NUL, invalid UTF-8) must give
// valid JSON. Every case is parsed back with simdjson, which rejects invalid JSON and invalid
// UTF-8, and the decoded value is compared with an independent reference sanitiser.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>

#include <simdjson.h>

#include "services/json.hpp"

namespace {

// The value a string must decode to: valid UTF-8 kept, every byte that does not start a valid
// sequence (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) replaced by U+FFFD.
std::string reference_sanitise(const std::string& s) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
        const unsigned char c = byte(0);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) { len = 1; cp = c; }
        else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
        bool ok = len > 0 && i + len <= s.size();
        for (std::size_t k = 1; ok && k < len; ++k) {
            ok = (byte(k) & 0xC0) == 0x80;
            cp = (cp << 6) | (byte(k) & 0x3F);
        }
        static constexpr std::uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= kMinForLength[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
        if (ok) {
            out.append(s, i, len);
            i += len;
        } else {
            out.append("\xEF\xBF\xBD");
            ++i;
        }
    }
    return out;
}

// Parses `json` as one JSON string; nullopt when it is not valid JSON.
std::optional<std::string> decode_string(const std::string& json) {
    simdjson::dom::parser parser;
    std::string_view v;
    if (parser.parse(json.data(), json.size()).get_string().get(v)) return std::nullopt;
    return std::string(v);
}

std::string encode(const std::string& s) {
    std::string out;
    hsm::json::append_string(out, s);
    return out;
}

void check_round_trip(const std::string& input) {
    const std::string json = encode(input);
    INFO("input bytes: " << input.size() << ", json: " << json);
    const auto decoded = decode_string(json);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == reference_sanitise(input));
}

}  // namespace

TEST_CASE("json: plain ASCII is written as is", "[services][json]") {
    CHECK(encode("ARCHIVE") == "\"ARCHIVE\"");
    CHECK(encode("") == "\"\"");
    check_round_trip("lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0]");
}

TEST_CASE("json: quotes and backslashes are escaped", "[services][json]") {
    CHECK(encode("a\"b") == R"("a\"b")");
    CHECK(encode("a\\b") == R"("a\\b")");
    check_round_trip("\"");
    check_round_trip("\\");
    check_round_trip("\\\"\\\\\"\"");
    check_round_trip("data=[\"\\u0041\"]");  // looks like an escape; must stay literal text
    CHECK(*decode_string(encode("\\u0041")) == "\\u0041");
}

TEST_CASE("json: every control byte and DEL round-trip", "[services][json]") {
    CHECK(encode("\n") == R"("\n")");
    CHECK(encode("\t") == R"("\t")");
    CHECK(encode("\r") == R"("\r")");
    CHECK(encode(std::string(1, '\x01')) == R"("\u0001")");
    CHECK(encode(std::string(1, '\x1f')) == R"("\u001f")");
    for (int c = 0; c < 0x20; ++c) check_round_trip(std::string(1, static_cast<char>(c)));
    check_round_trip("\x7f");
}

TEST_CASE("json: NUL bytes inside the input are kept as \\u0000", "[services][json]") {
    const std::string input("a\0b\0", 4);
    CHECK(encode(input) == R"("a\u0000b\u0000")");
    check_round_trip(input);
}

TEST_CASE("json: every single byte gives valid JSON", "[services][json]") {
    for (int c = 0; c < 256; ++c) check_round_trip(std::string(1, static_cast<char>(c)));
}

TEST_CASE("json: valid UTF-8 is kept byte for byte", "[services][json]") {
    for (const std::string s : {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
                                "\xED\x9F\xBF", "\xEE\x80\x80", "\xC2\x80", "\xE0\xA0\x80",
                                "\xF0\x90\x80\x80"}) {
        CHECK(encode(s) == "\"" + s + "\"");
        check_round_trip(s);
    }
}

TEST_CASE("json: invalid UTF-8 becomes U+FFFD", "[services][json]") {
    const std::string fffd = "\xEF\xBF\xBD";
    struct Case { std::string in, expected; };
    const Case cases[] = {
        {"\x80", fffd},                                      // lone continuation byte
        {"\xFF", fffd},                                      // never valid
        {"\xF5\x80\x80\x80", fffd + fffd + fffd + fffd},     // above U+10FFFF lead
        {"\xC0\xAF", fffd + fffd},                           // overlong '/'
        {"\xC1\xBF", fffd + fffd},                           // overlong
        {"\xE0\x80\x80", fffd + fffd + fffd},                // overlong NUL
        {"\xED\xA0\x80", fffd + fffd + fffd},                // UTF-16 surrogate
        {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},     // U+110000
        {"x\xE2\x82", "x" + fffd + fffd},                    // truncated at the end
        {"\xE2\x82" "A", fffd + fffd + "A"},                 // truncated before ASCII
        {"\xC3\"", fffd + "\""},                             // truncated before a quote
    };
    for (const auto& c : cases) {
        INFO("case: " << encode(c.in));
        const auto decoded = decode_string(encode(c.in));
        REQUIRE(decoded.has_value());
        CHECK(*decoded == c.expected);
        check_round_trip(c.in);
    }
}

TEST_CASE("json: random byte strings always give valid JSON", "[services][json]") {
    std::mt19937 rng(20240607);
    // Biased towards the bytes that matter: controls, quote, backslash, UTF-8 leads/continuations.
    const std::string interesting = std::string("\"\\\n\r\t\x7f\x80\xBF\xC0\xC2\xDF\xE0\xED\xEF\xF0\xF4\xF5\xFF", 18) +
                                    std::string(1, '\0');
    std::uniform_int_distribution<int> len_dist(0, 64), byte_dist(0, 255), pick(0, 3);
    for (int n = 0; n < 20000; ++n) {
        std::string s;
        const int len = len_dist(rng);
        for (int i = 0; i < len; ++i)
            s.push_back(pick(rng) == 0 ? interesting[static_cast<std::size_t>(byte_dist(rng)) % interesting.size()]
                                       : static_cast<char>(byte_dist(rng)));
        check_round_trip(s);
    }
}

TEST_CASE("json: pieces escaped separately form one valid string", "[services][json]") {
    std::string out = "\"";
    hsm::json::append_escaped(out, "0x\"b");
    out.push_back(':');
    hsm::json::append_escaped(out, "AR\xFF" "CHIVE");
    out.push_back('"');
    const auto decoded = decode_string(out);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == "0x\"b:AR\xEF\xBF\xBD" "CHIVE");
}

TEST_CASE("json: integers are written exactly", "[services][json]") {
    const auto parse_int = [](const std::string& json) {
        simdjson::dom::parser parser;
        std::int64_t v = 0;
        REQUIRE_FALSE(parser.parse(json.data(), json.size()).get_int64().get(v));
        return v;
    };
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1759619143},
                           std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max()}) {
        std::string out;
        hsm::json::append_int(out, v);
        CHECK(out == std::to_string(v));
        CHECK(parse_int(out) == v);
    }
    std::string out;
    hsm::json::append_uint(out, std::numeric_limits<std::uint64_t>::max());
    CHECK(out == "18446744073709551615");
    simdjson::dom::parser parser;
    std::uint64_t u = 0;
    REQUIRE_FALSE(parser.parse(out.data(), out.size()).get_uint64().get(u));
    CHECK(u == std::numeric_limits<std::uint64_t>::max());
}

// The encoder tests plain text 16 bytes at a time: every byte that needs care (each control
// byte, DEL, quote, backslash, the bytes 0x80-0xFF) is placed at every offset of a 48-byte line
// of plain text, so it falls at each position of a block and in the byte-by-byte tail.
TEST_CASE("json: a special byte at every offset of a long plain run", "[services][json]") {
    const std::string plain = "lrh=[type=10680000 len=192 idx=517/42068] fid=[0";
    REQUIRE(plain.size() == 48u);
    for (int c = 0; c < 256; ++c) {
        const bool is_plain = c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
        if (is_plain) continue;
        for (std::size_t at = 0; at < plain.size(); ++at) {
            std::string input = plain;
            input[at] = static_cast<char>(c);
            check_round_trip(input);
            // Exactly one byte changed, so exactly the plain bytes around it come out verbatim.
            const std::string json = encode(input);
            CHECK(json.compare(1, at, plain, 0, at) == 0);
            CHECK(json.compare(json.size() - 1 - (plain.size() - at - 1), plain.size() - at - 1, plain,
                               at + 1) == 0);
        }
    }
}
