// What the Redis thread (Fetcher) hands to the caller's thread (StreamReader): raw XREAD replies
// and the reader's status, behind one mutex. The queue holds kQueueDepth replies; when it is full
// the Redis thread waits (the entries stay in Redis, so nothing is dropped, only delayed).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/redis.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume {

namespace detail {

// One reply ahead is enough to overlap Redis with decoding; more only holds memory.
constexpr std::size_t kQueueDepth = 2;

struct RawEntry {
    std::uint32_t stream = 0;  // index into RawBatch::streams
    EntryId id;
    const char* data = nullptr;  // the `data` field, owned by RawBatch::reply; null if absent
    std::size_t len = 0;
};

struct RawBatch {
    Reply reply;
    std::vector<std::string> streams;
    std::vector<RawEntry> entries;
};

}  // namespace detail

struct StreamReader::Shared {
    std::mutex mu;
    std::condition_variable data_ready;   // queue got a batch, or the state changed
    std::condition_variable space_ready;  // queue has room, or stopping
    std::deque<detail::RawBatch> queue;
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
