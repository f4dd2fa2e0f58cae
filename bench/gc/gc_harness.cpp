// Measures what issue #3 promises: a reconcile replay of a 1,000,000-entry stream takes a few
// seconds, and no trimming call blocks Redis for more than a few milliseconds. Redis's own
// SLOWLOG (threshold 0) gives each call's server-side duration, so client noise does not count.
//   hsm-bench-gc PORT [ENTRIES]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "bench_stream.hpp"
#include "gc/gc.hpp"

using namespace hsm;
using Clock = std::chrono::steady_clock;

namespace {

using bench::fill;
using bench::slowest;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s PORT [ENTRIES]\n", argv[0]);
        return 2;
    }
    RedisEndpoint ep;
    ep.port = std::atoi(argv[1]);
    ep.io_timeout = std::chrono::seconds(60);
    const std::uint32_t entries = argc > 2 ? static_cast<std::uint32_t>(std::atol(argv[2])) : 1'000'000;
    RedisConnection redis(ep);
    if (!redis.connect()) return 1;
    const std::string key = "hsm:actions:elm-MDT0000";
    redis.command({"DEL", key});

    auto t0 = Clock::now();
    fill(redis, key, entries);
    std::printf("fill: %u entries in %.2f s\n", entries, seconds_since(t0));

    t0 = Clock::now();
    const gc::ReplayResult replay = gc::replay_stream(redis, key, "elm-MDT0000");
    const double replay_s = seconds_since(t0);
    std::printf("replay: %llu entries, %zu live, in %.2f s (%.0f entries/s)\n",
                static_cast<unsigned long long>(replay.entries), replay.live.size(), replay_s,
                static_cast<double>(replay.entries) / replay_s);

    redis.command({"CONFIG", "SET", "slowlog-log-slower-than", "0"});
    redis.command({"CONFIG", "SET", "slowlog-max-len", "1000000"});
    for (bool approximate : {true, false}) {
        redis.command({"DEL", key});
        fill(redis, key, entries);
        const StreamId half = gc::id_at_position(redis, key, entries / 2, 10000);
        redis.command({"SLOWLOG", "RESET"});
        t0 = Clock::now();
        const gc::TrimResult trim = gc::trim_stream(redis, key, half, {approximate, 1000});
        const double trim_s = seconds_since(t0);
        const auto [worst_trim, trim_calls] = slowest(redis, "XTRIM");
        const auto [worst_range, range_calls] = slowest(redis, "XRANGE");
        std::printf("trim %s: %llu of %u entries deleted in %.2f s, %lld XTRIM calls (longest %lld us), "
                    "%lld XRANGE calls (longest %lld us)\n",
                    approximate ? "approximate" : "exact", static_cast<unsigned long long>(trim.deleted),
                    entries, trim_s, trim_calls, worst_trim, range_calls, worst_range);
    }
    redis.command({"CONFIG", "SET", "slowlog-log-slower-than", "10000"});
    return 0;
}
