// Shipper::Impl, the coordinator's state, shared by the files that hold its concerns (private to
// src/shipper; nothing outside includes it). The methods live by concern, each file including
// only this header, so there is no circle between them:
//   lifecycle.cpp   start, run_forever, request_stop, shutdown (threads, signals, the idle wait)
//   cycle.cpp       one cycle: discover -> verify -> read -> diff -> publish -> commit -> checkpoint
//   checkpointing.cpp  when a snapshot is written, catch-up from its stamps, the compaction cap
//   ownership.cpp   whose stream it is: takeover, standby, rebuild, reconcile, reseed
//   gc_handoff.cpp  GC jobs posted after a commit, findings applied before the next, maintenance
// The heartbeat hash the cycle writes is heartbeat.cpp (its own connection, never on the data path).
// Backpressure is core/line_budget.hpp (readers take lines there, the diff thread gives them back).
#pragma once

#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "diff/diff.hpp"
#include "gc/gc.hpp"
#include "ingest/ingest.hpp"
#include "publish/publish.hpp"
#include "shipper/checkpoint.hpp"
#include "shipper/heartbeat.hpp"
#include "shipper/shipper.hpp"

namespace hsm::shipper {

namespace detail {
// An eventfd that request_stop() writes (write(2) is async-signal-safe) and the idle wait
// between cycles polls. -1 when eventfd(2) failed: the idle wait then wakes every 100 ms to look
// at the stop flag instead.
class StopEvent {
public:
    StopEvent() : fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
    ~StopEvent() { if (fd_ >= 0) close(fd_); }
    StopEvent(const StopEvent&) = delete;
    StopEvent& operator=(const StopEvent&) = delete;
    void signal() const noexcept {
        const std::uint64_t one = 1;
        if (fd_ >= 0) [[maybe_unused]] auto n = write(fd_, &one, sizeof one);
    }
    int fd() const { return fd_; }

private:
    int fd_;
};

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
// A cycle's work must finish or be abandoned within this on shutdown, so the daemon exits within
// the 5 s systemd and admins expect, checkpoint included.
constexpr auto kShutdownGrace = 2s;
// How often waits re-check the stop flag.
constexpr std::int64_t kReportWaitMicros = 50'000;
// Redis round trips must not outlast the shutdown grace.
constexpr auto kRedisIoTimeout = 2s;
// Cycles that shipped at least this many events return freed heap to the system (a few ms).
// 1,000, not more: in the memory soak (bench/soak, docs/benchmarks.md) at 100,000 live, a steady
// ~2,500 events per cycle never reached 10,000, so freed event strings were never returned;
// with 1,000 the soak's RSS floor dropped from ~35 to ~29 MB (bounded either way).
constexpr std::uint64_t kTrimHeapAfterEvents = 1'000;
// --run-once gives Redis this long to answer before failing.
constexpr auto kRunOnceConnectTimeout = 10s;
// A second takeover within this many cycles of the last means another shipper writes the stream
// at the same time (a failover takes over once). Also the least a standing-by host waits for
// quiet before it ships again: two cycles would race a slow writer's next cycle.
constexpr std::uint32_t kConcurrentWriterCycles = 10;
// A host that keeps colliding on one MDT warns again only after this many cycles.
constexpr std::uint32_t kStandbyWarnEveryCycles = 1000;
}  // namespace detail
using namespace detail;

struct Shipper::Impl {
    // `injected` (shipper.hpp): scripted parts in front of the real ones, tests only.
    Impl(const ShipperSettings& cfg, RunOptions opts, Injected inject)
        : config(cfg), options(opts), injected(inject),
          diff(state, counters, inbox, events, reports, &buffers),
          publisher(publisher_options(cfg, opts, inject.redis), events, inbox, counters),
          gc(endpoint(cfg, inject.redis), gc_options(cfg), gc_jobs, gc_findings, counters, opts.one_shot),
          admin(quiet(endpoint(cfg, inject.redis))), redis_log("MDT stream checks on redis " + admin.endpoint().address()),
          opener(inject.opener ? *inject.opener : file_opener) {}

    // Each thread that talks to Redis (publisher, GC, coordinator) has its own connection to this.
    static RedisEndpoint endpoint(const ShipperSettings& cfg, RedisTap* tap) {
        RedisEndpoint ep;
        ep.tap = tap;
        ep.host = cfg.redis.host;
        ep.port = cfg.redis.port;
        ep.db = cfg.redis.db;
        ep.username = cfg.redis.username;
        ep.password = cfg.redis.password;
        ep.io_timeout = kRedisIoTimeout;
        return ep;
    }

    // The coordinator logs its connection's failures itself, once per state (redis_log).
    static RedisEndpoint quiet(RedisEndpoint ep) {
        ep.quiet = true;
        return ep;
    }

    static gc::GcOptions gc_options(const ShipperSettings& cfg) {
        gc::GcOptions g;
        g.trim.approximate = cfg.use_approximate_trimming;
        g.trim.chunk = cfg.trim_chunk_size;
        g.compact.chunk = g.trim.chunk;
        g.compact.retention_ms = static_cast<std::uint64_t>(cfg.compact_retention * 1000.0);
        g.refresh_long_lived = cfg.refresh_long_lived;
        return g;
    }

    static std::string host_name() {
        char name[256] = {};
        if (gethostname(name, sizeof name - 1) != 0) return {};
        return name;
    }

    static publish::PublisherOptions publisher_options(const ShipperSettings& cfg, RunOptions opts, RedisTap* tap) {
        publish::PublisherOptions p;
        p.host = host_name();
        p.endpoint = endpoint(cfg, tap);
        // A one-shot run reports what failed at its end; it does not promise retries it won't make.
        p.endpoint.quiet = opts.one_shot;
        p.prefix = cfg.redis.stream_prefix;
        p.dry_run = opts.dry_run;
        return p;
    }

    const ShipperSettings config;  // built once from the loaded Config
    const RunOptions options;
    const Injected injected;
    const std::string publisher_host = host_name();
    StateTable state;
    PipelineCounters counters;
    DiffInbox inbox;
    EventQueue events;
    ReportQueue reports;
    BufferPool buffers;
    diff::DiffStage diff;
    publish::Publisher publisher;
    gc::GcJobQueue gc_jobs;
    gc::GcFindingQueue gc_findings;
    gc::GcStage gc;
    std::size_t gc_outstanding = 0;
    // Per MDT slot: the next GC job carries the live IDs (the stream outgrew its bound), and the
    // stream's length after its last complete compaction (the floor of needs_compaction).
    std::map<std::uint32_t, bool> compact_due;
    std::map<std::uint32_t, std::uint64_t> kept_after_compaction;
    // The coordinator's own connection: stream checks, replays and reconcile between cycles.
    RedisConnection admin;
    // Failures of the coordinator's Redis work (stream checks, replays, reconcile): one line per
    // change of state with a count, not one per MDT per cycle during an outage.
    FaultLog redis_log;
    // (No backoff on the stream checks: one round trip per MDT per poll interval is cheap, and a
    // Redis that answers again must be noticed within one poll interval; redis_log keeps the log
    // to one line per change of state.)
    RedisProblem maintenance_problem;  // the last GC or reconcile failure of this maintenance pass
    bool unacked_logged = false;       // "events not acknowledged" said for the current streak
    Clock::time_point next_reconcile = Clock::now();
    bool gc_enabled = false;  // one-shot runs (--run-once) ship without trimming
    ingest::FileOpener file_opener;  // the default source of bytes
    ingest::SourceOpener& opener;
    std::map<std::uint32_t, std::unique_ptr<ingest::MdtReader>> readers;  // by slot, current MDTs
    std::uint32_t cycle = 0;
    // request_stop() sets `stopping` and writes the eventfd, both async-signal-safe; the idle
    // wait between cycles polls the eventfd, every other wait re-checks `stopping` within
    // kReportWaitMicros. The eventfd is opened at construction and closed by ~Impl.
    std::atomic<bool> stopping{false};
    // <redis_shipper_prefix>:<host>, rewritten after every cycle of the daemon (not of one-shot
    // runs: a heartbeat that stops when a --run-once ends would read as a dead shipper).
    std::optional<HeartbeatWriter> heartbeat;
    // The MDTs this cycle shipped: read, not standing by for another writer, stream checked.
    std::vector<std::string> shipped_mdts() const {
        std::vector<std::string> names;
        for (const auto& [slot, reader] : readers)
            if (state.at(slot).stream_verified && !unchecked.count(slot)) names.push_back(state.at(slot).name());
        return names;
    }
    StopEvent stop_event;
    bool started = false;
    // Set at start when cache_path names a file that is not our checkpoint (foreign_checkpoint):
    // it is said once, then no checkpoint is written (takeover replays the streams after a
    // restart, so only start-up time is lost).
    bool checkpoint_refused = false;
    // Failed snapshot saves since the last one that worked (a full or failing disk): the first is
    // logged, the rest of the outage only at debug level, the recovery with the count.
    std::uint64_t checkpoint_failures = 0;
    // The snapshot on disk (docs/checkpoint.md): whether there is one for the current state, the
    // count of committed events (plus replayed entries) when it was written, and its stamp per
    // MDT slot, which compaction never deletes past so a restart can replay the stream from it.
    SnapshotPolicy snapshot_policy;
    bool have_snapshot = false;
    std::uint64_t replayed = 0;  // stream entries folded into the state by catch-ups and takeovers
    std::uint64_t changes_at_snapshot = 0;
    std::map<std::uint32_t, StreamId> snapshot_stamp;
    std::uint64_t changes() const {
        return counters.events_new.load(std::memory_order_relaxed) +
               counters.events_update.load(std::memory_order_relaxed) +
               counters.events_purged.load(std::memory_order_relaxed) + replayed;
    }
    StreamId compaction_bound(std::uint32_t slot) const;
    // Folds the stream's entries after `from` (not empty: the state's newest entry, or an older
    // point of agreement) into the state.
    bool catch_up(std::uint32_t slot, StreamId from);
    // Per MDT, the state's newest entry at the last check that found stream and state in
    // agreement; and the MDTs whose XADDs since then may have landed unacknowledged (the
    // publisher lost a connection with XADDs in flight). Those are folded in from the agreed
    // point at their next check (verify_streams), whatever the newest entry says: a reconnect
    // within the same cycle may have acknowledged later XADDs, which hides the lost ones.
    std::map<std::uint32_t, StreamId> agreed;
    std::set<std::uint32_t> unsure;
    // Takes the publisher's "lost with XADDs in flight" into own_writes_unknown and `unsure`.
    void note_lost_in_flight();
    // MDTs not read this cycle: their stream could not be checked (Redis unreachable: a check
    // that fails says nothing about what XADDs sent before it will still land, so shipping on
    // the last verdict could duplicate them), or this host stands by for them (see Standby).
    std::set<std::uint32_t> unchecked;
    // Two shippers on one MDT (a glob matching on two hosts, a failover script gone wrong): each
    // would take the stream over from the other every cycle and re-ship what the other wrote.
    // A host that has to take over again soon after its last takeover stands by instead: it
    // ships nothing for that MDT and only watches the stream's newest entry, until the other
    // writer has been quiet for a while (then it takes over, replaying the stream as in a
    // failover). Quiet periods are randomised so two hosts that stood by at once do not
    // resume at once.
    struct Standby {
        bool active = false;
        StreamId last_seen;          // newest entry of the stream at the last look
        std::uint32_t quiet = 0;     // cycles since that entry changed
        std::uint32_t quiet_needed = 0;
        std::uint32_t last_takeover = 0;  // cycle of the last takeover (0: none)
        std::uint32_t warned = 0;         // cycle of the last warning (one per episode)
    };
    std::map<std::uint32_t, Standby> standby;
    bool own_writes_unknown = false;  // see verify_streams()
    std::minstd_rand standby_rng{static_cast<std::uint32_t>(getpid())};
    bool idle_until(Clock::time_point until);
    bool stand_by(std::uint32_t slot);
    void enter_standby(std::uint32_t slot, const std::string& why);

    void update_mdts(const std::vector<ingest::MdtFile>& files);
    std::size_t verify_streams();
    bool probe_redis();
    void kill_stale_publisher();
    bool reseed_from_stream(std::uint32_t slot, bool rebuild);
    std::size_t apply_gc_findings(bool wait_for_all);
    void post_gc_jobs(bool compact_all = false);
    void reconcile(std::uint32_t slot);
    std::vector<RepairBatch> repairs;  // found by reconcile(), queued once all MDTs are done
    std::string key_of(std::uint32_t slot) const {
        return publish::stream_key(config.redis.stream_prefix, state.at(slot).name());
    }
    void read_all(std::int64_t now);
    bool wait_report(DiffReport& report, Clock::time_point deadline);
    std::optional<std::uint64_t> flush();
    // One shutdown grace for the whole cycle a stop lands in: set when a wait first sees
    // `stopping`, then shared by the read and the flush (each used to start its own).
    Clock::time_point stop_deadline = Clock::time_point::max();
    Clock::time_point grace_end();
    bool checkpoint(bool force = false);
    void sink(ReadBatch&& batch);
};

}  // namespace hsm::shipper
