// The shippers section of hsm-action-top (see shippers.hpp).
#include "shippers.hpp"

#include <cstdio>

#include "consume/endpoint.hpp"
#include "tools/common/escape.hpp"
#include "dashboard.hpp"

namespace hsm::consume::top {

namespace {

// Reads happen on the screen's thread: keep a dead server from freezing the keyboard long. Quiet:
// the section shows the reason; the log is off in full-screen mode.
RedisEndpoint watch_endpoint(const ReaderOptions& o) {
    RedisEndpoint ep = endpoint_of(o);
    ep.connect_timeout = std::chrono::milliseconds(500);
    ep.io_timeout = std::chrono::seconds(2);
    return ep;
}

std::string joined_mdts(const std::vector<std::string>& mdts) {
    if (mdts.empty()) return "none";
    std::string out;
    for (const auto& m : mdts) out += (out.empty() ? "" : ", ") + cli::escape_control(m);
    return out;
}

}  // namespace

std::int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<std::string> shipper_lines(const std::optional<std::vector<beat::ShipperBeat>>& beats,
                                       const std::string& why, const std::string& prefix, std::int64_t now_ms) {
    if (!beats) return {"Shippers: heartbeats not readable (" + cli::escape_control(why) + ")"};
    if (beats->empty())
        return {"Shippers: none (no heartbeat under " + cli::escape_control(prefix) + ":*; is hsm-action-shipper running?)"};
    std::vector<std::string> out;
    for (const auto& b : *beats) {
        const std::int64_t age = beat::age_seconds(b, now_ms);
        char cycle[32];
        std::snprintf(cycle, sizeof cycle, "%.3f", b.cycle_seconds);
        std::string line = "Shipper " + cli::escape_control(b.host) + ": ";
        line += beat::stale(b, now_ms) ? "STALE, no heartbeat for " + std::to_string(age) + "s"
                                       : "alive, last cycle " + std::to_string(age) + "s ago (" + cycle + " s)";
        line += " | MDTs: " + joined_mdts(b.mdts) + " | Shipped: " + thousands(static_cast<std::int64_t>(b.events_shipped)) +
                " | Refused: " + thousands(static_cast<std::int64_t>(b.events_refused)) +
                " | Reconnects: " + thousands(static_cast<std::int64_t>(b.reconnects));
        out.push_back(std::move(line));
    }
    return out;
}

ShipperWatch::ShipperWatch(const ReaderOptions& options, std::string prefix)
    : redis_(watch_endpoint(options)), prefix_(std::move(prefix)) {}

void ShipperWatch::refresh(std::chrono::steady_clock::duration every) {
    const auto now = std::chrono::steady_clock::now();
    if (last_ && now - *last_ < every) return;
    last_ = now;
    if (!redis_.connected()) {
        if (!redis_.due()) return;  // backing off: keep showing what was last known
        if (!redis_.connect()) {
            beats_.reset();
            why_ = redis_.last_problem().message();
            return;
        }
    }
    std::vector<beat::ShipperBeat> beats;
    RedisProblem problem;
    if (beat::read_beats(redis_, prefix_, beats, problem)) {
        beats_ = std::move(beats);
    } else {
        beats_.reset();
        why_ = problem.message();
    }
}

}  // namespace hsm::consume::top
