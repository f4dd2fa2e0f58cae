// Stream keys and action keys (see wire.hpp): the two names every reader and writer must spell
// the same way.
#include "wire/wire.hpp"

namespace hsm::wire {

std::string stream_key(std::string_view prefix, std::string_view mdt) {
    std::string key;
    key.reserve(prefix.size() + 1 + mdt.size());
    key.append(prefix).append(":").append(mdt);
    return key;
}

void append_action_key(std::string& out, std::string_view fid, std::string_view action) {
    out.append(fid).append(":").append(action);
}

}  // namespace hsm::wire
