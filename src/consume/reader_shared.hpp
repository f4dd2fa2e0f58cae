// What the Redis thread (Fetcher) hands to the caller's thread (StreamReader): raw XREAD replies
// and the reader's status, behind one mutex. The queue holds kQueueDepth replies; when it is full
// the Redis thread waits (the entries stay in Redis, so nothing is dropped, only delayed).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "consume/bulk_reader.hpp"
#include "wire/decoder.hpp"
#include "services/redis.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume {

namespace detail {

// One reply ahead is enough to overlap Redis with decoding; more only holds memory.
constexpr std::size_t kQueueDepth = 2;

struct RawEntry {
    std::uint32_t stream = 0;  // index into RawBatch::streams
    EntryId id;
    bool has_data = false;     // the entry has a `data` field
    std::uint32_t offset = 0;  // where its value starts in RawBatch::buffer
    std::uint32_t len = 0;
};

// One XREAD reply as received, followed by kJsonPadding bytes, so every `data` value can be
// decoded in place (each document is followed by at least that many readable bytes).
struct RawBatch {
    ByteBuffer buffer;
    std::vector<std::string_view> streams;  // names, pointing into buffer
    std::vector<RawEntry> entries;
};

}  // namespace detail

struct StreamReader::Shared {
    std::mutex mu;
    std::condition_variable data_ready;   // queue got a batch, or the state changed
    std::condition_variable space_ready;  // queue has room, or stopping
    std::deque<detail::RawBatch> queue;
    std::vector<detail::ByteBuffer> spare;  // decoded replies' buffers, for reuse (at most kQueueDepth + 1)
    bool stopping = false;
    bool caught_up = false;  // the Redis thread has queued everything up to the markers
    bool finished = false;   // follow == false: nothing more will be queued
    bool failed = false;
    bool connected = false;
    std::string error;
    std::vector<StreamStatus> streams;
    ReaderStats stats;  // entries/reconnects/discoveries by the Redis thread, the rest by the caller
};

}  // namespace hsm::consume
