// The replay hot path's own connection: sends XREAD and parses the RESP reply straight into one
// flat buffer, without hiredis reply objects. hiredis builds five heap objects per stream entry
// and frees them one by one, which measured at ~5 us per entry, four times what Redis needs to
// produce it; here an entry costs a few index records in a vector.
//
// hiredis still connects (timeout, AUTH, SELECT); only the XREAD reply bypasses its reader, and
// is parsed by RespParser (resp_parser.hpp). RedisConnection does not expose its socket, so the
// replay opens this second connection of its own instead of sharing the coordinator's.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "consume/resp_parser.hpp"
#include "services/redis.hpp"

namespace hsm::consume::detail {

class BulkReader {
public:
    explicit BulkReader(RedisEndpoint endpoint) : endpoint_(std::move(endpoint)) {}
    ~BulkReader() { disconnect(); }
    BulkReader(const BulkReader&) = delete;
    BulkReader& operator=(const BulkReader&) = delete;

    // Connect, AUTH, SELECT; false with problem() set (classified as RedisConnection does).
    bool connect();
    void disconnect();
    bool connected() const { return ctx_ != nullptr; }
    const std::string& error() const { return error_; }
    // Why the last connect/send/receive failed. A failed send or receive is ConnectionLost:
    // an error *reply* is a complete reply, left for the caller to classify.
    const RedisProblem& problem() const { return problem_; }

    // Sends one command; replies come back in order, so several may be in flight (pipelining).
    bool send(const std::vector<std::string_view>& argv);
    // Parses the next whole reply into `parser` (in `spare`, a recycled buffer), waiting at most
    // `timeout`. false on a connection or protocol failure (then disconnected).
    bool receive(RespParser& parser, std::chrono::milliseconds timeout, ByteBuffer spare = {});

private:
    bool fail(std::string why);
    bool fail(RedisProblem problem);
    RedisEndpoint endpoint_;
    redisContext* ctx_ = nullptr;
    std::string error_;
    RedisProblem problem_;
    std::string carry_;  // bytes read past one reply: the start of the next (pipelining)
};

}  // namespace hsm::consume::detail
