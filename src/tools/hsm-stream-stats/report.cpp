// Report building and rendering (see report.hpp). The Influx and Prometheus outputs carry the
// same series as Telegraf's json_v2 parse of the JSON (measurement hsm_stream_stats, tags mdt /
// action / status), so dashboards do not depend on the format chosen.
#include "report.hpp"

#include <algorithm>

#include "tools/common/escape.hpp"
#include "core/json.hpp"

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

void prom_family(std::string& out, std::string_view name, std::string_view help) {
    out += "# HELP hsm_stream_stats_";
    out.append(name).append(" ").append(help).append("\n# TYPE hsm_stream_stats_");
    out.append(name).append(" gauge\n");
}

}  // namespace

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
    line("total_stream_entries", static_cast<std::int64_t>(r.total_stream_entries), true);
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
    out += r.breakdown.empty() ? "]\n}\n" : "\n  ]\n}\n";
    return out;
}

std::string to_influx(const Report& r, bool float_fields) {
    // Line protocol types a field by its spelling: `5i` is an integer, `5` a float.
    const auto i = [float_fields](std::int64_t v) { return std::to_string(v) + (float_fields ? "" : "i"); };
    std::string out = kMeasurement;
    out += " total_live_actions=" + i(static_cast<std::int64_t>(r.total_live_actions)) +
           ",oldest_live_action_age_seconds=" + i(r.oldest_live_action_age_seconds) +
           ",total_events_replayed=" + i(static_cast<std::int64_t>(r.total_events_replayed)) +
           ",total_stream_entries=" + i(static_cast<std::int64_t>(r.total_stream_entries)) + "\n";
    for (const auto& s : r.streams)
        out += std::string(kMeasurement) + ",mdt=" + influx_escape(s.mdt) +
               " length=" + i(static_cast<std::int64_t>(s.length)) + ",age_seconds=" + i(s.age_seconds) +
               ",newest_entry_age_seconds=" + i(s.newest_entry_age_seconds) + "\n";
    // Tags in key order, as InfluxDB stores them.
    for (const auto& b : r.breakdown)
        out += std::string(kMeasurement) + ",action=" + influx_escape(b.action) +
               ",mdt=" + influx_escape(b.mdt) + ",status=" + influx_escape(b.status) +
               " count=" + i(static_cast<std::int64_t>(b.count)) + "\n";
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
    return out;
}

}  // namespace hsm::consume::stats
