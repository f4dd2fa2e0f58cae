// The heartbeat hash's fields and reading (see shipper_beat.hpp). Parsing is lenient per field:
// the hash is written by another process, perhaps another version, and a tool showing many
// shippers must not lose them all to one odd value.
#include "wire/shipper_beat.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace hsm::beat {

namespace {

std::string real_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    return buf;
}

template <class T>
T number(std::string_view text) {
    T v{};
    const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    return ec == std::errc() && p == text.data() + text.size() ? v : T{};
}

double real(const std::string& text) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    return end && *end == '\0' && std::isfinite(v) ? v : 0.0;
}

struct CounterField {
    const char* name;
    std::uint64_t ShipperBeat::*member;
};
constexpr CounterField kCounters[] = {
    {"cycles", &ShipperBeat::cycles},
    {"events_shipped", &ShipperBeat::events_shipped},
    {"events_refused", &ShipperBeat::events_refused},
    {"reconnects", &ShipperBeat::reconnects},
    {"reader_waits", &ShipperBeat::reader_waits},
    {"rereads", &ShipperBeat::rereads},
    {"takeovers", &ShipperBeat::takeovers},
    {"rebuilds", &ShipperBeat::rebuilds},
    {"repairs", &ShipperBeat::repairs},
    {"trims", &ShipperBeat::trims},
    {"trimmed_entries", &ShipperBeat::trimmed_entries},
    {"compactions", &ShipperBeat::compactions},
    {"compacted_entries", &ShipperBeat::compacted_entries},
    {"bad_lines", &ShipperBeat::bad_lines},
};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

std::vector<std::string> split(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        if (comma != 0) out.emplace_back(text.substr(0, comma));
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return out;
}

}  // namespace

std::string key(std::string_view prefix, std::string_view host) {
    std::string k(prefix);
    k += ':';
    k += host;
    return k;
}

std::vector<std::pair<std::string, std::string>> to_fields(const ShipperBeat& b) {
    std::vector<std::pair<std::string, std::string>> f = {
        {"version", b.version},
        {"pid", std::to_string(b.pid)},
        {"mdts", joined(b.mdts)},
        {"mdt_count", std::to_string(b.mdts.size())},
        {"poll_interval", real_text(b.poll_interval)},
        {"cycle_started_ms", std::to_string(b.cycle_started_ms)},
        {"cycle_seconds", real_text(b.cycle_seconds)},
        {"written_ms", std::to_string(b.written_ms)},
        {"checkpoint_seconds", real_text(b.checkpoint_seconds)},
        {"checkpoint_ok", b.checkpoint_ok ? "1" : "0"},
    };
    for (const auto& c : kCounters) f.emplace_back(c.name, std::to_string(b.*c.member));
    return f;
}

ShipperBeat from_fields(std::string host, const std::vector<std::pair<std::string, std::string>>& fields) {
    ShipperBeat b;
    b.host = std::move(host);
    for (const auto& [name, value] : fields) {
        if (name == "version") b.version = value;
        else if (name == "pid") b.pid = number<std::int64_t>(value);
        else if (name == "mdts") b.mdts = split(value);
        else if (name == "poll_interval") b.poll_interval = real(value);
        else if (name == "cycle_started_ms") b.cycle_started_ms = number<std::int64_t>(value);
        else if (name == "cycle_seconds") b.cycle_seconds = real(value);
        else if (name == "written_ms") b.written_ms = number<std::int64_t>(value);
        else if (name == "checkpoint_seconds") b.checkpoint_seconds = real(value);
        else if (name == "checkpoint_ok") b.checkpoint_ok = value != "0";
        else
            for (const auto& c : kCounters)
                if (name == c.name) b.*c.member = number<std::uint64_t>(value);
    }
    return b;
}

std::int64_t age_seconds(const ShipperBeat& b, std::int64_t now_ms) {
    return std::max<std::int64_t>(0, (now_ms - b.written_ms) / 1000);
}

bool stale(const ShipperBeat& b, std::int64_t now_ms) {
    const double limit_ms = std::max(kStaleIntervals * b.poll_interval, kStaleFloorSeconds) * 1000.0;
    return static_cast<double>(now_ms - b.written_ms) > limit_ms;
}

std::int64_t ttl_seconds(double poll_interval) {
    return static_cast<std::int64_t>(std::ceil(std::max(10.0 * poll_interval, 10.0)));
}

bool read_beats(RedisConnection& redis, std::string_view prefix, std::vector<ShipperBeat>& out,
                RedisProblem& problem) {
    out.clear();
    const std::string user = redis.endpoint().user();
    const std::string match = std::string(prefix) + ":*";
    std::vector<std::string> keys;
    std::string cursor = "0";
    do {
        Reply r = redis.command({"SCAN", cursor, "MATCH", match, "COUNT", "1000"});
        if ((problem = problem_of(r.get(), "SCAN", user, redis.last_error()))) return false;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            problem = {RedisFault::Refused, "SCAN", user, "unexpected reply shape"};
            return false;
        }
        cursor.assign(r->element[0]->str, r->element[0]->len);
        for (std::size_t i = 0; i < r->element[1]->elements; ++i)
            keys.emplace_back(r->element[1]->element[i]->str, r->element[1]->element[i]->len);
    } while (cursor != "0");
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());  // SCAN may repeat a key
    for (const auto& k : keys) redis.append({"HGETALL", k});
    for (const auto& k : keys) {
        Reply r = redis.read_reply();
        RedisProblem p = problem_of(r.get(), "HGETALL " + k, user, redis.last_error());
        if (p && !(p.fault == RedisFault::Refused && !affects_every_key(p) && p.detail.rfind("WRONGTYPE", 0) == 0)) {
            problem = p;
            if (!r) return false;  // connection gone: the other replies will not come
            continue;               // read the rest of the pipeline, then report
        }
        if (p || r->type != REDIS_REPLY_ARRAY || r->elements == 0) continue;  // not a hash, or expired
        std::vector<std::pair<std::string, std::string>> fields;
        for (std::size_t i = 0; i + 1 < r->elements; i += 2)
            fields.emplace_back(std::string(r->element[i]->str, r->element[i]->len),
                                std::string(r->element[i + 1]->str, r->element[i + 1]->len));
        out.push_back(from_fields(k.substr(prefix.size() + 1), fields));
    }
    if (problem) {
        out.clear();
        return false;
    }
    return true;
}

}  // namespace hsm::beat
