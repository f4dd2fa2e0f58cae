// The GC stage: everything that reads the streams back. Replay rebuilds a stream's live set
// (takeover, rebuild, reconcile); trimming deletes the head no live record needs, and
// compaction the superseded entries behind a long-lived record, both in bounded calls;
// the stream check notices, every cycle, a stream written by someone else or one that lost data.
// The functions are synchronous and take a connection; none keeps state between calls, and one
// connection must not be used by two threads at once. The coordinator calls check_stream and
// replay_stream on its own connection (every cycle's stream check, takeover, rebuild,
// reconcile); trimming and compaction run only on GcStage's thread, through its queues.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <concurrentqueue/blockingconcurrentqueue.h>

#include "core/pipeline.hpp"
#include "services/redis.hpp"
#include "core/state.hpp"

namespace hsm::gc {

// ---- replay -------------------------------------------------------------------------------------

struct ReplayResult {
    bool ok = false;
    std::string error;
    RedisProblem problem;        // why it failed (see services/redis_fault.hpp)
    MdtState live{""};           // the stream's live set: newest event of each live record
    StreamId last_id;            // newest entry replayed
    std::uint64_t entries = 0;   // entries replayed
    std::uint64_t skipped = 0;   // not JSON, or lacking the keys an identity needs
};

// Replays `key` from its start up to `until` (inclusive; empty = to the end) in chunks of
// `chunk` entries per XRANGE, so each call returns a bounded reply. Copes with Python-written
// streams (docs/wire-format.md): maintenance PURGED events without indices remove by
// action_key, MD5 hashes are ignored (the fingerprint is recomputed from `raw`).
ReplayResult replay_stream(RedisConnection& redis, const std::string& key, const std::string& mdt,
                           StreamId until = {}, std::size_t chunk = 10000);

// Whether `key` provably still holds every entry it ever had after `after`: the entry `after`
// itself is there (so no MINID trim reached past it) and Redis's max-deleted-entry-id (XINFO
// STREAM, Redis 7.0+) is older than it (so no XDEL did). False, with `why`, when either fails,
// when Redis is older than 7.0 (no such field: nothing can be proved) or unreachable.
bool tail_intact(RedisConnection& redis, const std::string& key, StreamId after, std::string& why);

struct TailResult {
    bool ok = false;
    RedisProblem problem;       // why it failed (see services/redis_fault.hpp)
    StreamId last_id;           // newest entry replayed (empty: none)
    std::uint64_t entries = 0;  // entries replayed
    std::uint64_t skipped = 0;  // entries that are not events (as replay_stream)
    std::uint64_t foreign = 0;  // events whose "host" is not `host` (or that name none)
};

// Folds the entries of `key` after `after` (exclusive) into `live` in place, as replay_stream
// folds from the start: the catch-up of a checkpoint stamped with `after` (see
// docs/checkpoint.md). Only sound when tail_intact() said so. Folding the same entries twice
// gives the same state, so a fold cut short by a failure (ok false; `live` then holds part of
// the tail) is simply repeated or replaced by a full replay. Leaves live.newest_written alone.
TailResult replay_tail(RedisConnection& redis, const std::string& key, MdtState& live, StreamId after,
                       std::string_view host, std::size_t chunk = 10000);

// ---- trimming -----------------------------------------------------------------------------------

struct TrimOptions {
    bool approximate = true;
    // Entries deleted per call at most, so one XTRIM never blocks Redis for long (Redis frees
    // entries synchronously; a million-entry trim in one call stalls every client).
    std::size_t chunk = 1000;
    // Checked between calls: shutdown must not wait for a long trim.
    const std::atomic<bool>* cancel = nullptr;
    // After approximate trimming, remove the remainder below MINID exactly (less than one
    // macro-node): an MDT with nothing live must end with an empty stream.
    bool exact_tail = false;
};

struct TrimResult {
    bool ok = true;
    std::uint64_t deleted = 0;
    std::uint64_t calls = 0;
    RedisProblem problem;  // !ok: which command failed and how (a refused XTRIM, a lost connection)
};

// Deletes entries older than `minid`; `minid` empty means everything there now (callers racing
// with new XADDs pass an explicit ID instead).
// Approximate: `XTRIM MINID ~ id LIMIT chunk` until a call deletes nothing. Exact: Redis refuses
// LIMIT without `~`, so the MINID walks forward `chunk` entries at a time (XRANGE COUNT finds the
// step's ID) and each exact XTRIM deletes at most `chunk` entries.
TrimResult trim_stream(RedisConnection& redis, const std::string& key, StreamId minid,
                       const TrimOptions& options);

// The ID of the `position`-th entry (1-based) from the start, walking in chunks; empty if the
// stream is shorter. Used to pick which records to refresh (refresh_long_lived).
StreamId id_at_position(RedisConnection& redis, const std::string& key, std::uint64_t position,
                        std::size_t chunk);

// ---- compaction ---------------------------------------------------------------------------------

struct CompactResult;

struct CompactOptions {
    // Entries per XRANGE and IDs per XDEL at most, so one call never blocks Redis for long
    // (the shipper passes trim_chunk_size).
    std::size_t chunk = 1000;
    // Entries less than this much older than the snapshot's newest entry are never touched, so
    // a consumer that lags by less than this (or a replay that takes less) sees every event.
    std::uint64_t retention_ms = 60'000;
    // Checked between calls: shutdown must not wait for a long pass.
    const std::atomic<bool>* cancel = nullptr;
    // Called after each chunk (progress logging, tests that interrupt a pass).
    std::function<void(const CompactResult&)> on_chunk;
};

struct CompactResult {
    bool ok = true;
    std::string error;            // why the pass stopped early (ok == false)
    RedisProblem problem;         // ... when a Redis command failed (lost connection, refusal)
    std::uint64_t scanned = 0;    // entries read
    std::uint64_t kept_live = 0;  // of those, live records' newest entries
    std::uint64_t deleted = 0;    // entries XDEL removed
    std::uint64_t calls = 0;      // Redis commands sent
};

// The exclusive upper end of what a pass may delete: below `bound`, and below the retention
// window that ends at `bound` (Redis-generated IDs start with the server's Unix milliseconds).
// Empty when nothing may be deleted.
StreamId compaction_limit(StreamId bound, std::uint64_t retention_ms);

// Deletes every entry of `key` below compaction_limit(bound, retention) whose ID is not in
// `live_ids` (ascending: the newest entry of each live record, as the committed state knows
// them). `bound` is this host's newest entry when the snapshot was taken; if the stream no
// longer holds it (data loss, another host's stale dump) nothing is deleted and ok is false.
// Each call reads at most `chunk` entries or deletes at most `chunk` IDs. A failed command
// (connection lost, e.g. a Redis restart) ends the pass; the pass never reconnects, since only
// the bound check at its start ties the snapshot to what the server holds. Entries newer than
// `bound` (written while the pass runs) are never read. Not thread-safe on one connection.
CompactResult compact_stream(RedisConnection& redis, const std::string& key,
                             std::span<const StreamId> live_ids, StreamId bound,
                             const CompactOptions& options);

// Between maintenance passes, compaction runs when the stream has grown past twice the larger
// of its live records and what the last compaction left, plus one cycle's churn: each pass then
// deletes at least about as many entries as it keeps, so its reading cost stays proportional to
// the churn (docs/compaction.md).
bool needs_compaction(std::uint64_t length, std::uint64_t live, std::uint64_t churn,
                      std::uint64_t kept_last);

// ---- stream check (every cycle) -----------------------------------------------------------------

enum class StreamVerdict : std::uint8_t {
    Consistent,   // the stream ends with what this host last wrote
    ForeignWrites,  // newer entries than ours: another host wrote (failover) -> take over
    Unknown,      // we know nothing about this stream (fresh start, lost cache) -> take over
    DataLoss,     // entries we had acknowledged are gone -> rebuild
    Unreachable,  // Redis did not answer, or answered a transient state (LOADING...); next cycle
    Unusable,     // Redis refused (no ACL permission, the key holds another type); needs an admin
};

struct StreamCheck {
    StreamVerdict verdict = StreamVerdict::Unreachable;
    std::string detail;  // for the log
    RedisProblem problem;  // Unreachable / Unusable: the classified failure
};

// One pipelined round trip per call: XLEN, the newest entry, and whether our newest entry exists.
StreamCheck check_stream(RedisConnection& redis, const std::string& key, const MdtState& state);

// ---- the GC thread ------------------------------------------------------------------------------

// Work for the GC thread, posted by the coordinator after each cycle with copies of what it needs
// (the thread never touches the committed state).
struct GcJob {
    std::uint32_t mdt_slot = 0;
    std::string key;
    StreamId trim_below;       // oldest live record's newest entry, or just past our newest
                               // entry when nothing is live (never "whatever is last now": the
                               // next cycle may be adding entries while this job runs)
    std::uint64_t live = 0;
    std::uint64_t churn = 0;   // events shipped for this MDT by the last cycle
    std::uint64_t kept_last = 0;  // stream length after the last compaction
    // When set, compact first: the newest entry ID of every live record, ascending, and this
    // host's newest entry when they were copied (see compact_stream).
    std::shared_ptr<const std::vector<StreamId>> live_ids;
    StreamId bound;
};

// What the GC thread found; applied by the coordinator between cycles.
struct GcFinding {
    std::uint32_t mdt_slot = 0;
    // Only with refresh_long_lived: live records whose newest entry is older than this pin
    // the trim point; re-publish them.
    StreamId refresh_before;
    std::uint64_t trimmed = 0;
    RedisProblem problem;  // the job failed (trim refused, Redis lost): logged once per state by GC
    bool compacted = false;         // a compaction pass ran to the end
    std::uint64_t compacted_entries = 0;
    bool wants_compaction = false;  // the stream outgrew its bound: send the live IDs next time
    std::uint64_t length = 0;       // after this job (0 when XLEN failed)
};

using GcJobQueue = moodycamel::BlockingConcurrentQueue<GcJob>;
using GcFindingQueue = moodycamel::BlockingConcurrentQueue<GcFinding>;

// With refresh_long_lived: a stream may hold its live records' newest entries plus as many
// superseded ones plus one cycle's churn; beyond that the oldest live records are refreshed so
// trimming can advance.
bool needs_refresh(std::uint64_t length, std::uint64_t live, std::uint64_t churn);

// How the GC thread keeps streams bounded between maintenance passes.
struct GcOptions {
    TrimOptions trim;
    CompactOptions compact;
    // Re-publish long-lived records ("refresh": true UPDATEs) instead of compacting around them.
    // Off by default: consumers that act on every event act again on each refresh.
    bool refresh_long_lived = false;
};

// Thread-safety and lifetimes: start(), stop() and the destructor on one thread (the
// coordinator); between start() and stop() the GC thread alone uses the connection and
// `counters`, and talks to the coordinator only through the two queues. The queues and the
// counters must outlive the GcStage; stop() returns once the thread has exited (bounded by the
// job in hand: its commands time out with the endpoint's io_timeout).
class GcStage {
public:
    // `one_shot`: a --maintenance-now run, whose failures are reported, not retried.
    GcStage(RedisEndpoint endpoint, GcOptions options, GcJobQueue& jobs, GcFindingQueue& findings,
            PipelineCounters& counters, bool one_shot = false);
    ~GcStage();
    void start();
    void stop();

private:
    void run();
    // One job, on the GC thread (--maintenance-now posts its jobs through the queue too).
    GcFinding run_job(const GcJob& job);
    RedisConnection redis_;  // quiet: faults_ logs its failures with the trims'
    FaultLog faults_;
    // After a failed job, jobs are answered with the same problem and no command until the
    // backoff allows another try: a refused XTRIM is retried at 1 s, 2 s, 4 s... up to 30 s,
    // not every cycle.
    Backoff retry_;
    RedisProblem last_problem_;
    bool one_shot_ = false;
    GcOptions options_;
    GcJobQueue& jobs_;
    GcFindingQueue& findings_;
    PipelineCounters& counters_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace hsm::gc
