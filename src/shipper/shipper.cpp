// Shipper::Impl: the cycle coordinator. It owns the state between cycles, starts one reader
// thread per MDT per pass, and waits on the diff thread's reports; the stage threads do the work.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "diff/diff.hpp"
#include "gc/gc.hpp"
#include "ingest/ingest.hpp"
#include "publish/publish.hpp"
#include "shipper/shipper.hpp"

namespace hsm::shipper {

namespace {
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
}  // namespace

struct Shipper::Impl {
    Impl(const config::Config& cfg, RunOptions opts)
        : config(cfg), options(opts),
          diff(state, counters, inbox, events, reports, &buffers),
          publisher(publisher_options(cfg, opts), events, inbox, counters),
          gc(endpoint(cfg), gc_options(cfg), gc_jobs, gc_findings, counters, opts.one_shot),
          admin(quiet(endpoint(cfg))), redis_log("MDT stream checks on redis " + admin.endpoint().address()) {}

    // Each thread that talks to Redis (publisher, GC, coordinator) has its own connection to this.
    static RedisEndpoint endpoint(const config::Config& cfg) {
        RedisEndpoint ep;
        ep.host = cfg.str("redis_host");
        ep.port = static_cast<int>(cfg.integer("redis_port"));
        ep.db = static_cast<int>(cfg.integer("redis_db"));
        ep.username = cfg.str("redis_username");
        ep.password = cfg.str("redis_password");
        ep.io_timeout = kRedisIoTimeout;
        return ep;
    }

    // The coordinator logs its connection's failures itself, once per state (redis_log).
    static RedisEndpoint quiet(RedisEndpoint ep) {
        ep.quiet = true;
        return ep;
    }

    static gc::GcOptions gc_options(const config::Config& cfg) {
        gc::GcOptions g;
        g.trim.approximate = cfg.boolean("use_approximate_trimming");
        g.trim.chunk = static_cast<std::size_t>(cfg.integer("trim_chunk_size"));
        g.compact.chunk = g.trim.chunk;
        g.compact.retention_ms = static_cast<std::uint64_t>(cfg.real("compact_retention") * 1000.0);
        g.refresh_long_lived = cfg.boolean("refresh_long_lived");
        return g;
    }

    static std::string host_name() {
        char name[256] = {};
        if (gethostname(name, sizeof name - 1) != 0) return {};
        return name;
    }

    static publish::PublisherOptions publisher_options(const config::Config& cfg, RunOptions opts) {
        publish::PublisherOptions p;
        p.host = host_name();
        p.endpoint = endpoint(cfg);
        // A one-shot run reports what failed at its end; it does not promise retries it won't make.
        p.endpoint.quiet = opts.one_shot;
        p.prefix = cfg.str("redis_stream_prefix");
        p.dry_run = opts.dry_run;
        return p;
    }

    const config::Config config;
    const RunOptions options;
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
    ingest::FileOpener opener;
    std::map<std::uint32_t, std::unique_ptr<ingest::MdtReader>> readers;  // by slot, current MDTs
    std::uint32_t cycle = 0;
    std::atomic<bool> stopping{false};
    std::mutex sleep_mutex;  // only for the sleep between cycles, never on the data path
    std::condition_variable wake;
    bool started = false;
    // Set at start when cache_path names a file that is not our checkpoint (foreign_checkpoint):
    // it is said once, then no checkpoint is written (takeover replays the streams after a
    // restart, so only start-up time is lost).
    bool checkpoint_refused = false;
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
    std::string key_of(std::uint32_t slot) const {
        return publish::stream_key(config.str("redis_stream_prefix"), state.at(slot).name());
    }
    void read_all(std::int64_t now);
    bool wait_report(DiffReport& report, Clock::time_point deadline);
    std::uint64_t flush();
    bool checkpoint();
    void sink(ReadBatch&& batch);
};

// MDTs come and go (failover). A vanished MDT's state is dropped without PURGED events: its new
// host continues the stream.
void Shipper::Impl::update_mdts(const std::vector<ingest::MdtFile>& files) {
    std::map<std::uint32_t, std::unique_ptr<ingest::MdtReader>> current;
    for (const auto& f : files) {
        const std::uint32_t slot = state.slot_of(f.mdt);
        auto it = readers.find(slot);
        if (it != readers.end() && it->second->file().path == f.path) {
            current[slot] = std::move(it->second);
            continue;
        }
        if (it == readers.end()) spdlog::info("{}: watching {}", f.mdt, f.path.string());
        current[slot] = std::make_unique<ingest::MdtReader>(f, slot, opener, &buffers);
    }
    for (auto& [slot, reader] : readers) {
        if (current.count(slot)) continue;
        spdlog::warn("{}: {} vanished (failover?); dropping its local state, shipping no PURGED",
                     state.at(slot).name(), reader->file().path.string());
        state.drop(slot);
        standby.erase(slot);  // when it comes back, its takeover is a failover, not a collision
        diff.differ().dirty = true;
    }
    readers = std::move(current);
}

// Before an MDT's read, make sure its committed state describes its stream: a stream written by
// someone else (failover, a lost or stale cache) is taken over by replaying it, and one that lost
// entries we had acknowledged (FLUSHDB, a restart without persistence, a stale replica) is
// rebuilt. Either way the diff then ships only the difference to the file.
// Returns how many MDTs cannot be shipped this cycle.
std::size_t Shipper::Impl::verify_streams() {
    unchecked.clear();
    if (options.dry_run) return 0;
    probe_redis();
    kill_stale_publisher();
    // Our own unacknowledged XADDs may have landed: a newer stream is then no collision, until
    // a cycle whose checks all reached Redis has seen them.
    own_writes_unknown |= publisher.take_lost_in_flight();
    bool all_checked = true;
    std::size_t blocked = 0;
    RedisProblem problem;  // the first failure of this cycle's checks
    for (auto& [slot, reader] : readers) {
        MdtState& mdt = state.at(slot);
        if (stand_by(slot)) {
            unchecked.insert(slot);  // not read: the other writer ships it
            continue;
        }
        const bool was_connected = admin.connected();
        gc::StreamCheck check = gc::check_stream(admin, key_of(slot), mdt);
        // A connection that went stale while idle (Redis restarted, or hung and came back)
        // fails on its first command; one fresh attempt now, not a cycle later.
        if (check.verdict == gc::StreamVerdict::Unreachable && was_connected && probe_redis())
            check = gc::check_stream(admin, key_of(slot), mdt);
        switch (check.verdict) {
            case gc::StreamVerdict::Consistent:
                mdt.stream_verified = true;
                break;
            case gc::StreamVerdict::Unreachable:  // lost, or a transient state: not shipped until checked
                if (!problem) problem = check.problem;
                unchecked.insert(slot);
                all_checked = false;
                break;
            case gc::StreamVerdict::Unusable:  // refused: no permission, or not a stream
                if (!problem) problem = check.problem;
                mdt.stream_verified = false;
                break;
            case gc::StreamVerdict::Unknown:
            case gc::StreamVerdict::ForeignWrites: {
                Standby& sb = standby[slot];
                if (check.verdict == gc::StreamVerdict::ForeignWrites && !own_writes_unknown &&
                    sb.last_takeover && cycle - sb.last_takeover <= kConcurrentWriterCycles) {
                    enter_standby(slot, check.detail);
                    unchecked.insert(slot);
                    continue;  // standing by is not "blocked": the other writer ships it
                }
                spdlog::info("{}: taking over the stream ({}): replaying its live set", mdt.name(), check.detail);
                if (reseed_from_stream(slot, false)) {
                    counters.takeovers.fetch_add(1, std::memory_order_relaxed);
                    sb.last_takeover = own_writes_unknown ? 0 : cycle;
                }
                break;
            }
            case gc::StreamVerdict::DataLoss:
                spdlog::warn("{}: redis lost entries this host had shipped ({}); rebuilding the stream",
                             mdt.name(), check.detail);
                if (reseed_from_stream(slot, true)) counters.rebuilds.fetch_add(1, std::memory_order_relaxed);
                break;
        }
        blocked += !mdt.stream_verified || unchecked.count(slot);
    }
    // An MDT whose stream cannot be checked is not shipped until it can (see read_all).
    if (problem) {
        redis_log.failed(problem, !options.one_shot);
    } else if (!readers.empty()) {
        redis_log.succeeded();
    }
    if (all_checked) own_writes_unknown = false;
    return blocked;
}

namespace {
// The newest entry of a stream: its ID and the "host" field of its event, if any.
struct NewestEntry {
    bool ok = false;
    StreamId id;
    std::string host;
};

NewestEntry newest_entry(RedisConnection& redis, const std::string& key) {
    NewestEntry n;
    if (!redis.ensure_connected()) return n;
    Reply r = redis.command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
    if (!r || r->type != REDIS_REPLY_ARRAY) return n;
    n.ok = true;
    if (r->elements == 0 || r->element[0]->type != REDIS_REPLY_ARRAY || r->element[0]->elements < 2) return n;
    const redisReply* entry = r->element[0];
    if (entry->element[0]->type == REDIS_REPLY_STRING)
        StreamId::parse({entry->element[0]->str, entry->element[0]->len}, n.id);
    const redisReply* fields = entry->element[1];
    if (fields->type != REDIS_REPLY_ARRAY) return n;
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2) {
        if (fields->element[i + 1]->type != REDIS_REPLY_STRING) continue;
        const std::string_view data(fields->element[i + 1]->str, fields->element[i + 1]->len);
        // Our own encoder writes "host":"<name>" with a plain host name; nothing to unescape.
        const auto at = data.find("\"host\":\"");
        if (at == std::string_view::npos) continue;
        const auto start = at + 8, end = data.find('"', start);
        if (end != std::string_view::npos) n.host = std::string(data.substr(start, end - start));
    }
    return n;
}
}  // namespace

void Shipper::Impl::enter_standby(std::uint32_t slot, const std::string& why) {
    Standby& sb = standby[slot];
    const NewestEntry n = newest_entry(admin, key_of(slot));
    sb.active = true;
    sb.last_seen = n.id;
    sb.quiet = 0;
    sb.quiet_needed = kConcurrentWriterCycles +
                      std::uniform_int_distribution<std::uint32_t>(0, kConcurrentWriterCycles)(standby_rng);
    const std::string other = n.host.empty() ? "an unnamed host (an older shipper?)"
                              : n.host == publisher_host ? "another process on this host (" + n.host + ")"
                                                         : "host " + n.host;
    // One warning per episode; a host that keeps colliding says so again only much later.
    const bool warn = !sb.warned || cycle - sb.warned > kStandbyWarnEveryCycles;
    spdlog::log(warn ? spdlog::level::warn : spdlog::level::debug,
                "{}: another shipper is writing {} at the same time as this host: {} ({}); this host "
                "stands by for this MDT and ships nothing for it until that writer has been quiet for "
                "{} cycles. Only one host should match mdt_watch_glob for an MDT.",
                state.at(slot).name(), key_of(slot), other, why, sb.quiet_needed);
    if (warn) sb.warned = cycle;
}

// True while `slot` stands by (see Standby). Redis unreachable counts as no news.
bool Shipper::Impl::stand_by(std::uint32_t slot) {
    auto it = standby.find(slot);
    if (it == standby.end() || !it->second.active) return false;
    Standby& sb = it->second;
    const NewestEntry n = newest_entry(admin, key_of(slot));
    if (!n.ok) return true;
    if (n.id != sb.last_seen) {
        sb.last_seen = n.id;
        sb.quiet = 0;
        return true;
    }
    if (++sb.quiet < sb.quiet_needed) return true;
    sb.active = false;
    sb.last_takeover = 0;  // the takeover that follows is a failover, not a collision
    spdlog::info("{}: no other writer on {} for {} cycles; this host ships it again", state.at(slot).name(),
                 key_of(slot), sb.quiet);
    return false;
}

// The coordinator tries its connection once per cycle, whatever the connection's backoff says:
// one attempt per poll interval cannot storm Redis, and a Redis that answers again (after a
// restart, an outage or a long SIGSTOP) is noticed within one poll interval, not after a backoff
// that grew to 30 s while it was away. When the connection (re)opens, the publisher is told to
// reconnect before its next batch, so the cycle's XADDs do not go down its dead connection.
// Returns whether the connection was (re)opened now.
bool Shipper::Impl::probe_redis() {
    if (admin.connected()) {
        if (!publisher.connected()) publisher.reconnect_soon();
        return false;
    }
    if (!admin.connect()) return false;
    publisher.reconnect_soon();
    return true;
}

// XADDs the publisher sent on a connection that then failed were not committed, and are shipped
// again; but a Redis that was hung (SIGSTOP, swapping) executes them when it resumes, maybe after
// this cycle's stream check said "consistent": duplicates. Killing that connection first makes
// Redis drop whatever it had not executed yet, so the check sees all it ever will from it.
void Shipper::Impl::kill_stale_publisher() {
    publish::Publisher::ClientName stale;
    if (!publisher.stale_client(stale) || !admin.connected()) return;
    Reply r = admin.command({"CLIENT", "KILL", "ID", stale.id, "ADDR", stale.addr});
    if (!r) return;  // unreachable again: next cycle
    // An error is "No such client" (it is gone: nothing left to execute) or an ACL refusal
    // (nothing we can do; the takeover check still catches what landed before it).
    if (r->type == REDIS_REPLY_ERROR && std::string_view(r->str, r->len).find("No such client") == std::string_view::npos)
        spdlog::debug("CLIENT KILL ID {} ADDR {} refused: {}", stale.id, stale.addr, std::string_view(r->str, r->len));
    publisher.forget_stale_client(stale.id);
}

bool Shipper::Impl::reseed_from_stream(std::uint32_t slot, bool rebuild) {
    apply_gc_findings(true);  // no trim may run under the replay
    gc::ReplayResult replay = gc::replay_stream(admin, key_of(slot), state.at(slot).name());
    if (!replay.ok) {
        redis_log.failed(replay.problem, !options.one_shot);  // retried next cycle
        return false;
    }
    spdlog::info("{}: stream holds {} live records in {} entries", state.at(slot).name(),
                 replay.live.size(), replay.entries);
    replay.live.newest_written = replay.last_id;
    replay.live.stream_verified = true;
    // A rebuild not yet acknowledged stays a rebuild through a takeover of the half-rebuilt stream.
    replay.live.repairing = rebuild || state.at(slot).repairing;
    state.at(slot) = std::move(replay.live);
    diff.differ().dirty = true;
    return true;
}

// Reconcile: replay the stream up to our newest entry and repair both ways: PURGED for records
// the stream holds live that we do not (orphans), re-shipping for records it lacks or holds in
// an older version (backfill; the next read supplies their lines).
void Shipper::Impl::reconcile(std::uint32_t slot) {
    MdtState& mdt = state.at(slot);
    if (!mdt.stream_verified) return;
    gc::ReplayResult replay = gc::replay_stream(admin, key_of(slot), mdt.name(), mdt.newest_written);
    if (!replay.ok) {
        redis_log.failed(replay.problem, !options.one_shot);
        maintenance_problem = replay.problem;
        return;
    }
    RepairBatch orphans;
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    replay.live.for_each([&](RecordKey key, const LiveRecord& rec) {
        if (mdt.find(key)) return;
        orphans.events.push_back(make_purged(slot, key, rec.hash, now, mdt.name(), replay.live.fid(key, rec),
                                             std::string(replay.live.action(key, rec)), kFromMaintenance));
    });
    std::size_t backfill = 0;
    mdt.for_each([&](RecordKey key, LiveRecord& rec) {
        const LiveRecord* seen = replay.live.find(key);
        const std::uint8_t flag = !seen ? kReshipRebuild : seen->hash != rec.hash ? kReshipRepair : 0;
        rec.reship |= flag;
        backfill += flag != 0;
    });
    if (!orphans.events.empty() || backfill)
        spdlog::warn("{}: reconcile found {} orphaned and {} missing or stale records; repairing",
                     mdt.name(), orphans.events.size(), backfill);
    if (!orphans.events.empty()) inbox.enqueue(std::move(orphans));
}

// Applies what the GC thread found. With `wait_for_all`, waits (bounded by shutdown) for every
// job posted so far. Returns how many records were marked for refresh (refresh_long_lived only).
std::size_t Shipper::Impl::apply_gc_findings(bool wait_for_all) {
    std::size_t refreshed = 0;
    gc::GcFinding f;
    while (gc_outstanding > 0) {
        const bool got = wait_for_all ? gc_findings.wait_dequeue_timed(f, kReportWaitMicros)
                                      : gc_findings.try_dequeue(f);
        if (!got) {
            if (!wait_for_all || stopping) break;
            continue;
        }
        --gc_outstanding;
        if (f.problem) maintenance_problem = f.problem;  // the GC thread logged it
        if (f.compacted) kept_after_compaction[f.mdt_slot] = f.length;
        if (f.wants_compaction) compact_due[f.mdt_slot] = true;
        if (f.refresh_before.empty() || !readers.count(f.mdt_slot)) continue;
        state.at(f.mdt_slot).for_each([&](RecordKey, LiveRecord& rec) {
            if (rec.last_id() < f.refresh_before && !rec.reship) {
                rec.reship |= kReshipRefresh;
                ++refreshed;
            }
        });
    }
    if (refreshed) spdlog::debug("refreshing {} long-lived records so trimming can advance", refreshed);
    return refreshed;
}

// After a cycle committed, the trim point of every verified stream is known from the state.
// Jobs are not piled up behind a slow GC: a cycle posts only when the last batch is done.
// A job for a stream due for compaction (or every stream, with `compact_all`) carries a sorted
// copy of its live records' newest entry IDs: 16 bytes and one sort per live record, paid only
// when the stream outgrew its bound, so amortized over the churn that made it grow.
void Shipper::Impl::post_gc_jobs(bool compact_all) {
    if (!gc_enabled || gc_outstanding > 0) return;
    for (auto& [slot, reader] : readers) {
        const MdtState& mdt = state.at(slot);
        if (!mdt.stream_verified) continue;
        gc::GcJob job;
        job.mdt_slot = slot;
        job.key = key_of(slot);
        job.live = mdt.size();
        job.trim_below = job.live ? mdt.oldest_live_id() : StreamId{mdt.newest_written.ms, mdt.newest_written.seq + 1};
        job.churn = diff.differ().shipped(slot);
        job.kept_last = kept_after_compaction[slot];
        if (job.trim_below.empty() || (job.live == 0 && mdt.newest_written.empty())) continue;
        // With nothing live the trim empties the stream; there is nothing to compact around.
        if ((compact_all || compact_due[slot]) && job.live > 0) {
            auto ids = std::make_shared<std::vector<StreamId>>();
            ids->reserve(mdt.size());
            bool repair_pending = false;
            mdt.for_each([&](RecordKey, const LiveRecord& rec) {
                ids->push_back(rec.last_id());
                // A record reconcile found missing or stale in the stream: until its repair is
                // acknowledged, the stream's newest entry for it is not the one we know, and
                // compaction would delete the only version the stream has.
                repair_pending |= (rec.reship & (kReshipRebuild | kReshipRepair)) != 0;
            });
            if (!repair_pending) {
                std::sort(ids->begin(), ids->end());
                job.live_ids = std::move(ids);
                job.bound = mdt.newest_written;
                compact_due[slot] = false;
            }
        }
        gc_jobs.enqueue(std::move(job));
        ++gc_outstanding;
    }
    diff.differ().reset_shipped();
}

// Backpressure: wait (counted) while too many lines are in flight; never drop.
void Shipper::Impl::sink(ReadBatch&& batch) {
    const auto n = static_cast<std::uint32_t>(batch.lines.size());
    bool waited = false;
    while (counters.lines_in_flight.load(std::memory_order_relaxed) > kMaxLinesInFlight &&
           !stopping.load(std::memory_order_relaxed)) {
        waited = true;
        std::this_thread::sleep_for(1ms);
    }
    if (waited) counters.reader_waits.fetch_add(1, std::memory_order_relaxed);
    counters.lines_in_flight.fetch_add(n, std::memory_order_relaxed);
    inbox.enqueue(std::move(batch));
}

bool Shipper::Impl::wait_report(DiffReport& report, Clock::time_point deadline) {
    while (Clock::now() < deadline) {
        if (reports.wait_dequeue_timed(report, kReportWaitMicros)) return true;
    }
    return false;
}

// Pass 1 over every MDT in parallel; a confirming pass 2 for each MDT whose read lacked
// committed records. Returns when every pass has been compared.
void Shipper::Impl::read_all(std::int64_t now) {
    std::vector<std::thread> threads;
    const auto launch = [&](ingest::MdtReader* reader, std::uint8_t pass) {
        ingest::PassRequest req{cycle, pass, now, &stopping};
        threads.emplace_back([this, reader, req] {
            reader->read_pass(req, [this](ReadBatch&& b) { sink(std::move(b)); });
        });
    };
    // An MDT whose stream could not be checked (Redis unreachable) is not read: diffing against
    // state the stream may contradict could ship a storm of NEWs the moment Redis answers.
    std::size_t open_passes = 0;
    for (auto& [slot, reader] : readers) {
        if (!options.dry_run && (!state.at(slot).stream_verified || unchecked.count(slot))) continue;
        launch(reader.get(), 1);
        ++open_passes;
    }
    Clock::time_point deadline = Clock::time_point::max();
    DiffReport report;
    while (open_passes > 0) {
        if (stopping && deadline == Clock::time_point::max()) deadline = Clock::now() + kShutdownGrace;
        if (!wait_report(report, std::min(deadline, Clock::now() + 100ms))) {
            if (Clock::now() >= deadline) break;
            continue;
        }
        if (report.kind != DiffReport::Kind::PassDone) continue;
        if (report.pass == 1 && report.complete && report.missing > 0 && !stopping) {
            counters.rereads.fetch_add(1, std::memory_order_relaxed);
            launch(readers.at(report.mdt_slot).get(), 2);
            continue;
        }
        --open_passes;
    }
    for (auto& t : threads) t.join();
}

// Waits until every event emitted so far came back from the publisher; returns how many failed.
std::uint64_t Shipper::Impl::flush() {
    inbox.enqueue(FlushRequest{});
    const auto deadline = stopping ? Clock::now() + kShutdownGrace : Clock::time_point::max();
    DiffReport report;
    while (true) {
        if (!wait_report(report, std::min(deadline, Clock::now() + 100ms))) {
            if (Clock::now() >= deadline) return 0;
            if (stopping && deadline == Clock::time_point::max()) return flush();
            continue;
        }
        if (report.kind == DiffReport::Kind::Flushed) return report.failed;
    }
}

bool Shipper::Impl::checkpoint() {
    if (options.dry_run || !diff.differ().dirty) return true;
    if (checkpoint_refused) return false;
    std::string why;
    if (!save_checkpoint(state, config.str("cache_path"), why)) {
        spdlog::error("cannot write checkpoint {}: {}", config.str("cache_path"), why);
        return false;
    }
    diff.differ().dirty = false;
    return true;
}

Shipper::Shipper(const config::Config& config, RunOptions options)
    : impl_(std::make_unique<Impl>(config, options)) {}

Shipper::~Shipper() { shutdown(); }

bool Shipper::start(bool require_redis, std::string& error) {
    Impl& s = *impl_;
    std::string why;
    const std::string& cache = s.config.str("cache_path");
    if (const std::string foreign = foreign_checkpoint(cache); !foreign.empty()) {
        spdlog::error("cache_path = \"{}\" names {}: it is not read and will not be overwritten; no"
                      " checkpoint is written until cache_path names another file (restarts then"
                      " replay the streams instead)",
                      cache, foreign);
        s.checkpoint_refused = true;
    } else if (!s.options.dry_run || std::filesystem::exists(cache)) {
        if (load_checkpoint(s.state, s.config.str("cache_path"), why))
            spdlog::info("loaded checkpoint {}: {} live records", s.config.str("cache_path"),
                         s.state.total_records());
        else if (std::filesystem::exists(s.config.str("cache_path")))
            spdlog::warn("ignoring checkpoint {}: {}; starting fresh", s.config.str("cache_path"), why);
        else
            spdlog::info("{}; starting fresh", why);
    }
    if (require_redis && !s.options.dry_run &&
        !s.publisher.connect_within(kRunOnceConnectTimeout, why)) {
        error = "cannot reach redis " + s.config.str("redis_host") + ":" +
                std::to_string(s.config.integer("redis_port")) + ": " + why;
        return false;
    }
    if (!s.options.dry_run) s.admin.connect();  // failures are retried with backoff per cycle
    s.diff.start();
    s.publisher.start();
    if (!s.options.dry_run) s.gc.start();
    s.started = true;
    return true;
}

CycleSummary Shipper::run_cycle() {
    Impl& s = *impl_;
    const auto t0 = Clock::now();
    ++s.cycle;
    const std::uint64_t new_before = s.counters.events_new, update_before = s.counters.events_update,
                        purged_before = s.counters.events_purged;
    s.apply_gc_findings(false);
    s.update_mdts(ingest::discover(s.config.str("mdt_watch_glob")));
    CycleSummary sum;
    sum.unshipped_mdts = s.verify_streams();
    s.read_all(static_cast<std::int64_t>(std::time(nullptr)));
    sum.failed = s.flush();
    // A repair stays a repair until Redis acknowledged it: events of a rebuild that failed (the
    // publisher found Redis gone again) go out next cycle still tagged "source": "maintenance".
    if (sum.failed == 0)
        for (auto& [slot, reader] : s.readers)
            if (s.state.at(slot).stream_verified && !s.unchecked.count(slot)) s.state.at(slot).repairing = false;
    sum.checkpoint_ok = s.checkpoint();
    s.post_gc_jobs();
    sum.mdts = s.readers.size();
    sum.live = s.state.total_records();
    const std::uint64_t news = s.counters.events_new - new_before,
                        updates = s.counters.events_update - update_before,
                        purges = s.counters.events_purged - purged_before;
    sum.shipped = news + updates + purges;
    // A big cycle (the initial load, a takeover) leaves megabytes of freed event strings spread
    // through the heap; hand them back so the daemon's RSS returns to its working set.
    if (sum.shipped >= kTrimHeapAfterEvents) malloc_trim(0);
    sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    // The reason (a refusal, a lost connection) is logged once by the publisher; this says what
    // it cost, once per streak of failing cycles.
    if (sum.failed && !s.options.dry_run && !std::exchange(s.unacked_logged, true))
        spdlog::warn("cycle {}: {} events not acknowledged by redis; they will be retried{}",
                     s.cycle, sum.failed, s.options.one_shot ? "" : " every cycle");
    else if (sum.failed && !s.options.dry_run)
        spdlog::debug("cycle {}: {} events not acknowledged by redis", s.cycle, sum.failed);
    else if (!sum.failed && std::exchange(s.unacked_logged, false))
        spdlog::info("cycle {}: every event acknowledged again", s.cycle);
    s.counters.cycles.fetch_add(1, std::memory_order_relaxed);
    s.counters.last_cycle_micros.store(static_cast<std::uint64_t>(sum.seconds * 1e6), std::memory_order_relaxed);
    // One line per cycle that changed something; quiet cycles only at debug level.
    spdlog::log(sum.shipped ? spdlog::level::info : spdlog::level::debug,
                "cycle {}: {} MDTs, {} live, {} shipped in {:.3f} s ({} new, {} updated, {} purged)",
                s.cycle, sum.mdts, sum.live, sum.shipped, sum.seconds, news, updates, purges);
    return sum;
}

CycleSummary Shipper::run_maintenance() {
    Impl& s = *impl_;
    if (s.options.dry_run) return {};
    s.gc_enabled = true;
    s.apply_gc_findings(true);  // the GC thread must not trim while we replay
    s.maintenance_problem = {};
    for (auto& [slot, reader] : s.readers) s.reconcile(slot);
    s.flush();
    CycleSummary sum = run_cycle();  // ships the backfill, then posts the trims
    if (s.apply_gc_findings(true) > 0) {
        sum = run_cycle();  // refresh_long_lived: ships the refreshes so the trim can advance
        s.apply_gc_findings(true);
    }
    // Compact every stream now that the repairs are in: afterwards it holds its live records'
    // newest entries plus what the retention window protects.
    s.post_gc_jobs(true);
    s.apply_gc_findings(true);
    if (s.maintenance_problem) sum.maintenance_error = s.maintenance_problem.message();
    s.next_reconcile = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(s.config.real("reconcile_interval")));
    return sum;
}

void Shipper::run_forever() {
    Impl& s = *impl_;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s.config.real("poll_interval")));
    s.gc_enabled = true;
    s.next_reconcile = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(s.config.real("reconcile_interval")));
    const auto beat = [&] {
        if (s.options.heartbeat) s.options.heartbeat();
    };
    const auto every = std::chrono::duration_cast<Clock::duration>(s.options.heartbeat_every);
    while (!s.stopping) {
        const auto next = Clock::now() + interval;
        if (Clock::now() >= s.next_reconcile)
            run_maintenance();
        else
            run_cycle();
        beat();  // once per finished cycle: a hung cycle never gets here
        std::unique_lock lock(s.sleep_mutex);
        // Idle until the next cycle, waking to beat when the supervisor wants it more often.
        while (!s.stopping && Clock::now() < next) {
            const auto until = every.count() > 0 ? std::min(next, Clock::now() + every) : next;
            if (s.wake.wait_until(lock, until, [&] { return s.stopping.load(); })) break;
            if (every.count() > 0 && Clock::now() < next) {
                lock.unlock();
                beat();
                lock.lock();
            }
        }
    }
}

void Shipper::request_stop() {
    Impl& s = *impl_;
    // Notified under the lock: once the coordinator sees `stopping` it may destroy the Shipper,
    // so the signal thread must be done with the condition variable by then.
    std::lock_guard lock(s.sleep_mutex);
    s.stopping = true;
    s.wake.notify_all();
}

void Shipper::shutdown() {
    Impl& s = *impl_;
    // A request_stop() may still be notifying (it holds the mutex meanwhile); the Shipper must
    // not go away under it.
    { std::lock_guard lock(s.sleep_mutex); }
    if (!s.started) return;
    s.started = false;
    s.stopping = true;
    // Publisher first: its last acknowledgements land in the inbox, which the diff thread drains
    // before it exits, so everything Redis accepted is committed and checkpointed.
    s.gc.stop();
    s.publisher.stop();
    s.diff.stop();
    s.checkpoint();
}

const PipelineCounters& Shipper::counters() const { return impl_->counters; }
const StateTable& Shipper::state() const { return impl_->state; }

}  // namespace hsm::shipper
