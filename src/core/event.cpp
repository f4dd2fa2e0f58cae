// The one builder of PURGED events (see event.hpp): the differ's vanished records and the GC's
// orphans both come through here, so the two cannot disagree on what a PURGED carries.
#include "event.hpp"

namespace hsm {

Event make_purged(std::uint32_t mdt_slot, RecordKey key, std::uint64_t hash, std::int64_t timestamp,
                  std::string mdt, std::string fid, std::string action, std::uint8_t flags) {
    Event e;
    e.type = EventType::Purged;
    e.flags = flags;
    e.mdt_slot = mdt_slot;
    e.key = key;
    e.hash = hash;
    e.timestamp = timestamp;
    e.mdt = std::move(mdt);
    e.fid = std::move(fid);
    e.action = std::move(action);
    e.status = std::string(to_string(EventType::Purged));
    return e;
}

}  // namespace hsm
