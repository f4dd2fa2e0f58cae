// Differ: the comparison and commit rules (see diff.hpp).
#include <spdlog/spdlog.h>

#include "diff/diff.hpp"

namespace hsm::diff {

namespace {
std::string_view field(const ReadBatch& b, const LineRef& l, std::uint16_t off, std::uint16_t len) {
    return std::string_view(b.text).substr(l.offset + off, len);
}
}  // namespace

Event Differ::make_event(EventType type, const ReadBatch& batch, const LineRef& line) const {
    Event e;
    e.type = type;
    e.mdt_slot = batch.mdt_slot;
    e.key = line.key;
    e.hash = line.hash;
    e.timestamp = batch.observed_at;
    e.mdt = state_.at(batch.mdt_slot).name();
    e.fid = field(batch, line, line.fid_off, line.fid_len);
    e.action = field(batch, line, line.action_off, line.action_len);
    e.status = field(batch, line, line.status_off, line.status_len);
    e.raw = std::string_view(batch.text).substr(line.offset, line.length);
    return e;
}

EventType Differ::classify(const LiveRecord* committed, bool in_flight, std::uint64_t hash) {
    if (!committed) return in_flight ? EventType::Update : EventType::New;
    if (committed->hash == hash && (committed->reship & kReshipRebuild)) return EventType::New;
    return EventType::Update;
}

void Differ::inject(Event&& event, const EventSink& emit) {
    ++in_flight_;
    emit(std::move(event));
}

// Starts the per-slot bookkeeping of `cycle` on its first batch, so records committed by acks
// during the cycle are counted as printed by it (they were: their event came from this read).
void Differ::begin_cycle(std::uint32_t slot, std::uint32_t cycle) {
    if (pending_.size() < state_.slots()) {
        pending_.resize(state_.slots());
        seen_count_.resize(state_.slots(), 0);
        seen_count_cycle_.resize(state_.slots(), 0);
    }
    if (seen_count_cycle_[slot] != cycle) {
        seen_count_cycle_[slot] = cycle;
        seen_count_[slot] = 0;
        if (slot < maybe_landed_.size()) {
            for (const auto& [key, hash] : maybe_landed_[slot]) pending_[slot].erase_if(key, hash);
            maybe_landed_[slot].clear();
        }
    }
}

void Differ::mark_seen(std::uint32_t slot, std::uint32_t cycle, LiveRecord& record) {
    if (record.seen_cycle != cycle) {
        record.seen_cycle = cycle;
        ++seen_count_[slot];
    }
}

std::size_t Differ::compare(const ReadBatch& batch, const EventSink& emit) {
    const std::uint32_t slot = batch.mdt_slot;
    begin_cycle(slot, batch.cycle);
    MdtState& mdt = state_.at(slot);
    auto& pending = pending_[slot];
    std::size_t unchanged = 0;
    for (const LineRef& line : batch.lines) {
        LiveRecord* committed = mdt.find(line.key);
        if (committed) mark_seen(slot, batch.cycle, *committed);
        const std::uint64_t* in_flight = pending.find(line.key.packed());
        if (in_flight && *in_flight == line.hash) {
            ++unchanged;  // same line again (re-read or duplicate): its event is in flight
            continue;
        }
        if (committed && committed->hash == line.hash && !committed->reship) {
            ++unchanged;
            continue;
        }
        // A line the reader recognised from its previous pass comes without its fields: locate
        // them now that an event needs them (rare: a re-ship, or a change not committed yet).
        LineRef located = line;
        if (!located.fields_located &&
            !(batch.locate_fields &&
              batch.locate_fields(std::string_view(batch.text).substr(line.offset, line.length), located))) {
            // Only a fingerprint collision gets here; the diff trusts fingerprints anyway.
            counters_.bad_lines.fetch_add(1, std::memory_order_relaxed);
            ++unchanged;
            continue;
        }
        Event e = make_event(classify(committed, in_flight != nullptr, line.hash), batch, located);
        if (mdt.repairing) e.flags |= kFromMaintenance;
        if (committed) e.first_seen = committed->first_seen;
        if (committed && committed->hash == line.hash) {
            // Unchanged line shipped again on GC's request: say why.
            if (committed->reship & (kReshipRebuild | kReshipRepair)) e.flags |= kFromMaintenance;
            if (committed->reship == kReshipRefresh) e.flags |= kRefresh;
        }
        pending.set(line.key.packed(), line.hash);
        ++in_flight_;
        emit(std::move(e));
    }
    return unchanged;
}

DiffReport Differ::finish_pass(const ReadBatch& fin, const EventSink& emit) {
    DiffReport report;
    report.kind = DiffReport::Kind::PassDone;
    report.mdt_slot = fin.mdt_slot;
    report.pass = fin.pass;
    report.complete = fin.complete;
    counters_.bad_lines.fetch_add(fin.bad_lines, std::memory_order_relaxed);
    if (!fin.complete) return report;
    begin_cycle(fin.mdt_slot, fin.cycle);
    MdtState& mdt = state_.at(fin.mdt_slot);
    const std::size_t seen = seen_count_[fin.mdt_slot];
    report.missing = mdt.size() - std::min(seen, mdt.size());
    if (report.missing == 0 || fin.pass < 2) return report;
    mdt.for_each([&](RecordKey key, LiveRecord& r) {
        if (r.seen_cycle == fin.cycle) return;
        ++in_flight_;
        emit(make_purged(fin.mdt_slot, key, r.hash, fin.observed_at, mdt.name(), mdt.fid(key, r),
                         std::string(mdt.action(key, r))));
    });
    return report;
}

// Records what Redis now holds for a NEW/UPDATE: the line's fingerprint and the entry ID.
void Differ::commit(MdtState& mdt, const Event& e) {
    bool inserted = false;
    LiveRecord& r = mdt.upsert(e.key, e.fid, e.action, &inserted);
    r.hash = e.hash;
    r.id_ms = e.id.ms;
    r.id_seq = e.id.seq;
    r.reship = 0;
    if (!inserted) return;
    r.first_seen = static_cast<std::uint32_t>(e.first_seen ? e.first_seen : e.timestamp);
    // Committed during this cycle, so printed by this cycle's read (see begin_cycle).
    r.seen_cycle = seen_count_cycle_.size() > e.mdt_slot ? seen_count_cycle_[e.mdt_slot] : 0;
    if (r.seen_cycle) ++seen_count_[e.mdt_slot];
}

void Differ::acknowledge(const Event& e) {
    if (in_flight_ > 0) --in_flight_;
    MdtState& mdt = state_.at(e.mdt_slot);
    if (e.mdt_slot < pending_.size()) {
        if (e.id.empty() && e.outcome_unknown && e.type != EventType::Purged) {
            // Still "in flight" for the rest of this cycle (see maybe_landed_).
            if (maybe_landed_.size() < pending_.size()) maybe_landed_.resize(pending_.size());
            maybe_landed_[e.mdt_slot].emplace_back(e.key.packed(), e.hash);
        } else {
            pending_[e.mdt_slot].erase_if(e.key.packed(), e.hash);  // frees its memory once empty
        }
    }
    if (e.id.empty()) {
        ++failed_;
        counters_.events_failed.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    dirty = true;
    if (e.id > mdt.newest_written) mdt.newest_written = e.id;
    if (shipped_by_slot_.size() <= e.mdt_slot) shipped_by_slot_.resize(e.mdt_slot + 1, 0);
    ++shipped_by_slot_[e.mdt_slot];
    if (e.flags & kFromMaintenance) counters_.repairs.fetch_add(1, std::memory_order_relaxed);
    switch (e.type) {
        case EventType::New: counters_.events_new.fetch_add(1, std::memory_order_relaxed); break;
        case EventType::Update: counters_.events_update.fetch_add(1, std::memory_order_relaxed); break;
        case EventType::Purged: counters_.events_purged.fetch_add(1, std::memory_order_relaxed); break;
    }
    if (e.type == EventType::Purged)
        mdt.erase(e.key);
    else
        commit(mdt, e);
}

}  // namespace hsm::diff
