// What a Redis reply means for the caller, decided in one place for every tool and thread:
// a lost connection, a transient server state worth waiting out, or a refusal that waiting does
// not cure. An error reply is never read as "no data" and never as a lost connection.
//
// FaultLog turns a stream of failures into one log line per change of state plus a counter, so
// an outage or a missing ACL permission costs a few lines, not one per attempt.
// Neither type is thread-safe: each thread that talks to Redis owns its own.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <hiredis/hiredis.h>

namespace hsm {

enum class RedisFault {
    None,            // a reply that is not an error
    ConnectionLost,  // no reply: reconnect with the capped backoff
    // LOADING, BUSY, MASTERDOWN, TRYAGAIN, READONLY, OOM, CLUSTERDOWN, NOREPLICAS, MISCONF:
    // the server cannot serve now but will; wait with backoff, same connection.
    Transient,
    // NOPERM, NOAUTH, WRONGPASS, unknown command, EXECABORT, WRONGTYPE and any other error:
    // the same request will be refused again until an admin changes something.
    Refused,
};

const char* to_string(RedisFault f);

// Classifies an error reply by its code (the reply's first word).
RedisFault classify_error(std::string_view error_text);
// nullptr (no reply: the connection failed) -> ConnectionLost; an error reply -> by its code;
// anything else -> None.
RedisFault classify(const redisReply* reply);

// One failed request, with what a person needs to act on it.
struct RedisProblem {
    RedisFault fault = RedisFault::None;
    std::string command;  // "SCAN", "XADD hsm:actions:elm-MDT0000", "AUTH"
    std::string user;     // the ACL user ("default" when none is configured)
    std::string detail;   // the server's error text, or why the connection failed

    explicit operator bool() const { return fault != RedisFault::None; }
    // "redis refused SCAN for user 'ro': NOPERM this user has no permissions to run the 'scan'
    // command" / "redis is busy (LOADING ...) on XREAD" / "connection lost: ...".
    std::string message() const;
    // What makes two problems "the same state" for FaultLog: fault, command name, error code.
    std::string state_key() const;
};

// Whether the same command on any other key would fail the same way: a server state, a wrong
// password, a command the user may not run or the server does not know. False for what is about
// one key (WRONGTYPE, a key outside the user's ACL key patterns): other keys still work, so a
// writer must not stop writing them.
bool affects_every_key(const RedisProblem& p);

// The problem a reply to `command` reports (fault None for a good reply). `connection_error`
// is used as the detail of a missing reply.
RedisProblem problem_of(const redisReply* reply, std::string_view command, std::string_view user,
                        std::string_view connection_error = "connection lost");

// Logs a failure only when it differs from the previous one (or after a success), and the
// recovery with how many failures it ended. `where` prefixes every line ("redis 127.0.0.1:6379").
class FaultLog {
public:
    explicit FaultLog(std::string where) : where_(std::move(where)) {}
    // Returns true when this call logged (a new state); `retrying` adds the backoff to the line.
    bool failed(const RedisProblem& p, bool retrying = true);
    // Logs "... working again after N failures" when the last state was a failure.
    void succeeded();
    std::uint64_t failures() const { return failures_; }           // since the last success
    std::uint64_t total_failures() const { return total_; }        // over the object's life
    const std::string& state() const { return state_; }            // empty while all is well

private:
    std::string where_;
    std::string state_;
    std::uint64_t failures_ = 0, total_ = 0;
};

}  // namespace hsm
