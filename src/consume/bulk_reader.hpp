// The replay hot path's own connection: sends XREAD and parses the RESP reply straight into one
// flat buffer, without hiredis reply objects. hiredis builds five heap objects per stream entry
// and frees them one by one, which measured at ~5 us per entry, four times what Redis needs to
// produce it; here an entry costs a few index records in a vector.
//
// hiredis still connects (timeout, AUTH, SELECT); only the XREAD reply bypasses its reader.
// RedisConnection does not expose its socket, hence a second connection (see the report).
#pragma once

#include <chrono>
#include <algorithm>
#include <cstdint>
#include <memory>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include <hiredis/hiredis.h>

#include "core/redis.hpp"

namespace hsm::consume::detail {

// A growable byte buffer that, unlike std::string::resize, does not zero what it reserves:
// replies are megabytes and are overwritten by read(2) at once. Recycled between replies, so a
// replay does not page-fault fresh memory for every batch.
class ByteBuffer {
public:
    ByteBuffer() = default;
    ByteBuffer(ByteBuffer&& o) noexcept
        : data_(std::move(o.data_)), size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {}
    ByteBuffer& operator=(ByteBuffer&& o) noexcept {
        data_ = std::move(o.data_);
        size_ = std::exchange(o.size_, 0);
        capacity_ = std::exchange(o.capacity_, 0);
        return *this;
    }
    char* prepare(std::size_t n);  // room for n more bytes at end()
    void commit(std::size_t n) { size_ += n; }
    void clear() { size_ = 0; }
    void truncate(std::size_t n) { size_ = std::min(size_, n); }
    const char* data() const { return data_.get(); }
    std::size_t size() const { return size_; }

private:
    std::unique_ptr<char[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

// One RESP value of a reply, in parse order (a flattened tree: aggregates before their children).
struct RespItem {
    enum Type : std::uint8_t { Array, Bulk, Nil, Integer, Status, Error } type;
    std::uint32_t offset = 0;  // Bulk/Status/Error: where the bytes start in the buffer
    std::int64_t value = 0;    // Array: element count; Bulk/Status/Error: length; Integer: value
};

// Incremental RESP2 parser: feed() as bytes arrive; complete() once one whole reply is in.
class RespParser {
public:
    // Starts a new reply in `buffer` (a recycled one keeps its capacity).
    void reset(ByteBuffer buffer = {});
    ByteBuffer& buffer() { return buf_; }
    // Parses what `buffer()` holds beyond the last position; false on a protocol error.
    bool parse();
    bool complete() const { return complete_; }
    const std::vector<RespItem>& items() const { return items_; }
    std::size_t consumed() const { return pos_; }  // bytes of buffer() that the reply used
    std::string_view text(const RespItem& it) const { return {buf_.data() + it.offset, static_cast<std::size_t>(it.value)}; }

private:
    void element_done();
    ByteBuffer buf_;
    std::size_t pos_ = 0;
    std::vector<std::int64_t> open_;  // elements still expected by each open array
    std::vector<RespItem> items_;
    bool complete_ = false;
};

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
