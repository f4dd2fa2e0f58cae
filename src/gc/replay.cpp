// Stream replay: XRANGE in bounded chunks, each entry's JSON decoded with simdjson's on-demand
// parser (no DOM, no exceptions), folded into an MdtState that holds the stream's live set.
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <unordered_set>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "core/json_number.hpp"
#include "gc/gc.hpp"

namespace hsm::gc {

namespace {

namespace od = simdjson::ondemand;

struct Decoded {
    std::string_view event_type, fid, action, raw, action_key, host;
    std::int64_t cat_idx = -1, rec_idx = -1;
    std::int64_t first_seen = 0;  // Unix seconds, on our UPDATEs; 0 when absent
};

// An index or a time that the consumers' decoder rejects (core/json_number.hpp) makes the entry
// one that replay skips too: the live set the shipper repairs against must be the one they see.
// A present index that is no index (a string, -1, 2^32) is not "no index" either.
bool read_index(od::value v, std::int64_t& out) {
    std::uint32_t i = 0;
    if (json::read_index(v, i) != json::NumberRead::Ok) return false;
    out = i;
    return true;
}

bool time_in_range(od::value v) {
    std::int64_t ignored = 0;
    return json::read_seconds(v, ignored) != json::NumberRead::OutOfRange;
}

// Fields are looked up by name in any order (Python wrote them in its own order). False for an
// entry that is not an event: not a JSON object, no event_type, or a number out of range.
bool decode(od::parser& parser, simdjson::padded_string_view json, Decoded& d) {
    od::document doc;
    if (parser.iterate(json).get(doc)) return false;
    od::object obj;
    if (doc.get_object().get(obj)) return false;
    for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return false;
        od::value v = field.value();
        if (key == "event_type") { if (v.get_string().get(d.event_type)) return false; }
        else if (key == "fid") { if (v.get_string().get(d.fid)) d.fid = {}; }
        else if (key == "action") { if (v.get_string().get(d.action)) d.action = {}; }
        else if (key == "raw") { if (v.get_string().get(d.raw)) d.raw = {}; }
        else if (key == "action_key") { if (v.get_string().get(d.action_key)) d.action_key = {}; }
        else if (key == "host") { if (v.get_string().get(d.host)) d.host = {}; }
        else if (key == "cat_idx") { if (!read_index(v, d.cat_idx)) return false; }
        else if (key == "rec_idx") { if (!read_index(v, d.rec_idx)) return false; }
        else if (key == "timestamp") { if (!time_in_range(v)) return false; }
        else if (key == "first_seen") {
            if (json::read_seconds(v, d.first_seen) == json::NumberRead::OutOfRange) return false;
        }
    }
    // Like the consumers' decoder, nothing may follow the object.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS) return false;
    return !d.event_type.empty();
}

bool valid_index(std::int64_t v) { return v >= 0 && v <= 0xffffffffLL; }

class Folder {
public:
    Folder(MdtState& live, std::uint64_t& skipped) : live_(live), skipped_(skipped) {}

    void apply(const Decoded& d, StreamId id) {
        const bool indexed = valid_index(d.cat_idx) && valid_index(d.rec_idx);
        if (d.event_type == "PURGED") {
            if (indexed)
                live_.erase({static_cast<std::uint32_t>(d.cat_idx), static_cast<std::uint32_t>(d.rec_idx)});
            else if (!d.action_key.empty())
                purged_by_action_key_.emplace_back(std::string(d.action_key), id);
            else
                ++skipped_;
            return;
        }
        if (!indexed || (d.event_type != "NEW" && d.event_type != "UPDATE")) {
            ++skipped_;
            return;
        }
        const RecordKey key{static_cast<std::uint32_t>(d.cat_idx), static_cast<std::uint32_t>(d.rec_idx)};
        bool inserted = false;
        LiveRecord& rec = live_.upsert(key, d.fid, d.action, &inserted);
        // When the record was first shipped: what our UPDATEs say (its NEW may be compacted
        // away), else the first entry of it in the stream (Redis IDs start with Unix ms).
        if (d.first_seen > 0 && d.first_seen <= 0xffffffffLL)
            rec.first_seen = static_cast<std::uint32_t>(d.first_seen);
        else if (inserted)
            rec.first_seen = static_cast<std::uint32_t>(id.ms / 1000);
        rec.hash = d.raw.empty() ? 0 : XXH3_64bits(d.raw.data(), d.raw.size());
        rec.id_ms = id.ms;
        rec.id_seq = id.seq;
    }

    // Python maintenance PURGED events name only `fid:action`: they remove every live record
    // with that action_key whose newest event is older than the PURGED.
    void finish() {
        if (purged_by_action_key_.empty()) return;
        std::unordered_map<std::string, StreamId> purged(purged_by_action_key_.begin(),
                                                         purged_by_action_key_.end());
        for (const auto& [k, id] : purged_by_action_key_)
            if (purged[k] < id) purged[k] = id;
        std::vector<RecordKey> doomed;
        live_.for_each([&](RecordKey key, const LiveRecord& rec) {
            auto it = purged.find(live_.fid(key, rec) + ":" + std::string(live_.action(key, rec)));
            if (it != purged.end() && rec.last_id() < it->second) doomed.push_back(key);
        });
        for (RecordKey k : doomed) live_.erase(k);
    }

private:
    MdtState& live_;
    std::uint64_t& skipped_;
    std::vector<std::pair<std::string, StreamId>> purged_by_action_key_;
};

}  // namespace

namespace {

// The XRANGE loop both replays share: entries from `start` to `end` (inclusive) folded into
// `live`. Counts go to the given fields; `host`, when not empty, counts events not written by it.
struct Range {
    StreamId last_id;
    std::uint64_t entries = 0, skipped = 0, foreign = 0;
    RedisProblem problem;
};

bool fold_range(RedisConnection& redis, const std::string& key, std::string start, const std::string& end,
                std::size_t chunk, MdtState& live, std::string_view host, Range& range) {
    Folder folder(live, range.skipped);
    od::parser parser;
    const std::string count = std::to_string(chunk);
    std::string padded;
    while (true) {
        Reply r = redis.command({"XRANGE", key, start, end, "COUNT", count});
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            range.problem = r ? problem_of(r.get(), "XRANGE " + key, redis.endpoint().user()) : redis.last_problem();
            if (!range.problem) range.problem = {RedisFault::Refused, "XRANGE " + key, redis.endpoint().user(), "unexpected reply"};
            return false;
        }
        for (std::size_t i = 0; i < r->elements; ++i) {
            const redisReply* entry = r->element[i];
            StreamId id;
            if (entry->elements != 2 || !StreamId::parse({entry->element[0]->str, entry->element[0]->len}, id))
                continue;
            range.last_id = id;
            ++range.entries;
            const redisReply* fields = entry->element[1];
            Decoded d;
            bool decoded = false;
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (std::string_view(fields->element[f]->str, fields->element[f]->len) != "data") continue;
                padded.assign(fields->element[f + 1]->str, fields->element[f + 1]->len);
                padded.append(simdjson::SIMDJSON_PADDING, ' ');
                decoded = decode(parser, simdjson::padded_string_view(padded.data(), fields->element[f + 1]->len, padded.size()), d);
            }
            if (decoded) {
                folder.apply(d, id);
                if (!host.empty() && d.host != host) ++range.foreign;
            } else {
                ++range.skipped;
            }
        }
        if (r->elements < chunk) break;
        // Next page starts just after the last ID (exclusive ranges need Redis 6.2; this works on 5+).
        StreamId next = range.last_id;
        ++next.seq;
        start = next.str();
    }
    folder.finish();
    if (range.skipped)
        spdlog::warn("{}: replay skipped {} entries that are not events (not JSON, no identity or a "
                     "number out of range)",
                     key, range.skipped);
    return true;
}

}  // namespace

ReplayResult replay_stream(RedisConnection& redis, const std::string& key, const std::string& mdt,
                           StreamId until, std::size_t chunk) {
    ReplayResult result;
    result.live = MdtState(mdt);
    Range range;
    const bool ok = fold_range(redis, key, "-", until.empty() ? "+" : until.str(), chunk, result.live, {}, range);
    result.last_id = range.last_id;
    result.entries = range.entries;
    result.skipped = range.skipped;
    if (!ok) {
        result.problem = std::move(range.problem);
        result.error = result.problem.message();
        return result;
    }
    result.ok = true;
    return result;
}

TailResult replay_tail(RedisConnection& redis, const std::string& key, MdtState& live, StreamId after,
                       std::string_view host, std::size_t chunk) {
    TailResult result;
    StreamId from = after;
    ++from.seq;  // exclusive of `after` (an ID's seq never reaches 2^64-1 in practice)
    Range range;
    result.ok = fold_range(redis, key, from.str(), "+", chunk, live, host, range);
    result.problem = std::move(range.problem);
    result.last_id = range.last_id;
    result.entries = range.entries;
    result.skipped = range.skipped;
    result.foreign = range.foreign;
    return result;
}

bool tail_intact(RedisConnection& redis, const std::string& key, StreamId after, std::string& why) {
    if (after.empty()) {
        why = "no entry to continue from";
        return false;
    }
    if (!redis.ensure_connected()) {
        why = "redis unreachable";
        return false;
    }
    const std::string at = after.str();
    redis.append({"XRANGE", key, at, at});
    redis.append({"XINFO", "STREAM", key});
    Reply mine = redis.read_reply();
    Reply info = redis.read_reply();
    if (!mine || !info) {
        why = "redis unreachable";
        return false;
    }
    if (mine->type != REDIS_REPLY_ARRAY || mine->elements != 1) {
        why = "entry " + at + " is no longer in the stream (trimmed or deleted)";
        return false;
    }
    if (info->type != REDIS_REPLY_ARRAY) {
        why = "XINFO STREAM refused";
        return false;
    }
    for (std::size_t i = 0; i + 1 < info->elements; i += 2) {
        const redisReply* name = info->element[i];
        const redisReply* value = info->element[i + 1];
        if (name->type != REDIS_REPLY_STRING && name->type != REDIS_REPLY_STATUS) continue;
        if (std::string_view(name->str, name->len) != "max-deleted-entry-id") continue;
        StreamId deleted;
        if (value->type != REDIS_REPLY_STRING || !StreamId::parse({value->str, value->len}, deleted)) {
            why = "unreadable max-deleted-entry-id";
            return false;
        }
        if (deleted < after) return true;
        why = "entries up to " + deleted.str() + " were deleted, after " + at;
        return false;
    }
    why = "redis older than 7.0 (no max-deleted-entry-id): cannot prove the stream whole";
    return false;
}

}  // namespace hsm::gc
