// Reply classification and state-change logging (see redis_fault.hpp). The codes are those
// Redis 5 to 7 send; an unknown code is a refusal, because retrying an error we do not
// understand at full speed is what turned a missing ACL permission into a connection storm.
#include "redis_fault.hpp"

#include <array>

#include <spdlog/spdlog.h>

namespace hsm {

namespace {

// Error codes that describe a server state that ends by itself (a restart's dataset load, a
// slow script, a replica cut off from its master, a failover, memory pressure, a failed save).
constexpr std::array<std::string_view, 9> kTransientCodes = {
    "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "READONLY", "OOM", "CLUSTERDOWN", "NOREPLICAS", "MISCONF"};

std::string_view first_word(std::string_view s) {
    const auto end = s.find(' ');
    return end == std::string_view::npos ? s : s.substr(0, end);
}

// Shown text escapes control bytes: an error reply may echo a key name.
std::string printable(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\x{:02x}", c);
        else out.push_back(static_cast<char>(c));
    }
    return out;
}

}  // namespace

const char* to_string(RedisFault f) {
    switch (f) {
        case RedisFault::None: return "ok";
        case RedisFault::ConnectionLost: return "connection lost";
        case RedisFault::Transient: return "transient";
        case RedisFault::Refused: return "refused";
    }
    return "?";
}

RedisFault classify_error(std::string_view error_text) {
    const std::string_view code = first_word(error_text);
    for (auto t : kTransientCodes)
        if (code == t) return RedisFault::Transient;
    return RedisFault::Refused;
}

RedisFault classify(const redisReply* reply) {
    if (!reply) return RedisFault::ConnectionLost;
    if (reply->type == REDIS_REPLY_ERROR) return classify_error({reply->str, reply->len});
    return RedisFault::None;
}

RedisProblem problem_of(const redisReply* reply, std::string_view command, std::string_view user,
                        std::string_view connection_error) {
    RedisProblem p;
    p.fault = classify(reply);
    p.command = std::string(command);
    p.user = user.empty() ? "default" : std::string(user);
    if (!reply) p.detail = std::string(connection_error);
    else if (reply->type == REDIS_REPLY_ERROR) p.detail = std::string(reply->str, reply->len);
    return p;
}

bool affects_every_key(const RedisProblem& p) {
    if (p.fault == RedisFault::ConnectionLost || p.fault == RedisFault::Transient) return true;
    if (p.fault != RedisFault::Refused) return false;
    const std::string_view code = first_word(p.detail);
    if (code == "NOAUTH" || code == "WRONGPASS") return true;
    // "NOPERM this user has no permissions to run the 'xadd' command" (not "... to access one of
    // the keys"), "ERR unknown command 'XADD'".
    return (code == "NOPERM" || code == "ERR") && p.detail.find("command") != std::string::npos;
}

std::string RedisProblem::message() const {
    const std::string cmd = printable(command), what = printable(detail);
    switch (fault) {
        case RedisFault::None: return "ok";
        case RedisFault::ConnectionLost:
            return command == "connect" ? "cannot connect: " + what : "connection lost during " + cmd + ": " + what;
        case RedisFault::Transient: return "server cannot serve " + cmd + " now: " + what;
        case RedisFault::Refused: return "refused " + cmd + " for user '" + printable(user) + "': " + what;
    }
    return what;
}

std::string RedisProblem::state_key() const {
    // An unreachable server is one state however it shows (lost during a command, refused or
    // timed-out connects): an outage must not log a line each time the symptom changes.
    if (fault == RedisFault::ConnectionLost) return to_string(fault);
    return std::string(to_string(fault)) + "|" + std::string(first_word(command)) + "|" +
           std::string(first_word(detail));
}

bool FaultLog::failed(const RedisProblem& p, bool retrying) {
    ++failures_;
    ++total_;
    const std::string key = p.state_key();
    if (key == state_) return false;
    const bool first = state_.empty();
    state_ = key;
    const std::string retry = !retrying ? std::string()
                              : p.fault == RedisFault::Refused ? " (retrying with backoff until an admin fixes it)"
                                                               : " (retrying with backoff up to 30 s)";
    if (first)
        spdlog::warn("{}: {}{}", where_, p.message(), retry);
    else
        spdlog::warn("{}: {}{} ({} failures so far)", where_, p.message(), retry, failures_ - 1);
    return true;
}

void FaultLog::succeeded() {
    if (state_.empty()) return;
    spdlog::info("{}: working again after {} failed attempts", where_, failures_);
    state_.clear();
    failures_ = 0;
}

}  // namespace hsm
