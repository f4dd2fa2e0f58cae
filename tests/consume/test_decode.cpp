// The event decoder on bytes: every wire-format shape (ours and the Python shipper's quirks) and
// every way an entry can be broken, without Redis.
#include <catch2/catch.hpp>

#include "wire/decoder.hpp"
#include "event_json.hpp"

using namespace hsm::consume;
namespace wire = hsm::wire;
using wire::DecodeStatus;

namespace {

struct Decoded {
    wire::DecodeResult result;
    Event event;
    std::string json;     // padded copy the views point into
    std::string strings;
};

// Keeps the decoded views alive by returning the buffers with the event.
std::unique_ptr<Decoded> decode(const std::string& json, bool require_index = true) {
    static wire::Decoder decoder;
    auto d = std::make_unique<Decoded>();
    d->json = json + std::string(wire::kJsonPadding, '\0');
    d->strings.reserve(json.size());
    d->result = decoder.decode(d->json.data(), json.size(), d->strings, d->event, require_index);
    return d;
}

}  // namespace

TEST_CASE("decode: a NEW event as the Python shipper wrote it", "[consume][decode]") {
    const std::string json =
        R"({"cat_idx": 517, "rec_idx": 42068, "fid": "0x2c000596f:0x1ce71:0x0", "action": "ARCHIVE", )"
        R"("status": "STARTED", "event_type": "NEW", "mdt": "elm-MDT0003", "timestamp": 1759619143, )"
        R"("raw": "lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] status=STARTED", )"
        R"("action_key": "0x2c000596f:0x1ce71:0x0:ARCHIVE"})";
    auto d = decode(json);
    REQUIRE(d->result.ok());
    const Event& e = d->event;
    CHECK(e.type == EventType::New);
    CHECK(e.mdt == "elm-MDT0003");
    CHECK(e.has_index);
    CHECK(e.cat_idx == 517);
    CHECK(e.rec_idx == 42068);
    CHECK(e.fid == "0x2c000596f:0x1ce71:0x0");
    CHECK(e.action == "ARCHIVE");
    CHECK(e.status == "STARTED");
    CHECK(e.action_key == "0x2c000596f:0x1ce71:0x0:ARCHIVE");
    CHECK(e.timestamp == 1759619143);
    CHECK_FALSE(e.refresh);
    CHECK(e.source.empty());
    CHECK(e.data == json);
}

TEST_CASE("decode: PURGED with an MD5 hash, refresh and maintenance markers", "[consume][decode]") {
    hsm::test::EventSpec spec;
    spec.type = "PURGED";
    spec.status = "PURGED";
    auto purged = decode(hsm::test::event_json(spec));
    REQUIRE(purged->result.ok());
    CHECK(purged->event.type == EventType::Purged);
    CHECK(purged->event.status == "PURGED");

    spec = {};
    spec.type = "UPDATE";
    spec.extra = R"("refresh": true, "first_seen": 1759000000, "source": "maintenance", "hash": "9f86d081884c7d65")";
    auto refresh = decode(hsm::test::event_json(spec));
    REQUIRE(refresh->result.ok());
    CHECK(refresh->event.refresh);
    CHECK(refresh->event.first_seen == 1759000000);
    CHECK(refresh->event.source == "maintenance");
}

TEST_CASE("decode: Python maintenance PURGED without record indices", "[consume][decode]") {
    auto d = decode(hsm::test::python_maintenance_purge("elm-MDT0001", "0x200000400:0x1:0x0:ARCHIVE"));
    REQUIRE(d->result.ok());
    CHECK(d->event.type == EventType::Purged);
    CHECK_FALSE(d->event.has_index);
    CHECK(d->event.action_key == "0x200000400:0x1:0x0:ARCHIVE");
    CHECK(d->event.source == "maintenance");
}

TEST_CASE("decode: entries that are not JSON objects are rejected", "[consume][decode]") {
    CHECK(decode("not json at all")->result.status == DecodeStatus::NotJson);  // starts like `null`
    CHECK(decode("this is not JSON")->result.status == DecodeStatus::NotJson);  // starts like `true`
    CHECK(decode("42")->result.status == DecodeStatus::NotObject);
    CHECK(decode("null")->result.status == DecodeStatus::NotObject);
    CHECK(decode("")->result.status == DecodeStatus::NotJson);
    CHECK(decode(R"({"event_type": "NEW", "mdt": )")->result.status == DecodeStatus::NotJson);
    CHECK(decode("[1, 2, 3]")->result.status == DecodeStatus::NotObject);
    CHECK(decode(R"("just a string")")->result.status == DecodeStatus::NotObject);
    hsm::test::EventSpec spec;
    CHECK(decode(hsm::test::event_json(spec) + " trailing")->result.status == DecodeStatus::NotJson);
}

TEST_CASE("decode: missing or mistyped keys are rejected and named", "[consume][decode]") {
    auto no_type = decode(R"({"mdt": "m", "cat_idx": 1, "rec_idx": 2})");
    CHECK(no_type->result.status == DecodeStatus::MissingKey);
    CHECK(no_type->result.what == "event_type");
    auto no_mdt = decode(R"({"event_type": "NEW", "cat_idx": 1, "rec_idx": 2})");
    CHECK(no_mdt->result.what == "mdt");
    auto no_idx = decode(R"({"event_type": "UPDATE", "mdt": "m", "action_key": "f:ARCHIVE"})");
    CHECK(no_idx->result.status == DecodeStatus::MissingKey);
    auto half_idx = decode(R"({"event_type": "NEW", "mdt": "m", "cat_idx": 1})");
    CHECK(half_idx->result.what == "rec_idx");
    auto purge_nothing = decode(R"({"event_type": "PURGED", "mdt": "m", "status": "PURGED"})");
    CHECK(purge_nothing->result.status == DecodeStatus::MissingKey);
    auto str_idx = decode(R"({"event_type": "NEW", "mdt": "m", "cat_idx": "1", "rec_idx": 2})");
    CHECK(str_idx->result.status == DecodeStatus::BadType);
    CHECK(str_idx->result.what == "cat_idx");
    auto num_mdt = decode(R"({"event_type": "NEW", "mdt": 3, "cat_idx": 1, "rec_idx": 2})");
    CHECK(num_mdt->result.what == "mdt");
    auto odd_type = decode(R"({"event_type": "RENAMED", "mdt": "m", "cat_idx": 1, "rec_idx": 2})");
    CHECK(odd_type->result.status == DecodeStatus::UnknownEventType);
}

TEST_CASE("decode: a display reader accepts events without record indices", "[consume][decode]") {
    // What the tail prints needs no record identity: an UPDATE without cat_idx is shown.
    auto no_idx = decode(R"({"event_type": "UPDATE", "mdt": "m", "fid": "0x1:0x2:0x0", "status": "STARTED"})", false);
    REQUIRE(no_idx->result.ok());
    CHECK_FALSE(no_idx->event.has_index);
    CHECK(no_idx->event.status == "STARTED");
    auto half_idx = decode(R"({"event_type": "NEW", "mdt": "m", "cat_idx": 1})", false);
    REQUIRE(half_idx->result.ok());
    CHECK_FALSE(half_idx->event.has_index);
    auto str_idx = decode(R"({"event_type": "NEW", "mdt": "m", "cat_idx": "1", "rec_idx": 2})", false);
    REQUIRE(str_idx->result.ok());
    CHECK_FALSE(str_idx->event.has_index);
    auto full = decode(R"({"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 2})", false);
    REQUIRE(full->result.ok());
    CHECK(full->event.has_index);
    // What every line shows is still required.
    CHECK(decode(R"({"mdt": "m", "status": "STARTED"})", false)->result.what == "event_type");
    CHECK(decode(R"({"event_type": "UPDATE", "status": "STARTED"})", false)->result.what == "mdt");
}

// Issue #12 item 3: `2e191` as a timestamp overflowed a float-to-int64 conversion (UBSan). Every
// number the event cannot hold now rejects the entry, named, instead of wrapping or casting.
TEST_CASE("decode: numbers out of range are rejected and named, never converted", "[consume][decode]") {
    const auto with = [](const std::string& key, const std::string& value) {
        std::string json = R"({"event_type": "NEW", "mdt": "m", "cat_idx": 1, "rec_idx": 2)";
        if (key == "cat_idx" || key == "rec_idx") {
            const std::string old = "\"" + key + "\": " + (key == "cat_idx" ? "1" : "2");
            json.replace(json.find(old), old.size(), "\"" + key + "\": " + value);
        } else {
            json += ", \"" + key + "\": " + value;
        }
        return decode(json + "}");
    };
    for (const char* key : {"timestamp", "first_seen"}) {
        for (const char* value : {"2e191", "-2e191", "9223372036854775808", "18446744073709551615",
                                  "9223372036854775808.0", "1e400", "-1e400", "123456789012345678901234567890"}) {
            CAPTURE(key, value);
            auto d = with(key, value);
            CHECK(d->result.status == DecodeStatus::OutOfRange);
            CHECK(d->result.what == key);
        }
        // The edges that do fit still decode.
        CHECK(with(key, "9223372036854775807")->result.ok());
        CHECK(with(key, "-9223372036854775808")->result.ok());
        CHECK(with(key, "-9.2e18")->result.ok());
    }
    for (const char* key : {"cat_idx", "rec_idx"}) {
        for (const char* value : {"4294967296", "-1", "18446744073709551616", "1e300", "-0.5e10", "1e400"}) {
            CAPTURE(key, value);
            auto d = with(key, value);
            CHECK(d->result.status == DecodeStatus::OutOfRange);
            CHECK(d->result.what == key);
        }
        CHECK(with(key, "4294967295")->result.ok());
        CHECK(with(key, "0")->result.ok());
        CHECK(with(key, "1.5")->result.status == DecodeStatus::BadType);  // a fraction is no index
    }
    CHECK(with("timestamp", "2e191")->event.timestamp == 0);  // never a wrapped value
    // simdjson 3.0.1's get_number() reads floats of 19+ digits as 0.0: the decoder must not.
    CHECK(with("timestamp", "1234567890123456789.5")->event.timestamp == 1234567890123456768);
    CHECK(with("first_seen", "-9223372036854775808.0")->event.first_seen == std::numeric_limits<std::int64_t>::min());
    CHECK(wire::to_string(DecodeStatus::OutOfRange) == "number out of range for key");
}

TEST_CASE("decode: escapes are undone and optional fields are lenient", "[consume][decode]") {
    auto d = decode(R"({"event_type": "NEW", "mdt": "elm-MDT\u0030001", "cat_idx": 1, "rec_idx": 2, )"
                    R"("status": "WAIT\"ING", "timestamp": 1759619143.75, "refresh": "yes", "fid": 7})");
    REQUIRE(d->result.ok());
    CHECK(d->event.mdt == "elm-MDT0001");
    CHECK(d->event.status == "WAIT\"ING");
    CHECK(d->event.timestamp == 1759619143);
    CHECK_FALSE(d->event.refresh);
    CHECK(d->event.fid.empty());
    CHECK(d->event.action.empty());
}

TEST_CASE("decode: entry IDs parse and print", "[consume][decode]") {
    CHECK(EntryId::parse("1759453925123-5") == EntryId{1759453925123, 5});
    CHECK(EntryId::parse("42") == EntryId{42, 0});
    CHECK_FALSE(EntryId::parse("x-1"));
    CHECK_FALSE(EntryId::parse("1-"));
    CHECK(EntryId{7, 3}.str() == "7-3");
    CHECK(EntryId{1, 9} < EntryId{2, 0});
}
