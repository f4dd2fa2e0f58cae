// hsm-bench-heartbeat <port> [writes]: the time one heartbeat write adds to a shipper cycle,
// measured in the same run as a PING round trip on the same kind of connection (the floor of any
// Redis call), so the ratio holds on a loaded machine. Prints mean and p99 in microseconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "shipper/heartbeat.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
    double mean_us, p99_us;
};

template <class F>
Figures measure(int n, F&& once) {
    std::vector<double> us;
    us.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const auto t0 = Clock::now();
        once();
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double u : us) sum += u;
    return {sum / n, us[static_cast<std::size_t>(n * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: hsm-bench-heartbeat <redis port> [writes]\n");
        return 2;
    }
    const int n = argc > 2 ? std::atoi(argv[2]) : 5000;
    hsm::RedisEndpoint ep;
    ep.port = std::atoi(argv[1]);
    ep.quiet = true;
    hsm::PipelineCounters counters;
    counters.events_new = 123456;
    hsm::shipper::CycleFacts facts{0.001, true, {"elm-MDT0000", "elm-MDT0001", "elm-MDT0002", "elm-MDT0003"}};
    hsm::shipper::HeartbeatWriter writer(ep, "hsm:shippers", "bench-host", 20.0);
    if (!writer.write(facts, counters)) {
        std::fprintf(stderr, "cannot write a heartbeat to 127.0.0.1:%d\n", ep.port);
        return 1;
    }
    hsm::RedisConnection ping(ep);
    if (!ping.connect()) return 1;
    // Interleaved rounds, so both see the same machine load.
    Figures w{0, 0}, p{0, 0};
    for (int round = 0; round < 5; ++round) {
        const Figures wr = measure(n / 5, [&] { writer.write(facts, counters); });
        const Figures pr = measure(n / 5, [&] { ping.command({"PING"}); });
        w.mean_us += wr.mean_us / 5, w.p99_us = std::max(w.p99_us, wr.p99_us);
        p.mean_us += pr.mean_us / 5, p.p99_us = std::max(p.p99_us, pr.p99_us);
    }
    std::printf("heartbeat write: mean %.1f us, p99 %.1f us (%d writes)\n", w.mean_us, w.p99_us, n);
    std::printf("PING round trip: mean %.1f us, p99 %.1f us\n", p.mean_us, p.p99_us);
    std::printf("ratio write/PING (mean): %.2f\n", w.mean_us / p.mean_us);
    return 0;
}
