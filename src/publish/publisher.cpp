// Publisher: the thread that owns the shipper's Redis connection for XADDs (see publish.hpp).
#include <cstdio>

#include <spdlog/spdlog.h>

#include "publish/publish.hpp"

namespace hsm::publish {

namespace {
// Wait for events at most this long before re-checking the stop flag.
constexpr std::int64_t kQueueWaitMicros = 100'000;
}  // namespace

Publisher::Publisher(PublisherOptions options, EventQueue& in, DiffInbox& acks,
                     PipelineCounters& counters)
    : options_(std::move(options)), in_(in), acks_(acks), counters_(counters), redis_(options_.endpoint) {}

Publisher::~Publisher() { stop(); }

void Publisher::start() {
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void Publisher::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

bool Publisher::connect_within(std::chrono::milliseconds timeout, std::string& error) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!redis_.connect()) {
        if (std::chrono::steady_clock::now() + std::chrono::milliseconds(500) >= deadline) {
            error = redis_.last_error();
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    connected_ = true;
    return true;
}

void Publisher::run() {
    std::vector<Event> batch(options_.batch_size);
    while (!stop_.load(std::memory_order_relaxed)) {
        const std::size_t n = in_.wait_dequeue_bulk_timed(batch.begin(), batch.size(), kQueueWaitMicros);
        if (n == 0) continue;
        std::vector<Event> taken(std::make_move_iterator(batch.begin()),
                                 std::make_move_iterator(batch.begin() + static_cast<long>(n)));
        publish(taken);
        acks_.enqueue(AckBatch{std::move(taken)});
    }
}

// Pipelines one XADD per event and reads the replies in order. Any event without a reply (the
// connection failed) or with an error reply keeps an empty ID: the diff thread will not commit
// it, and the next cycle sees the difference again.
void Publisher::publish(std::vector<Event>& batch) {
    if (options_.dry_run) {
        std::string line;
        for (const Event& e : batch) {
            line.clear();
            encode_event(e, line);
            line.push_back('\n');
            std::fwrite(line.data(), 1, line.size(), stdout);
        }
        std::fflush(stdout);
        return;
    }
    const std::uint64_t reconnects_before = redis_.reconnects();
    if (!redis_.ensure_connected()) {
        connected_ = false;
        return;
    }
    connected_ = true;
    keys_.resize(batch.size());
    std::string payloads;
    std::vector<std::size_t> ends;
    ends.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        encode_event(batch[i], payloads);
        ends.push_back(payloads.size());
        keys_[i] = stream_key(options_.prefix, batch[i].mdt);
    }
    std::size_t begin = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::string_view json(payloads.data() + begin, ends[i] - begin);
        redis_.append({"XADD", keys_[i], "*", "data", json});
        begin = ends[i];
    }
    for (Event& e : batch) {
        Reply r = redis_.read_reply();
        if (!r) {
            connected_ = false;
            break;
        }
        if (r->type == REDIS_REPLY_STRING && StreamId::parse({r->str, r->len}, e.id)) continue;
        spdlog::error("XADD to {} refused: {}", stream_key(options_.prefix, e.mdt),
                      r->type == REDIS_REPLY_ERROR ? std::string(r->str, r->len) : "unexpected reply");
        e.id = {};
    }
    counters_.redis_reconnects.fetch_add(redis_.reconnects() - reconnects_before,
                                         std::memory_order_relaxed);
}

}  // namespace hsm::publish
