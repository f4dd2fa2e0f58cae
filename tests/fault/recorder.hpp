// The fault suite's witnesses: every XADD Redis executed, recorded through MONITOR on a connection
// of our own (re-attached within milliseconds when Redis restarts), and the count of duplicate,
// repair and missing events that history and the final files give. Independent of the shipper's
// code on purpose: a bug there cannot hide itself here.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "shipper_fixture.hpp"

namespace hsm::test::fault {

// One XADD as MONITOR showed it: the stream key and the decoded `data` field.
struct Xadd {
    std::string key;
    StreamEvent event;
};

// Records XADDs on one RedisServer from construction to stop(), over the server's unix socket.
// Survives restarts and SIGSTOP of the server (it reconnects every few milliseconds while the
// server is down). A restart alone would leave a blind moment (clients reconnecting faster than
// the witness, which a loaded machine makes likely); gate() closes it: set as the server's
// before_listening, it holds the TCP port closed until MONITOR is attached.
class XaddRecorder {
public:
    explicit XaddRecorder(const RedisServer& redis);
    ~XaddRecorder();
    XaddRecorder(const XaddRecorder&) = delete;
    XaddRecorder& operator=(const XaddRecorder&) = delete;

    void stop();
    // Waits (10 s at most) until MONITOR is attached to the running server; throws otherwise.
    void gate() const;
    std::vector<Xadd> snapshot() const;
    std::size_t size() const;
    // While armed, the next recorded XADD sends SIGKILL to `pid` from the recorder thread: the
    // daemon dies after Redis executed an XADD and before it could commit or checkpoint it.
    void kill_after_next_xadd(pid_t pid) { kill_pid_.store(pid); }
    bool kill_fired() const { return kill_pid_.load() == 0 && fired_.load(); }

private:
    void run();
    const RedisServer& redis_;
    std::string socket_;
    std::atomic<bool> stop_{false};
    std::atomic<int> fd_{-1};
    std::atomic<pid_t> kill_pid_{0};
    std::atomic<bool> fired_{false};
    mutable std::mutex mutex_;
    std::vector<Xadd> xadds_;
    std::thread thread_;
};

// Parses one MONITOR line (`<time> [<db> <client>] "XADD" "key" "*" "data" "<json>"`) into its
// unquoted arguments; empty for anything else.
std::vector<std::string> monitor_args(const std::string& line);

// What a scenario ends with.
struct Tally {
    std::size_t xadds = 0;       // recorded XADDs
    std::size_t duplicates = 0;  // untagged events that changed nothing (same line again, PURGED of a purged record)
    // The same count over the stream's own entries at the end (World::finish): what was really
    // stored twice, whatever the witness saw or missed; compaction may have deleted older pairs.
    std::size_t stream_duplicates = 0;
    std::size_t repairs = 0;     // "source": "maintenance" events (rebuilds after Redis lost data)
    std::size_t refreshes = 0;   // "refresh": true re-publications GC asked for
    std::size_t missing = 0;     // file records the stream lacks or holds in another status, plus stale live records
    std::size_t recorded_missing = 0;  // the same, for the live set replayed from the recorded XADDs
    // PURGEDs of records the witness never saw live. MONITOR misses what Redis executes in its
    // last pass before a shutdown (the feed, like the replies, is never written out; the AOF has
    // the commands), so after a restart with data kept a record XADDed in that pass first shows
    // up as its PURGED. Anywhere else it would be a PURGED of a record never shipped.
    std::size_t unseen_purges = 0;
    // Would-be duplicates the stream proves were not: the witness saw a record's line, then the
    // same line again, but the stream holds a different entry of the record between the two (see
    // StoredEntries). Only where the witness is known to be blind (Redis stopped with its data
    // kept); anywhere else the witness's count stands as it is.
    std::size_t unseen_between = 0;
    std::vector<std::string> examples;  // the first few duplicates' JSON, for the failure message
    std::vector<std::string> unseen_examples;  // the first few unseen_between, with what the stream had between
};

// What the stream itself holds, to check the witness's duplicates against. MONITOR misses the
// XADDs Redis executes in its last pass before a shutdown (Tally::unseen_purges), and Lustre lines
// do go back to an earlier content: a retryable copytool error puts a STARTED request back to
// WAITING with the same index, and the line is then byte for byte what it was. So a record shipped
// WAITING (seen), STARTED (in that last pass: stored, not seen), WAITING (after the restart) looks
// to the witness like the same line shipped twice, while each of the three changed something.
// The stream (AOF-kept) has all three: keyed by each entry's `data` (the JSON the witness decoded
// too), `repeat` says whether the entry repeats its record's previous entry in the stream (same
// line again, or PURGED again), or cannot be told (no earlier entry of the record left: trimmed
// or compacted), which counts as a repeat; `before` is that previous entry's JSON.
struct StoredEntry {
    bool repeat = true;
    std::string before;
};
using StoredEntries = std::map<std::string, StoredEntry>;
StoredEntries stored_entries(const std::vector<StreamEvent>& stream);

using LiveSet = std::map<std::pair<std::int64_t, std::int64_t>, std::string>;  // (cat, rec) -> status

// Duplicate and repair counts of one stream's recorded history.
// `fresh_starts`: history indices where the scenario wiped Redis and the checkpoint (a first
// start again), after which NEWs of records shipped before are expected, not duplicates.
// `stored`: the stream's entries, when the witness may be blind (see StoredEntries); a would-be
// duplicate the stream shows a different entry before is counted in unseen_between instead.
void count_history(const std::vector<Xadd>& history, const std::string& key, Tally& tally,
                   const std::vector<std::size_t>& fresh_starts = {}, const StoredEntries* stored = nullptr);
// Differences between two live sets (records in one and not the other, or in another status).
std::size_t differences(const LiveSet& a, const LiveSet& b);
LiveSet live_set_of(const std::vector<Xadd>& history, const std::string& key);

}  // namespace hsm::test::fault
