// StreamReader: discovers every `<prefix>:*` stream and reads them all with one XREAD, replaying
// history and/or following live entries, reconnecting with backoff. A background thread talks to
// Redis while the caller decodes the previous batch, so a replay runs as fast as both sides allow.
//
// Threading: one StreamReader is used by one caller thread. Batches and the events in them stay
// valid until that thread's next read()/next() call, or until the reader is destroyed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hsm/consume/event.hpp"

namespace hsm::consume {

enum class StartAt {
    Beginning,  // replay every entry still in the streams, then (if following) live ones
    Now,        // only entries added after the first discovery
};

struct ReaderOptions {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 1;  // the shipper's default database (docs/wire-format.md)
    std::string username;  // empty: `AUTH <password>` when a password is set
    std::string password;
    std::string prefix = "hsm:actions";
    StartAt start = StartAt::Beginning;
    // false: stop at the end of each stream as it was when first discovered (a snapshot replay,
    // what hsm-stream-stats does); finished() then turns true.
    bool follow = true;
    // true: every failure is retried, with a capped backoff (1 s doubling to 30 s), and logged
    // once per change of state with a count of failures.
    // false (one-shot tools, like hsm-stream-stats): a lost connection or a refused command
    // (missing ACL permission, unknown command, wrong password) is final at once: failed()
    // turns true and error() names the command and the user. A transient server state
    // (LOADING, BUSY, MASTERDOWN, ...) is waited out with backoff for at most transient_wait.
    // Either way, a refused read is never taken for "no data".
    bool reconnect = true;
    // true: an entry without cat_idx/rec_idx (other than a Python maintenance PURGED) is skipped
    // and counted, since consumers that track live actions key them by those indices. false:
    // it is delivered with has_index false, for tools that only display events (the tail).
    bool require_index = true;
    std::chrono::milliseconds transient_wait{10000};
    // Entries per XREAD reply, shared among the streams read (each asks for at least 500):
    // large enough that a replay is not bound by round trips, small enough that a reply stays
    // a few megabytes (an entry is about 600 bytes) however many MDTs there are.
    std::uint32_t count = 10000;
    // Longest server-side BLOCK of one XREAD: how late discovery and stop() can be noticed.
    std::chrono::milliseconds block{250};
    // How often to SCAN for streams created after start (the shipper creates one per new MDT,
    // and garbage collection may delete and later recreate a stream). While no stream exists at
    // all, the reader looks every second instead (at most this often).
    std::chrono::milliseconds discovery_interval{10000};
    // How long a connect may take, and the longest wait for any reply other than a blocking
    // XREAD (which always gets `block` plus slack): past either, the connection counts as lost.
    std::chrono::milliseconds connect_timeout{2000};
    std::chrono::milliseconds io_timeout{10000};
};

// What the last discovery saw of one stream, plus how far the reader got.
struct StreamStatus {
    std::string name;      // "hsm:actions:elm-MDT0003"
    std::string mdt;       // the name without "<prefix>:"
    std::uint64_t length = 0;  // XLEN at discovery
    EntryId first;         // oldest entry at discovery (empty if the stream was empty)
    EntryId last;          // newest entry at discovery
    EntryId position;      // newest entry read so far
};

struct ReaderStats {
    std::uint64_t entries = 0;     // stream entries received
    std::uint64_t events = 0;      // valid events delivered
    std::uint64_t skipped = 0;     // entries not JSON or lacking keys (each one logged or counted)
    std::uint64_t reconnects = 0;
    std::uint64_t discoveries = 0;
};

// The events of one XREAD reply, decoded. Iterate it; do not keep it past the next read().
class Batch {
public:
    Batch();
    ~Batch();
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

    const Event* begin() const { return events_.data(); }
    const Event* end() const { return events_.data() + events_.size(); }
    std::size_t size() const { return events_.size(); }
    bool empty() const { return events_.empty(); }
    const Event& operator[](std::size_t i) const { return events_[i]; }

private:
    friend class StreamReader;
    struct Storage;
    std::vector<Event> events_;
    std::unique_ptr<Storage> storage_;  // the bytes the events' views point into
};

class StreamReader {
public:
    explicit StreamReader(ReaderOptions options);
    ~StreamReader();  // stops the Redis thread (waits at most about options.block)
    StreamReader(const StreamReader&) = delete;
    StreamReader& operator=(const StreamReader&) = delete;

    // Waits up to `timeout` for entries and returns their events (empty on timeout, when
    // finished() or failed()). Invalidates the previous batch.
    const Batch& read(std::chrono::milliseconds timeout);
    // One event at a time over the same batches; nullptr on timeout/finished/failed.
    const Event* next(std::chrono::milliseconds timeout);

    // Every stream has been read up to where it ended when it was discovered, and every such
    // event has been returned: history is replayed, what follows is live.
    bool caught_up() const;
    // follow == false only: caught up, and nothing more will come.
    bool finished() const;
    // reconnect == false only: reading failed for good; error() says why.
    bool failed() const;
    // Why reading failed (failed()), or, while not connected(), the last problem being retried:
    // "redis 127.0.0.1:6379: refused SCAN for user 'ro': NOPERM ...". Empty while all is well.
    std::string error() const;
    // Connected, and the last discovery or read worked (false while a command is refused).
    bool connected() const;

    std::vector<StreamStatus> streams() const;
    ReaderStats stats() const;
    const ReaderOptions& options() const { return options_; }

private:
    struct Shared;
    class Fetcher;
    ReaderOptions options_;
    std::shared_ptr<Shared> shared_;
    std::unique_ptr<Fetcher> fetcher_;
    Batch batch_;
    std::size_t next_index_ = 0;
};

}  // namespace hsm::consume
