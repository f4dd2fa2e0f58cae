// LiveState: the set of live HSM actions rebuilt from events, with counts by (mdt, action,
// status). Every tool derives its numbers from it, so "live" means one thing everywhere.
// Names are interned once (a handful of MDTs, actions and statuses), so applying an event
// allocates nothing unless it creates a record.
//
// Not thread-safe; views it returns stay valid for the LiveState's lifetime.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "hsm/consume/event.hpp"

namespace hsm::consume {

class Batch;

// One (mdt, action, status) combination. `group` is a stable small integer per combination,
// handy for diffing two snapshots without comparing strings.
struct BreakdownRow {
    std::uint32_t group = 0;
    std::string_view mdt;
    std::string_view action;  // "unknown" when the events carried none
    std::string_view status;
    std::uint64_t count = 0;
};

class LiveState {
public:
    LiveState();
    ~LiveState();
    LiveState(LiveState&&) noexcept;
    LiveState& operator=(LiveState&&) noexcept;

    // NEW/UPDATE (refresh included) make the record live with the event's action and status;
    // PURGED removes it. A record is keyed by (mdt, cat_idx, rec_idx); a PURGED without indices
    // (Python maintenance) removes the live records of that MDT whose action_key matches.
    void apply(const Event& event);
    void apply(const Batch& batch);

    std::uint64_t live() const { return live_; }
    std::uint64_t events_applied() const { return events_; }
    // PURGED events for records that were not live (already purged, or their NEW trimmed away).
    std::uint64_t unmatched_purges() const { return unmatched_purges_; }
    // The newest entry applied: its ID and its ms (Redis clock) say when the last event happened.
    EntryId last_id() const { return last_id_; }

    // When the oldest live action was first seen, in Unix ms: the `first_seen` the shipper puts
    // on UPDATEs (its NEW may be compacted away) when there is one, else the ID of the first
    // entry seen for the record.
    // nullopt when nothing is live. Scans every live record: call it per report, not per event.
    std::optional<std::int64_t> oldest_live_ms() const;

    // Counts sorted by (mdt, action, status); combinations at zero are left out unless asked.
    std::vector<BreakdownRow> breakdown(bool include_zero = false) const;

private:
    bool erase(std::uint32_t mdt, std::uint64_t key);
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint64_t live_ = 0;
    std::uint64_t events_ = 0;
    std::uint64_t unmatched_purges_ = 0;
    EntryId last_id_;
};

}  // namespace hsm::consume
