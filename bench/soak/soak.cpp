// Is the daemon's memory bounded? Runs the built hsm-action-shipper against a given Redis, with a
// simulated MDT of LIVE records that changes every cycle (STEP simulated seconds per cycle), and
// samples the daemon's VmRSS after each cycle it completes. Prints RSS at milestones and the
// slope over the second half of the run (a flat daemon shows ~0 MB per 1,000 cycles).
//   hsm-bench-soak SHIPPER PORT [CYCLES=2000] [LIVE=100000] [STEP=5]
// One cycle = one rewrite of the file followed by the daemon's log line for the cycle that
// shipped it (poll_interval 0.05 s, so the daemon never waits long for the next rewrite).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sim/simulator.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

long status_kb(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
    return -1;
}

std::size_t count_cycles(const fs::path& log) {
    std::ifstream in(log);
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) n += line.find("] cycle ") != std::string::npos;
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s SHIPPER PORT [CYCLES] [LIVE] [STEP]\n", argv[0]);
        return 2;
    }
    const std::string shipper = argv[1];
    const int port = std::atoi(argv[2]);
    const std::size_t cycles = argc > 3 ? std::strtoul(argv[3], nullptr, 10) : 2000;
    const std::size_t live = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 100000;
    const double step = argc > 5 ? std::atof(argv[5]) : 5;

    char tmpl[] = "/tmp/hsm-bench-soak.XXXXXX";
    const fs::path dir = mkdtemp(tmpl);
    hsm::sim::Config sc;
    sc.live_target = live;
    hsm::sim::Simulator sim(sc);
    const hsm::sim::Counters start = sim.counters();  // the initial population is not churn
    const fs::path file = hsm::sim::actions_path(dir / "mdt", "soak", 0);
    sim.write_atomic(file);
    std::ofstream(dir / "shipper.toml") << "redis_host = \"127.0.0.1\"\nredis_port = " << port
                                        << "\nmdt_watch_glob = \"" << (dir / "mdt" / "*" / "hsm" / "actions").string()
                                        << "\"\ncache_path = \"" << (dir / "cache.bin").string()
                                        << "\"\npoll_interval = 0.05\nlog_level = \"info\"\n";
    const fs::path log = dir / "shipper.log";
    const pid_t pid = fork();
    if (pid == 0) {
        std::freopen(log.c_str(), "w", stderr);
        std::freopen("/dev/null", "w", stdout);
        execl(shipper.c_str(), shipper.c_str(), "-c", (dir / "shipper.toml").c_str(), nullptr);
        _exit(127);
    }
    std::vector<long> rss;
    const auto t0 = Clock::now();
    std::size_t seen = 0;
    bool ok = true;
    for (std::size_t c = 0; c <= cycles && ok; ++c) {
        if (c > 0) {
            sim.tick(step);
            sim.write_atomic(file);
        }
        // Wait (bounded) for the daemon's log line of the cycle that read this rewrite.
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        while (count_cycles(log) <= seen) {
            if (Clock::now() > deadline || waitpid(pid, nullptr, WNOHANG) == pid) { ok = false; break; }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        seen = count_cycles(log);
        rss.push_back(status_kb(pid, "VmRSS"));
        // Progress on stderr, so a run cut short still leaves its figures.
        if (c % 100 == 0)
            std::fprintf(stderr, "soak: cycle %zu VmRSS %.1f MB VmHWM %.1f MB\n", c, rss.back() / 1024.0,
                         status_kb(pid, "VmHWM") / 1024.0);
    }
    const long hwm = status_kb(pid, "VmHWM");
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!ok) {
        std::fprintf(stderr, "daemon stopped answering after %zu cycles; log: %s\n", rss.size(), log.c_str());
        return 1;
    }
    std::printf("soak: %zu live, %zu cycles of %.0f simulated s in %.0f s; events per cycle ~%.0f\n", live,
                cycles, step, secs, static_cast<double>(sim.counters().arrived - start.arrived + sim.counters().changed - start.changed +
                                                         sim.counters().removed - start.removed) / static_cast<double>(cycles));
    std::printf("%-8s %s\n", "cycle", "VmRSS MB");
    for (std::size_t c : {1ul, 5ul, 50ul, 100ul, 220ul, 500ul, 1000ul, 1500ul, 2000ul, 3000ul, 5000ul})
        if (c < rss.size()) std::printf("%-8zu %.1f\n", c, rss[c] / 1024.0);
    // Least-squares slope over the second half: MB per 1,000 cycles.
    const std::size_t from = rss.size() / 2;
    double sx = 0, sy = 0, sxx = 0, sxy = 0, n = 0, lo = 1e18, hi = 0;
    for (std::size_t c = from; c < rss.size(); ++c) {
        const double x = static_cast<double>(c), y = rss[c] / 1024.0;
        sx += x, sy += y, sxx += x * x, sxy += x * y, n += 1;
        lo = std::min(lo, y), hi = std::max(hi, y);
    }
    const double slope = (n * sxy - sx * sy) / (n * sxx - sx * sx) * 1000;
    std::printf("second half: VmRSS %.1f-%.1f MB, slope %+.2f MB per 1,000 cycles; VmHWM %.1f MB\n", lo, hi,
                slope, hwm / 1024.0);
    fs::remove_all(dir);
    return 0;
}
