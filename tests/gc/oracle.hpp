// The oracle every GC scenario ends with: the live set replayed from each stream must equal the
// records in the MDT files, status for status.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "shipper_fixture.hpp"

namespace hsm::test {

using LiveSet = std::map<std::pair<std::int64_t, std::int64_t>, std::string>;  // (cat, rec) -> status

// Replays the stream the way consumers do: NEW/UPDATE set the status, PURGED removes.
LiveSet stream_live_set(const RedisServer& redis, const std::string& key);
// The records of an hsm/actions file (short or kernel format), by (cat, rec).
LiveSet file_live_set(const fs::path& actions);

}  // namespace hsm::test
