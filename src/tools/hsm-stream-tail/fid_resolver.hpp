// FID -> path through `lfs fid2path --print-fid <mountpoint> <fid>...`: many FIDs per call, the
// program run directly (no shell) with validated FIDs only, a deadline per call, and a bounded
// LRU cache. A call that times out suspends resolution for a while, so a hung Lustre costs the
// tail one timeout per suspension period instead of one per batch.
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hsm::consume::tail {

struct ResolverOptions {
    std::string lfs;         // absolute path of the lfs program
    std::string mountpoint;  // Lustre client mount point
    std::chrono::milliseconds timeout{5000};  // per lfs call
    // Entries kept; beyond it the least recently used FID is forgotten. 100,000 paths are a
    // few tens of megabytes and cover any realistic working set of live actions.
    std::size_t cache_size = 100000;
    // FIDs per lfs call: keeps the command line far below ARG_MAX (a FID is at most 40 bytes).
    std::size_t max_fids_per_call = 1000;
    // A FID lfs could not resolve (file removed, no link EA) is asked again only after this.
    std::chrono::seconds negative_ttl{60};
    // After a timed-out call, skip resolution this long.
    std::chrono::seconds suspend_after_timeout{30};
};

class FidResolver {
public:
    explicit FidResolver(ResolverOptions options) : options_(std::move(options)) {}

    // `0x200000400:0x1:0x0`, with or without brackets: three hex numbers, nothing else, so
    // nothing odd ever reaches lfs's command line.
    static bool valid_fid(std::string_view fid);

    // Resolves every valid FID not cached yet, in as few lfs calls as possible.
    void resolve(const std::vector<std::string_view>& fids);
    // The cached path, or nullopt when unknown or not found.
    std::optional<std::string> path(std::string_view fid);

    std::uint64_t calls() const { return calls_; }
    std::uint64_t timeouts() const { return timeouts_; }

private:
    struct Entry {
        std::string fid;
        std::string path;  // empty: lfs did not find it
        std::chrono::steady_clock::time_point expires;  // negative entries only
    };
    void call_lfs(const std::vector<std::string>& fids);
    void remember(const std::string& fid, std::string path);
    const Entry* lookup(std::string_view fid);

    ResolverOptions options_;
    std::list<Entry> lru_;  // most recent first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index_;
    std::chrono::steady_clock::time_point suspended_until_{};
    std::uint64_t calls_ = 0;
    std::uint64_t timeouts_ = 0;
};

// Canonical key for a FID: brackets stripped, lower case.
std::string normalize_fid(std::string_view fid);

// The absolute path of `program` found on PATH, or empty.
std::string find_on_path(const std::string& program);

}  // namespace hsm::consume::tail
