// The Redis side of StreamReader, run on its own thread: connect (with backoff), discover streams
// with SCAN, read them all with one XREAD, and queue the raw replies for the caller to decode.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consume/bulk_reader.hpp"
#include "consume/reader_shared.hpp"
#include "services/redis.hpp"

namespace hsm::consume {

class StreamReader::Fetcher {
public:
    Fetcher(const ReaderOptions& options, std::shared_ptr<Shared> shared);
    ~Fetcher();  // asks the thread to stop and joins it

private:
    // One stream being read. `marker` is its newest entry when first discovered: reaching it
    // means its history is replayed.
    struct Stream {
        std::string name;
        EntryId position;
        EntryId marker;
        bool done = false;  // follow == false: read up to the marker
    };
    struct Snapshot {
        std::uint64_t length = 0;
        EntryId first, last;
    };

    void run();
    bool ensure_connected();
    bool discover();
    std::optional<std::vector<std::string>> scan();
    std::optional<std::vector<Snapshot>> snapshot(const std::vector<std::string>& names);
    void adopt(const std::vector<std::string>& names, const std::vector<Snapshot>& snaps);
    void read_once();
    void replay_pipelined(const std::vector<std::size_t>& lagging);
    bool send_xread(const std::vector<std::size_t>& which, bool block);
    std::uint32_t count_per_stream(std::size_t streams) const;
    bool receive();
    bool lost();
    bool collect(const std::vector<std::size_t>& requested, bool blocking, detail::RawBatch& batch);
    void publish(detail::RawBatch* batch);
    bool caught_up() const;
    // Every failed request goes through trouble(): it records the problem for error(), then
    // fails the reader (one-shot) or logs the change of state and waits with backoff
    // (`paced_by_connection`: a failed connect, which RedisConnection's backoff already paces).
    void trouble(const RedisProblem& p, bool paced_by_connection = false);
    void recovered();
    bool transient_expired() const;  // one-shot only: transient_wait is over
    void fail(const std::string& why);
    void pause(std::chrono::milliseconds d);
    bool stopping();

    const ReaderOptions options_;
    std::shared_ptr<Shared> shared_;
    RedisConnection conn_;          // discovery and snapshots
    detail::BulkReader bulk_;       // XREAD, parsed without reply objects
    detail::RespParser parser_;
    std::vector<Stream> streams_;
    std::map<std::string, std::size_t, std::less<>> index_;  // name -> streams_ slot
    FaultLog faults_;
    Backoff retry_;  // between attempts of a refused or transient-failing command
    std::optional<std::chrono::steady_clock::time_point> transient_since_;  // one-shot's bound
    bool healthy_ = false;  // the last discovery or read worked
    // Snapshots use MULTI/EXEC until the server refuses it (a read-only ACL user): then plain
    // pipelined reads, whose totals may differ from the lengths by what was written meanwhile.
    bool use_multi_ = true;
    bool discovered_once_ = false;
    bool need_discovery_ = true;
    std::chrono::steady_clock::time_point next_discovery_{};
    std::thread thread_;  // last: starts after every member above is ready
};

}  // namespace hsm::consume
