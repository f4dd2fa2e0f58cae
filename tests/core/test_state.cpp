// core/state: the committed-state table stores kernel FIDs as numbers and anything else verbatim,
// and must print both back byte for byte (PURGED events and the checkpoint depend on it).
#include <catch2/catch.hpp>

#include "core/state.hpp"

using hsm::MdtState;
using hsm::RecordKey;
using hsm::StateTable;
using hsm::StreamId;

TEST_CASE("state: FIDs and actions print back exactly", "[core][state]") {
    MdtState mdt("fs-MDT0000");
    struct Case { RecordKey key; std::string fid, action; };
    const Case cases[] = {
        {{517, 42068}, "0x2c000596f:0x1ce71:0x0", "ARCHIVE"},  // canonical: stored as numbers
        {{1, 2}, "0xb", "RESTORE"},                             // short test format
        {{1, 3}, "0x0B:0x1:0x0", "REMOVE"},                     // upper-case hex is not canonical
        {{1, 4}, "0x00b:0x1:0x0", "CANCEL"},                    // leading zeros are not canonical
        {{1, 5}, "0x1:0x100000000:0x0", "NOOP"},                // oid wider than 32 bits
        {{1, 6}, "", "UNKNOWN"},
        {{1, 7}, "not a fid", "ARCHIVE"},
        {{0xFFFFFFFF, 0xFFFFFFFF}, "0xffffffffffffffff:0xffffffff:0xffffffff", "ARCHIVE"},
    };
    for (const auto& c : cases) mdt.upsert(c.key, c.fid, c.action);
    REQUIRE(mdt.size() == std::size(cases));
    for (const auto& c : cases) {
        INFO(c.fid);
        const auto* r = mdt.find(c.key);
        REQUIRE(r != nullptr);
        CHECK(mdt.fid(c.key, *r) == c.fid);
        CHECK(mdt.action(c.key, *r) == c.action);
    }
}

TEST_CASE("state: re-upserting a record with other text replaces it", "[core][state]") {
    MdtState mdt("m");
    const RecordKey k{1, 2};
    mdt.upsert(k, "0xb", "RESTORE").first_seen = 42;
    mdt.upsert(k, "0x2:0x3:0x0", "ARCHIVE");
    const auto* r = mdt.find(k);
    REQUIRE(r);
    CHECK(mdt.fid(k, *r) == "0x2:0x3:0x0");
    CHECK(mdt.action(k, *r) == "ARCHIVE");
    CHECK(r->first_seen == 42u);
    mdt.upsert(k, "odd", "RESTORE");
    CHECK(mdt.fid(k, *mdt.find(k)) == "odd");
    mdt.erase(k);
    CHECK(mdt.find(k) == nullptr);
    CHECK(mdt.size() == 0);
}

TEST_CASE("state: the oldest live entry ID is the trim point", "[core][state]") {
    MdtState mdt("m");
    CHECK(mdt.oldest_live_id().empty());
    auto set_id = [&](RecordKey k, StreamId id) {
        auto& r = mdt.upsert(k, "0x1:0x1:0x0", "ARCHIVE");
        r.id_ms = id.ms;
        r.id_seq = id.seq;
    };
    set_id({1, 1}, {300, 0});
    set_id({1, 2}, {100, 5});
    set_id({1, 3}, {100, 9});
    CHECK(mdt.oldest_live_id() == StreamId{100, 5});
    mdt.erase({1, 2});
    CHECK(mdt.oldest_live_id() == StreamId{100, 9});
}

TEST_CASE("state: MDT slots are stable and dropping one empties it", "[core][state]") {
    StateTable t;
    const auto a = t.slot_of("fs-MDT0000");
    const auto b = t.slot_of("fs-MDT0001");
    CHECK(a != b);
    CHECK(t.slot_of("fs-MDT0000") == a);
    t.at(a).upsert({1, 1}, "0xb", "RESTORE");
    t.at(b).upsert({1, 1}, "0xb", "RESTORE");
    t.at(a).newest_written = {5, 0};
    CHECK(t.total_records() == 2);
    t.drop(a);
    CHECK(t.at(a).size() == 0);
    CHECK(t.at(a).newest_written.empty());
    CHECK(t.total_records() == 1);
    CHECK(t.slot_of("fs-MDT0000") == a);
    CHECK(t.find("fs-MDT0001") == &t.at(b));
    CHECK(t.find("nope") == nullptr);
}
