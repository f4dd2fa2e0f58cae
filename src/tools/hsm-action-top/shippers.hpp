// The shippers section of hsm-action-top: one line per shipper from its heartbeat hash
// (wire/shipper_beat.hpp), a stale one marked STALE, so "this MDT is idle" (an alive shipper
// owning it, no events) and "its shipper is dead" (a STALE line, or none) look different.
// ShipperWatch re-reads the heartbeats on a connection of its own, at most once per `every`,
// with the connection's backoff while Redis fails. Not thread-safe (the screen's one thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/redis.hpp"
#include "wire/shipper_beat.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume::top {

// The lines shown for `beats` at `now_ms`; `beats` nullopt: they could not be read, `why` says
// why. Host and MDT names are escaped (they come from Redis).
std::vector<std::string> shipper_lines(const std::optional<std::vector<beat::ShipperBeat>>& beats,
                                       const std::string& why, const std::string& prefix, std::int64_t now_ms);

class ShipperWatch {
public:
    ShipperWatch(const ReaderOptions& options, std::string prefix);
    // Reads the heartbeats now if `every` has passed since the last read (or none was made).
    void refresh(std::chrono::steady_clock::duration every);
    std::vector<std::string> lines(std::int64_t now_ms) const { return shipper_lines(beats_, why_, prefix_, now_ms); }

private:
    RedisConnection redis_;
    std::string prefix_;
    std::optional<std::vector<beat::ShipperBeat>> beats_;
    std::string why_ = "not read yet";
    std::optional<std::chrono::steady_clock::time_point> last_;
};

std::int64_t unix_ms_now();

}  // namespace hsm::consume::top
