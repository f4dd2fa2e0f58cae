// Simulated MDTs that keep changing while a fault scenario runs: a thread ticks hsm_sim's
// Simulator and rewrites each hsm/actions file atomically, as the kernel's file changes under the
// shipper. pause() leaves the files still, so a scenario can wait for the shipper to converge.
#pragma once

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sim/simulator.hpp"

namespace hsm::test::fault {

class Churn {
public:
    // `mdts` simulated MDTs named <fsname>-MDT000N under `root` (the shipper's glob must match
    // <root>/*/hsm/actions), `live` records each, seeded by `seed`; files are written at once.
    Churn(std::filesystem::path root, std::string fsname, unsigned mdts, std::size_t live, std::uint64_t seed);
    ~Churn();
    Churn(const Churn&) = delete;
    Churn& operator=(const Churn&) = delete;

    // Starts rewriting every `period`, each rewrite `step` simulated seconds later (lifetimes are
    // minutes, so a 10 s step changes a few percent of the records).
    void resume(std::chrono::milliseconds period = std::chrono::milliseconds(50), double step = 10);
    // Stops after the rewrite in progress; the files then stay as they are.
    void pause();
    // One step now (files rewritten), whether running or not.
    void step(double seconds);
    // The MDT's directory vanishes (failover, unmount) and stays away until restore().
    void remove(unsigned i);
    void restore(unsigned i);
    std::string mdt(unsigned i) const;
    std::filesystem::path file(unsigned i) const;
    unsigned mdts() const { return static_cast<unsigned>(sims_.size()); }
    std::size_t rewrites() const { return rewrites_.load(); }

private:
    void write_all();
    std::filesystem::path root_;
    std::string fsname_;
    std::vector<sim::Simulator> sims_;
    std::mutex mutex_;  // sims_ between the thread and step()
    std::atomic<bool> running_{false};
    std::atomic<std::size_t> rewrites_{0};
    std::thread thread_;
};

}  // namespace hsm::test::fault
