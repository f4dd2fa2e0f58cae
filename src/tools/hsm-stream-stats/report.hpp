// What hsm-stream-stats reports, and its three renderings: JSON (the seed's shape, for Telegraf's
// json_v2), InfluxDB line protocol (Telegraf's `influx` format) and Prometheus text exposition
// (node_exporter's textfile collector). Rendering takes plain values, never Redis.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wire/shipper_beat.hpp"

#include "hsm/consume/live_state.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume::stats {

struct StreamRow {
    std::string mdt;
    std::uint64_t length = 0;
    std::int64_t age_seconds = 0;               // since the stream's oldest entry
    std::int64_t newest_entry_age_seconds = 0;  // since its newest entry
};

struct BreakdownLine {
    std::string mdt, action, status;
    std::uint64_t count = 0;
};

// One shipper's heartbeat (wire/shipper_beat.hpp) as reported: `alive` is false once the
// heartbeat is stale (the shipper missed cycles: hung, stopped or cut off from Redis).
struct ShipperRow {
    std::string host, version;
    std::vector<std::string> mdts;
    bool alive = false;
    std::int64_t heartbeat_age_seconds = 0;
    std::int64_t cycle_ms = 0, checkpoint_ms = 0;  // the last cycle and its checkpoint write
    std::uint64_t cycles = 0, events_shipped = 0, events_refused = 0, reconnects = 0, reader_waits = 0,
                  takeovers = 0, rebuilds = 0, repairs = 0, trims = 0, compactions = 0, bad_lines = 0;
};

struct Report {
    std::uint64_t total_live_actions = 0;
    std::int64_t oldest_live_action_age_seconds = 0;
    std::uint64_t total_events_replayed = 0;
    std::uint64_t total_stream_entries = 0;  // sum of the streams' lengths at the snapshot
    std::vector<StreamRow> streams;
    std::vector<BreakdownLine> breakdown;  // sorted by (mdt, action, status)
    // Sorted by host. nullopt when the heartbeats could not be read (a user without HGETALL on
    // the shipper prefix): the outputs then leave shippers and shippers_alive out rather than
    // report "no shipper alive".
    std::optional<std::vector<ShipperRow>> shippers;
    std::uint64_t shippers_alive() const;
};

std::vector<ShipperRow> shipper_rows(const std::vector<beat::ShipperBeat>& beats, std::int64_t now_ms);

// Ages are whole seconds before `now_ms` (Unix ms), never negative (clocks may disagree).
Report build_report(const LiveState& live, const std::vector<StreamStatus>& streams,
                    std::uint64_t events_replayed, std::int64_t now_ms);

std::string to_json(const Report& r);
// Integer fields (`5i`) by default. `float_fields` writes `5` instead (a float to InfluxDB): the
// type of series that the Python version's stats fed through an untyped json_v2 parser hold, so a
// migrating site can keep writing them (InfluxDB refuses a field whose type changes).
std::string to_influx(const Report& r, bool float_fields = false);
std::string to_prometheus(const Report& r);

}  // namespace hsm::consume::stats
