// The Redis thread of StreamReader (see fetcher.hpp). It never decodes JSON: it only walks the
// reply tree for entry IDs and `data` pointers, so Redis can prepare the next reply while the
// caller decodes this one.
#include "consume/fetcher.hpp"
#include "consume/endpoint.hpp"

#include <algorithm>
#include <deque>
#include <utility>
#include <cstring>

#include <spdlog/spdlog.h>

namespace hsm::consume {

using namespace std::chrono_literals;

namespace {

// SCAN's COUNT hint: keys examined per call. Large enough to walk a big keyspace in a few round
// trips, small enough that one SCAN call stays short on the server.
constexpr std::string_view kScanCount = "1000";
// How often to look again while disconnected or idle. RedisConnection's backoff decides when a
// connect is actually attempted; this only bounds how late stop() is noticed.
constexpr auto kIdlePoll = std::chrono::milliseconds(100);
// Reply wait bound on top of XREAD's BLOCK: a server that answers nothing for this long is hung.
constexpr auto kReplySlack = std::chrono::seconds(10);
// Floor of XREAD's per-stream COUNT when options.count is shared among many streams.
constexpr std::uint32_t kMinCountPerStream = 500;

std::string_view text(const redisReply* r) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
               ? std::string_view(r->str, r->len)
               : std::string_view();
}

bool is_array(const redisReply* r, std::size_t min_elements = 0) {
    return r && r->type == REDIS_REPLY_ARRAY && r->elements >= min_elements;
}

EntryId to_id(const redisReply* r) { return EntryId::parse(text(r)).value_or(EntryId{}); }

// The ID of the single entry of an `XRANGE ... COUNT 1` reply; empty for an empty stream.
EntryId single_entry_id(const redisReply* r) {
    if (!is_array(r, 1) || !is_array(r->element[0], 1)) return {};
    return to_id(r->element[0]->element[0]);
}

// A prefix is matched literally, even if it contains glob characters.
std::string glob_escape(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// The fetcher logs (or reports) every problem itself, once per state; a blocking XREAD always
// gets `block` plus slack before the connection counts as lost.
RedisEndpoint fetch_endpoint(const ReaderOptions& o) {
    RedisEndpoint e = endpoint_of(o);
    e.io_timeout = std::max<std::chrono::milliseconds>(o.io_timeout, o.block + kReplySlack);
    return e;
}

}  // namespace

StreamReader::Fetcher::Fetcher(const ReaderOptions& options, std::shared_ptr<Shared> shared)
    : options_(options), shared_(std::move(shared)), conn_(fetch_endpoint(options)),
      bulk_(fetch_endpoint(options)),
      faults_("redis " + options.host + ":" + std::to_string(options.port)), thread_([this] { run(); }) {}

StreamReader::Fetcher::~Fetcher() {
    {
        std::lock_guard lock(shared_->mu);
        shared_->stopping = true;
    }
    shared_->space_ready.notify_all();
    shared_->data_ready.notify_all();
    thread_.join();
}

bool StreamReader::Fetcher::stopping() {
    std::lock_guard lock(shared_->mu);
    return shared_->stopping || shared_->failed;
}

void StreamReader::Fetcher::pause(std::chrono::milliseconds d) {
    std::unique_lock lock(shared_->mu);
    shared_->space_ready.wait_for(lock, d, [&] { return shared_->stopping; });
}

void StreamReader::Fetcher::fail(const std::string& why) {
    std::lock_guard lock(shared_->mu);
    shared_->failed = true;
    shared_->connected = false;
    shared_->error = "redis " + options_.host + ":" + std::to_string(options_.port) + ": " + why;
    shared_->data_ready.notify_all();
}

void StreamReader::Fetcher::trouble(const RedisProblem& p, bool paced_by_connection) {
    need_discovery_ = true;
    const bool was_healthy = std::exchange(healthy_, false);
    {
        std::lock_guard lock(shared_->mu);
        shared_->connected = false;
        shared_->error = "redis " + options_.host + ":" + std::to_string(options_.port) + ": " + p.message();
        if (was_healthy) shared_->data_ready.notify_all();
    }
    if (p.fault == RedisFault::ConnectionLost) {
        conn_.disconnect();  // reconnect both connections, then rediscover
        bulk_.disconnect();
    }
    if (!options_.reconnect) {
        const auto now = std::chrono::steady_clock::now();
        if (p.fault == RedisFault::Transient && !transient_since_) transient_since_ = now;
        if (p.fault != RedisFault::Transient) return fail(p.message());
        if (now - *transient_since_ >= options_.transient_wait)
            return fail(p.message() + " (for " + std::to_string(options_.transient_wait.count() / 1000) + " s)");
        faults_.failed(p, false);
    } else {
        faults_.failed(p);
    }
    // A failed connect is paced by the connection's own backoff; anything else (a refused or
    // transient-failing command, a connection lost mid-read) by retry_, so that it is not
    // re-sent, or reconnected, at once.
    if (paced_by_connection) return pause(kIdlePoll);
    retry_.failed();
    while (!retry_.ready() && !stopping() && !transient_expired()) pause(kIdlePoll);
}

bool StreamReader::Fetcher::transient_expired() const {
    return !options_.reconnect && transient_since_ &&
           std::chrono::steady_clock::now() - *transient_since_ >= options_.transient_wait;
}

void StreamReader::Fetcher::recovered() {
    if (healthy_) return;
    healthy_ = true;
    faults_.succeeded();
    retry_.succeeded();
    transient_since_.reset();
    std::lock_guard lock(shared_->mu);
    shared_->connected = true;
    shared_->error.clear();
    shared_->data_ready.notify_all();
}

void StreamReader::Fetcher::run() {
    while (!stopping()) {
        if (!ensure_connected()) continue;
        const bool due = options_.follow && std::chrono::steady_clock::now() >= next_discovery_;
        if ((need_discovery_ || due) && !discover()) continue;
        if (!options_.follow && std::all_of(streams_.begin(), streams_.end(),
                                            [](const Stream& s) { return s.done; })) {
            publish(nullptr);
            return;  // a snapshot replay is complete
        }
        read_once();
    }
}

bool StreamReader::Fetcher::ensure_connected() {
    if (conn_.connected() && bulk_.connected()) return true;
    if (!conn_.due()) {
        // A one-shot reader waiting out a transient state gives up at its bound, not at the
        // next backoff step after it.
        if (transient_expired()) trouble(conn_.last_problem(), true);
        else pause(kIdlePoll);
        return false;
    }
    if (conn_.connect()) {
        if (bulk_.connect()) {
            std::lock_guard lock(shared_->mu);
            shared_->stats.reconnects = conn_.reconnects();
            need_discovery_ = true;  // streams may have been deleted or created meanwhile
            return true;
        }
        conn_.disconnect();  // both or neither: the next attempt redoes both
        trouble(bulk_.problem());
        return false;
    }
    trouble(conn_.last_problem(), true);
    return false;
}

// Lost connections surface as a disconnected conn_; the caller's loop reconnects or fails.
bool StreamReader::Fetcher::discover() {
    if (discovered_once_ && !options_.follow) {
        need_discovery_ = false;  // a snapshot replay keeps the streams it started with
        return true;
    }
    auto names = scan();
    if (!names) return false;
    auto snaps = snapshot(*names);
    if (!snaps) return false;
    adopt(*names, *snaps);
    recovered();
    discovered_once_ = true;
    need_discovery_ = false;
    // While there is no stream yet (a tool started before the shipper's first cycle, as in the
    // demo), look again every second rather than every discovery_interval: the first events must
    // not wait 10 s to show.
    const auto interval = streams_.empty() ? std::min<std::chrono::milliseconds>(options_.discovery_interval, 1s)
                                           : options_.discovery_interval;
    next_discovery_ = std::chrono::steady_clock::now() + interval;
    {
        std::lock_guard lock(shared_->mu);
        ++shared_->stats.discoveries;
    }
    publish(nullptr);
    return true;
}

std::optional<std::vector<std::string>> StreamReader::Fetcher::scan() {
    std::vector<std::string> names;
    const std::string pattern = glob_escape(options_.prefix) + ":*";
    std::string cursor = "0";
    do {
        Reply r = conn_.command({"SCAN", cursor, "MATCH", pattern, "COUNT", kScanCount, "TYPE", "stream"});
        RedisProblem p = problem_of(r.get(), "SCAN", conn_.endpoint().user(), conn_.last_error());
        if (!p && (!is_array(r.get(), 2) || !is_array(r->element[1]))) {
            p.fault = RedisFault::Refused;  // not a SCAN reply: a proxy or an incompatible server
            p.detail = "unexpected reply";
        }
        if (p) {
            trouble(p);
            return std::nullopt;
        }
        cursor = std::string(text(r->element[0]));
        for (std::size_t i = 0; i < r->element[1]->elements; ++i)
            names.emplace_back(text(r->element[1]->element[i]));
    } while (cursor != "0");
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());  // SCAN may repeat keys
    return names;
}

// Length, oldest and newest entry of every stream, taken atomically (MULTI/EXEC) when the server
// allows it, so that a snapshot replay's totals match the lengths it reports. Any error reply
// fails the whole snapshot: a refused XLEN is not an empty stream.
std::optional<std::vector<StreamReader::Fetcher::Snapshot>> StreamReader::Fetcher::snapshot(
    const std::vector<std::string>& names) {
    static constexpr std::string_view kCommands[3] = {"XLEN", "XRANGE", "XREVRANGE"};
    std::vector<Snapshot> snaps(names.size());
    if (names.empty()) return snaps;
    const std::string user = conn_.endpoint().user();
    const bool multi = use_multi_;
    if (multi) conn_.append({"MULTI"});
    for (const auto& n : names) {
        conn_.append({"XLEN", n});
        conn_.append({"XRANGE", n, "-", "+", "COUNT", "1"});
        conn_.append({"XREVRANGE", n, "+", "-", "COUNT", "1"});
    }
    if (multi) conn_.append({"EXEC"});
    const auto lost = [&](std::string_view command) {
        trouble(problem_of(nullptr, command, user, conn_.last_error()));
        return std::nullopt;
    };
    Reply multi_reply;
    if (multi && !(multi_reply = conn_.read_reply())) return lost("MULTI");
    // MULTI refused (an ACL user without @transaction, a proxy): the commands then ran one by
    // one, so their replies are the data, and EXEC's error reply follows them.
    const bool queued = multi && multi_reply->type != REDIS_REPLY_ERROR;
    if (multi && !queued && classify(multi_reply.get()) == RedisFault::Refused) {
        spdlog::debug("MULTI refused ({}): stream snapshots are taken without a transaction",
                      std::string(multi_reply->str, multi_reply->len));
        use_multi_ = false;
    }
    std::vector<Reply> replies(3 * names.size());
    for (auto& r : replies)
        if (!(r = conn_.read_reply())) return lost("XLEN");
    const auto command_of = [&](std::size_t i) {
        return std::string(kCommands[i % 3]) + " " + names[i / 3];
    };
    std::vector<const redisReply*> results(replies.size());
    for (std::size_t i = 0; i < replies.size(); ++i) results[i] = replies[i].get();
    Reply exec;
    if (multi && !(exec = conn_.read_reply())) return lost("EXEC");
    if (queued) {
        // A command refused while queueing answers its error instead of QUEUED: name it.
        for (std::size_t i = 0; i < results.size(); ++i)
            if (auto p = problem_of(results[i], command_of(i), user)) {
                trouble(p);
                return std::nullopt;
            }
        if (auto p = problem_of(exec.get(), "EXEC", user)) {
            if (p.fault == RedisFault::Refused) {
                // EXEC itself refused: the transaction may still be open on this connection, so
                // start afresh without transactions (a reconnect, once).
                spdlog::debug("EXEC refused ({}): stream snapshots are taken without a transaction", p.detail);
                use_multi_ = false;
                conn_.disconnect();
                bulk_.disconnect();
                need_discovery_ = true;
                return std::nullopt;
            }
            trouble(p);
            return std::nullopt;
        }
        if (!is_array(exec.get(), results.size())) {
            trouble(RedisProblem{RedisFault::Refused, "EXEC", user, "unexpected reply"});
            return std::nullopt;
        }
        for (std::size_t i = 0; i < results.size(); ++i) results[i] = exec->element[i];
    }
    for (std::size_t i = 0; i < results.size(); ++i)
        if (auto p = problem_of(results[i], command_of(i), user)) {
            trouble(p);
            return std::nullopt;
        }
    for (std::size_t i = 0; i < names.size(); ++i) {
        const redisReply* len = results[3 * i];
        snaps[i].length = len->type == REDIS_REPLY_INTEGER ? static_cast<std::uint64_t>(len->integer) : 0;
        snaps[i].first = single_entry_id(results[3 * i + 1]);
        snaps[i].last = single_entry_id(results[3 * i + 2]);
    }
    return snaps;
}

// Merges a discovery into the streams being read. Streams seen before keep their position;
// new ones start at their end when following from now at start-up, otherwise at the beginning
// (a stream created after start holds nothing but new entries).
void StreamReader::Fetcher::adopt(const std::vector<std::string>& names,
                                  const std::vector<Snapshot>& snaps) {
    std::vector<Stream> next;
    std::map<std::string, std::size_t, std::less<>> next_index;
    std::vector<StreamStatus> statuses;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const Snapshot snap = i < snaps.size() ? snaps[i] : Snapshot{};
        auto old = index_.find(names[i]);
        Stream s;
        if (old != index_.end()) {
            s = streams_[old->second];
        } else {
            s.name = names[i];
            s.marker = snap.last;
            if (!discovered_once_ && options_.start == StartAt::Now) s.position = snap.last;
            s.done = !options_.follow && s.position >= s.marker;
            spdlog::info("reading stream {} ({} entries)", s.name, snap.length);
        }
        next_index.emplace(s.name, next.size());
        statuses.push_back(StreamStatus{s.name, s.name.substr(std::min(s.name.size(), options_.prefix.size() + 1)),
                                        snap.length, snap.first, snap.last, s.position});
        next.push_back(std::move(s));
    }
    for (const auto& s : streams_)
        if (!next_index.count(s.name)) spdlog::info("stream {} no longer exists", s.name);
    streams_ = std::move(next);
    index_ = std::move(next_index);
    std::lock_guard lock(shared_->mu);
    shared_->streams = std::move(statuses);
}

// One XREAD of every stream being read. While any stream is still short of its marker the read
// does not block, so "no entries" means "nothing left up to the marker" (they were trimmed).
void StreamReader::Fetcher::read_once() {
    std::vector<std::size_t> active, lagging;
    for (std::size_t i = 0; i < streams_.size(); ++i) {
        if (streams_[i].done) continue;
        active.push_back(i);
        if (streams_[i].position < streams_[i].marker) lagging.push_back(i);
    }
    if (lagging.size() >= 2) return replay_pipelined(lagging);
    if (active.empty()) return pause(options_.block);  // nothing to read until discovery finds a stream
    const bool block = options_.follow && lagging.empty();
    if (!send_xread(active, block) || !receive()) return;
    detail::RawBatch batch;
    if (!collect(active, block, batch)) return;  // trouble() has waited
    publish(&batch);
}

// Replay of several streams with two XREADs in flight, on disjoint halves of the streams: Redis
// builds one reply while this thread receives and parses the other (measured: the replay is
// otherwise Redis time plus our time, one after the other). A stream stays in one half, so its
// events keep their order; order across MDTs does not matter.
void StreamReader::Fetcher::replay_pipelined(const std::vector<std::size_t>& lagging) {
    std::vector<std::size_t> halves[2];
    for (std::size_t k = 0; k < lagging.size(); ++k) halves[k % 2].push_back(lagging[k]);
    std::deque<int> in_flight;
    for (int h : {0, 1}) {
        if (!send_xread(halves[h], false)) return;
        in_flight.push_back(h);
    }
    while (!in_flight.empty()) {
        const int h = in_flight.front();
        in_flight.pop_front();
        if (!receive()) return;  // the connection went, and the requests in flight with it
        detail::RawBatch batch;
        const bool ok = collect(halves[h], false, batch);
        std::erase_if(halves[h], [&](std::size_t i) {
            return streams_[i].done || streams_[i].position >= streams_[i].marker;
        });
        if (ok && !halves[h].empty() && !stopping()) {
            if (!send_xread(halves[h], false)) return;
            in_flight.push_back(h);
        }
        publish(&batch);
    }
}

std::uint32_t StreamReader::Fetcher::count_per_stream(std::size_t streams) const {
    return std::max(kMinCountPerStream, options_.count / static_cast<std::uint32_t>(std::max<std::size_t>(1, streams)));
}

bool StreamReader::Fetcher::send_xread(const std::vector<std::size_t>& which, bool block) {
    const std::string count = std::to_string(count_per_stream(which.size()));
    const std::string block_ms = std::to_string(options_.block.count());
    std::vector<std::string> ids;
    for (auto i : which) ids.push_back(streams_[i].position.str());
    std::vector<std::string_view> argv = {"XREAD", "COUNT", count};
    if (block) argv.insert(argv.end(), {"BLOCK", block_ms});
    argv.push_back("STREAMS");
    for (auto i : which) argv.push_back(streams_[i].name);
    for (const auto& id : ids) argv.push_back(id);
    return bulk_.send(argv) || lost();
}

bool StreamReader::Fetcher::receive() {
    detail::ByteBuffer spare;
    {
        std::lock_guard lock(shared_->mu);
        if (!shared_->spare.empty()) {
            spare = std::move(shared_->spare.back());
            shared_->spare.pop_back();
        }
    }
    return bulk_.receive(parser_, options_.block + kReplySlack, std::move(spare)) || lost();
}

bool StreamReader::Fetcher::lost() {
    trouble(bulk_.problem());
    return false;
}

// Turns the XREAD reply in parser_ ([[name, [[id, [field, value, ...]], ...]], ...]) into raw
// entries pointing into the reply's buffer, and moves the streams' positions. False for an
// error reply (refused, transient, or a key replaced by a non-stream), which goes to trouble()
// and triggers a new discovery.
bool StreamReader::Fetcher::collect(const std::vector<std::size_t>& requested, bool blocking,
                                    detail::RawBatch& batch) {
    using detail::RespItem;
    const auto& items = parser_.items();
    if (items[0].type == RespItem::Error) {
        const std::string_view why = parser_.text(items[0]);
        trouble(RedisProblem{classify_error(why), "XREAD", conn_.endpoint().user(), std::string(why)});
        return false;
    }
    recovered();
    std::vector<const RespItem*> names;
    std::vector<bool> answered(streams_.size(), false);
    std::size_t i = 0;
    const auto next = [&](RespItem::Type type) -> const RespItem* {
        return i < items.size() && items[i].type == type ? &items[i++] : nullptr;
    };
    const RespItem* top = next(RespItem::Array);  // nil: nothing new
    for (std::int64_t s = 0; top && s < top->value; ++s) {
        const RespItem* pair = next(RespItem::Array);
        const RespItem* name = next(RespItem::Bulk);
        const RespItem* list = next(RespItem::Array);
        if (!pair || !name || !list) break;
        auto it = index_.find(parser_.text(*name));
        Stream* st = it == index_.end() ? nullptr : &streams_[it->second];
        if (st) answered[it->second] = true;
        const auto slot = static_cast<std::uint32_t>(names.size());
        names.push_back(name);
        for (std::int64_t e = 0; e < list->value; ++e) {
            const RespItem* entry = next(RespItem::Array);
            const RespItem* id = next(RespItem::Bulk);
            const RespItem* fields = next(RespItem::Array);
            if (!entry || !id || !fields) {
                i = items.size();
                break;
            }
            detail::RawEntry raw{slot, EntryId::parse(parser_.text(*id)).value_or(EntryId{}), false, 0, 0};
            for (std::int64_t f = 0; f + 1 < fields->value; f += 2) {
                const RespItem* key = next(RespItem::Bulk);
                const RespItem* value = key && i < items.size() ? &items[i++] : nullptr;
                if (value && value->type == RespItem::Bulk && parser_.text(*key) == "data") {
                    raw.has_data = true;
                    raw.offset = value->offset;
                    raw.len = static_cast<std::uint32_t>(value->value);
                }
            }
            if (!st || (!options_.follow && raw.id > st->marker)) continue;  // past the snapshot
            batch.entries.push_back(raw);
            st->position = raw.id;
        }
        if (st && !options_.follow && (st->position >= st->marker || list->value < count_per_stream(requested.size())))
            st->done = true;
    }
    // Without BLOCK, a stream left out of the reply has nothing after its position.
    for (auto r : requested)
        if (!blocking && !answered[r]) {
            if (options_.follow) streams_[r].position = std::max(streams_[r].position, streams_[r].marker);
            else streams_[r].done = true;
        }
    batch.buffer = std::move(parser_.buffer());
    std::memset(batch.buffer.prepare(wire::kJsonPadding), 0, wire::kJsonPadding);  // may move the bytes:
    batch.buffer.commit(wire::kJsonPadding);                                          // views come after
    for (const RespItem* name : names)
        batch.streams.emplace_back(batch.buffer.data() + name->offset, static_cast<std::size_t>(name->value));
    return true;
}

bool StreamReader::Fetcher::caught_up() const {
    return discovered_once_ && std::all_of(streams_.begin(), streams_.end(), [](const Stream& s) {
               return s.done || s.position >= s.marker;
           });
}

// Queues a batch (waiting while the queue is full) and publishes the reader's state with it, in
// one critical section, so the caller never sees "caught up" before the events that made it so.
void StreamReader::Fetcher::publish(detail::RawBatch* batch) {
    std::unique_lock lock(shared_->mu);
    if (batch && !batch->entries.empty()) {
        shared_->space_ready.wait(lock, [&] {
            return shared_->queue.size() < detail::kQueueDepth || shared_->stopping;
        });
        if (shared_->stopping) return;
        shared_->stats.entries += batch->entries.size();
        shared_->queue.push_back(std::move(*batch));
    }
    shared_->caught_up = caught_up();
    shared_->finished = !options_.follow && discovered_once_ &&
                        std::all_of(streams_.begin(), streams_.end(), [](const Stream& s) { return s.done; });
    for (auto& status : shared_->streams) {
        auto it = index_.find(status.name);
        if (it != index_.end()) status.position = streams_[it->second].position;
    }
    shared_->data_ready.notify_all();
}

}  // namespace hsm::consume
