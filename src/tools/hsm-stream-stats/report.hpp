// What hsm-stream-stats reports, and its three renderings: JSON (the seed's shape, for Telegraf's
// json_v2), InfluxDB line protocol (Telegraf's `influx` format) and Prometheus text exposition
// (node_exporter's textfile collector). Rendering takes plain values, never Redis.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

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

struct Report {
    std::uint64_t total_live_actions = 0;
    std::int64_t oldest_live_action_age_seconds = 0;
    std::uint64_t total_events_replayed = 0;
    std::uint64_t total_stream_entries = 0;  // sum of the streams' lengths at the snapshot
    std::vector<StreamRow> streams;
    std::vector<BreakdownLine> breakdown;  // sorted by (mdt, action, status)
};

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
