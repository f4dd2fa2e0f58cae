// GcStage: the GC thread. For each job: compact when the job carries the live IDs, trim below
// the oldest live entry, then see whether the stream outgrew its bound and, if so, ask for a
// compaction (or, with refresh_long_lived, name the records to refresh).
#include <spdlog/spdlog.h>

#include "gc/gc.hpp"

namespace hsm::gc {

namespace {
constexpr std::int64_t kJobWaitMicros = 100'000;
RedisEndpoint quiet(RedisEndpoint e) {
    e.quiet = true;
    return e;
}
}  // namespace

GcStage::GcStage(RedisEndpoint endpoint, GcOptions options, GcJobQueue& jobs, GcFindingQueue& findings,
                 PipelineCounters& counters, bool one_shot)
    : redis_(quiet(std::move(endpoint))), faults_("redis " + redis_.endpoint().address() + " (trimming)"),
      one_shot_(one_shot), options_(std::move(options)), jobs_(jobs), findings_(findings), counters_(counters) {
    options_.trim.cancel = &stop_;
    options_.compact.cancel = &stop_;
    options_.compact.chunk = options_.trim.chunk;
}

GcStage::~GcStage() { stop(); }

void GcStage::start() {
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void GcStage::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void GcStage::run() {
    GcJob job;
    while (!stop_.load(std::memory_order_relaxed)) {
        if (!jobs_.wait_dequeue_timed(job, kJobWaitMicros)) continue;
        findings_.enqueue(run_job(job));
    }
}

GcFinding GcStage::run_job(const GcJob& job) {
    GcFinding finding;
    finding.mdt_slot = job.mdt_slot;
    // Every failure is logged once per change of state (a trim refused every cycle for want of
    // XTRIM rights is one line, plus the count when the state changes) and handed back.
    const auto failed = [&](RedisProblem p) {
        faults_.failed(p, !one_shot_);
        retry_.failed();
        last_problem_ = p;
        finding.problem = std::move(p);
        return finding;
    };
    if (!retry_.ready()) {
        finding.problem = last_problem_;
        return finding;
    }
    if (!redis_.ensure_connected()) return failed(redis_.last_problem());
    if (job.live_ids) {
        const CompactResult c = compact_stream(redis_, job.key, *job.live_ids, job.bound, options_.compact);
        finding.compacted = c.ok && !(stop_.load(std::memory_order_relaxed));
        finding.compacted_entries = c.deleted;
        counters_.compactions.fetch_add(1, std::memory_order_relaxed);
        counters_.compacted_entries.fetch_add(c.deleted, std::memory_order_relaxed);
        if (!c.ok && c.problem) return failed(c.problem);
        if (!c.ok)
            spdlog::warn("{}: compaction stopped after deleting {} of {} entries read: {}; retrying later",
                         job.key, c.deleted, c.scanned, c.error);
        else if (c.deleted)
            spdlog::debug("{}: compaction deleted {} superseded entries of {} read in {} calls", job.key,
                          c.deleted, c.scanned, c.calls);
        if (!redis_.connected()) return failed(redis_.last_problem());
    }
    TrimOptions options = options_.trim;
    options.exact_tail = job.live == 0;
    const TrimResult trimmed = trim_stream(redis_, job.key, job.trim_below, options);
    finding.trimmed = trimmed.deleted;
    counters_.trims.fetch_add(trimmed.calls, std::memory_order_relaxed);
    counters_.trimmed_entries.fetch_add(trimmed.deleted, std::memory_order_relaxed);
    if (trimmed.deleted)
        spdlog::debug("{}: trimmed {} entries in {} calls", job.key, trimmed.deleted, trimmed.calls);
    if (!trimmed.ok && trimmed.problem) return failed(trimmed.problem);
    Reply len = redis_.command({"XLEN", job.key});
    if (!len || len->type != REDIS_REPLY_INTEGER)
        return failed(len ? problem_of(len.get(), "XLEN " + job.key, redis_.endpoint().user()) : redis_.last_problem());
    faults_.succeeded();
    retry_.succeeded();
    const auto length = static_cast<std::uint64_t>(len->integer);
    finding.length = length;
    if (!options_.refresh_long_lived) {
        // Just compacted: what is left is the new floor; judge growth from the next job on.
        if (!job.live_ids)
            finding.wants_compaction = needs_compaction(length, job.live, job.churn, job.kept_last);
        return finding;
    }
    if (!needs_refresh(length, job.live, job.churn)) return finding;
    // Everything before the excess-th entry is either garbage or a live record's newest event
    // that pins the trim point; refreshing those records lets the next trim drop them all.
    const std::uint64_t excess = length - 2 * job.live;
    finding.refresh_before = id_at_position(redis_, job.key, excess, options_.trim.chunk);
    return finding;
}

}  // namespace hsm::gc
