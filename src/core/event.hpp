// The unit that flows between pipeline stages: one NEW/UPDATE/PURGED change of one record.
// Events own their strings because they cross threads (diff -> publish -> back to diff for the
// commit); an event is created per change, never per unchanged line.
#pragma once

#include <cstdint>
#include <string>

#include "hsm/wire/event_type.hpp"  // EventType and its names
#include "hsm/wire/stream_id.hpp"

namespace hsm {

// Why an event exists beyond "the file changed"; both end up as JSON fields.
enum EventFlag : std::uint8_t {
    kFromMaintenance = 1,  // a GC repair: "source": "maintenance"
    kRefresh = 2,          // re-published so trimming can advance: "refresh": true
};

// A record's identity on its MDT: `idx=C/R` (see docs/lustre-actions.md).
struct RecordKey {
    std::uint32_t cat_idx = 0;
    std::uint32_t rec_idx = 0;
    std::uint64_t packed() const { return (std::uint64_t{cat_idx} << 32) | rec_idx; }
    static RecordKey unpack(std::uint64_t v) {
        return {static_cast<std::uint32_t>(v >> 32), static_cast<std::uint32_t>(v)};
    }
    auto operator<=>(const RecordKey&) const = default;
};

struct Event {
    EventType type = EventType::New;
    std::uint8_t flags = 0;
    std::uint32_t mdt_slot = 0;  // index into the shipper's MDT registry (stable for a run)
    RecordKey key;
    std::uint64_t hash = 0;        // XXH3-64 of `raw` (for PURGED: of the last line seen)
    std::int64_t timestamp = 0;    // Unix seconds of the observing cycle
    std::int64_t first_seen = 0;   // NEW/UPDATE of a known record: when it was first shipped
    std::string mdt;               // MDT name, e.g. "elm-MDT0003"
    std::string fid;               // brackets stripped
    std::string action;
    std::string status;            // "PURGED" for PURGED events
    std::string raw;               // whole line without newline; empty for PURGED
    // Filled by the publisher: the entry ID Redis assigned, or empty when the XADD failed.
    StreamId id;
    // Set by the publisher with an empty `id` when the XADD was sent on a connection that failed
    // before its reply came: Redis may have executed it (it landed, unacknowledged).
    bool outcome_unknown = false;
};

// A PURGED event for a record that is gone: status "PURGED", no `raw` line and no first_seen
// (docs/wire-format.md); `hash` is the fingerprint of the record's last line. `flags` is
// kFromMaintenance for a GC repair, else 0.
Event make_purged(std::uint32_t mdt_slot, RecordKey key, std::uint64_t hash, std::int64_t timestamp,
                  std::string mdt, std::string fid, std::string action, std::uint8_t flags = 0);

}  // namespace hsm
