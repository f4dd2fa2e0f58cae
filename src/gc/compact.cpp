// Compaction (see gc.hpp): deletes, with XDEL in bounded chunks, every entry that no longer
// stands for a live record, so a stream stays about the size of its live set without anything
// being re-published. The decision needs only entry IDs: the committed state knows the newest
// entry of each live record, and every other entry is superseded (an older version of a live
// record, or an entry of a record that is gone). docs/compaction.md has the design and its costs.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "gc/gc.hpp"

namespace hsm::gc {

namespace {

bool entry_id(const redisReply* entry, StreamId& id) {
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements < 1) return false;
    const redisReply* r = entry->element[0];
    return r->type == REDIS_REPLY_STRING && StreamId::parse({r->str, r->len}, id);
}

CompactResult failed(CompactResult r, std::string why) {
    r.ok = false;
    r.error = std::move(why);
    return r;
}

// A failed command: its problem classified (services/redis_fault), so the GC thread logs it once per
// state and backs off like a refused trim.
CompactResult failed(CompactResult r, RedisConnection& redis, const redisReply* reply, std::string command) {
    r.problem = reply ? problem_of(reply, command, redis.endpoint().user()) : redis.last_problem();
    std::string why = r.problem.message();
    return failed(std::move(r), std::move(why));
}

}  // namespace

StreamId compaction_limit(StreamId bound, std::uint64_t retention_ms) {
    if (bound.empty()) return {};
    // Everything strictly below `bound` when there is no retention; else strictly below the
    // first millisecond of the retention window that ends at `bound`.
    if (retention_ms == 0) return bound;
    if (bound.ms <= retention_ms) return {};
    return StreamId{bound.ms - retention_ms, 0};
}

CompactResult compact_stream(RedisConnection& redis, const std::string& key,
                             std::span<const StreamId> live_ids, StreamId bound,
                             const CompactOptions& options) {
    CompactResult result;
    const StreamId limit = compaction_limit(bound, options.retention_ms);
    if (limit.empty()) return result;
    // The snapshot of live IDs describes this stream only while the stream still holds `bound`
    // (this host's newest entry when the snapshot was taken). A stream that lost it (FLUSHDB, a
    // restart from an older dump, a restart without persistence) may hold an older version of a
    // live record as that record's newest entry; deleting it would lose the record, so the pass
    // does nothing and the coordinator's stream check rebuilds the stream first.
    const std::string bound_str = bound.str();
    Reply check = redis.command({"XRANGE", key, bound_str, bound_str});
    ++result.calls;
    if (!check || check->type == REDIS_REPLY_ERROR) return failed(result, redis, check.get(), "XRANGE " + key);
    if (check->type != REDIS_REPLY_ARRAY || check->elements != 1)
        return failed(result, "the stream no longer holds entry " + bound_str + " (data loss?)");

    const std::size_t chunk = std::max<std::size_t>(options.chunk, 1);  // COUNT 0 would read nothing, forever
    const std::string count = std::to_string(chunk);
    const std::string end = "(" + limit.str();  // exclusive (Redis 6.2+)
    std::string start = "-";
    std::size_t live_pos = 0;
    std::vector<std::string> doomed;
    std::vector<std::string_view> argv;
    doomed.reserve(chunk);
    while (!(options.cancel && options.cancel->load(std::memory_order_relaxed))) {
        // One XRANGE returns at most `chunk` entries (~0.5 KB each), so the reply is bounded.
        Reply r = redis.command({"XRANGE", key, start, end, "COUNT", count});
        ++result.calls;
        if (!r || r->type == REDIS_REPLY_ERROR) return failed(result, redis, r.get(), "XRANGE " + key);
        if (r->type != REDIS_REPLY_ARRAY) return failed(result, "unexpected XRANGE reply");
        doomed.clear();
        StreamId id, last;
        for (std::size_t i = 0; i < r->elements; ++i) {
            if (!entry_id(r->element[i], id)) return failed(result, "malformed XRANGE entry");
            last = id;
            ++result.scanned;
            // Both sequences ascend, so one merge walk decides every entry.
            while (live_pos < live_ids.size() && live_ids[live_pos] < id) ++live_pos;
            if (live_pos < live_ids.size() && live_ids[live_pos] == id) {
                ++result.kept_live;
                continue;
            }
            doomed.push_back(id.str());
        }
        if (!doomed.empty()) {
            // XDEL of n IDs costs Redis O(n log N): a radix-tree lookup and a flag write in the
            // macro-node per ID (a node is freed once all its entries are deleted). With n at most
            // `chunk` (1000 by default) one call takes about a millisecond (docs/benchmarks.md),
            // so compaction never blocks other clients for long.
            argv.clear();
            argv.push_back("XDEL");
            argv.push_back(key);
            for (const auto& d : doomed) argv.push_back(d);
            Reply del = redis.command(argv);
            ++result.calls;
            if (!del || del->type == REDIS_REPLY_ERROR) return failed(result, redis, del.get(), "XDEL " + key);
            if (del->type != REDIS_REPLY_INTEGER) return failed(result, "unexpected XDEL reply");
            result.deleted += static_cast<std::uint64_t>(del->integer);
        }
        if (options.on_chunk) options.on_chunk(result);
        if (r->elements < chunk) break;
        start = "(" + last.str();
    }
    return result;
}

bool needs_compaction(std::uint64_t length, std::uint64_t live, std::uint64_t churn,
                      std::uint64_t kept_last) {
    return length > 2 * std::max(live, kept_last) + churn;
}

}  // namespace hsm::gc
