// RedisConnection: hiredis (0.14, Debian 12) behind the shared connect/backoff/AUTH policy.
#include "redis.hpp"

#include <charconv>
#include <thread>

#include <spdlog/spdlog.h>

namespace hsm {

void Backoff::failed(clock::time_point now) {
    next_ = now + delay_;
    delay_ = std::min(cap_, delay_ * 2);
}

namespace {
timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000),
                   static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}
}  // namespace

void RedisConnection::fail(RedisProblem problem) {
    problem_ = std::move(problem);
    error_ = problem_.message();
    disconnect();
    backoff_.failed();
    if (!endpoint_.quiet) log_.failed(problem_);
}

bool RedisConnection::connect() {
    disconnect();
    const std::string user = endpoint_.user();
    ctx_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port,
                                   to_timeval(endpoint_.connect_timeout));
    if (!ctx_ || ctx_->err) {
        fail(problem_of(nullptr, "connect", user, ctx_ ? ctx_->errstr : "cannot allocate redis context"));
        return false;
    }
    redisSetTimeout(ctx_, to_timeval(endpoint_.io_timeout));
    if (!endpoint_.password.empty()) {
        Reply r = endpoint_.username.empty()
                      ? command({"AUTH", endpoint_.password})
                      : command({"AUTH", endpoint_.username, endpoint_.password});
        if (!r) return false;  // read_reply() failed the connection already
        if (r->type == REDIS_REPLY_ERROR) {
            fail(problem_of(r.get(), "AUTH", user));
            return false;
        }
    }
    const std::string db = std::to_string(endpoint_.db);
    Reply r = command({"SELECT", db});
    if (!r) return false;
    if (r->type == REDIS_REPLY_ERROR) {
        fail(problem_of(r.get(), "SELECT " + db, user));
        return false;
    }
    if (was_connected_) ++reconnects_;
    if (!was_connected_ && !endpoint_.quiet)
        spdlog::info("connected to redis {}:{} db {}", endpoint_.host, endpoint_.port, endpoint_.db);
    was_connected_ = true;
    problem_ = {};
    log_.succeeded();
    backoff_.succeeded();
    return true;
}

bool RedisConnection::ensure_connected() {
    if (ctx_) return true;
    if (!backoff_.ready()) return false;
    return connect();
}

void RedisConnection::disconnect() {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
    tapped_.clear();
    doomed_ = false;
}

void RedisConnection::append(const std::vector<std::string_view>& argv) {
    if (!ctx_) return;
    if (endpoint_.tap) [[unlikely]]
        return tapped_append(argv, {});
    argv_buf_.clear();
    len_buf_.clear();
    for (auto a : argv) {
        argv_buf_.push_back(a.data());
        len_buf_.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv_buf_.data(), len_buf_.data());
}

void RedisConnection::append_raw(std::string_view resp) {
    if (!ctx_) return;
    if (endpoint_.tap) [[unlikely]]
        return tapped_append({}, resp);
    redisAppendFormattedCommand(ctx_, resp.data(), resp.size());
}

Reply RedisConnection::read_reply() {
    if (!ctx_) return nullptr;
    if (endpoint_.tap && !tapped_.empty()) [[unlikely]]
        return tapped_read_reply();
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) {
        fail(problem_of(nullptr, "a command", endpoint_.user(), ctx_->errstr[0] ? ctx_->errstr : "connection lost"));
        return nullptr;
    }
    return Reply(static_cast<redisReply*>(raw));
}

Reply RedisConnection::command(const std::vector<std::string_view>& argv) {
    append(argv);
    return read_reply();
}

// --- The RedisTap paths (tests only; see redis.hpp). Commands are handed to the tap one by one:
// a RESP batch (append_raw) is split at its commands, which the project's callers always encode
// as arrays of bulk strings.

namespace {
// The commands of a RESP batch: each one's argv and its bytes. Stops at anything malformed.
struct RespCommand {
    std::vector<std::string_view> argv;
    std::string_view bytes;
};
std::vector<RespCommand> split_resp(std::string_view resp) {
    std::vector<RespCommand> out;
    std::size_t pos = 0;
    const auto number = [&](char kind, std::size_t& n) {
        if (pos >= resp.size() || resp[pos] != kind) return false;
        const auto end = resp.find("\r\n", pos);
        if (end == std::string_view::npos) return false;
        const auto [ptr, ec] = std::from_chars(resp.data() + pos + 1, resp.data() + end, n);
        if (ec != std::errc() || ptr != resp.data() + end) return false;
        pos = end + 2;
        return true;
    };
    while (pos < resp.size()) {
        const std::size_t start = pos;
        std::size_t args = 0;
        if (!number('*', args)) break;
        RespCommand c;
        for (std::size_t i = 0; i < args; ++i) {
            std::size_t len = 0;
            if (!number('$', len) || pos + len + 2 > resp.size()) return out;
            c.argv.push_back(resp.substr(pos, len));
            pos += len + 2;
        }
        c.bytes = resp.substr(start, pos - start);
        out.push_back(std::move(c));
    }
    return out;
}

// A reply as hiredis would have built it from the server's bytes (so freeReplyObject frees it).
Reply error_reply(const std::string& text) {
    redisReader* reader = redisReaderCreate();
    const std::string wire = "-" + text + "\r\n";
    redisReaderFeed(reader, wire.data(), wire.size());
    void* raw = nullptr;
    redisReaderGetReply(reader, &raw);
    redisReaderFree(reader);
    return Reply(static_cast<redisReply*>(raw));
}
}  // namespace

void RedisConnection::tapped_append(const std::vector<std::string_view>& argv, std::string_view resp) {
    std::vector<RespCommand> commands;
    if (resp.empty()) commands.push_back({argv, {}});
    else commands = split_resp(resp);
    for (const RespCommand& c : commands) {
        // After a lost connection was scripted nothing more is sent: every reply is lost.
        const RedisTap::Verdict v = doomed_ || (!tapped_.empty() && tapped_.back().kind == Tapped::Lost)
                                        ? RedisTap::Verdict{RedisTap::Act::LoseBefore, {}, {}}
                                        : endpoint_.tap->on_command(endpoint_, c.argv);
        const auto send = [&] {
            if (!c.bytes.empty()) {
                redisAppendFormattedCommand(ctx_, c.bytes.data(), c.bytes.size());
                return;
            }
            argv_buf_.clear();
            len_buf_.clear();
            for (auto a : c.argv) argv_buf_.push_back(a.data()), len_buf_.push_back(a.size());
            redisAppendCommandArgv(ctx_, static_cast<int>(c.argv.size()), argv_buf_.data(), len_buf_.data());
        };
        switch (v.act) {
            case RedisTap::Act::Send: send(); tapped_.push_back({Tapped::Real, {}, v.delay}); break;
            case RedisTap::Act::Refuse: tapped_.push_back({Tapped::Error, v.error, v.delay}); break;
            case RedisTap::Act::LoseBefore: tapped_.push_back({Tapped::Lost, {}, v.delay}); break;
            case RedisTap::Act::LoseAfter:
                send();
                tapped_.push_back({Tapped::Real, {}, v.delay});
                doomed_ = true;
                break;
        }
    }
}

Reply RedisConnection::tapped_read_reply() {
    const auto lose = [&] {
        fail(problem_of(nullptr, "a command", endpoint_.user(), "connection lost (scripted by a test)"));
        return Reply();
    };
    if (doomed_) {
        // Every command sent is executed (its reply read and dropped), then the connection goes.
        for (const Tapped& t : tapped_) {
            if (t.kind != Tapped::Real) continue;
            void* raw = nullptr;
            if (redisGetReply(ctx_, &raw) != REDIS_OK) break;
            freeReplyObject(raw);
        }
        return lose();
    }
    const Tapped t = tapped_.front();
    tapped_.pop_front();
    if (t.delay.count() > 0) std::this_thread::sleep_for(t.delay);
    if (t.kind == Tapped::Error) return error_reply(t.error);
    if (t.kind == Tapped::Lost) return lose();
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK || !raw) return lose();
    return Reply(static_cast<redisReply*>(raw));
}

}  // namespace hsm
