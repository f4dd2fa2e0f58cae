// The publish stage: encodes events as the JSON of docs/wire-format.md and sends them as
// pipelined `XADD <prefix>:<mdt> * data <json>`, many per round trip; every event goes back to
// the diff thread with the entry ID Redis gave it, or without one if Redis did not take it (and
// marked outcome_unknown when it was sent on a connection that failed before its reply: Redis
// may have executed it).
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "core/pipeline.hpp"
#include "services/redis.hpp"
#include "wire/wire.hpp"

namespace hsm::publish {

// The encoder and the stream key are the wire module's (wire/wire.hpp); named here too for the
// publisher's callers.
using wire::encode_event;
using wire::stream_key;

struct PublisherOptions {
    RedisEndpoint endpoint;
    std::string prefix = "hsm:actions";
    // XADDs per round trip. Large enough that the round trip is amortised (throughput levels
    // off around a thousand pipelined commands on loopback), small enough that one failed
    // connection returns a bounded batch for re-detection.
    std::size_t batch_size = 2000;
    // Print each event's JSON on stdout instead of sending it; nothing is acknowledged, so
    // nothing is committed.
    bool dry_run = false;
    // Added to every shipped event as "host" (an added field, which the wire format allows), so
    // a shipper that finds someone else writing its stream can name the other host. Empty: none.
    std::string host;
};

// Thread-safety and lifetimes: start(), stop(), connect_within() and the destructor on one
// thread (the coordinator; connect_within() only before start()); the methods marked
// thread-safe below from any thread. Between start() and stop() the publisher thread alone
// uses the connection, dequeues `in` and enqueues every event it took, with or without an ID,
// onto `acks`; `in`, `acks` and `counters` must outlive the Publisher. stop() returns after
// the batch in hand is answered or failed (bounded by the endpoint's io_timeout).
class Publisher {
public:
    Publisher(PublisherOptions options, EventQueue& in, DiffInbox& acks, PipelineCounters& counters);
    ~Publisher();
    void start();
    // Stops after the batch in hand (bounded by the connection's I/O timeout).
    void stop();
    // Connects now, retrying until `timeout`; for --run-once's "Redis must be reachable". A
    // refusal (wrong password, SELECT not permitted) fails at once: waiting does not cure it.
    bool connect_within(std::chrono::milliseconds timeout, std::string& error);
    bool connected() const { return connected_.load(std::memory_order_relaxed); }
    // Thread-safe. Asks the publisher thread to open a fresh connection before its next batch,
    // ignoring its backoff: the coordinator calls it when its own connection just came back, so
    // the first XADDs after an outage or a Redis restart do not go down a dead connection, and
    // the publisher is ready when the coordinator is.
    void reconnect_soon() { reconnect_.store(true, std::memory_order_relaxed); }
    // Thread-safe. The connection that failed with XADDs in flight, as Redis names it (CLIENT
    // INFO's id and addr); false if none. Redis may still execute what that connection sent (a
    // hung server that resumes reads its buffered commands, possibly after our next stream
    // check); the coordinator kills it with CLIENT KILL ID <id> ADDR <addr> (both must match, so
    // a restarted Redis that reuses the id for another client is safe) before checking the
    // streams, so everything it will ever write is visible to the check, then calls
    // forget_stale_client(id).
    struct ClientName { std::string id, addr; };
    bool stale_client(ClientName& out) const {
        std::lock_guard lock(stale_mutex_);
        out = stale_;
        return !stale_.id.empty();
    }
    void forget_stale_client(const std::string& id) {
        std::lock_guard lock(stale_mutex_);
        if (stale_.id == id) stale_ = {};
    }
    // Thread-safe. Whether a connection failed with XADDs in flight since the last call: entries
    // this host wrote may then be in a stream without its knowing, so a stream newer than its
    // state is not by itself proof of another writer.
    bool take_lost_in_flight() { return lost_in_flight_.exchange(false, std::memory_order_relaxed); }

private:
    void run();
    bool send(const std::vector<Event>& batch);
    void read_replies(std::vector<Event>& batch);
    void print(const std::vector<Event>& batch);
    const std::string& key_for(const std::string& mdt);

    PublisherOptions options_;
    EventQueue& in_;
    DiffInbox& acks_;
    PipelineCounters& counters_;
    RedisConnection redis_;
    FaultLog refusals_;  // refused XADDs: one line per change of state, with a count
    // After a batch Redis refused whole for a reason about every key (no XADD permission, OOM, a
    // read-only replica; not WRONGTYPE on one MDT's key), batches
    // go back unsent until this backoff (1 s doubling to 30 s) allows another try.
    Backoff retry_;
    std::atomic<bool> stop_{false};
    std::atomic<bool> connected_{false};
    std::atomic<bool> reconnect_{false};
    mutable std::mutex stale_mutex_;  // only for stale_, off the data path
    ClientName stale_;
    std::atomic<bool> lost_in_flight_{false};
    ClientName client_;  // the current connection's name, empty until asked (or refused)
    bool client_asked_ = false;
    std::uint64_t client_reconnects_ = 0;  // redis_.reconnects() when client_ was asked
    std::thread thread_;
    std::string json_;  // reused encode buffers
    std::string resp_;
    std::string host_field_;  // `,"host":"<name>"}`, replacing each event's closing brace
    std::unordered_map<std::string, std::string> keys_;  // MDT -> stream key
};

}  // namespace hsm::publish
