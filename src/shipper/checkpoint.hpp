// The shipper's checkpoint: a snapshot of the committed state, stamped (per MDT) with the newest
// stream entry it covers, so that a restart loads it and replays only the stream entries after
// the stamp (gc::replay_tail). docs/checkpoint.md has the design, the crash-consistency argument
// and why there is no journal of our own: the stream already is one.
//
// Its own header (not the coordinator's) so tests, fuzzers and benchmarks of the checkpoint link
// only this and core.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/state.hpp"

namespace hsm::shipper {

// Test seam: a save's file-system calls failed on purpose, so a test shows what the daemon does
// when the disk is full or failing. fail(call) is asked before each "write" (one per 1 MiB
// buffer), the temp file's "fsync" and the "rename" over the target; a non-zero errno fails that
// call with it (ENOSPC, EIO, EACCES...), through the same error path as a real failure. Called
// on the thread that saves (the shipper's coordinator); must outlive the Shipper it is given to.
class SaveFaults {
public:
    virtual ~SaveFaults() = default;
    virtual int fail(std::string_view call) = 0;
};

// Writes the snapshot. Atomic for a regular file (unique temp file, fsync, rename, fsync of the
// directory; services/file_output.hpp), follows symlinks, and refuses (false, `why`) to replace a
// file foreign_checkpoint() flags. Costs one sequential write of ~70 bytes per live record and
// no memory proportional to the state (1 MiB buffer). Thread-safe for distinct states.
// `faults`: null (the real calls only) except in tests.
bool save_checkpoint(const StateTable& state, const std::filesystem::path& path, std::string& why,
                     SaveFaults* faults = nullptr);
// Reads a snapshot (format 1, the only one so far, the same as 0.4.0's) into `state`. False,
// with `why`, for a missing, truncated, corrupt or foreign-version file, leaving `state` as it was.
bool load_checkpoint(StateTable& state, const std::filesystem::path& path, std::string& why);
// What `path` holds when it is a file the checkpoint must never replace: a non-empty regular file
// (symlinks followed) that does not start with our magic, such as the Python version's
// cache.json left in a migrated `cache_path`. Empty when the path is ours to write: absent,
// empty, our checkpoint (even corrupt), or a device such as /dev/null.
std::string foreign_checkpoint(const std::filesystem::path& path);

// Removes temp files a save killed midway left beside `path` (".<name>." plus 8 letters or
// digits, services/file_output.hpp's naming: no one else's file is named so). Symlinks at `path` are
// followed as a save follows them. Returns how many it removed; errors are ignored (a leftover
// only costs disk space). For start-up, before any save of this process can run.
std::size_t remove_stale_temps(const std::filesystem::path& path);

// When the coordinator writes a new snapshot after a cycle (docs/checkpoint.md): when none is
// on disk for the current state yet, or when the events committed since the last one reach
// `fraction` of the live records (at least `fraction` x `floor`). Between snapshots nothing is
// written: the stream holds every committed change, and a restart replays the ones after the
// stamp, so `fraction` bounds that replay (restart time) against the snapshot rate (disk writes).
//
// Compaction never deletes past the snapshot's stamp (docs/checkpoint.md). At scale a snapshot
// follows every third of the live set's changes while compaction waits for a whole live set's
// worth, so the cap costs little; a small state (at most `cheap_records`, ~7 MB) is instead
// snapshotted right before a compaction, so the cap costs nothing there.
struct SnapshotPolicy {
    double fraction = 1.0 / 3;
    std::uint64_t floor = 100;
    std::uint64_t cheap_records = 100'000;
    bool before_compaction(std::uint64_t live) const { return live <= cheap_records; }
    bool due(bool have_snapshot, std::uint64_t committed_since, std::uint64_t live) const {
        if (!have_snapshot) return true;
        const double base = static_cast<double>(live > floor ? live : floor);
        return static_cast<double>(committed_since) >= fraction * base;
    }
};

// Test-only fault hook: when the environment variable HSM_TEST_CHECKPOINT_KILL names a step of
// save_checkpoint, the process SIGKILLs itself at that step, so crash-consistency tests kill the
// real daemon exactly there without timing guesses. Steps, in order: "begin" (temp file created,
// nothing written), "partial" (half of the first buffer written), "written" (all written, not synced),
// "synced" (fsynced, not renamed), "renamed" (renamed, directory not synced). Unset in
// production; read once per process.
inline constexpr const char* kCheckpointKillEnv = "HSM_TEST_CHECKPOINT_KILL";

}  // namespace hsm::shipper
