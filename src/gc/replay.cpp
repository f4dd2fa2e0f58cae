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
    std::string_view event_type, fid, action, raw, action_key;
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
    explicit Folder(ReplayResult& r) : r_(r) {}

    void apply(const Decoded& d, StreamId id) {
        const bool indexed = valid_index(d.cat_idx) && valid_index(d.rec_idx);
        if (d.event_type == "PURGED") {
            if (indexed)
                r_.live.erase({static_cast<std::uint32_t>(d.cat_idx), static_cast<std::uint32_t>(d.rec_idx)});
            else if (!d.action_key.empty())
                purged_by_action_key_.emplace_back(std::string(d.action_key), id);
            else
                ++r_.skipped;
            return;
        }
        if (!indexed || (d.event_type != "NEW" && d.event_type != "UPDATE")) {
            ++r_.skipped;
            return;
        }
        const RecordKey key{static_cast<std::uint32_t>(d.cat_idx), static_cast<std::uint32_t>(d.rec_idx)};
        bool inserted = false;
        LiveRecord& rec = r_.live.upsert(key, d.fid, d.action, &inserted);
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
        r_.live.for_each([&](RecordKey key, const LiveRecord& rec) {
            auto it = purged.find(r_.live.fid(key, rec) + ":" + std::string(r_.live.action(key, rec)));
            if (it != purged.end() && rec.last_id() < it->second) doomed.push_back(key);
        });
        for (RecordKey k : doomed) r_.live.erase(k);
    }

private:
    ReplayResult& r_;
    std::vector<std::pair<std::string, StreamId>> purged_by_action_key_;
};

}  // namespace

ReplayResult replay_stream(RedisConnection& redis, const std::string& key, const std::string& mdt,
                           StreamId until, std::size_t chunk) {
    ReplayResult result;
    result.live = MdtState(mdt);
    Folder folder(result);
    od::parser parser;
    std::string start = "-";
    const std::string end = until.empty() ? "+" : until.str();
    const std::string count = std::to_string(chunk);
    std::string padded;
    while (true) {
        Reply r = redis.command({"XRANGE", key, start, end, "COUNT", count});
        if (!r || r->type != REDIS_REPLY_ARRAY) {
            result.problem = r ? problem_of(r.get(), "XRANGE " + key, redis.endpoint().user()) : redis.last_problem();
            if (!result.problem) result.problem = {RedisFault::Refused, "XRANGE " + key, redis.endpoint().user(), "unexpected reply"};
            result.error = result.problem.message();
            return result;
        }
        for (std::size_t i = 0; i < r->elements; ++i) {
            const redisReply* entry = r->element[i];
            StreamId id;
            if (entry->elements != 2 || !StreamId::parse({entry->element[0]->str, entry->element[0]->len}, id))
                continue;
            result.last_id = id;
            ++result.entries;
            const redisReply* fields = entry->element[1];
            Decoded d;
            bool decoded = false;
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (std::string_view(fields->element[f]->str, fields->element[f]->len) != "data") continue;
                padded.assign(fields->element[f + 1]->str, fields->element[f + 1]->len);
                padded.append(simdjson::SIMDJSON_PADDING, ' ');
                decoded = decode(parser, simdjson::padded_string_view(padded.data(), fields->element[f + 1]->len, padded.size()), d);
            }
            if (decoded) folder.apply(d, id);
            else ++result.skipped;
        }
        if (r->elements < chunk) break;
        // Next page starts just after the last ID (exclusive ranges need Redis 6.2; this works on 5+).
        StreamId next = result.last_id;
        ++next.seq;
        start = next.str();
    }
    folder.finish();
    if (result.skipped)
        spdlog::warn("{}: replay skipped {} entries that are not events (not JSON, no identity or a "
                     "number out of range)",
                     key, result.skipped);
    result.ok = true;
    return result;
}

}  // namespace hsm::gc
