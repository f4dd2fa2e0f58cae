// The checkpoint as the coordinator runs it (docs/checkpoint.md; the file format and the snapshot
// policy are checkpoint.hpp): when a snapshot is written (checkpoint), how a stream that goes on
// past the state's newest entry is folded in from there instead of replayed in full (catch_up),
// and how far compaction may delete so a restart from the snapshot on disk can still do that
// (compaction_bound). Between snapshots the stream is the journal.
#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <utility>

#include <spdlog/spdlog.h>

#include "shipper/impl.hpp"

namespace hsm::shipper {

// The stream continues past the state's newest entry: after a restart, the entries committed
// (or acknowledged by Redis and not yet committed) since the snapshot; while running, XADDs of
// ours that landed after their connection failed, or another writer. When the stream provably
// still holds every entry after that point, folding just those entries gives the stream's live
// set, as a full replay would, at the cost of the tail alone (docs/checkpoint.md). `from` is that
// point: the state's newest entry, or, after XADDs were lost in flight, the last point where
// stream and state agreed (verify_streams: later acknowledged XADDs can hide landed ones behind
// them). Returns false when it cannot (then the caller takes the stream over with a full replay).
bool Shipper::Impl::catch_up(std::uint32_t slot, StreamId from) {
    MdtState& mdt = state.at(slot);
    apply_gc_findings(true);  // no compaction may run under the check and the replay
    std::string why;
    if (!gc::tail_intact(admin, key_of(slot), from, why)) {
        spdlog::info("{}: cannot replay only the entries after {}: {}", mdt.name(), from.str(), why);
        return false;
    }
    const auto t0 = Clock::now();
    // Entries already committed may be folded again (from < newest_written): harmless, each
    // record ends as the stream's newest entry of it says.
    const gc::TailResult tail = gc::replay_tail(admin, key_of(slot), mdt, from, publisher_host);
    if (!tail.ok) {
        redis_log.failed(tail.problem, !options.one_shot);
        // `mdt` holds part of the tail: not diffed against until a replay completes (the full
        // one now, or this one again next cycle: folding twice is harmless).
        mdt.stream_verified = false;
        return false;
    }
    if (tail.last_id > mdt.newest_written) mdt.newest_written = tail.last_id;
    mdt.stream_verified = true;
    replayed += tail.entries;
    diff.differ().dirty = true;
    spdlog::info("{}: caught up with the stream: {} entries after {} ({} from other writers) in {:.3f} s",
                 mdt.name(), tail.entries, from.str(), tail.foreign,
                 std::chrono::duration<double>(Clock::now() - t0).count());
    if (tail.foreign > 0) {  // someone else wrote it: a takeover, as far as collisions go
        counters.takeovers.fetch_add(1, std::memory_order_relaxed);
        standby[slot].last_takeover = own_writes_unknown ? 0 : cycle;
    }
    return true;
}

// Compaction deletes below its bound (minus the retention); capped at the snapshot's stamp, it
// never deletes an entry a restart from that snapshot must replay. Not capped when the stamp is
// gone anyway (trimmed below the oldest live entry) or when no snapshot is on disk.
StreamId Shipper::Impl::compaction_bound(std::uint32_t slot) const {
    const MdtState& mdt = state.at(slot);
    const auto it = snapshot_stamp.find(slot);
    if (!have_snapshot || it == snapshot_stamp.end() || it->second.empty() ||
        (mdt.size() > 0 && it->second < mdt.oldest_live_id()))
        return mdt.newest_written;
    return std::min(mdt.newest_written, it->second);
}

// Writes a snapshot when the policy says so (or `force`, at shutdown). Between snapshots the
// stream is the journal: a restart replays it from the stamps (catch_up).
bool Shipper::Impl::checkpoint(bool force) {
    if (options.dry_run || !diff.differ().dirty) return true;
    if (checkpoint_refused) return false;
    const std::uint64_t now_changes = changes();
    // A compaction is about to be posted (post_gc_jobs): a small state is snapshotted first so the
    // compaction is not held back at an older stamp.
    const bool compaction_next = gc_enabled && gc_outstanding == 0 &&
                                 std::any_of(compact_due.begin(), compact_due.end(), [](const auto& d) { return d.second; });
    if (!force && !snapshot_policy.due(have_snapshot, now_changes - changes_at_snapshot, state.total_records()) &&
        !(compaction_next && snapshot_policy.before_compaction(state.total_records())))
        return true;
    // An MDT whose XADDs may have landed unacknowledged is stamped with its last point of
    // agreement, not its newest entry: a restart then folds the stream from there (an empty stamp:
    // replays it in full), as the next check would have (ownership.cpp). Folding committed
    // entries again is harmless.
    note_lost_in_flight();
    std::map<std::uint32_t, StreamId> newest;  // the real newest entries, put back after the save
    for (const std::uint32_t slot : unsure)
        if (const auto mark = agreed.find(slot); mark != agreed.end())
            newest[slot] = std::exchange(state.at(slot).newest_written, mark->second);
    std::string why;
    const auto t0 = Clock::now();
    const bool saved = save_checkpoint(state, config.cache_path, why, injected.checkpoint);
    for (std::uint32_t slot = 0; slot < state.slots(); ++slot) snapshot_stamp[slot] = state.at(slot).newest_written;
    for (const auto& [slot, id] : newest) state.at(slot).newest_written = id;
    if (!saved) {
        // Once per outage (a full disk fails every cycle's try): the rest at debug level.
        spdlog::log(checkpoint_failures++ ? spdlog::level::debug : spdlog::level::err,
                    "cannot write checkpoint {}: {}; the previous one stays as it was, shipping goes on and "
                    "every cycle tries again",
                    config.cache_path, why);
        // The old snapshot may be far behind: compaction is no longer held back for it (a
        // restart then replays in full), and every cycle tries again.
        have_snapshot = false;
        snapshot_stamp.clear();
        return false;
    }
    if (checkpoint_failures)
        spdlog::info("checkpoint {} written again after {} failed attempts", config.cache_path,
                     std::exchange(checkpoint_failures, 0));
    diff.differ().dirty = false;
    have_snapshot = true;
    changes_at_snapshot = now_changes;
    spdlog::debug("checkpoint: snapshot of {} live records written in {:.3f} s", state.total_records(),
                  std::chrono::duration<double>(Clock::now() - t0).count());
    return true;
}

}  // namespace hsm::shipper
