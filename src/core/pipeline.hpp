// The messages and queues between pipeline stages: ingest -> diff -> publish -> (acks) -> diff.
// Stages know each other only through these types.
//
// Readers send every line they read (as offsets into the read buffer they hand over, so no line
// is copied or allocated); the diff thread alone owns the committed state and compares. That
// keeps the state free of locks and the readers free of the state.
//
// Overflow policy: the queues are unbounded lock-free queues (moodycamel), and memory is bounded
// one hop earlier: a reader does not queue another batch while more than kMaxLinesInFlight lines
// are read but not yet compared (unchanged) or acknowledged by Redis (changed); it waits, and the
// waits are counted in PipelineCounters::reader_waits (all of it in core/line_budget.hpp).
// Nothing is dropped: an event either gets an entry ID or comes back without one and is
// re-detected next cycle.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "event.hpp"

namespace hsm {

// 16 k lines: 8 publisher batches of 2,000, enough to keep it busy between round trips, and
// ~4 MB of read buffers or ~5 MB of events in flight. (64 k cost 14 MB more at the peak, kept for
// good by the event queue's blocks, and pushed the daemon past its 64 MB budget.)
inline constexpr std::uint32_t kMaxLinesInFlight = 16 * 1024;
// One read(2) into a buffer of this size is one batch: large enough that the kernel file is
// walked few times (docs/lustre-actions.md) and queue operations are noise.
inline constexpr std::size_t kReadBufferBytes = 1 << 20;

// One parsed line, as offsets into its batch's buffer.
struct LineRef {
    RecordKey key;
    std::uint64_t hash = 0;
    std::uint32_t offset = 0;  // of the line in ReadBatch::text
    std::uint32_t length = 0;
    std::uint16_t fid_off = 0, fid_len = 0;  // relative to the line
    std::uint16_t action_off = 0, action_len = 0;
    std::uint16_t status_off = 0, status_len = 0;
    // False when the reader recognised the line from its previous pass and skipped the parse: key
    // and hash are set, the three fields are not until ReadBatch::locate_fields fills them.
    bool fields_located = true;
};

// Fills fid/action/status of `ref` from its line (`line` is the line's text); false when the line
// does not parse (only possible if a fingerprint collided). Supplied by the reader.
using FieldLocator = bool (*)(std::string_view line, LineRef& ref);

// What a reader sends the diff thread: batches of parsed lines, then exactly one final batch
// per pass with the outcome of the read.
struct ReadBatch {
    std::uint32_t mdt_slot = 0;
    std::uint32_t cycle = 0;
    std::uint8_t pass = 1;          // 2: the confirming re-read after records went missing
    std::int64_t observed_at = 0;   // Unix seconds of the cycle start: the events' timestamp
    std::string text;               // the read buffer the lines point into
    std::vector<LineRef> lines;
    FieldLocator locate_fields = nullptr;  // for lines with fields_located false
    bool final = false;
    // Final batch only:
    bool complete = false;          // whole file read to EOF without error
    std::string error;              // why not complete
    std::uint64_t lines_read = 0, bad_lines = 0;
};

// Read buffers travel back from the diff thread to the readers instead of to the allocator, so a
// no-change cycle reuses the same few megabytes (no page faults, no heap growth). Beyond
// kPooledBuffers the diff thread frees them: a reader and the diff thread keep about four
// buffers in circulation, so the pool never holds more than ~4 MB.
using BufferPool = moodycamel::ConcurrentQueue<std::string>;
inline constexpr std::size_t kPooledBuffers = 4;

// Events the publisher finished with, in the order it sent them; each carries its entry ID, or
// an empty ID when Redis did not acknowledge it.
struct AckBatch {
    std::vector<Event> events;
};

// Asks the diff thread to report once every event it emitted so far has come back from Redis.
struct FlushRequest {};

// Events no read produced (GC repairs, e.g. PURGED for a stream's orphans), shipped and
// acknowledged through the diff thread like any other.
struct RepairBatch {
    std::vector<Event> events;
};

// The diff thread waits on one inbox for everything it reacts to.
using DiffMessage = std::variant<ReadBatch, AckBatch, FlushRequest, RepairBatch>;
using DiffInbox = moodycamel::BlockingConcurrentQueue<DiffMessage>;

// What the diff thread tells the cycle coordinator.
struct DiffReport {
    enum class Kind : std::uint8_t { PassDone, Flushed } kind = Kind::PassDone;
    std::uint32_t mdt_slot = 0;
    std::uint8_t pass = 1;
    bool complete = false;       // PassDone: the read was whole
    std::size_t missing = 0;     // PassDone: committed records this pass did not print
    std::uint64_t failed = 0;    // Flushed: events of the cycle Redis did not acknowledge
};
using ReportQueue = moodycamel::BlockingConcurrentQueue<DiffReport>;
// diff -> publish; the publisher dequeues in bulk and pipelines one XADD per event.
using EventQueue = moodycamel::BlockingConcurrentQueue<Event>;

// Counters shared by the stages; relaxed atomics, read by the stats/heartbeat side.
struct PipelineCounters {
    std::atomic<std::uint32_t> lines_in_flight{0};  // see kMaxLinesInFlight
    std::atomic<std::uint64_t> reader_waits{0};
    std::atomic<std::uint64_t> events_new{0}, events_update{0}, events_purged{0};
    std::atomic<std::uint64_t> events_failed{0};  // XADD not acknowledged; re-detected later
    std::atomic<std::uint64_t> bad_lines{0}, rereads{0};
    std::atomic<std::uint64_t> redis_reconnects{0};
    std::atomic<std::uint64_t> repairs{0}, trims{0}, trimmed_entries{0}, takeovers{0}, rebuilds{0};
    std::atomic<std::uint64_t> compactions{0}, compacted_entries{0};  // passes, entries XDEL'd
    std::atomic<std::uint64_t> cycles{0}, last_cycle_micros{0};
};

}  // namespace hsm
