// One Redis connection with the policies every tool shares: connect with a timeout, AUTH and
// SELECT on every (re)connect, capped exponential backoff between attempts, pipelining, and
// failures classified by services/redis_fault (lost / transient / refused) and logged once per state.
// Not thread-safe: each thread that talks to Redis owns its own RedisConnection.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "services/redis_fault.hpp"
#include "hsm/wire/stream_id.hpp"  // StreamId: every caller of XADD/XRANGE/XTRIM needs it

namespace hsm {

struct RedisEndpoint;

// Test seam (docs/testing.md): sees every command a connection is about to send and may refuse
// it with an error reply, lose the connection before or after it, or slow its reply, so a daemon's
// policy is tested against a REAL redis-server with scripted faults in front of it. Null in
// production (RedisEndpoint::tap): the connection then pays one predictable branch per call, no
// virtual call. Called on the thread that owns the connection; a tap shared by several
// connections (the shipper's publisher, GC and coordinator threads) must be thread-safe.
class RedisTap {
public:
    enum class Act {
        Send,        // sent as it is
        Refuse,      // not sent; its reply is the error `error` ("OOM command not allowed ...")
        LoseBefore,  // not sent, nor anything after it; the connection is lost at its reply
        // Sent, and every command appended before it is executed by Redis; then the connection
        // is lost before any reply not read yet reaches the caller (XADDs that landed unacknowledged)
        LoseAfter,
    };
    struct Verdict {
        Act act = Act::Send;
        std::string error;                     // Refuse: the error reply's text
        std::chrono::milliseconds delay{0};    // its reply reaches the caller this much later
    };
    virtual ~RedisTap() = default;
    // `argv` of one command (a pipelined RESP batch is split into its commands).
    virtual Verdict on_command(const RedisEndpoint& endpoint, const std::vector<std::string_view>& argv) = 0;
};

struct RedisEndpoint {
    std::string host = "127.0.0.1";
    int port = 6379;
    int db = 1;
    std::string username;  // empty: AUTH <password> (Redis < 6 style) when a password is set
    std::string password;
    std::chrono::milliseconds connect_timeout{2000};
    // Bounds every reply wait, so a hung server cannot hang a daemon thread.
    std::chrono::milliseconds io_timeout{10000};
    // The caller logs or reports last_problem() itself (a one-shot tool about to exit, a thread
    // with its own FaultLog): the connection then logs nothing, so no "retrying with backoff"
    // line comes from a tool that will not retry, and no failure is logged twice.
    bool quiet = false;
    // Tests only: scripted faults in front of the real server (RedisTap); must outlive the
    // connection. Null: none.
    RedisTap* tap = nullptr;
    // "127.0.0.1:6379" for messages.
    std::string address() const { return host + ":" + std::to_string(port); }
    // The ACL user the connection authenticates as, for messages ("default" when none is set).
    std::string user() const { return username.empty() ? "default" : username; }
};

// Capped exponential backoff: 1 s, 2 s, 4 s ... 30 s. The cap keeps a recovered Redis from
// waiting long for us; the growth keeps an outage from turning into a connection storm.
class Backoff {
public:
    using clock = std::chrono::steady_clock;
    explicit Backoff(std::chrono::milliseconds first = std::chrono::seconds(1),
                     std::chrono::milliseconds cap = std::chrono::seconds(30))
        : first_(first), cap_(cap), delay_(first) {}
    bool ready(clock::time_point now = clock::now()) const { return now >= next_; }
    void failed(clock::time_point now = clock::now());
    void succeeded() { delay_ = first_; next_ = {}; }
    std::chrono::milliseconds current_delay() const { return delay_; }

private:
    std::chrono::milliseconds first_, cap_, delay_;
    clock::time_point next_{};
};

struct ReplyDeleter {
    void operator()(redisReply* r) const { if (r) freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class RedisConnection {
public:
    explicit RedisConnection(RedisEndpoint endpoint)
        : endpoint_(std::move(endpoint)), log_("redis " + endpoint_.address()) {}
    ~RedisConnection() { disconnect(); }
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Connects (or reconnects) now: connect, AUTH, SELECT. On failure returns false and
    // last_problem() says why: ConnectionLost when the server cannot be reached, or the class
    // of AUTH's / SELECT's error reply (WRONGPASS is a refusal, LOADING is transient).
    bool connect();
    // Connects only when the backoff allows. Unless the endpoint is quiet, failures to connect
    // or of the connection are logged once per change of state (FaultLog), with a count.
    bool ensure_connected();
    bool connected() const { return ctx_ != nullptr; }
    // The backoff allows a connect attempt now (what ensure_connected() checks first).
    bool due() const { return backoff_.ready(); }
    void disconnect();
    // Why the last connect or read failed: last_problem().message().
    const std::string& last_error() const { return error_; }
    const RedisProblem& last_problem() const { return problem_; }
    const RedisEndpoint& endpoint() const { return endpoint_; }
    std::uint64_t reconnects() const { return reconnects_; }

    // Pipelining: append many commands, then read as many replies. A null reply means the
    // connection failed (it is then closed; callers treat everything in flight as not done).
    void append(const std::vector<std::string_view>& argv);
    // Appends commands already encoded as RESP (any number of them).
    void append_raw(std::string_view resp);
    Reply read_reply();
    // One round trip. Error replies are returned as replies (type REDIS_REPLY_ERROR).
    Reply command(const std::vector<std::string_view>& argv);

private:
    void fail(RedisProblem problem);
    // The RedisTap paths (endpoint_.tap set): what each appended command's reply will be.
    struct Tapped {
        enum Kind { Real, Error, Lost } kind = Real;
        std::string error;
        std::chrono::milliseconds delay{0};
    };
    void tapped_append(const std::vector<std::string_view>& argv, std::string_view resp);
    Reply tapped_read_reply();
    std::deque<Tapped> tapped_;
    bool doomed_ = false;  // a LoseAfter is pending: the next read loses the connection
    RedisEndpoint endpoint_;
    redisContext* ctx_ = nullptr;
    std::string error_;
    RedisProblem problem_;
    Backoff backoff_;
    FaultLog log_;
    bool was_connected_ = false;
    std::uint64_t reconnects_ = 0;
    std::vector<const char*> argv_buf_;
    std::vector<size_t> len_buf_;
};

}  // namespace hsm
