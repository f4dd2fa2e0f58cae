// core/state: the committed-state table stores kernel FIDs as numbers and anything else verbatim,
// and must print both back byte for byte (PURGED events and the checkpoint depend on it).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <unordered_map>

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

namespace {

// What the table must hold, kept by std::map: every record's hash and text.
struct Model {
    struct Rec { std::uint64_t hash; std::string fid, action; };
    std::map<std::uint64_t, Rec> recs;
};

void check_same(const MdtState& m, const Model& model) {
    REQUIRE(m.size() == model.recs.size());
    std::map<std::uint64_t, int> visits;
    m.for_each([&](RecordKey k, const hsm::LiveRecord& r) {
        ++visits[k.packed()];
        const auto it = model.recs.find(k.packed());
        REQUIRE(it != model.recs.end());
        CHECK(r.hash == it->second.hash);
        CHECK(m.fid(k, r) == it->second.fid);
        CHECK(m.action(k, r) == it->second.action);
    });
    CHECK(visits.size() == model.recs.size());
    for (const auto& [k, n] : visits) CHECK(n == 1);
    for (const auto& [k, rec] : model.recs) {
        const hsm::LiveRecord* r = m.find(RecordKey::unpack(k));
        REQUIRE(r != nullptr);
        CHECK(r->hash == rec.hash);
    }
}

}  // namespace

// The flat table against a std::map model under random inserts, overwrites and erases: keys
// from a small range (so erases hit and the index's probe runs collide and shift), from real
// idx shapes (one catalog slot, consecutive records), and odd FIDs that live in the side map.
TEST_CASE("state: the flat table behaves like a map under random churn", "[core][state]") {
    std::mt19937_64 rng(5);
    for (const std::uint32_t key_range : {50u, 3000u, 70000u}) {
        MdtState m("t-MDT0000");
        Model model;
        std::uniform_int_distribution<std::uint32_t> rec(0, key_range - 1), op(0, 9);
        for (int step = 0; step < 60000; ++step) {
            const RecordKey key{rec(rng) % 3, rec(rng)};
            const std::uint64_t packed = key.packed();
            const std::uint32_t o = op(rng);
            if (o < 6) {
                const bool odd = (packed % 17) == 0;
                const std::string fid = odd ? "[odd fid " + std::to_string(packed) + "]"
                                            : "0x2c000596f:0x" + std::to_string(key.rec_idx) + ":0x0";
                const std::string action = o == 5 ? "RESTORE" : "ARCHIVE";
                bool inserted = false;
                hsm::LiveRecord& r = m.upsert(key, fid, action, &inserted);
                CHECK(inserted == (model.recs.count(packed) == 0));
                r.hash = rng();
                model.recs[packed] = {r.hash, fid, action};
            } else if (o < 9) {
                m.erase(key);
                model.recs.erase(packed);
            } else {
                const hsm::LiveRecord* r = m.find(key);
                CHECK((r != nullptr) == (model.recs.count(packed) == 1));
            }
            if (step % 10000 == 9999) check_same(m, model);
        }
        check_same(m, model);
        // Erase everything in random order: the table ends empty and still usable.
        std::vector<std::uint64_t> keys;
        for (const auto& [k, r] : model.recs) keys.push_back(k);
        std::shuffle(keys.begin(), keys.end(), rng);
        for (const std::uint64_t k : keys) {
            m.erase(RecordKey::unpack(k));
            model.recs.erase(k);
            CHECK(m.find(RecordKey::unpack(k)) == nullptr);
        }
        check_same(m, model);
        m.upsert({1, 1}, "0x1:0x2:0x0", "ARCHIVE");
        CHECK(m.size() == 1u);
    }
}

TEST_CASE("state: a million records, found, walked in order, cleared", "[core][state]") {
    MdtState m("t-MDT0000");
    m.reserve(1000);  // far too small: the index must grow as records come
    constexpr std::uint32_t n = 1'000'000;
    for (std::uint32_t i = 0; i < n; ++i) {
        hsm::LiveRecord& r = m.upsert({i >> 16, i & 0xffff}, "0x200000401:0x1:0x0", "ARCHIVE");
        r.hash = i;
    }
    REQUIRE(m.size() == n);
    std::uint32_t expect = 0;
    bool in_order = true;
    m.for_each([&](RecordKey k, const hsm::LiveRecord& r) {
        in_order = in_order && r.hash == expect && k == RecordKey{expect >> 16, expect & 0xffff};
        ++expect;
    });
    CHECK(in_order);  // insertion order: a cycle's lookups follow the file
    CHECK(expect == n);
    for (std::uint32_t i = 0; i < n; i += 997) {
        const hsm::LiveRecord* r = m.find({i >> 16, i & 0xffff});
        REQUIRE(r != nullptr);
        CHECK(r->hash == i);
    }
    CHECK(m.find({n, 0}) == nullptr);
    // Erasing moves the last record into the hole: the others are still found.
    for (std::uint32_t i = 0; i < n; i += 2) m.erase({i >> 16, i & 0xffff});
    REQUIRE(m.size() == n / 2);
    for (std::uint32_t i = 1; i < n; i += 2 * 499) {
        const hsm::LiveRecord* r = m.find({i >> 16, i & 0xffff});
        REQUIRE(r != nullptr);
        CHECK(r->hash == i);
    }
    m.clear();
    CHECK(m.size() == 0u);
    CHECK(m.find({0, 1}) == nullptr);
    CHECK(m.oldest_live_id() == StreamId{});
}

TEST_CASE("state: a record found stays put while others are inserted", "[core][state]") {
    MdtState m("t-MDT0000");
    hsm::LiveRecord* first = &m.upsert({0, 0}, "0x1:0x1:0x0", "ARCHIVE");
    first->hash = 42;
    for (std::uint32_t i = 1; i < 100'000; ++i) m.upsert({0, i}, "0x1:0x1:0x0", "ARCHIVE");
    CHECK(m.find({0, 0}) == first);
    CHECK(first->hash == 42);
}
