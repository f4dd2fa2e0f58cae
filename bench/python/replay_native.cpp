// The C++ side of bench_replay.py: replays every stream of a Redis with the C++ StreamReader
// and applies each event to a LiveState, the same work the Python API does per event minus the
// Python objects, and prints "<events> <wall seconds> <CPU seconds> <live>" for the script.
// Usage: hsm-py-bench-native <port> [host=127.0.0.1] [prefix=hsm:actions]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "services/logging.hpp"
#include "hsm/consume/live_state.hpp"
#include "hsm/consume/stream_reader.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <port> [host] [prefix]\n", argv[0]);
        return 2;
    }
    hsm::setup_logging("warning", "", "hsm-py-bench-native");  // stdout carries the result
    hsm::consume::ReaderOptions o;
    o.port = std::atoi(argv[1]);
    if (argc > 2) o.host = argv[2];
    if (argc > 3) o.prefix = argv[3];
    o.follow = false;
    o.reconnect = false;
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();  // CPU of the whole process: both threads
    hsm::consume::StreamReader reader(o);
    hsm::consume::LiveState live;
    std::uint64_t events = 0;
    while (!reader.finished() && !reader.failed()) {
        const auto& batch = reader.read(std::chrono::milliseconds(1000));
        for (const auto& e : batch) live.apply(e);
        events += batch.size();
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    if (reader.failed()) {
        std::fprintf(stderr, "replay failed: %s\n", reader.error().c_str());
        return 1;
    }
    std::printf("%llu %.6f %.6f %llu\n", static_cast<unsigned long long>(events), s, cpu,
                static_cast<unsigned long long>(live.live()));
    return 0;
}
