// The shipper's heartbeat writer: after every cycle, the coordinator hands it what the cycle did
// and the pipeline counters, and it rewrites this host's hash <redis_shipper_prefix>:<host>
// (fields and TTL: wire/shipper_beat.hpp) with one pipelined HSET + EXPIRE on a connection of its
// own. It is how an admin tells "this MDT is idle" from "its shipper is dead", and what makes the
// counters of core/pipeline.hpp visible (hsm-stream-stats, hsm-action-top).
//
// A heartbeat must never cost shipping: a refused or failed write is logged once per change of
// state (then "working again"), reconnects follow the connection's capped backoff, and write()
// never throws. Not thread-safe: the coordinator thread owns it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/pipeline.hpp"
#include "services/redis.hpp"
#include "wire/shipper_beat.hpp"

namespace hsm::shipper {

// What the coordinator knows about the cycle that just ended.
// (The cycle's duration is read from PipelineCounters::last_cycle_micros.)
struct CycleFacts {
    double checkpoint_seconds = 0;  // of its checkpoint write
    bool checkpoint_ok = true;
    std::vector<std::string> mdts;  // MDTs shipped this cycle (not standing by, stream checked)
};

class HeartbeatWriter {
public:
    // `endpoint` is used as given (quiet: this class logs its own failures).
    HeartbeatWriter(RedisEndpoint endpoint, std::string prefix, std::string host, double poll_interval);

    // Writes the heartbeat now (when the backoff allows a connection). Returns whether Redis took it.
    bool write(const CycleFacts& cycle, const PipelineCounters& counters);

    // On a clean stop (SIGTERM): deletes the hash if it still holds this writer's last write (its
    // pid and written_ms), so a shipper stopped on purpose leaves top and stats at once instead
    // of showing STALE until the TTL ends. A crash or kill -9 never gets here: its hash expires,
    // STALE in between, which is what an admin must see. Needs EVAL, HGET and DEL on the key
    // (README's ACL line); refused or failed, it logs one warning and the hash expires as before.
    // True when no hash of ours is left (deleted, never written, or rewritten by another).
    bool remove();

    const std::string& key() const { return key_; }
    std::uint64_t failures() const { return log_.total_failures(); }

private:
    RedisConnection redis_;
    std::string key_;
    double poll_interval_;
    FaultLog log_;
    std::optional<std::pair<std::string, std::string>> written_;  // pid, written_ms of the last write
};

// The heartbeat as this process would write it now (exposed for tests and for write()).
beat::ShipperBeat make_beat(const CycleFacts& cycle, const PipelineCounters& counters, double poll_interval);

}  // namespace hsm::shipper
