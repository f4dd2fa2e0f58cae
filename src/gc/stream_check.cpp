// The per-cycle stream check (see gc.hpp): three pipelined commands per MDT, one round trip.
#include "gc/gc.hpp"

namespace hsm::gc {

namespace {
bool first_id(const redisReply* r, StreamId& id) {
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements == 0) return false;
    const redisReply* e = r->element[0]->element[0];
    return StreamId::parse({e->str, e->len}, id);
}
}  // namespace

StreamCheck check_stream(RedisConnection& redis, const std::string& key, const MdtState& state) {
    StreamCheck check;
    if (!redis.ensure_connected()) {
        check.problem = redis.last_problem();
        if (!check.problem) check.problem = problem_of(nullptr, "connect", redis.endpoint().user(), "not connected");
        return check;
    }
    const std::string ours = state.newest_written.str();
    redis.append({"XLEN", key});
    redis.append({"XREVRANGE", key, "+", "-", "COUNT", "1"});
    redis.append({"XRANGE", key, ours, ours});
    Reply len = redis.read_reply();
    Reply newest = redis.read_reply();
    Reply mine = redis.read_reply();
    if (!len || !newest || !mine) {
        check.problem = redis.last_problem();
        return check;
    }
    const std::string user = redis.endpoint().user();
    for (auto [r, command] : {std::pair{&len, "XLEN "}, {&newest, "XREVRANGE "}, {&mine, "XRANGE "}}) {
        RedisProblem p = problem_of(r->get(), command + key, user);
        if (!p) continue;
        check.verdict = p.fault == RedisFault::Refused ? StreamVerdict::Unusable : StreamVerdict::Unreachable;
        check.detail = p.detail;
        check.problem = std::move(p);
        return check;
    }
    StreamId last;
    const bool has_last = first_id(newest.get(), last);
    const bool knows_stream = !state.newest_written.empty();
    if (!knows_stream) {
        check.verdict = has_last ? StreamVerdict::Unknown : StreamVerdict::Consistent;
        check.detail = has_last ? "stream has entries this host has no record of" : "new stream";
        return check;
    }
    if (has_last && last > state.newest_written) {
        check.verdict = StreamVerdict::ForeignWrites;
        check.detail = "newest entry " + last.str() + " is newer than ours (" + ours + ")";
        return check;
    }
    // With nothing live the stream may legitimately be trimmed to empty.
    const std::uint64_t live = state.size();
    const bool mine_present = mine->type == REDIS_REPLY_ARRAY && mine->elements == 1;
    if (live > 0 && (!mine_present || static_cast<std::uint64_t>(len->integer) < live)) {
        check.verdict = StreamVerdict::DataLoss;
        check.detail = (len->integer == 0 ? std::string("stream is gone")
                        : !mine_present ? "our newest entry " + ours + " is gone"
                                        : "only " + std::to_string(len->integer) + " entries for " +
                                              std::to_string(live) + " live records");
        return check;
    }
    check.verdict = StreamVerdict::Consistent;
    return check;
}

}  // namespace hsm::gc
