// diff/Differ driven call by call (no threads): NEW/UPDATE/PURGED rules, removal only after a
// confirming pass 2, incomplete reads purge nothing, ship-then-commit (a failed ack commits
// nothing and the change is found again), duplicates in flight, GC's refresh/rebuild flags.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "diff/diff.hpp"
#include "ingest/line_parser.hpp"

using namespace hsm;

namespace {

std::string line(std::uint32_t c, std::uint32_t r, const std::string& status,
                 const std::string& action = "ARCHIVE") {
    return "lrh=[type=10680000 len=192 idx=" + std::to_string(c) + "/" + std::to_string(r) +
           "] fid=[0x200000401:0x" + std::to_string(r) + ":0x0] dfid=[0x200000401:0x" + std::to_string(r) +
           ":0x0] compound/cookie=0x0/0x66 action=" + action +
           " archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=0 status=" + status + " data=[]";
}

// One MDT's Differ with the calls a DiffStage would make, and the acks a publisher would send.
struct Harness {
    StateTable state;
    PipelineCounters counters;
    diff::Differ differ{state, counters};
    std::uint32_t slot = state.slot_of("fs-MDT0000");
    std::vector<Event> emitted;
    std::uint64_t next_ms = 1000;
    diff::EventSink sink = [this](Event&& e) { emitted.push_back(std::move(e)); };

    ReadBatch batch(std::uint32_t cycle, std::uint8_t pass, const std::vector<std::string>& lines,
                    std::uint32_t s = UINT32_MAX) const {
        ReadBatch b;
        b.mdt_slot = s == UINT32_MAX ? slot : s;
        b.cycle = cycle;
        b.pass = pass;
        b.observed_at = 1759600000 + cycle;
        for (const auto& l : lines) {
            ingest::ParsedLine p;
            REQUIRE(ingest::parse_line(l, p) == ingest::ParseError::None);
            LineRef ref;
            ref.key = p.key;
            ref.hash = ingest::fingerprint(l);
            ref.offset = static_cast<std::uint32_t>(b.text.size());
            ref.length = static_cast<std::uint32_t>(l.size());
            ref.fid_off = static_cast<std::uint16_t>(p.fid.data() - l.data());
            ref.fid_len = static_cast<std::uint16_t>(p.fid.size());
            ref.action_off = static_cast<std::uint16_t>(p.action.data() - l.data());
            ref.action_len = static_cast<std::uint16_t>(p.action.size());
            ref.status_off = static_cast<std::uint16_t>(p.status.data() - l.data());
            ref.status_len = static_cast<std::uint16_t>(p.status.size());
            b.lines.push_back(ref);
            b.text += l + "\n";
        }
        return b;
    }

    // compare() one batch; returns the events it emitted.
    std::vector<Event> compare(std::uint32_t cycle, std::uint8_t pass, const std::vector<std::string>& lines,
                               std::uint32_t s = UINT32_MAX) {
        emitted.clear();
        differ.compare(batch(cycle, pass, lines, s), sink);
        return std::move(emitted);
    }

    // finish_pass(); the PURGED events it emitted go to `purged`.
    DiffReport finish(std::uint32_t cycle, std::uint8_t pass, bool complete = true,
                      std::vector<Event>* purged = nullptr, std::uint32_t s = UINT32_MAX) {
        ReadBatch fin;
        fin.mdt_slot = s == UINT32_MAX ? slot : s;
        fin.cycle = cycle;
        fin.pass = pass;
        fin.observed_at = 1759600000 + cycle;
        fin.final = true;
        fin.complete = complete;
        if (!complete) fin.error = "injected";
        emitted.clear();
        const DiffReport r = differ.finish_pass(fin, sink);
        if (purged) *purged = std::move(emitted);
        else CHECK(emitted.empty());
        return r;
    }

    void ack(Event e, bool ok = true) {
        e.id = ok ? StreamId{next_ms++, 0} : StreamId{};
        differ.acknowledge(e);
    }
    void ack_all(const std::vector<Event>& events, bool ok = true) {
        for (const auto& e : events) ack(e, ok);
    }

    // A whole cycle as the coordinator runs it, with every event acknowledged (or not) after
    // each pass; returns everything emitted in the cycle.
    std::vector<Event> cycle(std::uint32_t c, const std::vector<std::string>& lines, bool ok = true) {
        std::vector<Event> all = compare(c, 1, lines);
        ack_all(all, ok);
        const DiffReport r1 = finish(c, 1);
        if (r1.missing > 0) {
            auto more = compare(c, 2, lines);
            ack_all(more, ok);
            all.insert(all.end(), more.begin(), more.end());
            std::vector<Event> purged;
            finish(c, 2, true, &purged);
            ack_all(purged, ok);
            all.insert(all.end(), purged.begin(), purged.end());
        }
        return all;
    }

    MdtState& mdt() { return state.at(slot); }
};

}  // namespace

TEST_CASE("diff: new records give NEW events carrying the line's fields", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING", "RESTORE"), b = line(1, 3, "STARTED");
    const auto events = h.compare(1, 1, {a, b});
    REQUIRE(events.size() == 2u);
    const Event& e = events[0];
    CHECK(e.type == EventType::New);
    CHECK(e.mdt == "fs-MDT0000");
    CHECK(e.mdt_slot == h.slot);
    CHECK(e.key == RecordKey{1, 2});
    CHECK(e.fid == "0x200000401:0x2:0x0");
    CHECK(e.action == "RESTORE");
    CHECK(e.status == "WAITING");
    CHECK(e.raw == a);
    CHECK(e.hash == ingest::fingerprint(a));
    CHECK(e.timestamp == 1759600001);
    CHECK(e.flags == 0);
    CHECK(e.id.empty());
    CHECK(events[1].key == RecordKey{1, 3});
    CHECK(events[1].status == "STARTED");
    CHECK(h.differ.events_in_flight() == 2u);

    // Ship-then-commit: nothing is committed until Redis acknowledges.
    CHECK(h.mdt().size() == 0u);
    CHECK_FALSE(h.differ.dirty);
    h.ack_all(events);
    CHECK(h.differ.events_in_flight() == 0u);
    REQUIRE(h.mdt().size() == 2u);
    CHECK(h.differ.dirty);
    CHECK(h.counters.events_new == 2u);
    const LiveRecord* r = h.mdt().find({1, 2});
    REQUIRE(r);
    CHECK(r->hash == ingest::fingerprint(a));
    CHECK(r->last_id() == StreamId{1000, 0});
    CHECK(r->first_seen == 1759600001u);
    CHECK(h.mdt().fid({1, 2}, *r) == "0x200000401:0x2:0x0");
    CHECK(h.mdt().action({1, 2}, *r) == "RESTORE");
    CHECK(h.mdt().newest_written == StreamId{1001, 0});
}

TEST_CASE("diff: unchanged lines give no event", "[diff]") {
    Harness h;
    const std::vector<std::string> lines = {line(1, 2, "WAITING"), line(1, 3, "STARTED")};
    h.cycle(1, lines);
    h.differ.dirty = false;
    std::vector<Event> none;
    const ReadBatch b = h.batch(2, 1, lines);
    CHECK(h.differ.compare(b, h.sink) == 2u);  // both unchanged
    CHECK(h.emitted.empty());
    const DiffReport r = h.finish(2, 1);
    CHECK(r.complete);
    CHECK(r.missing == 0u);
    CHECK_FALSE(h.differ.dirty);
}

TEST_CASE("diff: a status change gives one UPDATE, committed on ack", "[diff]") {
    Harness h;
    const auto waiting = line(1, 2, "WAITING"), started = line(1, 2, "STARTED");
    h.cycle(1, {waiting});
    const auto events = h.compare(2, 1, {started});
    REQUIRE(events.size() == 1u);
    CHECK(events[0].type == EventType::Update);
    CHECK(events[0].status == "STARTED");
    CHECK(events[0].raw == started);
    CHECK(events[0].hash == ingest::fingerprint(started));
    CHECK(h.mdt().find({1, 2})->hash == ingest::fingerprint(waiting));  // not yet committed
    h.ack(events[0]);
    const LiveRecord* r = h.mdt().find({1, 2});
    REQUIRE(r);
    CHECK(r->hash == ingest::fingerprint(started));
    CHECK(r->last_id() == StreamId{1001, 0});
    CHECK(r->first_seen == 1759600001u);  // kept from the NEW
    CHECK(h.counters.events_update == 1u);
    CHECK(h.finish(2, 1).missing == 0u);
    CHECK(h.compare(3, 1, {started}).empty());
}

TEST_CASE("diff: a missing record is purged only after a confirming pass 2", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING"), b = line(1, 3, "SUCCEED", "RESTORE");
    h.cycle(1, {a, b});
    CHECK(h.compare(2, 1, {a}).empty());
    const DiffReport r1 = h.finish(2, 1);  // asserts pass 1 emitted nothing
    CHECK(r1.complete);
    CHECK(r1.missing == 1u);
    CHECK(h.compare(2, 2, {a}).empty());
    std::vector<Event> purged;
    const DiffReport r2 = h.finish(2, 2, true, &purged);
    CHECK(r2.pass == 2);
    REQUIRE(purged.size() == 1u);
    const Event& p = purged[0];
    CHECK(p.type == EventType::Purged);
    CHECK(p.key == RecordKey{1, 3});
    CHECK(p.status == "PURGED");
    CHECK(p.fid == "0x200000401:0x3:0x0");
    CHECK(p.action == "RESTORE");
    CHECK(p.hash == ingest::fingerprint(b));
    CHECK(p.mdt == "fs-MDT0000");
    CHECK(p.timestamp == 1759600002);
    CHECK(h.mdt().find({1, 3}) != nullptr);  // committed only on ack
    h.ack(p);
    CHECK(h.mdt().find({1, 3}) == nullptr);
    CHECK(h.mdt().size() == 1u);
    CHECK(h.counters.events_purged == 1u);
    // Nothing is missing any more, and a record that comes back is NEW again.
    CHECK(h.compare(3, 1, {a}).empty());
    CHECK(h.finish(3, 1).missing == 0u);
    const auto back = h.compare(4, 1, {a, b});
    REQUIRE(back.size() == 1u);
    CHECK(back[0].type == EventType::New);
}

TEST_CASE("diff: a record the re-read prints again is not purged", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING"), b = line(1, 3, "STARTED");
    h.cycle(1, {a, b});
    h.compare(2, 1, {a});
    CHECK(h.finish(2, 1).missing == 1u);
    CHECK(h.compare(2, 2, {a, b}).empty());
    std::vector<Event> purged;
    CHECK(h.finish(2, 2, true, &purged).missing == 0u);
    CHECK(purged.empty());
    CHECK(h.mdt().size() == 2u);
}

TEST_CASE("diff: the file emptied purges everything after pass 2", "[diff]") {
    Harness h;
    h.cycle(1, {line(1, 2, "WAITING"), line(1, 3, "STARTED"), line(2, 1, "FAILED")});
    CHECK(h.finish(2, 1).missing == 3u);
    std::vector<Event> purged;
    h.finish(2, 2, true, &purged);
    CHECK(purged.size() == 3u);
    h.ack_all(purged);
    CHECK(h.mdt().size() == 0u);
}

TEST_CASE("diff: an incomplete read purges nothing", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING"), b = line(1, 3, "STARTED");
    h.cycle(1, {a, b});
    SECTION("pass 1 incomplete: no re-read asked, nothing purged") {
        h.compare(2, 1, {a});
        const DiffReport r = h.finish(2, 1, false);
        CHECK_FALSE(r.complete);
        CHECK(r.missing == 0u);
    }
    SECTION("pass 2 incomplete: nothing purged") {
        h.compare(2, 1, {a});
        CHECK(h.finish(2, 1).missing == 1u);
        h.compare(2, 2, {a});
        std::vector<Event> purged;
        const DiffReport r = h.finish(2, 2, false, &purged);
        CHECK_FALSE(r.complete);
        CHECK(purged.empty());
    }
    SECTION("empty incomplete read") {
        std::vector<Event> purged;
        h.finish(2, 1, false, &purged);
        h.finish(2, 2, false, &purged);
        CHECK(purged.empty());
    }
    CHECK(h.mdt().size() == 2u);
}

TEST_CASE("diff: lines of an incomplete read still ship their changes", "[diff]") {
    Harness h;
    h.cycle(1, {line(1, 2, "WAITING")});
    const auto events = h.compare(2, 1, {line(1, 2, "STARTED"), line(1, 9, "WAITING")});
    CHECK(events.size() == 2u);
    h.finish(2, 1, false);
}

TEST_CASE("diff: a failed ack commits nothing and the change is found again", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING"), a2 = line(1, 2, "STARTED"), b = line(1, 3, "WAITING");
    SECTION("NEW") {
        const auto events = h.compare(1, 1, {a});
        REQUIRE(events.size() == 1u);
        h.ack(events[0], false);
        CHECK(h.mdt().size() == 0u);
        CHECK(h.differ.failed_since_flush() == 1u);
        CHECK(h.counters.events_failed == 1u);
        CHECK(h.counters.events_new == 0u);
        CHECK_FALSE(h.differ.dirty);
        CHECK(h.differ.events_in_flight() == 0u);
        h.finish(1, 1);
        h.differ.reset_failed();
        CHECK(h.differ.failed_since_flush() == 0u);
        const auto again = h.compare(2, 1, {a});
        REQUIRE(again.size() == 1u);
        CHECK(again[0].type == EventType::New);
        CHECK(again[0].raw == a);
    }
    SECTION("UPDATE") {
        h.cycle(1, {a});
        const auto events = h.compare(2, 1, {a2});
        REQUIRE(events.size() == 1u);
        h.ack(events[0], false);
        CHECK(h.mdt().find({1, 2})->hash == ingest::fingerprint(a));
        h.finish(2, 1);
        const auto again = h.compare(3, 1, {a2});
        REQUIRE(again.size() == 1u);
        CHECK(again[0].type == EventType::Update);
        CHECK(again[0].status == "STARTED");
    }
    SECTION("PURGED") {
        h.cycle(1, {a, b});
        const auto first = h.cycle(2, {a}, false);
        REQUIRE(first.size() == 1u);
        CHECK(first[0].type == EventType::Purged);
        CHECK(h.mdt().find({1, 3}) != nullptr);
        const auto again = h.cycle(3, {a});
        REQUIRE(again.size() == 1u);
        CHECK(again[0].type == EventType::Purged);
        CHECK(again[0].key == RecordKey{1, 3});
        CHECK(h.mdt().find({1, 3}) == nullptr);
    }
}

TEST_CASE("diff: a record already in flight is not emitted twice", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING"), a2 = line(1, 2, "STARTED"), b = line(1, 3, "WAITING");
    SECTION("the confirming re-read prints a line whose event is in flight") {
        h.cycle(1, {a, b});
        const auto update = h.compare(2, 1, {a2});  // b missing: re-read follows
        REQUIRE(update.size() == 1u);
        CHECK(h.finish(2, 1).missing == 1u);
        CHECK(h.compare(2, 2, {a2}).empty());
        std::vector<Event> purged;
        h.finish(2, 2, true, &purged);
        REQUIRE(purged.size() == 1u);
        CHECK(purged[0].key == RecordKey{1, 3});
        CHECK(h.differ.events_in_flight() == 2u);
        h.ack(update[0]);
        h.ack(purged[0]);
        CHECK(h.compare(3, 1, {a2}).empty());
    }
    SECTION("the same line twice in one read") {
        const auto events = h.compare(1, 1, {a, a});
        CHECK(events.size() == 1u);
    }
    SECTION("a new record re-read before its ack") {
        REQUIRE(h.compare(1, 1, {a}).size() == 1u);
        CHECK(h.compare(1, 2, {a}).empty());
        CHECK(h.compare(2, 1, {a}).empty());
    }
}

TEST_CASE("diff: two versions in flight, the later one is what stays committed", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING"), a2 = line(1, 2, "STARTED"), a3 = line(1, 2, "SUCCEED");
    h.cycle(1, {a});
    const auto e2 = h.compare(2, 1, {a2});
    const auto e3 = h.compare(3, 1, {a3});
    REQUIRE(e2.size() == 1u);
    REQUIRE(e3.size() == 1u);
    CHECK(e3[0].type == EventType::Update);
    h.ack(e2[0]);
    h.ack(e3[0]);
    CHECK(h.mdt().find({1, 2})->hash == ingest::fingerprint(a3));
    CHECK(h.compare(4, 1, {a3}).empty());
}

TEST_CASE("diff: GC's refresh flag re-ships an unchanged line as a refresh UPDATE", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "STARTED");
    h.cycle(1, {a});
    LiveRecord* r = h.mdt().find({1, 2});
    REQUIRE(r);
    r->first_seen = 111;
    r->reship = kReshipRefresh;
    SECTION("acknowledged") {
        const auto events = h.compare(2, 1, {a});
        REQUIRE(events.size() == 1u);
        CHECK(events[0].type == EventType::Update);
        CHECK((events[0].flags & kRefresh) != 0);
        CHECK(events[0].first_seen == 111);
        CHECK(events[0].raw == a);
        h.ack(events[0]);
        r = h.mdt().find({1, 2});
        CHECK(r->reship == 0);
        CHECK(r->first_seen == 111u);
        CHECK(r->last_id() == StreamId{1001, 0});  // the trim point moves forward
        CHECK(h.compare(3, 1, {a}).empty());
    }
    SECTION("not acknowledged: asked again next cycle") {
        const auto events = h.compare(2, 1, {a});
        REQUIRE(events.size() == 1u);
        h.ack(events[0], false);
        CHECK(h.mdt().find({1, 2})->reship == kReshipRefresh);
        h.finish(2, 1);
        const auto again = h.compare(3, 1, {a});
        REQUIRE(again.size() == 1u);
        CHECK((again[0].flags & kRefresh) != 0);
    }
}

TEST_CASE("diff: GC's rebuild flag re-ships an unchanged line as a maintenance NEW", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "STARTED");
    h.cycle(1, {a});
    h.mdt().find({1, 2})->reship = kReshipRebuild;
    const auto events = h.compare(2, 1, {a});
    REQUIRE(events.size() == 1u);
    CHECK(events[0].type == EventType::New);
    CHECK((events[0].flags & kFromMaintenance) != 0);
    CHECK((events[0].flags & kRefresh) == 0);
    h.ack(events[0]);
    CHECK(h.mdt().find({1, 2})->reship == 0);
    CHECK(h.compare(3, 1, {a}).empty());
}

TEST_CASE("diff: a changed line of a flagged record is an ordinary change", "[diff]") {
    Harness h;
    h.cycle(1, {line(1, 2, "STARTED")});
    h.mdt().find({1, 2})->reship = kReshipRefresh;
    const auto events = h.compare(2, 1, {line(1, 2, "SUCCEED")});
    REQUIRE(events.size() == 1u);
    CHECK(events[0].type == EventType::Update);
    CHECK((events[0].flags & kRefresh) == 0);
    h.ack(events[0]);
    CHECK(h.mdt().find({1, 2})->reship == 0);
}

TEST_CASE("diff: MDTs are independent", "[diff]") {
    Harness h;
    const std::uint32_t other = h.state.slot_of("fs-MDT0001");
    const auto a = line(1, 2, "WAITING");
    auto e0 = h.compare(1, 1, {a});
    auto e1 = h.compare(1, 1, {a}, other);
    REQUIRE(e0.size() == 1u);
    REQUIRE(e1.size() == 1u);
    CHECK(e1[0].mdt == "fs-MDT0001");
    CHECK(e1[0].mdt_slot == other);
    h.ack(e0[0]);
    h.ack(e1[0]);
    CHECK(h.state.at(other).size() == 1u);
    // MDT0001 emptied: purged there only.
    h.compare(2, 1, {a});
    h.finish(2, 1);
    CHECK(h.finish(2, 1, true, nullptr, other).missing == 1u);
    std::vector<Event> purged;
    h.finish(2, 2, true, &purged, other);
    REQUIRE(purged.size() == 1u);
    CHECK(purged[0].mdt == "fs-MDT0001");
    h.ack(purged[0]);
    CHECK(h.state.at(other).size() == 0u);
    CHECK(h.mdt().size() == 1u);
}

TEST_CASE("diff: bad lines reported by the reader are counted", "[diff]") {
    Harness h;
    ReadBatch fin;
    fin.mdt_slot = h.slot;
    fin.cycle = 1;
    fin.final = true;
    fin.complete = true;
    fin.bad_lines = 7;
    h.differ.finish_pass(fin, h.sink);
    CHECK(h.counters.bad_lines == 7u);
}

TEST_CASE("diff: records acknowledged before the end of the first pass are not missing", "[diff]") {
    Harness h;
    const auto events = h.compare(1, 1, {line(1, 2, "WAITING"), line(1, 3, "WAITING")});
    h.ack_all(events);  // the publisher is faster than the reader's final batch
    CHECK(h.finish(1, 1).missing == 0u);  // both were printed by this very pass
}

TEST_CASE("diff: a new record acknowledged during the confirming re-read is not purged", "[diff]") {
    Harness h;
    const auto z = line(1, 1, "SUCCEED"), x = line(1, 2, "WAITING");
    h.cycle(1, {z});
    // Cycle 2: z left the log, x arrived.
    const auto news = h.compare(2, 1, {x});
    REQUIRE(news.size() == 1u);
    CHECK(h.finish(2, 1).missing == 1u);  // z: re-read
    CHECK(h.compare(2, 2, {x}).empty());   // x is in flight
    h.ack(news[0]);                        // its ack lands before the re-read's final batch
    std::vector<Event> purged;
    h.finish(2, 2, true, &purged);
    REQUIRE(purged.size() == 1u);          // z only: x was printed by both passes
    CHECK(purged[0].key == RecordKey{1, 1});
}

// A line the reader recognised from its previous pass arrives without its fields
// (ingest/pass_memory.hpp): the diff locates them through the batch only when it builds an event,
// and a line they cannot be located in (a fingerprint collision) is counted bad, never shipped
// with empty fields.
TEST_CASE("diff: fields of a recalled line are located only for an event", "[diff]") {
    Harness h;
    const auto a = line(1, 2, "WAITING", "RESTORE"), b = line(1, 3, "STARTED");
    h.ack_all(h.compare(1, 1, {a, b}));
    static int located = 0;
    located = 0;
    const auto recalled = [&](std::uint32_t cycle, const std::vector<std::string>& lines, FieldLocator locate) {
        ReadBatch batch = h.batch(cycle, 1, lines);
        for (LineRef& l : batch.lines) {
            l.fid_off = l.fid_len = l.action_off = l.action_len = l.status_off = l.status_len = 0;
            l.fields_located = false;
        }
        batch.locate_fields = locate;
        h.emitted.clear();
        h.differ.compare(batch, h.sink);
        return std::move(h.emitted);
    };
    const FieldLocator counting = [](std::string_view text, LineRef& ref) {
        ++located;
        ingest::ParsedLine p;
        if (ingest::parse_line(text, p) != ingest::ParseError::None) return false;
        ref.fid_off = static_cast<std::uint16_t>(p.fid.data() - text.data());
        ref.fid_len = static_cast<std::uint16_t>(p.fid.size());
        ref.action_off = static_cast<std::uint16_t>(p.action.data() - text.data());
        ref.action_len = static_cast<std::uint16_t>(p.action.size());
        ref.status_off = static_cast<std::uint16_t>(p.status.data() - text.data());
        ref.status_len = static_cast<std::uint16_t>(p.status.size());
        ref.fields_located = true;
        return true;
    };
    // Unchanged and committed: no event, nothing located.
    CHECK(recalled(2, {a, b}, counting).empty());
    CHECK(located == 0);
    // GC asked for a re-ship of the unchanged record (1,2): its event carries the real fields.
    h.mdt().find({1, 2})->reship = kReshipRefresh;
    const auto events = recalled(3, {a, b}, counting);
    REQUIRE(events.size() == 1u);
    CHECK(located == 1);
    CHECK(events[0].fid == "0x200000401:0x2:0x0");
    CHECK(events[0].action == "RESTORE");
    CHECK(events[0].status == "WAITING");
    CHECK(events[0].raw == a);
    h.ack_all(events);
    // No way to locate them: not shipped, counted as a bad line.
    h.mdt().find({1, 3})->reship = kReshipRefresh;
    const std::uint64_t bad_before = h.counters.bad_lines.load();
    CHECK(recalled(4, {a, b}, nullptr).empty());
    CHECK(h.counters.bad_lines.load() == bad_before + 1);
    CHECK(h.differ.events_in_flight() == 0u);
}
