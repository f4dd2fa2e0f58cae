// The shipper daemon's coordinator: runs poll cycles (discover -> read -> diff -> publish ->
// commit -> checkpoint) over the stage threads, owns start-up, shutdown and the checkpoint
// (whose format and policy are in checkpoint.hpp). Its concerns live in lifecycle.cpp, cycle.cpp,
// checkpointing.cpp, ownership.cpp and gc_handoff.cpp (impl.hpp).
// Public header of src/shipper; the executable in src/tools/hsm-action-shipper is a thin main().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "services/config.hpp"
#include "core/pipeline.hpp"
#include "core/state.hpp"
#include "shipper/settings.hpp"

namespace hsm {
class RedisTap;
}
namespace hsm::ingest {
class SourceOpener;
}

namespace hsm::shipper {

class SaveFaults;

// The parts a test puts in front of the real ones, so the coordinator's policy (takeover,
// reconcile, checkpoint failures) is tested in-process with scripted inputs. Each null means the
// real part alone; each must outlive the Shipper. Production passes none.
struct Injected {
    // Supplies the bytes of the MDT files discovered through mdt_watch_glob (null: open(2)).
    ingest::SourceOpener* opener = nullptr;
    // Sees every command of every connection the shipper opens (publisher, GC, coordinator,
    // heartbeat) before the real redis-server does, and may refuse it, lose the connection
    // around it or delay it (core/redis.hpp). Called from those threads: must be thread-safe.
    RedisTap* redis = nullptr;
    // Fails a checkpoint save's write, fsync or rename on purpose (checkpoint.hpp).
    SaveFaults* checkpoint = nullptr;
};

struct RunOptions {
    bool dry_run = false;  // print events as JSON lines; no Redis, no cache writes
    bool one_shot = false;  // --run-once / --maintenance-now: failures are reported, not retried
    // Liveness for a supervisor (systemd's watchdog): run_forever() calls `heartbeat` on the
    // coordinator thread after every cycle and, while idle between cycles, at least every
    // `heartbeat_every`. A cycle that hangs therefore stops the calls. Empty: no heartbeat.
    std::function<void()> heartbeat;
    std::chrono::microseconds heartbeat_every{0};
};

struct CycleSummary {
    std::size_t mdts = 0;
    std::size_t live = 0;
    std::uint64_t shipped = 0;
    std::uint64_t failed = 0;      // events Redis did not acknowledge (retried next cycle)
    bool checkpoint_ok = true;
    std::size_t unshipped_mdts = 0;  // MDTs not read: their stream could not be checked
    // run_maintenance(): why a trim or a reconcile failed (refused XTRIM, Redis lost...);
    // empty when every one worked.
    std::string maintenance_error;
    double seconds = 0;
};

class Shipper {
public:
    // Redis is the one the config names (tests start a private redis-server); `injected` puts
    // scripted parts in front of the real ones (tests only).
    // Single-threaded use: every method but request_stop() and counters() on one thread.
    Shipper(const config::Config& config, RunOptions options, Injected injected = {});
    ~Shipper();
    Shipper(const Shipper&) = delete;
    Shipper& operator=(const Shipper&) = delete;

    // Loads the checkpoint and starts the stage threads. For run-once modes, `require_redis`
    // makes an unreachable Redis (within a bounded time) an error.
    bool start(bool require_redis, std::string& error);
    CycleSummary run_cycle();
    // The GC pass (reconcile + trim) over every MDT this host owns, now. Returns the summary of
    // its last cycle.
    CycleSummary run_maintenance();
    // Cycles every poll_interval until request_stop(), with the heartbeat of RunOptions.
    void run_forever();
    // Thread-safe and async-signal-safe (an atomic store and a write(2) to an eventfd, nothing
    // else): makes the current cycle wind down (bounded by a few seconds) and run_forever()
    // return. Callable from a signal handler or another thread while run_forever() runs.
    void request_stop();
    // Stops the threads (bounded), commits what Redis acknowledged, writes the checkpoint.
    void shutdown();

    // The pipeline's counters (core/pipeline.hpp): relaxed atomics, readable from any thread
    // while the Shipper lives; each field counts since construction.
    const PipelineCounters& counters() const;
    // Only between cycles, on the thread that runs them.
    const StateTable& state() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hsm::shipper
