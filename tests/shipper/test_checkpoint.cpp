// shipper/checkpoint: the committed state survives a save/load round trip exactly (non-canonical
// FIDs like `0xb` included), and every kind of damage (truncation, a flipped byte, wrong magic or
// version, trailing bytes, an empty or missing file) makes load() return false without crashing.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>

#include <xxhash.h>

#include "fixtures.hpp"
#include "shipper/checkpoint.hpp"

using namespace hsm;
using hsm::test::TempDir;

namespace {

struct Rec {
    RecordKey key;
    std::string fid, action;
    std::uint64_t hash, ms, seq;
    std::uint32_t first_seen;
};

const Rec kRecs0[] = {
    {{517, 42068}, "0x2c000596f:0x1ce71:0x0", "ARCHIVE", 0x7332e08a0705af29ull, 1759619143123, 0, 1759619143},
    {{1, 2}, "0xb", "RESTORE", 1, 1759619143124, 7, 1759619000},
    {{1, 3}, "0x0B:0x1:0x0", "REMOVE", ~0ull, 5, 5, 0},
    {{4294967295u, 4294967295u}, "weird fid", "NOOP", 42, 0, 0, 4294967295u},
    {{2, 1}, "", "", 43, 1, 1, 1},
};
const Rec kRecs1[] = {
    {{9, 9}, "0x200000401:0x9:0x0", "CANCEL", 9, 99, 9, 9},
};

StateTable sample_state() {
    StateTable t;
    auto& m0 = t.at(t.slot_of("elm-MDT0003"));
    for (const auto& r : kRecs0) {
        auto& l = m0.upsert(r.key, r.fid, r.action);
        l.hash = r.hash;
        l.id_ms = r.ms;
        l.id_seq = r.seq;
        l.first_seen = r.first_seen;
    }
    m0.newest_written = {1759619143124, 7};
    auto& m1 = t.at(t.slot_of("elm-MDT0004"));
    for (const auto& r : kRecs1) {
        auto& l = m1.upsert(r.key, r.fid, r.action);
        l.hash = r.hash;
        l.id_ms = r.ms;
        l.id_seq = r.seq;
        l.first_seen = r.first_seen;
    }
    m1.newest_written = {99, 9};
    t.slot_of("elm-MDT0005");  // known but empty
    return t;
}

void check_mdt(const StateTable& t, const std::string& name, const Rec* begin, const Rec* end,
               StreamId newest) {
    INFO(name);
    const MdtState* m = nullptr;
    for (std::uint32_t s = 0; s < t.slots(); ++s)
        if (t.at(s).name() == name) m = &t.at(s);
    REQUIRE(m);
    CHECK(m->size() == static_cast<std::size_t>(end - begin));
    CHECK(m->newest_written == newest);
    for (const Rec* r = begin; r != end; ++r) {
        INFO(r->fid);
        const LiveRecord* l = m->find(r->key);
        REQUIRE(l);
        CHECK(m->fid(r->key, *l) == r->fid);
        CHECK(m->action(r->key, *l) == r->action);
        CHECK(l->hash == r->hash);
        CHECK(l->last_id() == StreamId{r->ms, r->seq});
        CHECK(l->first_seen == r->first_seen);
        CHECK(l->reship == 0);
    }
}

std::string slurp(const std::filesystem::path& p) { return hsm::test::read_file(p); }

void put_bytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
}

// Replaces the trailing checksum so that only the deliberate change is "wrong".
std::string reseal(std::string data) {
    data.resize(data.size() - 8);
    const std::uint64_t sum = XXH3_64bits(data.data(), data.size());
    data.append(reinterpret_cast<const char*>(&sum), 8);
    return data;
}

// load() into a fresh table; the table must stay empty on failure.
bool load_fresh(const std::filesystem::path& p, std::string& why) {
    StateTable t;
    const bool ok = shipper::load_checkpoint(t, p, why);
    if (!ok) CHECK(t.total_records() == 0u);
    return ok;
}

}  // namespace

TEST_CASE("checkpoint: save and load round-trip every field", "[shipper][checkpoint]") {
    TempDir dir;
    const auto path = dir / "cache" / "sub" / "state.bin";  // parent directories are created
    std::string why;
    REQUIRE(shipper::save_checkpoint(sample_state(), path, why));
    CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    StateTable loaded;
    REQUIRE(shipper::load_checkpoint(loaded, path, why));
    CHECK(loaded.slots() == 3u);
    check_mdt(loaded, "elm-MDT0003", std::begin(kRecs0), std::end(kRecs0), {1759619143124, 7});
    check_mdt(loaded, "elm-MDT0004", std::begin(kRecs1), std::end(kRecs1), {99, 9});
    check_mdt(loaded, "elm-MDT0005", nullptr, nullptr, {});
    // Saving what was loaded gives a file that loads to the same state again.
    REQUIRE(shipper::save_checkpoint(loaded, dir / "again.bin", why));
    StateTable again;
    REQUIRE(shipper::load_checkpoint(again, dir / "again.bin", why));
    check_mdt(again, "elm-MDT0003", std::begin(kRecs0), std::end(kRecs0), {1759619143124, 7});
}

TEST_CASE("checkpoint: an empty state round-trips", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    REQUIRE(shipper::save_checkpoint(StateTable{}, dir / "s.bin", why));
    StateTable t;
    t.slot_of("stale");
    REQUIRE(shipper::load_checkpoint(t, dir / "s.bin", why));
    CHECK(t.slots() == 0u);  // replaced, not merged
}

TEST_CASE("checkpoint: a save replaces the previous file atomically", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    const auto path = dir / "s.bin";
    REQUIRE(shipper::save_checkpoint(sample_state(), path, why));
    StateTable smaller;
    smaller.at(smaller.slot_of("elm-MDT0003")).upsert({1, 1}, "0xb", "RESTORE");
    REQUIRE(shipper::save_checkpoint(smaller, path, why));
    StateTable t;
    REQUIRE(shipper::load_checkpoint(t, path, why));
    CHECK(t.total_records() == 1u);
}

TEST_CASE("checkpoint: a missing or empty file is no checkpoint", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    CHECK_FALSE(load_fresh(dir / "absent.bin", why));
    CHECK_FALSE(why.empty());
    put_bytes(dir / "empty.bin", "");
    why.clear();
    CHECK_FALSE(load_fresh(dir / "empty.bin", why));
    CHECK_FALSE(why.empty());
}

TEST_CASE("checkpoint: a directory at the cache path is no checkpoint", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    std::filesystem::create_directories(dir / "a-directory");
    CHECK_FALSE(load_fresh(dir / "a-directory", why));  // throws std::ios_base::failure today
}

TEST_CASE("checkpoint: every truncation is detected", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    REQUIRE(shipper::save_checkpoint(sample_state(), dir / "good.bin", why));
    const std::string good = slurp(dir / "good.bin");
    REQUIRE(good.size() > 100u);
    const auto path = dir / "bad.bin";
    for (std::size_t n = 0; n < good.size(); ++n) {
        put_bytes(path, good.substr(0, n));
        INFO("first " << n << " bytes");
        REQUIRE_FALSE(load_fresh(path, why));
    }
}

TEST_CASE("checkpoint: every flipped byte is detected", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    REQUIRE(shipper::save_checkpoint(sample_state(), dir / "good.bin", why));
    const std::string good = slurp(dir / "good.bin");
    const auto path = dir / "bad.bin";
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (unsigned char mask : {0x01, 0x80, 0xFF}) {
            std::string bad = good;
            bad[i] = static_cast<char>(bad[i] ^ mask);
            put_bytes(path, bad);
            INFO("byte " << i << " ^ " << int(mask));
            REQUIRE_FALSE(load_fresh(path, why));
        }
    }
}

TEST_CASE("checkpoint: wrong magic, wrong version and trailing bytes are refused", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    REQUIRE(shipper::save_checkpoint(sample_state(), dir / "good.bin", why));
    const std::string good = slurp(dir / "good.bin");
    const auto path = dir / "bad.bin";
    SECTION("magic") {
        std::string bad = good;
        bad.replace(0, 8, "HSMSHIP0");
        put_bytes(path, reseal(bad));
        CHECK_FALSE(load_fresh(path, why));
        CHECK_THAT(why, Catch::Contains("magic"));
    }
    SECTION("version") {
        std::string bad = good;
        const std::uint32_t v = 2;
        std::memcpy(bad.data() + 8, &v, 4);
        put_bytes(path, reseal(bad));
        CHECK_FALSE(load_fresh(path, why));
        CHECK_THAT(why, Catch::Contains("version"));
    }
    SECTION("trailing bytes under a valid checksum") {
        std::string bad = good.substr(0, good.size() - 8) + "junk" + good.substr(good.size() - 8);
        put_bytes(path, reseal(bad));
        CHECK_FALSE(load_fresh(path, why));
    }
    SECTION("a record cut short under a valid checksum") {
        std::string bad = good.substr(0, good.size() - 8 - 3) + good.substr(good.size() - 8);
        put_bytes(path, reseal(bad));
        CHECK_FALSE(load_fresh(path, why));
    }
    SECTION("another file altogether") {
        put_bytes(path, "# hsm_action_shipper.toml\nredis_host = \"localhost\"\n");
        CHECK_FALSE(load_fresh(path, why));
    }
}

TEST_CASE("checkpoint: an MDT header claiming more records than the file holds", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    StateTable t;
    t.at(t.slot_of("m")).upsert({1, 1}, "0xb", "RESTORE");
    REQUIRE(shipper::save_checkpoint(t, dir / "good.bin", why));
    std::string bad = slurp(dir / "good.bin");
    // magic(8) version(4) count(4) name_len(2) "m"(1) newest(16) -> record count at offset 35.
    const std::uint64_t count = 1000;
    std::memcpy(bad.data() + 35, &count, 8);
    put_bytes(dir / "bad.bin", reseal(bad));
    CHECK_FALSE(load_fresh(dir / "bad.bin", why));
}

TEST_CASE("checkpoint: save reports an unwritable path instead of throwing", "[shipper][checkpoint]") {
    TempDir dir;
    std::filesystem::create_directories(dir / "taken");
    std::string why;
    CHECK_FALSE(shipper::save_checkpoint(sample_state(), dir / "taken", why));  // a directory
    CHECK_FALSE(why.empty());
}

TEST_CASE("checkpoint: an absurd record count under a valid checksum", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    StateTable t;
    t.at(t.slot_of("m")).upsert({1, 1}, "0xb", "RESTORE");
    REQUIRE(shipper::save_checkpoint(t, dir / "good.bin", why));
    std::string bad = slurp(dir / "good.bin");
    const std::uint64_t count = 1ull << 60;
    std::memcpy(bad.data() + 35, &count, 8);
    put_bytes(dir / "bad.bin", reseal(bad));
    CHECK_FALSE(load_fresh(dir / "bad.bin", why));
}

TEST_CASE("checkpoint: long FIDs and actions round-trip", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    StateTable t;
    const std::string fid(300, 'f'), action(256, 'A');
    t.at(t.slot_of("m")).upsert({1, 1}, fid, action);
    REQUIRE(shipper::save_checkpoint(t, dir / "s.bin", why));
    StateTable loaded;
    REQUIRE(shipper::load_checkpoint(loaded, dir / "s.bin", why));
    const auto& m = loaded.at(0);
    const auto* r = m.find({1, 1});
    REQUIRE(r);
    CHECK(m.fid({1, 1}, *r) == fid);
    CHECK(m.action({1, 1}, *r) == action);
}

TEST_CASE("checkpoint: a file that is not a checkpoint is never overwritten", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    const auto path = dir / "cache.json";
    SECTION("the Python version's JSON cache") {
        const std::string json = "  {\"elm-MDT0000\": {}}\n";
        put_bytes(path, json);
        CHECK_THAT(shipper::foreign_checkpoint(path), Catch::Contains("Python"));
        CHECK_FALSE(shipper::save_checkpoint(sample_state(), path, why));
        CHECK_THAT(why, Catch::Contains(path.string()));
        CHECK(slurp(path) == json);
    }
    SECTION("any other file, also through a symlink") {
        put_bytes(path, "# hsm_action_shipper.toml\n");
        std::filesystem::create_symlink(path, dir / "link");
        CHECK_FALSE(shipper::foreign_checkpoint(dir / "link").empty());
        CHECK_FALSE(shipper::save_checkpoint(sample_state(), dir / "link", why));
        CHECK(slurp(path) == "# hsm_action_shipper.toml\n");
    }
    SECTION("a file shorter than the magic") {
        put_bytes(path, "{}");
        CHECK_FALSE(shipper::foreign_checkpoint(path).empty());
        CHECK_FALSE(shipper::save_checkpoint(sample_state(), path, why));
    }
    SECTION("ours, even damaged, an empty file, or nothing, may be written") {
        REQUIRE(shipper::save_checkpoint(sample_state(), path, why));
        CHECK(shipper::foreign_checkpoint(path).empty());
        std::string damaged = slurp(path);
        damaged.resize(damaged.size() / 2);
        put_bytes(path, damaged);
        CHECK(shipper::foreign_checkpoint(path).empty());
        CHECK(shipper::save_checkpoint(sample_state(), path, why));
        put_bytes(path, "");
        CHECK(shipper::foreign_checkpoint(path).empty());
        CHECK(shipper::foreign_checkpoint(dir / "absent").empty());
    }
}

TEST_CASE("checkpoint: a symlinked path keeps its link and keeps the replaced file's mode",
          "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    const auto real = dir / "real.bin";
    REQUIRE(shipper::save_checkpoint(sample_state(), real, why));
    std::filesystem::permissions(real, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
                                           std::filesystem::perms::group_read);
    std::filesystem::create_symlink("real.bin", dir / "state.bin");
    REQUIRE(shipper::save_checkpoint(sample_state(), dir / "state.bin", why));
    CHECK(std::filesystem::is_symlink(dir / "state.bin"));
    CHECK(std::filesystem::status(real).permissions() ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write |
           std::filesystem::perms::group_read));
    CHECK(load_fresh(dir / "state.bin", why));
}

TEST_CASE("checkpoint: a snapshot is due with none on disk, then after a third of the live set changed",
          "[shipper][checkpoint]") {
    const shipper::SnapshotPolicy policy;
    CHECK(policy.due(false, 0, 0));  // nothing on disk yet: the first cycle writes one
    CHECK_FALSE(policy.due(true, 333'332, 1'000'000));
    CHECK(policy.due(true, 333'334, 1'000'000));
    // A tiny state is not rewritten every cycle: at least a third of 100 changes.
    CHECK_FALSE(policy.due(true, 33, 4));
    CHECK(policy.due(true, 34, 4));
}

TEST_CASE("checkpoint: temp files of a killed save are removed, nothing else is", "[shipper][checkpoint]") {
    TempDir dir;
    std::string why;
    REQUIRE(shipper::save_checkpoint(sample_state(), dir / "state.bin", why));
    const std::vector<std::string> ours = {".state.bin.abcDEF12", ".state.bin.00000000"};
    const std::vector<std::string> theirs = {".state.bin.abc", ".state.bin.abcDEF12x", "state.bin.abcDEF12",
                                             ".other.bin.abcDEF12", ".state.bin.abc-EF12"};
    for (const auto& n : ours) hsm::test::write_file(dir / n, "torn");
    for (const auto& n : theirs) hsm::test::write_file(dir / n, "keep");
    std::filesystem::create_directory(dir / ".state.bin.DIRECTRY");  // not a file: kept
    CHECK(shipper::remove_stale_temps(dir / "state.bin") == ours.size());
    for (const auto& n : ours) CHECK_FALSE(std::filesystem::exists(dir / n));
    for (const auto& n : theirs) CHECK(std::filesystem::exists(dir / n));
    CHECK(std::filesystem::is_directory(dir / ".state.bin.DIRECTRY"));
    CHECK(load_fresh(dir / "state.bin", why));
}
