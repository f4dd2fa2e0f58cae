// Names of event types as they appear on the wire (docs/wire-format.md).
#include "event.hpp"

namespace hsm {

const char* event_type_name(EventType t) {
    switch (t) {
        case EventType::New: return "NEW";
        case EventType::Update: return "UPDATE";
        case EventType::Purged: return "PURGED";
    }
    return "UNKNOWN";
}

}  // namespace hsm
