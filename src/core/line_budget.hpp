// Backpressure, in one place: a reader takes lines from the budget before it queues a batch,
// waiting while more than the limit are in flight; the diff thread gives them back once it has
// compared them (no change) or Redis has answered for their event (acknowledged or not). The
// count and the waits live in PipelineCounters (lines_in_flight, reader_waits), so whoever reads
// the counters sees them; only these two functions change them.
//
// Why a reader that must wait sleeps 1 ms and looks again instead of blocking until woken: a
// blocking wait was tried and measured (bench/harness/run.sh, initial shipping of 350,000
// lines, on a shared 2-core Debian 12 box under heavy load). C++20 atomic::wait woken on every
// give-back shipped at 0.31 to 0.37x redis-benchmark in 3 runs, a futex woken only when the
// count crosses the limit at 0.32 to 0.70x, this loop at 0.41 to 0.84x and the previous code
// (the same loop) at 0.37 to 0.79x. The spread is wide, but no blocking variant did better;
// the waits happen only while Redis is slower than the reads, and a 1 ms look costs nothing
// measurable. The loop needs no stop flag: the diff thread gives lines back for every batch it
// compares and every answer of the publisher, which returns a batch it could not
// send at once and one it sent within the Redis I/O timeout, so a wait ends while the pipeline
// threads run, which they do until every reader has returned.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#include "core/pipeline.hpp"

namespace hsm::line_budget {

// How long a waiting reader sleeps before it looks at the count again.
inline constexpr std::chrono::milliseconds kRecheck{1};

// Reader threads (any number at once). Waits while more than `limit` lines are in flight,
// counting one reader_waits per call that had to wait; then adds `n`. Never drops a batch, and
// lets one batch overshoot the limit so a batch larger than the limit cannot wait for ever.
inline void take(PipelineCounters& counters, std::uint32_t n, std::uint32_t limit = kMaxLinesInFlight) {
    auto& count = counters.lines_in_flight;
    bool waited = false;
    while (count.load(std::memory_order_acquire) > limit) {
        waited = true;
        std::this_thread::sleep_for(kRecheck);
    }
    if (waited) counters.reader_waits.fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(n, std::memory_order_acq_rel);
}

// The diff thread. Gives back `n` lines taken by take(); a waiting reader sees it within kRecheck.
inline void give_back(PipelineCounters& counters, std::uint32_t n) {
    if (n) counters.lines_in_flight.fetch_sub(n, std::memory_order_acq_rel);
}

}  // namespace hsm::line_budget
