// The wire format of docs/wire-format.md, in one place: the stream key of an MDT, the event
// encoder (the shipper's side), the rule for PURGEDs the Python 0.3 shipper wrote, and (in
// wire/decoder.hpp) the one decoder that GC replay, the consumer API and the tests use.
// The entry-ID type and the event type enum live in hsm/wire/{stream_id,event_type}.hpp, which
// the installed consumer headers include; the consumer package archives this library's objects
// too (src/consume/CMakeLists.txt), so the decoder it ships is this one.
// Every function here is pure (no I/O, no shared state): thread-safe on distinct arguments.
#pragma once

#include <string>
#include <string_view>

#include "core/event.hpp"
#include "hsm/consume/event.hpp"
#include "hsm/wire/event_type.hpp"
#include "hsm/wire/stream_id.hpp"

namespace hsm::wire {

// The Redis stream of an MDT: "<prefix>:<mdt>", e.g. "hsm:actions:elm-MDT0003".
std::string stream_key(std::string_view prefix, std::string_view mdt);

// Appends the event's JSON object to `out` (no allocation once `out` has grown): the fields of
// docs/wire-format.md in a fixed order, every string escaped so that any bytes in a line still
// give valid JSON. Byte-identical output is part of the format (tests/wire/test_golden.cpp).
void encode_event(const hsm::Event& e, std::string& out);

// A record's action key, "<fid>:<action>" (not unique: Python consumers key on it).
void append_action_key(std::string& out, std::string_view fid, std::string_view action);

// The one rule for PURGED entries the Python 0.3 maintenance pass wrote, which carry an
// `action_key` but no cat_idx/rec_idx: such a PURGED removes every live record of its MDT whose
// action key equals it and whose newest entry is older than the PURGED. (A PURGED with indices
// removes that record only; one with neither is not an event, and the decoder rejects it.)
// A reader that applies entries in stream order (LiveState) only ever holds older records; GC
// replay, which applies these at the end of the stream, compares the IDs with purges().
inline bool is_action_key_purge(const consume::Event& e) { return e.type == EventType::Purged && !e.has_index; }
inline bool purges(StreamId purge, StreamId record_newest) { return record_newest < purge; }

}  // namespace hsm::wire
