// Report building and rendering (see report.hpp). The Influx and Prometheus outputs carry the
// same series as Telegraf's json_v2 parse of the JSON (measurement hsm_stream_stats, tags mdt /
// action / status), so dashboards do not depend on the format chosen.
#include "report.hpp"

#include <algorithm>

#include "tools/common/escape.hpp"
#include "services/json.hpp"

namespace hsm::consume::stats {

namespace {

constexpr const char* kMeasurement = "hsm_stream_stats";

std::int64_t age_seconds(std::int64_t now_ms, std::uint64_t then_ms) {
    if (then_ms == 0) return 0;
    return std::max<std::int64_t>(0, (now_ms - static_cast<std::int64_t>(then_ms)) / 1000);
}

void member(std::string& out, std::string_view key, std::string_view value, bool last = false) {
    json::append_string(out, key);
    out += ": ";
    json::append_string(out, value);
    out += last ? "" : ", ";
}

void member(std::string& out, std::string_view key, std::int64_t value, bool last = false) {
    json::append_string(out, key);
    out += ": ";
    json::append_int(out, value);
    out += last ? "" : ", ";
}

// Influx line protocol: in tag keys, tag values and field keys, commas, equals signs, spaces and
// backslashes are escaped. A line cannot hold a newline at all, and other control bytes or invalid
// UTF-8 would reach whoever reads the file: they are first written as visible escapes (`\n`,
// `\x1b`, see tools/common/escape.hpp), whose backslash is then escaped like any other.
std::string influx_escape(std::string_view raw) {
    const std::string s = cli::escape_control(raw);
    std::string out;
    for (char c : s) {
        if (c == ',' || c == '=' || c == ' ' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out.empty() ? "unknown" : out;  // an empty tag value is not allowed
}

// Prometheus label values are UTF-8 and escape backslash, double quote and newline. Control bytes
// and invalid UTF-8 are first written as visible escapes (tools/common/escape.hpp): a scraper
// refuses invalid UTF-8, and an admin reading the file must not get raw escape sequences.
std::string prom_escape(std::string_view raw) {
    const std::string s = cli::escape_control(raw);
    std::string out;
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '"') out += "\\\"";
        else if (c == '\n') out += "\\n";
        else out.push_back(c);
    }
    return out;
}

void prom_family(std::string& out, std::string_view name, std::string_view help, bool counter = false) {
    out += "# HELP hsm_stream_stats_";
    out.append(name).append(" ").append(help).append("\n# TYPE hsm_stream_stats_");
    out.append(name).append(counter ? " counter\n" : " gauge\n");
}

// The numbers of a shipper row, named once for the three formats (JSON member, Influx field,
// Prometheus family hsm_stream_stats_shipper_<name>). Counters count since the shipper started.
struct ShipperMetric {
    const char* name;
    const char* help;
    bool counter;
    std::int64_t (*get)(const ShipperRow&);
};
#define HSM_SHIPPER_COUNTER(field, text) \
    {#field, text, true, [](const ShipperRow& r) { return static_cast<std::int64_t>(r.field); }}
constexpr ShipperMetric kShipperMetrics[] = {
    {"alive", "1 while the shipper's heartbeat is fresh, 0 once it is stale (missed cycles).", false,
     [](const ShipperRow& r) { return static_cast<std::int64_t>(r.alive); }},
    {"heartbeat_age_seconds", "Seconds since the shipper's last heartbeat.", false,
     [](const ShipperRow& r) { return r.heartbeat_age_seconds; }},
    {"mdts", "MDTs the shipper shipped in its last cycle.", false,
     [](const ShipperRow& r) { return static_cast<std::int64_t>(r.mdts.size()); }},
    {"cycle_ms", "Duration of the shipper's last cycle, in milliseconds.", false,
     [](const ShipperRow& r) { return r.cycle_ms; }},
    {"checkpoint_ms", "Duration of the last cycle's checkpoint write, in milliseconds.", false,
     [](const ShipperRow& r) { return r.checkpoint_ms; }},
    HSM_SHIPPER_COUNTER(cycles, "Cycles run."),
    HSM_SHIPPER_COUNTER(events_shipped, "Events Redis acknowledged."),
    HSM_SHIPPER_COUNTER(events_refused, "Events Redis did not acknowledge (retried later)."),
    HSM_SHIPPER_COUNTER(reconnects, "Reconnections of the publisher to Redis."),
    HSM_SHIPPER_COUNTER(reader_waits, "Times a reader waited for the publisher (backpressure)."),
    HSM_SHIPPER_COUNTER(takeovers, "Streams taken over from another writer."),
    HSM_SHIPPER_COUNTER(rebuilds, "Streams rebuilt from the MDT after being lost."),
    HSM_SHIPPER_COUNTER(repairs, "Repair events shipped by reconciles."),
    HSM_SHIPPER_COUNTER(trims, "Stream trims."),
    HSM_SHIPPER_COUNTER(compactions, "Stream compaction passes."),
    HSM_SHIPPER_COUNTER(bad_lines, "hsm/actions lines that did not parse."),
};
#undef HSM_SHIPPER_COUNTER

}  // namespace

std::uint64_t Report::shippers_alive() const {
    if (!shippers) return 0;
    return static_cast<std::uint64_t>(
        std::count_if(shippers->begin(), shippers->end(), [](const ShipperRow& r) { return r.alive; }));
}

std::vector<ShipperRow> shipper_rows(const std::vector<beat::ShipperBeat>& beats, std::int64_t now_ms) {
    std::vector<ShipperRow> rows;
    for (const auto& b : beats) {
        ShipperRow r;
        r.host = b.host;
        r.version = b.version;
        r.mdts = b.mdts;
        r.alive = !beat::stale(b, now_ms);
        r.heartbeat_age_seconds = beat::age_seconds(b, now_ms);
        r.cycle_ms = static_cast<std::int64_t>(b.cycle_seconds * 1000.0);
        r.checkpoint_ms = static_cast<std::int64_t>(b.checkpoint_seconds * 1000.0);
        r.cycles = b.cycles;
        r.events_shipped = b.events_shipped;
        r.events_refused = b.events_refused;
        r.reconnects = b.reconnects;
        r.reader_waits = b.reader_waits;
        r.takeovers = b.takeovers;
        r.rebuilds = b.rebuilds;
        r.repairs = b.repairs;
        r.trims = b.trims;
        r.compactions = b.compactions;
        r.bad_lines = b.bad_lines;
        rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [](const ShipperRow& a, const ShipperRow& b) { return a.host < b.host; });
    return rows;
}

Report build_report(const LiveState& live, const std::vector<StreamStatus>& streams,
                    std::uint64_t events_replayed, std::int64_t now_ms) {
    Report r;
    r.total_live_actions = live.live();
    if (auto oldest = live.oldest_live_ms())
        r.oldest_live_action_age_seconds = age_seconds(now_ms, static_cast<std::uint64_t>(*oldest));
    r.total_events_replayed = events_replayed;
    for (const auto& s : streams) {
        r.total_stream_entries += s.length;
        r.streams.push_back({s.mdt, s.length, age_seconds(now_ms, s.first.ms),
                             age_seconds(now_ms, s.last.ms)});
    }
    for (const auto& b : live.breakdown())
        r.breakdown.push_back({std::string(b.mdt), std::string(b.action), std::string(b.status), b.count});
    return r;
}

std::string to_json(const Report& r) {
    std::string out = "{\n  \"summary\": {\n";
    const auto line = [&](std::string_view key, std::int64_t v, bool last) {
        out += "    ";
        member(out, key, v, true);
        out += last ? "\n" : ",\n";
    };
    line("total_live_actions", static_cast<std::int64_t>(r.total_live_actions), false);
    line("oldest_live_action_age_seconds", r.oldest_live_action_age_seconds, false);
    line("total_events_replayed", static_cast<std::int64_t>(r.total_events_replayed), false);
    line("total_stream_entries", static_cast<std::int64_t>(r.total_stream_entries), !r.shippers);
    if (r.shippers) line("shippers_alive", static_cast<std::int64_t>(r.shippers_alive()), true);
    out += "  },\n  \"streams\": [";
    for (std::size_t i = 0; i < r.streams.size(); ++i) {
        const auto& s = r.streams[i];
        out += i ? ",\n    { " : "\n    { ";
        member(out, "mdt", s.mdt);
        member(out, "length", static_cast<std::int64_t>(s.length));
        member(out, "age_seconds", s.age_seconds);
        member(out, "newest_entry_age_seconds", s.newest_entry_age_seconds, true);
        out += " }";
    }
    out += r.streams.empty() ? "],\n" : "\n  ],\n";
    out += "  \"breakdown\": [";
    for (std::size_t i = 0; i < r.breakdown.size(); ++i) {
        const auto& b = r.breakdown[i];
        out += i ? ",\n    { " : "\n    { ";
        member(out, "mdt", b.mdt);
        member(out, "action", b.action);
        member(out, "status", b.status);
        member(out, "count", static_cast<std::int64_t>(b.count), true);
        out += " }";
    }
    out += r.breakdown.empty() ? "]" : "\n  ]";
    if (r.shippers) {
        out += ",\n  \"shippers\": [";
        for (std::size_t i = 0; i < r.shippers->size(); ++i) {
            const auto& sh = (*r.shippers)[i];
            out += i ? ",\n    { " : "\n    { ";
            member(out, "shipper", sh.host);
            member(out, "version", sh.version);
            out += "\"mdt_names\": [";
            for (std::size_t m = 0; m < sh.mdts.size(); ++m) {
                if (m) out += ", ";
                json::append_string(out, sh.mdts[m]);
            }
            out += "], ";
            for (std::size_t m = 0; m < std::size(kShipperMetrics); ++m)
                member(out, kShipperMetrics[m].name, kShipperMetrics[m].get(sh), m + 1 == std::size(kShipperMetrics));
            out += " }";
        }
        out += r.shippers->empty() ? "]" : "\n  ]";
    }
    out += "\n}\n";
    return out;
}

std::string to_influx(const Report& r, bool float_fields) {
    // Line protocol types a field by its spelling: `5i` is an integer, `5` a float.
    const auto i = [float_fields](std::int64_t v) { return std::to_string(v) + (float_fields ? "" : "i"); };
    std::string out = kMeasurement;
    out += " total_live_actions=" + i(static_cast<std::int64_t>(r.total_live_actions)) +
           ",oldest_live_action_age_seconds=" + i(r.oldest_live_action_age_seconds) +
           ",total_events_replayed=" + i(static_cast<std::int64_t>(r.total_events_replayed)) +
           ",total_stream_entries=" + i(static_cast<std::int64_t>(r.total_stream_entries)) +
           (r.shippers ? ",shippers_alive=" + i(static_cast<std::int64_t>(r.shippers_alive())) : std::string()) + "\n";
    for (const auto& s : r.streams)
        out += std::string(kMeasurement) + ",mdt=" + influx_escape(s.mdt) +
               " length=" + i(static_cast<std::int64_t>(s.length)) + ",age_seconds=" + i(s.age_seconds) +
               ",newest_entry_age_seconds=" + i(s.newest_entry_age_seconds) + "\n";
    // Tags in key order, as InfluxDB stores them.
    for (const auto& b : r.breakdown)
        out += std::string(kMeasurement) + ",action=" + influx_escape(b.action) +
               ",mdt=" + influx_escape(b.mdt) + ",status=" + influx_escape(b.status) +
               " count=" + i(static_cast<std::int64_t>(b.count)) + "\n";
    if (r.shippers)
        for (const auto& sh : *r.shippers) {
            out += std::string(kMeasurement) + ",shipper=" + influx_escape(sh.host) + ",version=" + influx_escape(sh.version);
            for (std::size_t m = 0; m < std::size(kShipperMetrics); ++m)
                out += (m ? "," : " ") + std::string(kShipperMetrics[m].name) + "=" + i(kShipperMetrics[m].get(sh));
            out += "\n";
        }
    return out;
}

std::string to_prometheus(const Report& r) {
    std::string out;
    const auto scalar = [&](std::string_view name, std::string_view help, std::int64_t v) {
        prom_family(out, name, help);
        out.append("hsm_stream_stats_").append(name).append(" ").append(std::to_string(v)).append("\n");
    };
    scalar("total_live_actions", "Live HSM actions rebuilt by replaying the streams.",
           static_cast<std::int64_t>(r.total_live_actions));
    scalar("oldest_live_action_age_seconds", "Seconds since the oldest live action was first seen.",
           r.oldest_live_action_age_seconds);
    scalar("total_events_replayed", "Valid events replayed by this run.",
           static_cast<std::int64_t>(r.total_events_replayed));
    scalar("total_stream_entries", "Entries in all streams when the replay started.",
           static_cast<std::int64_t>(r.total_stream_entries));
    const auto per_stream = [&](std::string_view name, std::string_view help, auto value) {
        prom_family(out, name, help);
        for (const auto& s : r.streams)
            out.append("hsm_stream_stats_").append(name).append("{mdt=\"").append(prom_escape(s.mdt))
                .append("\"} ").append(std::to_string(value(s))).append("\n");
    };
    per_stream("stream_length", "Entries in the MDT's stream.", [](const StreamRow& s) { return s.length; });
    per_stream("stream_age_seconds", "Seconds since the stream's oldest entry.",
               [](const StreamRow& s) { return s.age_seconds; });
    per_stream("stream_newest_entry_age_seconds", "Seconds since the stream's newest entry.",
               [](const StreamRow& s) { return s.newest_entry_age_seconds; });
    prom_family(out, "live_actions", "Live HSM actions by MDT, action and status.");
    for (const auto& b : r.breakdown)
        out += "hsm_stream_stats_live_actions{mdt=\"" + prom_escape(b.mdt) + "\",action=\"" +
               prom_escape(b.action) + "\",status=\"" + prom_escape(b.status) + "\"} " +
               std::to_string(b.count) + "\n";
    if (r.shippers) {
        scalar("shippers_alive", "Shippers whose heartbeat is fresh.", static_cast<std::int64_t>(r.shippers_alive()));
        for (const auto& metric : kShipperMetrics) {
            const std::string name = std::string("shipper_") + metric.name;
            prom_family(out, name, metric.help, metric.counter);
            for (const auto& sh : *r.shippers)
                out += "hsm_stream_stats_" + name + "{shipper=\"" + prom_escape(sh.host) + "\",version=\"" +
                       prom_escape(sh.version) + "\"} " +
                       std::to_string(metric.get(sh)) + "\n";
        }
    }
    return out;
}

}  // namespace hsm::consume::stats
