// RespParser fed bytes, as the socket would deliver them: every reply split at every byte
// boundary must parse to the same items as when it arrives whole; nil, errors, integers, nested
// and empty arrays; lengths too large to be honest and garbage are protocol errors, never a
// crash or a read past the buffer (the sanitizer build runs this too).
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "consume/resp_parser.hpp"

using hsm::consume::detail::RespItem;
using hsm::consume::detail::RespParser;

namespace {

struct Outcome {
    bool ok = false;        // no protocol error
    bool complete = false;  // one whole reply in
    std::size_t consumed = 0;
    std::vector<std::string> items;  // "type:value[:text]" per item, in parse order
};

void append(RespParser& p, std::string_view bytes) {
    if (bytes.empty()) return;  // an empty view's data() may be null, which memcpy must not get
    std::memcpy(p.buffer().prepare(bytes.size()), bytes.data(), bytes.size());
    p.buffer().commit(bytes.size());
}

Outcome outcome(const RespParser& p, bool ok) {
    Outcome o;
    o.ok = ok;
    o.complete = p.complete();
    o.consumed = p.consumed();
    for (const auto& it : p.items()) {
        std::string s = std::to_string(static_cast<int>(it.type)) + ":" + std::to_string(it.value);
        if (it.type == RespItem::Bulk || it.type == RespItem::Status || it.type == RespItem::Error)
            s += ":" + std::string(p.text(it));
        o.items.push_back(s);
    }
    return o;
}

// Feeds `bytes` in pieces cut at `cuts` (ascending offsets), parsing after each piece.
Outcome feed(std::string_view bytes, const std::vector<std::size_t>& cuts = {}) {
    RespParser p;
    p.reset();
    std::size_t at = 0;
    bool ok = true;
    for (std::size_t cut : cuts) {
        append(p, bytes.substr(at, cut - at));
        at = cut;
        ok = p.parse();
        if (!ok) return outcome(p, false);
    }
    append(p, bytes.substr(at));
    ok = p.parse();
    return outcome(p, ok);
}

// Whole, then split once at every offset, then one byte at a time: all alike.
Outcome feed_every_way(std::string_view bytes) {
    const Outcome whole = feed(bytes);
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
        const Outcome split = feed(bytes, {cut});
        INFO("split at byte " << cut);
        CHECK(split.ok == whole.ok);
        CHECK(split.complete == whole.complete);
        CHECK(split.items == whole.items);
        CHECK(split.consumed == whole.consumed);
    }
    std::vector<std::size_t> every;
    for (std::size_t cut = 1; cut < bytes.size(); ++cut) every.push_back(cut);
    const Outcome bytewise = feed(bytes, every);
    CHECK(bytewise.items == whole.items);
    CHECK(bytewise.complete == whole.complete);
    return whole;
}

std::string item(RespItem::Type t, std::int64_t v, const std::string& text = "") {
    std::string s = std::to_string(static_cast<int>(t)) + ":" + std::to_string(v);
    if (t == RespItem::Bulk || t == RespItem::Status || t == RespItem::Error) s += ":" + text;
    return s;
}

}  // namespace

TEST_CASE("an XREAD reply parses the same at every split point", "[resp]") {
    // XREAD COUNT 2 STREAMS k 0: [[k, [[id, [data, json]], [id, [data, json]]]]]
    const std::string reply =
        "*1\r\n*2\r\n$1\r\nk\r\n*2\r\n"
        "*2\r\n$3\r\n1-0\r\n*2\r\n$4\r\ndata\r\n$10\r\n{\"a\":\"\r\n\"}\r\n"
        "*2\r\n$3\r\n2-0\r\n*2\r\n$4\r\ndata\r\n$0\r\n\r\n";
    const Outcome o = feed_every_way(reply);
    REQUIRE(o.ok);
    REQUIRE(o.complete);
    CHECK(o.consumed == reply.size());
    CHECK(o.items == std::vector<std::string>{
                         item(RespItem::Array, 1), item(RespItem::Array, 2), item(RespItem::Bulk, 1, "k"),
                         item(RespItem::Array, 2), item(RespItem::Array, 2), item(RespItem::Bulk, 3, "1-0"),
                         item(RespItem::Array, 2), item(RespItem::Bulk, 4, "data"),
                         item(RespItem::Bulk, 10, "{\"a\":\"\r\n\"}"),  // CRLF inside a bulk is data
                         item(RespItem::Array, 2), item(RespItem::Bulk, 3, "2-0"), item(RespItem::Array, 2),
                         item(RespItem::Bulk, 4, "data"), item(RespItem::Bulk, 0, "")});
}

TEST_CASE("nil, errors, statuses, integers and empty arrays", "[resp]") {
    CHECK(feed_every_way("*-1\r\n").items == std::vector<std::string>{item(RespItem::Nil, -1)});
    CHECK(feed_every_way("$-1\r\n").items == std::vector<std::string>{item(RespItem::Nil, 0)});
    CHECK(feed_every_way("-NOPERM this user has no permissions\r\n").items ==
          std::vector<std::string>{item(RespItem::Error, 35, "NOPERM this user has no permissions")});
    CHECK(feed_every_way("+OK\r\n").items == std::vector<std::string>{item(RespItem::Status, 2, "OK")});
    CHECK(feed_every_way(":-9223372036854775808\r\n").items ==
          std::vector<std::string>{item(RespItem::Integer, INT64_MIN)});
    CHECK(feed_every_way("*0\r\n").items == std::vector<std::string>{item(RespItem::Array, 0)});
    // Nested: an empty array, a nil and an integer inside arrays, then the outer one ends.
    const Outcome nested = feed_every_way("*3\r\n*0\r\n*2\r\n$-1\r\n:7\r\n-ERR x\r\n");
    CHECK(nested.complete);
    CHECK(nested.items == std::vector<std::string>{item(RespItem::Array, 3), item(RespItem::Array, 0),
                                                   item(RespItem::Array, 2), item(RespItem::Nil, 0),
                                                   item(RespItem::Integer, 7), item(RespItem::Error, 5, "ERR x")});
}

TEST_CASE("a reply ends where it ends: the next one's bytes are left unconsumed", "[resp]") {
    const Outcome o = feed_every_way(":1\r\n:2\r\n");
    CHECK(o.complete);
    CHECK(o.consumed == 4);
    CHECK(o.items == std::vector<std::string>{item(RespItem::Integer, 1)});
}

TEST_CASE("an incomplete reply waits for more and is not complete", "[resp]") {
    for (std::string_view part : {"", "*", "*2\r", "*2\r\n$3\r\nab", "*2\r\n$3\r\nabc\r", "*2\r\n:1\r\n"}) {
        INFO(part);
        const Outcome o = feed(part);
        CHECK(o.ok);
        CHECK_FALSE(o.complete);
    }
}

TEST_CASE("huge lengths are refused before any arithmetic on them", "[resp]") {
    for (std::string_view bad : {"$9223372036854775807\r\n", "$536870913\r\n", "*9223372036854775807\r\n",
                                 "$99999999999999999999999\r\n"}) {
        INFO(bad);
        CHECK_FALSE(feed(bad).ok);
    }
    // The largest honest length is merely waited for.
    const Outcome max = feed("$536870912\r\nabc");
    CHECK(max.ok);
    CHECK_FALSE(max.complete);
}

TEST_CASE("garbage is a protocol error, never a crash", "[resp]") {
    for (std::string_view bad :
         {"hello\r\n", "\r\n", "$abc\r\n", "$3x\r\nabc\r\n", ":\r\n", ":12a\r\n", "*1\r\n?\r\n",
          "$3\r\nabcXY", "$3\r\nabc\rX", "+OK\rX", "*1\rX:1\r\n", "$ 3\r\nabc\r\n"}) {
        INFO(bad);
        CHECK_FALSE(feed_every_way(bad).ok);
    }
}
