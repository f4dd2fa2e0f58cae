// The GC hand-off: after a cycle committed, the trim point of every verified stream goes to the
// GC thread as a job; before the next cycle (or a replay) its findings come back and are applied
// on the coordinator thread (problems, compaction floors, long-lived records to re-ship so
// trimming can advance). run_maintenance() is the full pass: reconcile, ship, trim, compact.
#include <algorithm>
#include <memory>

#include <spdlog/spdlog.h>

#include "shipper/impl.hpp"

namespace hsm::shipper {

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
                job.bound = compaction_bound(slot);  // capped at the snapshot's stamp (checkpointing.cpp)
                compact_due[slot] = false;
            }
        }
        gc_jobs.enqueue(std::move(job));
        ++gc_outstanding;
    }
    diff.differ().reset_shipped();
}

CycleSummary Shipper::run_maintenance() {
    Impl& s = *impl_;
    if (s.options.dry_run) return {};
    // What the pass did, from the counters the heartbeat also shows, for the one line an admin
    // running --maintenance-now by hand reads (each step logs its details at debug).
    const auto now_of = [&](const std::atomic<std::uint64_t>& c) { return c.load(std::memory_order_relaxed); };
    const std::uint64_t repairs0 = now_of(s.counters.repairs), trims0 = now_of(s.counters.trims),
                        trimmed0 = now_of(s.counters.trimmed_entries), compactions0 = now_of(s.counters.compactions),
                        compacted0 = now_of(s.counters.compacted_entries);
    const auto started = Clock::now();
    s.gc_enabled = true;
    s.apply_gc_findings(true);  // the GC thread must not trim while we replay
    s.maintenance_problem = {};
    for (auto& [slot, reader] : s.readers) s.reconcile(slot);
    for (RepairBatch& r : s.repairs) s.inbox.enqueue(std::move(r));
    s.repairs.clear();
    s.flush();
    CycleSummary sum = run_cycle();  // ships the backfill, then posts the trims
    if (s.apply_gc_findings(true) > 0) {
        sum = run_cycle();  // refresh_long_lived: ships the refreshes so the trim can advance
        s.apply_gc_findings(true);
    }
    // Compact every stream now that the repairs are in: afterwards it holds its live records'
    // newest entries plus what the retention window protects. A small state is snapshotted first,
    // so the compaction is not held back at an older stamp (compaction_bound). Not when stopping:
    // the diff thread may still hold the state (flush() gave up), and shutdown() writes it anyway.
    if (!s.stopping && s.snapshot_policy.before_compaction(s.state.total_records())) s.checkpoint(true);
    s.post_gc_jobs(true);
    s.apply_gc_findings(true);
    if (s.maintenance_problem) sum.maintenance_error = s.maintenance_problem.message();
    spdlog::info("maintenance pass over {} MDTs in {:.2f} s: {} repairs shipped, trimming deleted {} entries "
                 "({} XTRIM calls), compaction deleted {} entries ({} passes){}",
                 s.readers.size(), std::chrono::duration<double>(Clock::now() - started).count(),
                 now_of(s.counters.repairs) - repairs0, now_of(s.counters.trimmed_entries) - trimmed0,
                 now_of(s.counters.trims) - trims0, now_of(s.counters.compacted_entries) - compacted0,
                 now_of(s.counters.compactions) - compactions0, sum.maintenance_error.empty() ? "" : "; with errors");
    s.next_reconcile = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(s.config.reconcile_interval));
    return sum;
}

}  // namespace hsm::shipper
