// What a stream costs Redis when long-lived records sit among heavy churn (issue #8): 10,000
// long-lived records among 1,000,000 churned ones, left untouched (a MINID trim cannot pass the
// oldest live record), compacted (XDEL of every superseded entry, as the shipper does now) and
// refreshed (the long-lived records re-published, then MINID trimming, as it did before).
// Redis frees a stream's macro-node only when every entry in it is deleted, so compaction's
// saving depends on where the long-lived entries sit: spread evenly among the churn (the worst
// case: one in every ~100 entries) or arrived together at the start (a burst of restores).
// Reports INFO memory's used_memory above an empty database, XLEN, and for compaction its wall
// time and the longest XRANGE / XDEL from Redis's SLOWLOG.
//   hsm-bench-compact-memory PORT [CHURNED] [LONG_LIVED]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_stream.hpp"
#include "gc/gc.hpp"

using namespace hsm;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kKey = "hsm:actions:elm-MDT0000";

long long used_memory(RedisConnection& redis) {
    Reply r = redis.command({"INFO", "memory"});
    if (!r || r->type != REDIS_REPLY_STRING) return -1;
    const std::string text(r->str, r->len);
    const auto at = text.find("used_memory:");
    return at == std::string::npos ? -1 : std::atoll(text.c_str() + at + 12);
}

long long xlen(RedisConnection& redis) {
    Reply r = redis.command({"XLEN", kKey});
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

enum class Layout { Spread, First };

// Fills the stream: `churned` entries of records that are gone (each superseded or purged),
// and `long_lived` entries that are still their record's newest; returns the long-lived IDs.
std::vector<StreamId> fill(RedisConnection& redis, std::uint32_t churned, std::uint32_t long_lived, Layout layout) {
    redis.command({"DEL", kKey});
    std::vector<StreamId> live;
    if (layout == Layout::First) {
        bench::fill(redis, kKey, long_lived, 0, &live);
        bench::fill(redis, kKey, churned, long_lived);
        return live;
    }
    const std::uint32_t every = churned / long_lived;  // churned entries between two long-lived
    std::vector<StreamId> ids;
    for (std::uint32_t i = 0; i < long_lived; ++i) {
        ids.clear();
        bench::fill(redis, kKey, 1, i, &ids);
        live.push_back(ids.at(0));
        bench::fill(redis, kKey, every, long_lived + i * every);
    }
    return live;
}

StreamId newest(RedisConnection& redis) {
    Reply r = redis.command({"XREVRANGE", kKey, "+", "-", "COUNT", "1"});
    StreamId id;
    if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1) {
        const redisReply* e = r->element[0]->element[0];
        StreamId::parse({e->str, e->len}, id);
    }
    return id;
}

void report(const char* what, long long base, RedisConnection& redis, const std::string& extra = {}) {
    const long long mem = used_memory(redis) - base;
    std::printf("%-34s XLEN %9lld  used_memory %8.1f MB%s\n", what, xlen(redis), static_cast<double>(mem) / 1e6,
                extra.c_str());
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORT [CHURNED] [LONG_LIVED]\n", argv[0]);
        return 2;
    }
    RedisEndpoint ep;
    ep.port = std::atoi(argv[1]);
    ep.io_timeout = std::chrono::seconds(120);
    const auto churned = static_cast<std::uint32_t>(argc > 2 ? std::atol(argv[2]) : 1'000'000);
    const auto long_lived = static_cast<std::uint32_t>(argc > 3 ? std::atol(argv[3]) : 10'000);
    RedisConnection redis(ep);
    if (!redis.connect()) return 1;
    redis.command({"DEL", kKey});
    const long long base = used_memory(redis);
    std::printf("%u long-lived records among %u churned entries (~480-byte events)\n", long_lived, churned);

    for (Layout layout : {Layout::Spread, Layout::First}) {
        const char* name = layout == Layout::Spread ? "spread" : "first";
        std::vector<StreamId> live = fill(redis, churned, long_lived, layout);
        // Untouched: the oldest live record pins the trim point, so MINID trimming deletes nothing.
        gc::trim_stream(redis, kKey, live.front(), {true, 1000});
        report((std::string("untouched (") + name + ")").c_str(), base, redis);

        // Compacted: every entry but the long-lived ones and the newest goes, 1000 per call.
        redis.command({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
        redis.command({"CONFIG", "SET", "slowlog-max-len", "1000000"});
        redis.command({"SLOWLOG", "RESET"});
        gc::CompactOptions options;
        options.chunk = 1000;
        options.retention_ms = 0;
        const auto t0 = Clock::now();
        const gc::CompactResult c = gc::compact_stream(redis, kKey, live, newest(redis), options);
        const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        const auto [worst_range, ranges] = bench::slowest(redis, "XRANGE");
        const auto [worst_del, dels] = bench::slowest(redis, "XDEL");
        redis.command({"CONFIG", "SET", "slowlog-log-slower-than", "10000"});
        char extra[256];
        std::snprintf(extra, sizeof extra,
                      "  (%llu deleted in %.2f s; %lld XRANGE, longest %lld us; %lld XDEL, longest %lld us)",
                      static_cast<unsigned long long>(c.deleted), secs, ranges, worst_range, dels, worst_del);
        report((std::string("compacted (") + name + ")").c_str(), base, redis, c.ok ? extra : " FAILED");
    }

    // Refreshed: the long-lived records re-published at the end, then everything before them
    // trimmed (approximate, then the exact remainder), as refresh_long_lived does.
    std::vector<StreamId> live = fill(redis, churned, long_lived, Layout::Spread);
    std::vector<StreamId> refreshed;
    bench::fill(redis, kKey, long_lived, 0, &refreshed);
    gc::TrimOptions trim{true, 1000};
    trim.exact_tail = true;
    gc::trim_stream(redis, kKey, refreshed.front(), trim);
    report("refreshed", base, redis);
    redis.command({"DEL", kKey});
    return 0;
}
