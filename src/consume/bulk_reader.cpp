// The raw XREAD round trip (see bulk_reader.hpp); the parsing is resp_parser.cpp.
#include "consume/bulk_reader.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>

namespace hsm::consume::detail {

namespace {

// Bytes read per read(2): large replies (megabytes) arrive in few system calls.
constexpr std::size_t kReadChunk = 256 * 1024;

timeval to_timeval(std::chrono::milliseconds ms) {
    return timeval{static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>((ms.count() % 1000) * 1000)};
}

}  // namespace

bool BulkReader::fail(std::string why) {
    return fail(problem_of(nullptr, "XREAD", endpoint_.user(), why));
}

bool BulkReader::fail(RedisProblem problem) {
    problem_ = std::move(problem);
    error_ = problem_.message();
    disconnect();
    return false;
}

void BulkReader::disconnect() {
    if (ctx_) redisFree(ctx_);
    ctx_ = nullptr;
    carry_.clear();
}

bool BulkReader::connect() {
    disconnect();
    const std::string user = endpoint_.user();
    ctx_ = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, to_timeval(endpoint_.connect_timeout));
    if (!ctx_ || ctx_->err)
        return fail(problem_of(nullptr, "connect", user, ctx_ ? ctx_->errstr : "cannot allocate redis context"));
    redisSetTimeout(ctx_, to_timeval(endpoint_.io_timeout));
    // One command during the handshake; the problem it reports (None when it worked).
    const auto run = [&](const std::vector<std::string>& argv, const std::string& shown) {
        std::vector<const char*> a;
        std::vector<size_t> l;
        for (const auto& s : argv) {
            a.push_back(s.data());
            l.push_back(s.size());
        }
        auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data()));
        RedisProblem p = problem_of(r, shown, user, ctx_->errstr[0] ? ctx_->errstr : "connection lost");
        if (r) freeReplyObject(r);
        return p;
    };
    if (!endpoint_.password.empty()) {
        auto p = endpoint_.username.empty() ? run({"AUTH", endpoint_.password}, "AUTH")
                                            : run({"AUTH", endpoint_.username, endpoint_.password}, "AUTH");
        if (p) return fail(std::move(p));
    }
    const std::string db = std::to_string(endpoint_.db);
    if (auto p = run({"SELECT", db}, "SELECT " + db)) return fail(std::move(p));
    problem_ = {};
    return true;
}

bool BulkReader::send(const std::vector<std::string_view>& argv) {
    if (!ctx_) return false;
    std::vector<const char*> a;
    std::vector<size_t> l;
    for (auto s : argv) {
        a.push_back(s.data());
        l.push_back(s.size());
    }
    redisAppendCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data());
    for (int done = 0; !done;)
        if (redisBufferWrite(ctx_, &done) != REDIS_OK) return fail(ctx_->errstr);
    return true;
}

bool BulkReader::receive(RespParser& parser, std::chrono::milliseconds timeout, ByteBuffer spare) {
    if (!ctx_) return false;
    // The reply is read from the socket directly: hiredis's own buffer is empty between commands.
    parser.reset(std::move(spare));
    ByteBuffer& buf = parser.buffer();
    if (!carry_.empty()) {
        std::memcpy(buf.prepare(carry_.size()), carry_.data(), carry_.size());
        buf.commit(carry_.size());
        carry_.clear();
        if (!parser.parse()) return fail("protocol error in reply");
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!parser.complete()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        pollfd p{ctx_->fd, POLLIN, 0};
        const int ready = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return fail("timed out waiting for a reply");
        const ssize_t got = ::read(ctx_->fd, buf.prepare(kReadChunk), kReadChunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return fail(got == 0 ? "connection closed by server" : std::strerror(errno));
        buf.commit(static_cast<std::size_t>(got));
        if (!parser.parse()) return fail("protocol error in reply");
    }
    carry_.assign(buf.data() + parser.consumed(), buf.size() - parser.consumed());
    buf.truncate(parser.consumed());
    return true;
}

}  // namespace hsm::consume::detail
