// The one event type enum of the wire format and its names as they appear in `event_type`
// (docs/wire-format.md). Header-only and standard-library-only: the installed consumer headers
// include it, and so does the shipper's core/event.hpp.
#pragma once

#include <cstdint>
#include <string_view>

namespace hsm {

enum class EventType : std::uint8_t { New, Update, Purged };

// "NEW", "UPDATE", "PURGED" (the literal is NUL-terminated: data() may be used as a C string).
constexpr std::string_view to_string(EventType t) {
    switch (t) {
        case EventType::New: return "NEW";
        case EventType::Update: return "UPDATE";
        case EventType::Purged: return "PURGED";
    }
    return "UNKNOWN";
}

// The inverse of to_string(): false for any other text (the names are case-sensitive).
constexpr bool parse_event_type(std::string_view s, EventType& out) {
    if (s == "NEW") out = EventType::New;
    else if (s == "UPDATE") out = EventType::Update;
    else if (s == "PURGED") out = EventType::Purged;
    else return false;
    return true;
}

// The shipper's name for to_string(), kept for its callers; same strings.
constexpr const char* event_type_name(EventType t) { return to_string(t).data(); }

}  // namespace hsm
