// The messages and queues between pipeline stages: ingest -> diff -> publish -> (acks) -> diff.
// Stages know each other only through these types.
//
// Overflow policy: the queues themselves are unbounded lock-free queues (moodycamel), and memory
// is bounded one hop earlier: a reader does not queue another batch while more than
// kMaxLinesInFlight changed lines are read but not yet acknowledged by Redis (it waits; the waits
// are counted in PipelineCounters::reader_waits). Nothing is ever dropped: an event either gets
// an entry ID or comes back without one and is re-detected next cycle.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "event.hpp"

namespace hsm {

// ~64 k lines of ~200 bytes is ~13 MB in flight: enough to keep a pipelined publisher busy for
// a quarter second at 250 k events/s, small beside the 64 MB RSS budget.
inline constexpr std::uint64_t kMaxLinesInFlight = 64 * 1024;
// Changed lines per batch: large enough that queue operations are noise, small enough that the
// diff and publish threads start working while a big file is still being read.
inline constexpr std::size_t kLinesPerBatch = 4096;

// One changed (or new) line, as offsets into its batch's text arena.
struct ChangedLine {
    RecordKey key;
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;  // of the line in ReadBatch::text
    std::uint32_t length = 0;
    std::uint16_t fid_off = 0, fid_len = 0;  // relative to the line
    std::uint16_t action_off = 0, action_len = 0;
    std::uint16_t status_off = 0, status_len = 0;
    std::uint8_t reship = 0;  // ReshipFlag copied from the state: why an unchanged line is here
};

// What a reader sends the diff thread: zero or more batches of changed lines, then exactly one
// final batch per MDT per cycle with the outcome of the read.
struct ReadBatch {
    std::uint32_t mdt_slot = 0;
    std::string text;                  // arena holding the changed lines
    std::vector<ChangedLine> lines;
    bool final = false;
    // Final batch only:
    bool complete = false;             // whole file read to EOF without error
    std::string error;                 // why not complete
    std::vector<RecordKey> missing;    // committed records absent from the read (and re-read)
    std::uint64_t lines_read = 0, bad_lines = 0, rereads = 0;
};

// Events the publisher finished with, in the order it sent them; each carries its entry ID, or
// an empty ID when Redis did not acknowledge it.
struct AckBatch {
    std::vector<Event> events;
};

// The diff thread waits on one inbox for everything it reacts to.
using DiffMessage = std::variant<ReadBatch, AckBatch>;
using DiffInbox = moodycamel::BlockingConcurrentQueue<DiffMessage>;
// diff -> publish; the publisher dequeues in bulk and pipelines one XADD per event.
using EventQueue = moodycamel::BlockingConcurrentQueue<Event>;

// Counters shared by the stages; relaxed atomics, read by the stats/heartbeat side.
struct PipelineCounters {
    std::atomic<std::uint64_t> lines_in_flight{0};  // changed lines read, not yet acknowledged
    std::atomic<std::uint64_t> reader_waits{0};
    std::atomic<std::uint64_t> events_new{0}, events_update{0}, events_purged{0};
    std::atomic<std::uint64_t> events_failed{0};  // XADD not acknowledged; re-detected later
    std::atomic<std::uint64_t> bad_lines{0}, rereads{0};
    std::atomic<std::uint64_t> redis_reconnects{0};
    std::atomic<std::uint64_t> repairs{0}, trims{0}, trimmed_entries{0}, takeovers{0}, rebuilds{0};
};

}  // namespace hsm
