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
    explicit Folder(ReplayResult& r) : r_(r) {}

    // `e` passed the decoder with require_index: it has its indices, or is a Python-era PURGED
    // with an action_key.
    void apply(const consume::Event& e, std::string_view raw, StreamId id) {
        if (wire::is_action_key_purge(e)) {
            purged_by_action_key_.emplace_back(std::string(e.action_key), id);
            return;
        }
        const RecordKey key{e.cat_idx, e.rec_idx};
        if (e.type == EventType::Purged) {
            r_.live.erase(key);
            return;
        }
        bool inserted = false;
        LiveRecord& rec = r_.live.upsert(key, e.fid, e.action, &inserted);
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
        r_.live.for_each([&](RecordKey key, const LiveRecord& rec) {
            ak.clear();
            wire::append_action_key(ak, r_.live.fid(key, rec), r_.live.action(key, rec));
            auto it = purged.find(ak);
            if (it != purged.end() && wire::purges(it->second, rec.last_id())) doomed.push_back(key);
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
    wire::Decoder decoder;
    consume::Event event;
    wire::Kept kept;
    std::string strings;
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
            bool decoded = false;
            for (std::size_t f = 0; f + 1 < fields->elements; f += 2) {
                if (std::string_view(fields->element[f]->str, fields->element[f]->len) != "data") continue;
                const std::size_t len = fields->element[f + 1]->len;
                padded.assign(fields->element[f + 1]->str, len);
                padded.append(wire::kJsonPadding, ' ');
                strings.clear();
                strings.reserve(len);  // the decoder's strings never outgrow the document
                decoded = decoder.decode(padded.data(), len, strings, event, true, &kept).ok();
            }
            if (decoded) folder.apply(event, kept.raw, id);
            else ++result.skipped;
        }
        if (r->elements < chunk) break;
        // Next page starts just after the last ID (exclusive ranges need Redis 6.2; this works on 5+).
        start = result.last_id.next().str();
    }
    folder.finish();
    if (result.skipped)
        spdlog::warn("{}: replay skipped {} entries that are not events (not JSON, no event_type, mdt "
                     "or identity, or a number out of range)",
                     key, result.skipped);
    result.ok = true;
    return result;
}

}  // namespace hsm::gc
