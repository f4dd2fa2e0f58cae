// Stream replay: XRANGE in bounded chunks, each entry's JSON decoded by the one wire decoder
// (wire/decoder.hpp, the consumers' own, keeping `raw` to fingerprint it), folded into an MdtState
// that holds the stream's live set. Sharing the decoder is what makes the live set the shipper
// repairs against the one consumers see: an entry they skip, replay skips.
#include <spdlog/spdlog.h>

#include <unordered_map>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "gc/gc.hpp"
#include "wire/decoder.hpp"
#include "wire/wire.hpp"

namespace hsm::gc {

namespace {

class Folder {
public:
    explicit Folder(MdtState& live) : live_(live) {}

    // `e` passed the decoder with require_index: it has its indices, or is a Python-era PURGED
    // with an action_key.
    void apply(const consume::Event& e, std::string_view raw, StreamId id) {
        if (wire::is_action_key_purge(e)) {
            purged_by_action_key_.emplace_back(std::string(e.action_key), id);
            return;
        }
        const RecordKey key{e.cat_idx, e.rec_idx};
        if (e.type == EventType::Purged) {
            live_.erase(key);
            return;
        }
        bool inserted = false;
        LiveRecord& rec = live_.upsert(key, e.fid, e.action, &inserted);
        // When the record was first shipped: what our UPDATEs say (its NEW may be compacted
        // away), else the first entry of it in the stream (Redis IDs start with Unix ms).
        if (e.first_seen > 0 && e.first_seen <= 0xffffffffLL)
            rec.first_seen = static_cast<std::uint32_t>(e.first_seen);
        else if (inserted)
            rec.first_seen = static_cast<std::uint32_t>(id.ms / 1000);
        rec.hash = raw.empty() ? 0 : XXH3_64bits(raw.data(), raw.size());
        rec.id_ms = id.ms;
        rec.id_seq = id.seq;
    }

    // Python maintenance PURGED events name only `fid:action`: the rule of wire/wire.hpp, applied
    // once the whole stream is read (so each record is compared with the newest such PURGED).
    void finish() {
        if (purged_by_action_key_.empty()) return;
        std::unordered_map<std::string, StreamId> purged(purged_by_action_key_.begin(),
                                                         purged_by_action_key_.end());
        for (const auto& [k, id] : purged_by_action_key_)
            if (purged[k] < id) purged[k] = id;
        std::vector<RecordKey> doomed;
        std::string ak;
        live_.for_each([&](RecordKey key, const LiveRecord& rec) {
            ak.clear();
            wire::append_action_key(ak, live_.fid(key, rec), live_.action(key, rec));
            auto it = purged.find(ak);
            if (it != purged.end() && wire::purges(it->second, rec.last_id())) doomed.push_back(key);
        });
        for (RecordKey k : doomed) live_.erase(k);
    }

private:
    MdtState& live_;
    std::vector<std::pair<std::string, StreamId>> purged_by_action_key_;
};

// The XRANGE loop both replays share: entries from `start` to `end` (inclusive) folded into
// `live`. Counts go to the given fields; `host`, when not empty, counts events not written by it.
struct Range {
    StreamId last_id;
    std::uint64_t entries = 0, skipped = 0, foreign = 0;
    RedisProblem problem;
};

bool fold_range(RedisConnection& redis, const std::string& key, std::string start, const std::string& end,
                std::size_t chunk, MdtState& live, std::string_view host, Range& range) {
    Folder folder(live);
    wire::Decoder decoder;
    consume::Event event;
    wire::Kept kept;
    std::string strings;
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
            bool decoded = false;
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (std::string_view(fields->element[f]->str, fields->element[f]->len) != "data") continue;
                const std::size_t len = fields->element[f + 1]->len;
                padded.assign(fields->element[f + 1]->str, len);
                padded.append(wire::kJsonPadding, ' ');
                strings.clear();
                strings.reserve(len);  // the decoder's strings never outgrow the document
                kept = {};
                decoded = decoder.decode(padded.data(), len, strings, event, true, &kept).ok();
            }
            if (decoded) {
                folder.apply(event, kept.raw, id);
                if (!host.empty() && kept.host != host) ++range.foreign;
            } else {
                ++range.skipped;
            }
        }
        if (r->elements < chunk) break;
        // Next page starts just after the last ID (exclusive ranges need Redis 6.2; this works on 5+).
        start = range.last_id.next().str();
    }
    folder.finish();
    if (range.skipped)
        spdlog::warn("{}: replay skipped {} entries that are not events (not JSON, no event_type, mdt "
                     "or identity, or a number out of range)",
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
