// StreamReader's caller side: takes raw replies from the Redis thread and decodes them into a
// Batch, in place: the reply buffer ends with the padding simdjson needs, so no entry is copied,
// and the batch keeps the buffer alive as long as its events' views.
#include "hsm/consume/stream_reader.hpp"

#include <spdlog/spdlog.h>

#include "wire/decoder.hpp"
#include "consume/fetcher.hpp"
#include "services/logging.hpp"

namespace hsm::consume {

namespace {

// Skipped entries are always counted; the first few are logged one by one, then one line per
// kSkipLogEvery, so a stream full of garbage cannot flood the log.
constexpr std::uint64_t kSkipLogFirst = 10;
constexpr std::uint64_t kSkipLogEvery = 10000;

}  // namespace

struct Batch::Storage {
    detail::ByteBuffer reply;  // the raw XREAD reply plus padding; `data` views point into it
    std::string strings;  // unescaped strings the events point to
    std::vector<std::string_view> streams;
    wire::Decoder decoder;
    std::uint64_t skipped = 0;  // over the reader's life, for the log throttle

    // Decodes `raw` into `events`; returns the number of entries skipped.
    std::uint64_t decode(std::vector<Event>& events, detail::RawBatch& raw, bool require_index);
};

Batch::Batch() : storage_(std::make_unique<Storage>()) {}
Batch::~Batch() = default;

namespace {

void log_skip(std::uint64_t nth, std::string_view stream, EntryId id, std::string_view why,
              std::string_view what) {
    if (nth <= kSkipLogFirst || nth % kSkipLogEvery == 0)
        spdlog::warn("skipping entry {} of {}: {}{}{} ({} skipped so far{})", id.str(), stream, why,
                     what.empty() ? "" : ": ", what, nth,
                     nth == kSkipLogFirst ? "; further ones are logged every 10000" : "");
}

}  // namespace

namespace {
ReaderOptions logging_ready(ReaderOptions o) {
    keep_library_logs_off_stdout();  // before the Redis thread logs anything
    return o;
}
}  // namespace

StreamReader::StreamReader(ReaderOptions options)
    : options_(logging_ready(std::move(options))), shared_(std::make_shared<Shared>()),
      fetcher_(std::make_unique<Fetcher>(options_, shared_)) {}

StreamReader::~StreamReader() { fetcher_.reset(); }

std::uint64_t Batch::Storage::decode(std::vector<Event>& events, detail::RawBatch& raw, bool require_index) {
    reply = std::move(raw.buffer);  // the events' views point into it: it lives with the batch
    streams = std::move(raw.streams);
    std::size_t total = 0;
    for (const auto& e : raw.entries) total += e.len;
    strings.clear();
    strings.reserve(total);  // decoded strings never outgrow their JSON: no reallocation
    events.clear();
    events.reserve(raw.entries.size());

    std::uint64_t skipped = 0;
    for (const auto& e : raw.entries) {
        Event ev;
        ev.stream = streams[e.stream];
        ev.id = e.id;
        if (!e.has_data) {
            ++skipped;
            log_skip(++this->skipped, ev.stream, ev.id, "no 'data' field", "");
            continue;
        }
        const auto r = decoder.decode(reply.data() + e.offset, e.len, strings, ev, require_index);
        if (!r.ok()) {
            ++skipped;
            log_skip(++this->skipped, ev.stream, ev.id, wire::to_string(r.status), r.what);
            continue;
        }
        events.push_back(ev);
    }
    return skipped;
}

const Batch& StreamReader::read(std::chrono::milliseconds timeout) {
    batch_.events_.clear();
    next_index_ = 0;
    detail::RawBatch raw;
    {
        std::unique_lock lock(shared_->mu);
        shared_->data_ready.wait_for(lock, timeout, [&] {
            return !shared_->queue.empty() || shared_->failed || shared_->finished || shared_->stopping;
        });
        if (shared_->queue.empty()) return batch_;
        raw = std::move(shared_->queue.front());
        shared_->queue.pop_front();
        // The previous batch's events die now: its buffer goes back to the Redis thread.
        if (shared_->spare.size() <= detail::kQueueDepth) shared_->spare.push_back(std::move(batch_.storage_->reply));
    }
    shared_->space_ready.notify_all();
    const std::uint64_t skipped = batch_.storage_->decode(batch_.events_, raw, options_.require_index);
    std::lock_guard lock(shared_->mu);
    shared_->stats.events += batch_.events_.size();
    shared_->stats.skipped += skipped;
    return batch_;
}

const Event* StreamReader::next(std::chrono::milliseconds timeout) {
    if (next_index_ < batch_.size()) return &batch_[next_index_++];
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const Batch& b = read(std::max(left, std::chrono::milliseconds(0)));
        if (!b.empty()) {
            next_index_ = 1;
            return &b[0];
        }
        // A batch of skipped entries is empty too: keep waiting until the deadline.
        if (left.count() <= 0 || finished() || failed()) return nullptr;
    }
}

bool StreamReader::caught_up() const {
    std::lock_guard lock(shared_->mu);
    return shared_->caught_up && shared_->queue.empty();
}

bool StreamReader::finished() const {
    std::lock_guard lock(shared_->mu);
    return shared_->finished && shared_->queue.empty();
}

bool StreamReader::failed() const {
    std::lock_guard lock(shared_->mu);
    return shared_->failed;
}

std::string StreamReader::error() const {
    std::lock_guard lock(shared_->mu);
    return shared_->error;
}

bool StreamReader::connected() const {
    std::lock_guard lock(shared_->mu);
    return shared_->connected;
}

std::vector<StreamStatus> StreamReader::streams() const {
    std::lock_guard lock(shared_->mu);
    return shared_->streams;
}

ReaderStats StreamReader::stats() const {
    std::lock_guard lock(shared_->mu);
    return shared_->stats;
}

}  // namespace hsm::consume
