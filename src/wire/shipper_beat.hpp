// The shipper heartbeat, known once: the Redis hash each hsm-action-shipper rewrites every cycle
// at <redis_shipper_prefix>:<host> (outside the stream prefix, so no stream consumer meets it),
// its fields, its TTL, when it counts as stale, and how the tools read every heartbeat back.
// The writer is src/shipper/heartbeat.*; hsm-stream-stats and hsm-action-top read with
// read_beats(). Fields are strings (a Redis hash), numbers in decimal, times in Unix ms.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/redis.hpp"

namespace hsm::beat {

struct ShipperBeat {
    std::string host;     // from the key, so two hosts never share one
    std::string version;  // the shipper's version
    std::int64_t pid = 0;
    std::vector<std::string> mdts;  // MDTs this host shipped in its last cycle (field "mdts", comma-separated)
    double poll_interval = 0;       // seconds; what stale() measures the age against
    std::int64_t cycle_started_ms = 0;  // Unix ms when the last cycle began
    double cycle_seconds = 0;           // how long it took
    std::int64_t written_ms = 0;        // Unix ms of this write (the end of that cycle)
    double checkpoint_seconds = 0;      // the cycle's checkpoint write (0: nothing changed)
    bool checkpoint_ok = true;
    // PipelineCounters since the shipper started:
    std::uint64_t cycles = 0, events_shipped = 0, events_refused = 0, reconnects = 0, reader_waits = 0,
                  rereads = 0, takeovers = 0, rebuilds = 0, repairs = 0, trims = 0, trimmed_entries = 0,
                  compactions = 0, compacted_entries = 0, bad_lines = 0;
};

// "<prefix>:<host>".
std::string key(std::string_view prefix, std::string_view host);

// Field/value pairs for HSET, in a fixed order. The host is the key's, not a field's.
std::vector<std::pair<std::string, std::string>> to_fields(const ShipperBeat& b);
// The inverse; unknown fields are ignored (a newer shipper may add some) and unreadable numbers
// read 0, so one odd hash never hides the others.
ShipperBeat from_fields(std::string host, const std::vector<std::pair<std::string, std::string>>& fields);

// A heartbeat is stale when its last write is older than kStaleIntervals poll intervals, and at
// least kStaleFloorSeconds: the shipper missed two cycles in a row (it is hung, stopped, or cut
// off from Redis). The hash itself expires after ttl_seconds(): a shipper gone for good drops
// out of the list, after having been shown stale for a while.
inline constexpr double kStaleIntervals = 3;
inline constexpr double kStaleFloorSeconds = 2;
bool stale(const ShipperBeat& b, std::int64_t now_ms);
std::int64_t age_seconds(const ShipperBeat& b, std::int64_t now_ms);  // never negative
// 10 poll intervals, at least 10 s, whole seconds rounded up (EXPIRE takes seconds).
std::int64_t ttl_seconds(double poll_interval);

// Every heartbeat under `prefix`, sorted by host: SCAN MATCH <prefix>:* then HGETALL of each
// key. A key that vanished in between (expired) or is not a hash is skipped. Returns false with
// `problem` set when Redis failed or refused (the tools then leave shippers out of their report).
bool read_beats(RedisConnection& redis, std::string_view prefix, std::vector<ShipperBeat>& out,
                RedisProblem& problem);

}  // namespace hsm::beat
