// RedisConnection: hiredis (0.14, Debian 12) behind the shared connect/backoff/AUTH policy.
#include "redis.hpp"

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
}

void RedisConnection::append(const std::vector<std::string_view>& argv) {
    if (!ctx_) return;
    argv_buf_.clear();
    len_buf_.clear();
    for (auto a : argv) {
        argv_buf_.push_back(a.data());
        len_buf_.push_back(a.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv_buf_.data(), len_buf_.data());
}

void RedisConnection::append_raw(std::string_view resp) {
    if (ctx_) redisAppendFormattedCommand(ctx_, resp.data(), resp.size());
}

Reply RedisConnection::read_reply() {
    if (!ctx_) return nullptr;
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

}  // namespace hsm
