// FID -> path through `lfs fid2path`, as every Lustre client since 2.12 answers it
// (docs/lfs.md). The form is found out once, by trying the best one first and stepping down
// when lfs rejects an option; batch forms send many FIDs per call, and a few calls run at
// once (one FID each with 2.12 and 2.14). Answers are read as they arrive and used even when
// a call is killed at its deadline; the deadline runs from the latest answer, so a slow lfs
// that keeps answering is never killed, and the batch size follows the measured time per FID.
// Only an lfs that answers nothing pauses resolution. A bounded LRU cache keeps paths (and,
// for a while, FIDs found missing).
//
// Not thread-safe: one tail thread owns it. Paths are returned raw (as lfs printed them);
// escaping for display is the caller's job.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fid2path_output.hpp"

namespace hsm::consume::tail {

struct ResolverOptions {
    std::string lfs;         // absolute path of the lfs program
    std::string mountpoint;  // Lustre client mount point
    // A call is killed when it has printed nothing (no path, no error) for this long.
    std::chrono::milliseconds timeout{5000};
    // Entries kept; beyond it the least recently used FID is forgotten. 100,000 paths are a
    // few tens of megabytes and cover any realistic working set of live actions.
    std::size_t cache_size = 100000;
    // Most FIDs per call: keeps the command line far below ARG_MAX (a FID is at most 40 bytes).
    std::size_t max_fids_per_call = 1000;
    // Calls running at once. lfs looks FIDs up one after the other, one MDS round trip each;
    // four calls hide most of the latency of a busy MDS while loading it like four interactive
    // users, not a job.
    std::size_t parallel_calls = 4;
    // A FID lfs could not resolve (file removed, no link EA, failure) is asked again after this.
    std::chrono::seconds negative_ttl{60};
    // After a call that answered nothing within `timeout`, skip resolution this long.
    std::chrono::seconds suspend_after_timeout{30};
    // When set and true (a signal handler's flag), resolve() kills its calls and returns.
    const std::atomic<bool>* stop = nullptr;
};

class FidResolver {
public:
    explicit FidResolver(ResolverOptions options);

    // Resolves every valid FID not cached yet. Blocks until lfs answered or gave up on each;
    // failures are logged (once per kind of failure) and never thrown.
    void resolve(const std::vector<std::string_view>& fids);
    // The cached path (raw bytes as lfs printed them), or nullopt when unknown or not found.
    std::optional<std::string> path(std::string_view fid);

    std::uint64_t calls() const { return calls_; }
    std::uint64_t timeouts() const { return timeouts_; }  // calls killed at their deadline

private:
    struct Entry {
        std::string fid;
        std::string path;  // empty: lfs did not find it
        std::chrono::steady_clock::time_point expires;  // negative entries only
    };
    struct Call;
    enum class Outcome { Done, Stop };  // Stop: start no more calls in this resolve()

    // Takes in what a finished call said; FIDs to ask again go back to the front of `queue`.
    // `killed`: at its deadline; `stopping`: killed because the tail is stopping.
    Outcome finish(Call& call, bool killed, bool stopping, std::deque<std::string>& queue);
    void report_failure(const std::string& line);
    void remember(const std::string& fid, std::string path);
    const Entry* lookup(std::string_view fid);

    ResolverOptions options_;
    Fid2pathForm form_ = Fid2pathForm::Print0Fid;
    bool form_known_ = false;
    bool disabled_ = false;  // no form works: every path shows as not found
    std::size_t batch_size_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
    std::chrono::steady_clock::time_point suspended_until_{};
    std::chrono::steady_clock::time_point last_output_{};  // latest byte from any call
    std::set<std::string> reported_;  // kinds of failure already logged (FIDs blanked out)
    std::uint64_t calls_ = 0;
    std::uint64_t timeouts_ = 0;
};

// The absolute path of `program` found on PATH, or empty.
std::string find_on_path(const std::string& program);

}  // namespace hsm::consume::tail
