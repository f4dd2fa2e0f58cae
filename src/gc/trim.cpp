// Bounded trimming (see gc.hpp) and the position lookup that picks records to refresh.
#include <spdlog/spdlog.h>

#include "gc/gc.hpp"

namespace hsm::gc {

namespace {

// The problem behind a missing or unexpected reply to `command`.
RedisProblem failure(RedisConnection& redis, const Reply& r, const std::string& command) {
    if (!r) return redis.last_problem();
    RedisProblem p = problem_of(r.get(), command, redis.endpoint().user());
    if (!p) p = {RedisFault::Refused, command, redis.endpoint().user(), "unexpected reply"};
    return p;
}

// The ID of the first entry after `count` entries from the start, when the stream has more than
// `count` entries below `limit`; empty otherwise.
StreamId id_after(RedisConnection& redis, const std::string& key, std::size_t count, StreamId limit,
                  bool& ok, RedisProblem& problem) {
    Reply r = redis.command({"XRANGE", key, "-", limit.str(), "COUNT", std::to_string(count + 1)});
    ok = r && r->type == REDIS_REPLY_ARRAY;
    if (!ok) problem = failure(redis, r, "XRANGE " + key);
    StreamId id;
    if (ok && r->elements == count + 1) {
        const redisReply* e = r->element[count]->element[0];
        StreamId::parse({e->str, e->len}, id);
    }
    return id;
}

// Deleted entries, or -1 with `problem` set. Not logged here: the GC thread logs once per state.
std::int64_t xtrim(RedisConnection& redis, const std::vector<std::string_view>& argv, RedisProblem& problem) {
    Reply r = redis.command(argv);
    if (r && r->type == REDIS_REPLY_INTEGER) return r->integer;
    problem = failure(redis, r, std::string(argv[0]) + " " + std::string(argv[1]));
    return -1;
}

}  // namespace

TrimResult trim_stream(RedisConnection& redis, const std::string& key, StreamId minid,
                       const TrimOptions& options) {
    TrimResult result;
    const bool everything = minid.empty();
    // "Nothing live" trims everything: MINID just above the newest entry.
    if (everything) {
        Reply last = redis.command({"XREVRANGE", key, "+", "-", "COUNT", "1"});
        if (!last || last->type != REDIS_REPLY_ARRAY) return {false, 0, 0, failure(redis, last, "XREVRANGE " + key)};
        if (last->elements == 0) return result;
        const redisReply* e = last->element[0]->element[0];
        StreamId::parse({e->str, e->len}, minid);
        ++minid.seq;
    }
    const std::string chunk = std::to_string(options.chunk);
    while (!(options.cancel && options.cancel->load(std::memory_order_relaxed))) {
        std::int64_t n;
        if (options.approximate) {
            const std::string id = minid.str();
            n = xtrim(redis, {"XTRIM", key, "MINID", "~", id, "LIMIT", chunk}, result.problem);
        } else {
            bool ok = false;
            StreamId step = id_after(redis, key, options.chunk, minid, ok, result.problem);
            if (!ok) return {false, result.deleted, result.calls, result.problem};
            const std::string id = (step.empty() ? minid : std::min(step, minid)).str();
            n = xtrim(redis, {"XTRIM", key, "MINID", id}, result.problem);
            if (n >= 0 && step.empty()) {
                result.deleted += static_cast<std::uint64_t>(n);
                ++result.calls;
                break;
            }
        }
        ++result.calls;
        if (n < 0) {
            result.ok = false;
            break;
        }
        result.deleted += static_cast<std::uint64_t>(n);
        if (n == 0) break;
    }
    // `~` only frees whole macro-nodes; an idle MDT's stream must still end empty, and what is
    // left is less than one node, so one exact pass finishes it.
    if ((everything || options.exact_tail) && options.approximate && result.ok) {
        TrimOptions exact = options;
        exact.approximate = false;
        exact.exact_tail = false;
        const TrimResult rest = trim_stream(redis, key, minid, exact);
        result.ok = rest.ok;
        result.problem = rest.problem;
        result.deleted += rest.deleted;
        result.calls += rest.calls;
    }
    return result;
}

StreamId id_at_position(RedisConnection& redis, const std::string& key, std::uint64_t position,
                        std::size_t chunk) {
    std::string start = "-";
    std::uint64_t remaining = position;
    while (remaining > 0) {
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk));
        Reply r = redis.command({"XRANGE", key, start, "+", "COUNT", std::to_string(take)});
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return {};
        StreamId last;
        const redisReply* e = r->element[r->elements - 1]->element[0];
        StreamId::parse({e->str, e->len}, last);
        if (r->elements < take) return {};
        remaining -= take;
        if (remaining == 0) return last;
        ++last.seq;
        start = last.str();
    }
    return {};
}

bool needs_refresh(std::uint64_t length, std::uint64_t live, std::uint64_t churn) {
    return live > 0 && length > 2 * live + churn;
}

}  // namespace hsm::gc
