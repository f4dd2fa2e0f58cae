// Helpers shared by the GC benchmarks: a realistic event payload, a pipelined stream filler and
// the longest server-side duration of a command from Redis's SLOWLOG (threshold 0), so client
// noise does not count.
#pragma once

#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "services/redis.hpp"

namespace hsm::bench {

// A realistic event (~480 bytes, as the shipper writes them).
inline std::string event_json(std::uint32_t rec, const char* type = "NEW") {
    const std::string fid = "0x200001b74:0x" + std::to_string(rec) + ":0x0";
    return R"({"event_type":")" + std::string(type) + R"(","mdt":"elm-MDT0000","cat_idx":517,"rec_idx":)" +
           std::to_string(rec) + R"(,"fid":")" + fid +
           R"(","action":"ARCHIVE","status":"WAITING","timestamp":1759619143,)"
           R"("action_key":")" + fid + R"(:ARCHIVE","raw":"lrh=[type=10680000 len=192 idx=517/)" +
           std::to_string(rec) + "] fid=[" + fid + "] dfid=[" + fid +
           R"(] compound/cookie=0x0/0x6912db05 action=ARCHIVE archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=WAITING data=[7461673D6D]","hash":"7332e08a0705af29"})";
}

// XADDs `entries` events for records first, first+1, ... in pipelined batches; returns the IDs
// when `ids` is given.
inline void fill(RedisConnection& redis, const std::string& key, std::uint32_t entries,
                 std::uint32_t first = 0, std::vector<StreamId>* ids = nullptr) {
    constexpr std::uint32_t kPipeline = 2000;
    for (std::uint32_t done = 0; done < entries;) {
        const std::uint32_t n = std::min(kPipeline, entries - done);
        for (std::uint32_t i = 0; i < n; ++i) {
            const std::string json = event_json(first + done + i);
            redis.append({"XADD", key, "*", "data", json});
        }
        for (std::uint32_t i = 0; i < n; ++i) {
            Reply r = redis.read_reply();
            if (ids && r && r->type == REDIS_REPLY_STRING) {
                StreamId id;
                StreamId::parse({r->str, r->len}, id);
                ids->push_back(id);
            }
        }
        done += n;
    }
}

// Longest server-side duration (µs) and count of `command` calls in the slowlog since reset.
inline std::pair<long long, long long> slowest(RedisConnection& redis, const std::string& command) {
    Reply r = redis.command({"SLOWLOG", "GET", "1000000"});
    long long worst = 0, calls = 0;
    for (std::size_t i = 0; r && i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        const redisReply* argv = e->element[3];
        if (argv->elements == 0 || strcasecmp(argv->element[0]->str, command.c_str()) != 0) continue;
        ++calls;
        worst = std::max(worst, e->element[2]->integer);
    }
    return {worst, calls};
}

}  // namespace hsm::bench
