// Backpressure, in one place: a reader takes lines from the budget before it queues a batch,
// waiting while more than the limit are in flight; the diff thread gives them back once it has
// compared them (no change) or Redis has answered for their event (acknowledged or not). The
// count and the waits live in PipelineCounters (lines_in_flight, reader_waits), so whoever reads
// the counters sees them; only these two functions change them.
//
// The wait is C++20's atomic wait on the count (a futex on Linux): a reader sleeps until
// give_back() changes the count, with no polling. It needs no stop flag: the diff thread gives
// lines back for every batch it compares and every answer of the publisher, which returns a
// batch it could not send at once and one it sent within the Redis I/O timeout, so a wait ends
// while the pipeline threads run, which they do until every reader has returned.
#pragma once

#include <cstdint>

#include "core/pipeline.hpp"

namespace hsm::line_budget {

// Reader threads (any number at once). Blocks while more than `limit` lines are in flight,
// counting one reader_waits per call that had to wait; then adds `n`. Never drops a batch, and
// lets one batch overshoot the limit so a batch larger than the limit cannot block for ever.
inline void take(PipelineCounters& counters, std::uint32_t n, std::uint32_t limit = kMaxLinesInFlight) {
    auto& count = counters.lines_in_flight;
    bool waited = false;
    for (auto seen = count.load(std::memory_order_acquire); seen > limit;
         seen = count.load(std::memory_order_acquire)) {
        waited = true;
        count.wait(seen, std::memory_order_acquire);
    }
    if (waited) counters.reader_waits.fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(n, std::memory_order_acq_rel);
}

// The diff thread. Gives back `n` lines taken by take() and wakes the readers waiting on them.
inline void give_back(PipelineCounters& counters, std::uint32_t n) {
    if (n == 0) return;
    counters.lines_in_flight.fetch_sub(n, std::memory_order_acq_rel);
    counters.lines_in_flight.notify_all();
}

}  // namespace hsm::line_budget
