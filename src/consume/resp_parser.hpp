// RESP2 parsing without hiredis reply objects, for the replay hot path (bulk_reader.hpp): bytes
// are fed into one flat buffer as they arrive, and a reply comes out as a flat list of items
// pointing into that buffer, so a stream entry costs a few index records instead of five heap
// objects. Incremental: a reply may be split anywhere, across any number of reads.
//
// Not thread-safe: one parser per connection, used by one thread at a time.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace hsm::consume::detail {

// The largest bulk string accepted: Redis's own default proto-max-bulk-len (512 MiB). A larger
// length is a corrupt or hostile stream, refused as a protocol error before any arithmetic on it.
inline constexpr std::int64_t kMaxBulkLength = 512LL * 1024 * 1024;

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

// Incremental RESP2 parser: append bytes to buffer() as they arrive and call parse(); complete()
// once one whole reply is in. parse() returns false on a protocol error (an unknown type byte, a
// malformed or out-of-range length, a line or bulk not ended by CRLF, a reply past 4 GiB); the
// parser is then unusable until reset(). Items and text() views are valid until the next reset().
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

}  // namespace hsm::consume::detail
