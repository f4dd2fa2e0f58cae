// Stream entries as the shippers write them (ours and the Python 0.3 one, docs/wire-format.md), for
// the consumer and tool tests, plus a helper that XADDs them to a test RedisServer.
#pragma once

#include <cstdint>
#include <string>

#include "fixtures.hpp"

namespace hsm::test {

struct EventSpec {
    std::string type = "NEW";
    std::string mdt = "elm-MDT0000";
    std::uint32_t cat = 1;
    std::uint32_t rec = 1;
    std::string fid = "0x200000400:0x1:0x0";
    std::string action = "ARCHIVE";
    std::string status = "WAITING";
    std::int64_t timestamp = 1759619143;
    std::string extra;  // raw JSON members appended, e.g. R"("refresh": true)"
};

inline EventSpec spec(std::string mdt, std::uint32_t rec, std::string status = "WAITING") {
    EventSpec e;
    e.mdt = std::move(mdt);
    e.rec = rec;
    e.status = std::move(status);
    return e;
}

inline std::string event_json(const EventSpec& e) {
    const std::string idx = std::to_string(e.cat) + "/" + std::to_string(e.rec);
    std::string j = "{\"cat_idx\": " + std::to_string(e.cat) + ", \"rec_idx\": " + std::to_string(e.rec) +
                    ", \"fid\": \"" + e.fid + "\", \"action\": \"" + e.action + "\", \"status\": \"" +
                    e.status + "\", \"event_type\": \"" + e.type + "\", \"mdt\": \"" + e.mdt +
                    "\", \"timestamp\": " + std::to_string(e.timestamp) + ", \"action_key\": \"" + e.fid +
                    ":" + e.action + "\"";
    if (e.type == "PURGED")
        j += ", \"hash\": \"5d41402abc4b2a76b9719d911017c592\"";  // an MD5, as Python wrote
    else
        j += ", \"raw\": \"lrh=[type=10680000 len=192 idx=" + idx + "] fid=[" + e.fid +
             "] dfid=[" + e.fid + "] compound/cookie=0x0/0x6912db05 action=" + e.action +
             " archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=" +
             e.status + " data=[7461673D6D]\"";
    if (!e.extra.empty()) j += ", " + e.extra;
    return j + "}";
}

// The Python shipper's maintenance PURGED: no cat_idx/rec_idx, identified by action_key.
inline std::string python_maintenance_purge(const std::string& mdt, const std::string& action_key,
                                            std::int64_t timestamp = 1759619200) {
    return "{\"event_type\": \"PURGED\", \"mdt\": \"" + mdt + "\", \"action_key\": \"" + action_key +
           "\", \"status\": \"PURGED\", \"timestamp\": " + std::to_string(timestamp) +
           ", \"source\": \"maintenance\"}";
}

// Spelled out, not wire::stream_key(): the tools' and the package's tests link nothing of the
// project, so they check the key naming of docs/wire-format.md from the outside.
inline std::string stream_of(const std::string& mdt, const std::string& prefix = "hsm:actions") {
    return prefix + ":" + mdt;
}

// XADD <stream> * data <json>; returns the entry ID.
inline std::string xadd(const RedisServer& redis, const std::string& stream, const std::string& data) {
    auto r = redis.command({"XADD", stream, "*", "data", data});
    return r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : std::string();
}

inline std::string xadd(const RedisServer& redis, const EventSpec& e, const std::string& prefix = "hsm:actions") {
    return xadd(redis, stream_of(e.mdt, prefix), event_json(e));
}

}  // namespace hsm::test
