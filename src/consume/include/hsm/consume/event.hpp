// One decoded stream entry, as every consumer sees it (fields: docs/wire-format.md in the
// lustre-hsm-action-stream sources).
// Strings are views, not copies, so a replay of millions of entries allocates nothing per event;
// they point into the StreamReader batch that produced the event and die with it.
#pragma once

#include <cstdint>
#include <string_view>

#include "hsm/wire/event_type.hpp"
#include "hsm/wire/stream_id.hpp"

namespace hsm::consume {

// A Redis stream entry ID `<ms>-<seq>`; ms is the Redis server's clock when the entry was added.
// The one ID type of the project (hsm/wire/stream_id.hpp): parse() accepts "<ms>-<seq>" and
// "<ms>", str() prints "<ms>-<seq>", IDs compare in stream order.
using EntryId = hsm::StreamId;

// NEW, UPDATE or PURGED (hsm/wire/event_type.hpp); to_string() gives the wire name.
using hsm::EventType;
using hsm::to_string;

// A valid event: `event_type` is NEW/UPDATE/PURGED, `mdt` is present, and either the record
// indices are present or (a Python maintenance PURGED) `action_key` is. Entries that fail these
// checks never reach consumers; the reader skips and counts them. (A reader made with
// ReaderOptions::require_index false also delivers events without indices, has_index false.)
struct Event {
    std::string_view stream;  // "hsm:actions:elm-MDT0003"
    EntryId id;
    EventType type = EventType::New;
    std::string_view mdt;
    std::string_view fid;         // empty when absent
    std::string_view action;      // empty when absent
    std::string_view status;      // "PURGED" for PURGED events
    std::string_view action_key;  // "<fid>:<action>", empty when absent
    std::string_view source;      // "maintenance" for GC repairs, else empty
    bool has_index = false;       // cat_idx/rec_idx present (always, except Python maintenance)
    std::uint32_t cat_idx = 0;
    std::uint32_t rec_idx = 0;
    std::int64_t timestamp = 0;   // Unix seconds the shipper observed the change; 0 if absent
    std::int64_t first_seen = 0;  // UPDATEs (and refreshes): Unix seconds of the first NEW; else 0
    bool refresh = false;         // a re-publication of an unchanged record (treat as UPDATE)
    std::string_view data;        // the whole JSON object, for fields not decoded here
};

}  // namespace hsm::consume
