// Publisher: the thread that owns the shipper's Redis connection for XADDs (see publish.hpp).
// Two things keep Redis busy rather than waiting on us: the RESP of a whole batch is built by
// hand into one buffer (hiredis's printf-style formatting costs more than the JSON), and the next
// batch is sent before the previous batch's replies are read, so Redis works while we encode.
#include <charconv>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "services/json.hpp"
#include "publish/publish.hpp"

namespace hsm::publish {

namespace {
// Wait for events at most this long before re-checking the stop flag.
constexpr std::int64_t kQueueWaitMicros = 100'000;

// `$<length>\r\n<bytes>\r\n`, with the length written in place (no temporary string: this runs
// twice per event).
void append_bulk(std::string& out, std::string_view s) {
    char head[24];
    head[0] = '$';
    char* end = std::to_chars(head + 1, head + sizeof head - 2, s.size()).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(head, end);
    out.append(s);
    out.append("\r\n");
}
}  // namespace

Publisher::Publisher(PublisherOptions options, EventQueue& in, DiffInbox& acks,
                     PipelineCounters& counters)
    : options_(std::move(options)), in_(in), acks_(acks), counters_(counters), redis_(options_.endpoint),
      refusals_("redis " + options_.endpoint.address()) {
    if (!options_.host.empty()) {
        host_field_ = ",\"host\":";
        json::append_string(host_field_, options_.host);
        host_field_.push_back('}');
    }
}

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
        if (redis_.last_problem().fault == RedisFault::Refused ||
            std::chrono::steady_clock::now() + std::chrono::milliseconds(500) >= deadline) {
            error = redis_.last_error();
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    connected_ = true;
    return true;
}

const std::string& Publisher::key_for(const std::string& mdt) {
    auto it = keys_.find(mdt);
    if (it == keys_.end()) it = keys_.emplace(mdt, stream_key(options_.prefix, mdt)).first;
    return it->second;
}

void Publisher::print(const std::vector<Event>& batch) {
    std::string line;
    for (const Event& e : batch) {
        line.clear();
        encode_event(e, line);
        line.push_back('\n');
        std::fwrite(line.data(), 1, line.size(), stdout);
    }
    std::fflush(stdout);
}

// Queues the batch's XADDs on the connection (sent by the next read_replies). False when there
// is no connection, or while backing off after a refused batch: the batch then goes back
// unacknowledged.
bool Publisher::send(const std::vector<Event>& batch) {
    if (!retry_.ready()) return false;
    if (!redis_.ensure_connected()) {
        connected_ = false;
        return false;
    }
    if (!client_asked_ || redis_.reconnects() != client_reconnects_) {
        // Asked once per connection, with nothing in flight: what to kill if this connection
        // fails with XADDs in flight. A refusal (an ACL without CLIENT) leaves it unnamed.
        Reply info = redis_.command({"CLIENT", "INFO"});
        if (!info) {
            connected_ = false;
            return false;
        }
        client_ = {};
        if (info->type == REDIS_REPLY_STRING) {  // RESP2 (hiredis 0.14): a bulk string
            const std::string_view text(info->str, info->len);
            const auto field = [&](std::string_view name) {
                const auto at = text.find(name);
                if (at == std::string_view::npos || (at > 0 && text[at - 1] != ' ')) return std::string();
                const auto start = at + name.size(), end = text.find(' ', start);
                return std::string(text.substr(start, end == std::string_view::npos ? end : end - start));
            };
            client_.id = field("id=");
            client_.addr = field("addr=");
        }
        client_asked_ = true;
        client_reconnects_ = redis_.reconnects();
    }
    resp_.clear();
    // Consecutive events are nearly always of one MDT: look the key up only when it changes.
    const std::string* key = nullptr;
    const std::string* key_mdt = nullptr;
    for (const Event& e : batch) {
        if (!key || e.mdt != *key_mdt) key = &key_for(e.mdt), key_mdt = &e.mdt;
        json_.clear();
        encode_event(e, json_);
        if (!host_field_.empty()) {
            json_.pop_back();  // the closing brace
            json_.append(host_field_);
        }
        resp_.append("*5\r\n$4\r\nXADD\r\n");
        append_bulk(resp_, *key);
        resp_.append("$1\r\n*\r\n$4\r\ndata\r\n");
        append_bulk(resp_, json_);
    }
    redis_.append_raw(resp_);
    return true;
}

// Reads one reply per event, in order. An event without a reply (the connection failed) or with
// an error reply keeps an empty ID: the diff thread will not commit it, and the next cycle sees
// the difference again. Refusals (no XADD permission, OOM, a replica) are logged once per change
// of state; every refused event is counted in events_failed by the diff thread.
void Publisher::read_replies(std::vector<Event>& batch) {
    std::size_t refused = 0;
    bool everywhere = false;  // a refusal any other key would get too
    for (auto it = batch.begin(); it != batch.end(); ++it) {
        Event& e = *it;
        Reply r = redis_.read_reply();
        if (!r) {
            // This XADD and those after it were sent: each may have been executed.
            for (; it != batch.end(); ++it) it->outcome_unknown = true;
            connected_ = false;
            if (!client_.id.empty() && !client_.addr.empty()) {
                std::lock_guard lock(stale_mutex_);
                stale_ = client_;
            }
            client_asked_ = false;
            lost_in_flight_.store(true, std::memory_order_relaxed);
            return;
        }
        if (r->type == REDIS_REPLY_STRING && StreamId::parse({r->str, r->len}, e.id)) continue;
        RedisProblem p = problem_of(r.get(), "XADD " + key_for(e.mdt), redis_.endpoint().user());
        if (!p) p = {RedisFault::Refused, "XADD " + key_for(e.mdt), redis_.endpoint().user(), "unexpected reply"};
        refusals_.failed(p);
        everywhere = everywhere || affects_every_key(p);
        ++refused;
        e.id = {};
    }
    if (!refused && !batch.empty()) {
        refusals_.succeeded();
        retry_.succeeded();
    } else if (refused == batch.size() && everywhere) {
        retry_.failed();  // nothing got through, nor would any other batch: wait before asking again
    }
    connected_ = true;
}

void Publisher::run() {
    std::vector<Event> slots(options_.batch_size);
    std::vector<Event> in_flight;  // sent, replies not read yet
    while (!stop_.load(std::memory_order_relaxed) || !in_flight.empty()) {
        std::size_t n = 0;
        if (!stop_.load(std::memory_order_relaxed))
            n = in_flight.empty() ? in_.wait_dequeue_bulk_timed(slots.begin(), slots.size(), kQueueWaitMicros)
                                  : in_.try_dequeue_bulk(slots.begin(), slots.size());
        std::vector<Event> next(std::make_move_iterator(slots.begin()),
                                std::make_move_iterator(slots.begin() + static_cast<long>(n)));
        const std::uint64_t reconnects_before = redis_.reconnects();
        // Only between batches: replies of a batch in flight belong to the old connection.
        if (in_flight.empty() && !options_.dry_run && reconnect_.exchange(false, std::memory_order_relaxed))
            connected_ = redis_.connect(), client_asked_ = false;
        bool sent = false;
        if (!next.empty()) {
            if (options_.dry_run) print(next);
            else sent = send(next);
        }
        if (!in_flight.empty()) {
            read_replies(in_flight);
            acks_.enqueue(AckBatch{std::move(in_flight)});
            in_flight.clear();
        }
        counters_.redis_reconnects.fetch_add(redis_.reconnects() - reconnects_before,
                                             std::memory_order_relaxed);
        if (sent && redis_.connected()) {
            in_flight = std::move(next);
        } else if (!next.empty()) {
            // Not sent, or written behind a batch whose connection then failed (reading those
            // replies flushes it): back without IDs, and in the second case maybe executed.
            if (sent)
                for (Event& e : next) e.outcome_unknown = true;
            acks_.enqueue(AckBatch{std::move(next)});
        }
    }
}

}  // namespace hsm::publish
