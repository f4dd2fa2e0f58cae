// LiveState on hand-made events: counting by (mdt, action, status), refreshes, purges by record
// and (Python maintenance) by action_key, and the age of the oldest live action.
#include <catch2/catch.hpp>

#include "hsm/consume/live_state.hpp"

using namespace hsm::consume;

namespace {

std::uint64_t next_ms = 1759619143000;

Event make(EventType type, std::string_view mdt, std::uint32_t cat, std::uint32_t rec,
           std::string_view action, std::string_view status, std::string_view action_key = {}) {
    Event e;
    e.type = type;
    e.mdt = mdt;
    e.has_index = true;
    e.cat_idx = cat;
    e.rec_idx = rec;
    e.action = action;
    e.status = status;
    e.action_key = action_key;
    e.id = EntryId{next_ms++, 0};
    return e;
}

std::uint64_t count_of(const LiveState& s, std::string_view mdt, std::string_view action,
                       std::string_view status) {
    for (const auto& row : s.breakdown())
        if (row.mdt == mdt && row.action == action && row.status == status) return row.count;
    return 0;
}

}  // namespace

TEST_CASE("live state: NEW, UPDATE and PURGED move one record between counts", "[consume][live]") {
    LiveState s;
    s.apply(make(EventType::New, "elm-MDT0000", 1, 1, "ARCHIVE", "WAITING"));
    s.apply(make(EventType::New, "elm-MDT0000", 1, 2, "ARCHIVE", "WAITING"));
    s.apply(make(EventType::New, "elm-MDT0001", 1, 1, "RESTORE", "STARTED"));  // same idx, other MDT
    CHECK(s.live() == 3);
    CHECK(count_of(s, "elm-MDT0000", "ARCHIVE", "WAITING") == 2);

    s.apply(make(EventType::Update, "elm-MDT0000", 1, 1, "ARCHIVE", "STARTED"));
    CHECK(s.live() == 3);
    CHECK(count_of(s, "elm-MDT0000", "ARCHIVE", "WAITING") == 1);
    CHECK(count_of(s, "elm-MDT0000", "ARCHIVE", "STARTED") == 1);

    s.apply(make(EventType::Purged, "elm-MDT0000", 1, 1, "ARCHIVE", "PURGED"));
    CHECK(s.live() == 2);
    CHECK(count_of(s, "elm-MDT0000", "ARCHIVE", "STARTED") == 0);
    CHECK(s.events_applied() == 5);
    CHECK(s.unmatched_purges() == 0);

    auto rows = s.breakdown();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].mdt == "elm-MDT0000");
    CHECK(rows[1].mdt == "elm-MDT0001");
    CHECK(s.breakdown(true).size() == 3);  // the emptied STARTED combination is still known
}

TEST_CASE("live state: refresh events and repeated NEWs do not double count", "[consume][live]") {
    LiveState s;
    s.apply(make(EventType::New, "m", 7, 9, "ARCHIVE", "STARTED"));
    Event refresh = make(EventType::Update, "m", 7, 9, "ARCHIVE", "STARTED");
    refresh.refresh = true;
    s.apply(refresh);
    s.apply(make(EventType::New, "m", 7, 9, "ARCHIVE", "STARTED"));  // a maintenance re-publication
    CHECK(s.live() == 1);
    CHECK(count_of(s, "m", "ARCHIVE", "STARTED") == 1);
}

TEST_CASE("live state: an UPDATE for an unknown record makes it live; stray PURGEDs are counted",
          "[consume][live]") {
    LiveState s;
    s.apply(make(EventType::Update, "m", 1, 1, "REMOVE", "FAILED"));  // its NEW was trimmed
    CHECK(s.live() == 1);
    s.apply(make(EventType::Purged, "m", 5, 5, "ARCHIVE", "PURGED"));
    CHECK(s.unmatched_purges() == 1);
    CHECK(s.live() == 1);
}

TEST_CASE("live state: Python maintenance PURGED removes by action_key", "[consume][live]") {
    LiveState s;
    s.apply(make(EventType::New, "m", 1, 1, "ARCHIVE", "WAITING", "0x1:0x2:0x0:ARCHIVE"));
    s.apply(make(EventType::New, "m", 1, 2, "RESTORE", "WAITING", "0x1:0x3:0x0:RESTORE"));
    // No action_key on this one: it is rebuilt from fid and action.
    Event bare = make(EventType::New, "other", 1, 1, "ARCHIVE", "WAITING");
    bare.fid = "0x1:0x2:0x0";
    s.apply(bare);

    Event purge;
    purge.type = EventType::Purged;
    purge.mdt = "m";
    purge.status = "PURGED";
    purge.action_key = "0x1:0x2:0x0:ARCHIVE";
    s.apply(purge);
    CHECK(s.live() == 2);
    CHECK(count_of(s, "m", "ARCHIVE", "WAITING") == 0);
    CHECK(count_of(s, "other", "ARCHIVE", "WAITING") == 1);  // other MDTs are untouched

    // Once indexed, the MDT keeps its index up to date for later NEWs and purges.
    s.apply(make(EventType::New, "m", 2, 1, "ARCHIVE", "WAITING", "0x1:0x9:0x0:ARCHIVE"));
    purge.action_key = "0x1:0x9:0x0:ARCHIVE";
    s.apply(purge);
    CHECK(s.live() == 2);
    s.apply(make(EventType::Purged, "m", 1, 2, "RESTORE", "PURGED"));  // by index still works
    purge.action_key = "0x1:0x3:0x0:RESTORE";
    s.apply(purge);
    CHECK(s.unmatched_purges() == 1);
    CHECK(s.live() == 1);

    purge.mdt = "other";
    purge.action_key = "0x1:0x2:0x0:ARCHIVE";
    s.apply(purge);
    CHECK(s.live() == 0);
}

TEST_CASE("live state: oldest live action uses first_seen, else its first entry", "[consume][live]") {
    LiveState s;
    CHECK_FALSE(s.oldest_live_ms());
    Event a = make(EventType::New, "m", 1, 1, "ARCHIVE", "WAITING");
    a.id = EntryId{5000, 0};
    s.apply(a);
    Event a2 = make(EventType::Update, "m", 1, 1, "ARCHIVE", "STARTED");
    a2.id = EntryId{9000, 0};
    s.apply(a2);
    CHECK(s.oldest_live_ms() == 5000);  // the UPDATE does not make it younger

    Event b = make(EventType::Update, "m", 1, 2, "ARCHIVE", "STARTED");
    b.id = EntryId{10000, 0};
    b.refresh = true;
    b.first_seen = 3;  // seconds
    s.apply(b);
    CHECK(s.oldest_live_ms() == 3000);
    CHECK(s.last_id() == EntryId{10000, 0});

    s.apply(make(EventType::Purged, "m", 1, 2, "ARCHIVE", "PURGED"));
    CHECK(s.oldest_live_ms() == 5000);
}

TEST_CASE("live state: missing action or status counts as unknown", "[consume][live]") {
    LiveState s;
    s.apply(make(EventType::New, "m", 1, 1, "", ""));
    CHECK(count_of(s, "m", "unknown", "unknown") == 1);
}
