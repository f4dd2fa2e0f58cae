// LiveState (see hsm/consume/live_state.hpp). Records live in one hash table per MDT keyed by
// the packed (cat_idx, rec_idx); the action_key index that Python maintenance PURGEDs need is
// built only for an MDT that receives one, so streams from our shipper never pay for it.
#include "hsm/consume/live_state.hpp"

#include <algorithm>
#include <functional>
#include <tuple>
#include <unordered_map>

#include "consume/interner.hpp"
#include "hsm/consume/stream_reader.hpp"
#include "wire/wire.hpp"

namespace hsm::consume {

namespace {

constexpr std::string_view kUnknown = "unknown";  // what Python's stats printed for a missing name

struct Record {
    std::int64_t since_ms = 0;     // when the action was first seen (see oldest_live_ms)
    std::uint64_t ak_hash = 0;     // hash of action_key, for index-less PURGEDs
    std::uint32_t group = 0;       // (mdt, action, status) combination
};

struct MdtTable {
    std::unordered_map<std::uint64_t, Record> records;  // key: cat_idx << 32 | rec_idx
    bool ak_indexed = false;
    std::unordered_multimap<std::uint64_t, std::uint64_t> by_ak;  // ak_hash -> record key
};

struct Group {
    std::uint32_t mdt, action, status;
};

std::uint64_t record_key(const Event& e) { return (std::uint64_t{e.cat_idx} << 32) | e.rec_idx; }

// action_key is "<fid>:<action>"; events that lack it get it rebuilt from its parts.
std::uint64_t action_key_hash(const Event& e) {
    if (!e.action_key.empty()) return std::hash<std::string_view>{}(e.action_key);
    std::string ak;
    ak.reserve(e.fid.size() + 1 + e.action.size());
    wire::append_action_key(ak, e.fid, e.action);
    return std::hash<std::string_view>{}(ak);
}

}  // namespace

struct LiveState::Impl {
    detail::Interner mdt_names;
    detail::Interner actions;   // apart from statuses, so each keeps its own last-name cache
    detail::Interner statuses;
    std::vector<MdtTable> mdts;  // by mdt name id
    std::vector<Group> groups;
    std::vector<std::uint64_t> counts;  // by group
    std::unordered_map<std::uint64_t, std::uint32_t> group_ids;

    MdtTable& table(std::uint32_t mdt) {
        if (mdt >= mdts.size()) mdts.resize(mdt + 1);
        return mdts[mdt];
    }

    std::uint32_t group(std::uint32_t mdt, std::string_view action, std::string_view status) {
        const std::uint32_t a = actions.id(action.empty() ? kUnknown : action);
        const std::uint32_t s = statuses.id(status.empty() ? kUnknown : status);
        const std::uint64_t key = (std::uint64_t{mdt} << 42) | (std::uint64_t{a} << 21) | s;
        auto [it, inserted] = group_ids.try_emplace(key, static_cast<std::uint32_t>(groups.size()));
        if (inserted) {
            groups.push_back({mdt, a, s});
            counts.push_back(0);
        }
        return it->second;
    }

    void index_all(MdtTable& t) {
        for (const auto& [key, r] : t.records) t.by_ak.emplace(r.ak_hash, key);
        t.ak_indexed = true;
    }

    void unindex(MdtTable& t, std::uint64_t ak_hash, std::uint64_t key) {
        auto [first, last] = t.by_ak.equal_range(ak_hash);
        for (auto it = first; it != last; ++it)
            if (it->second == key) {
                t.by_ak.erase(it);
                return;
            }
    }
};

LiveState::LiveState() : impl_(std::make_unique<Impl>()) {}
LiveState::~LiveState() = default;
LiveState::LiveState(LiveState&&) noexcept = default;
LiveState& LiveState::operator=(LiveState&&) noexcept = default;

void LiveState::apply(const Batch& batch) {
    for (const Event& e : batch) apply(e);
}

void LiveState::apply(const Event& e) {
    ++events_;
    if (e.id > last_id_) last_id_ = e.id;
    Impl& im = *impl_;
    const std::uint32_t mdt = im.mdt_names.id(e.mdt);
    MdtTable& t = im.table(mdt);

    if (e.type == EventType::Purged) {
        if (!wire::is_action_key_purge(e)) {
            if (!erase(mdt, record_key(e))) ++unmatched_purges_;
        } else {
            // The Python-era rule (wire/wire.hpp): every record with this action key; in stream
            // order, all of them are older than the PURGED.
            if (!t.ak_indexed) im.index_all(t);
            std::vector<std::uint64_t> keys;
            auto [first, last] = t.by_ak.equal_range(action_key_hash(e));
            for (auto it = first; it != last; ++it) keys.push_back(it->second);
            for (auto k : keys) erase(mdt, k);
            if (keys.empty()) ++unmatched_purges_;
        }
        return;
    }
    if (!e.has_index) return;  // the decoder never lets such a NEW/UPDATE through

    const std::uint32_t g = im.group(mdt, e.action, e.status);
    const std::uint64_t key = record_key(e);
    // UPDATEs (refreshes included) carry the time the record was first shipped; otherwise the
    // first entry we see for it is the best we know (its NEW may have been trimmed or compacted).
    const std::int64_t since = e.first_seen > 0 ? e.first_seen * 1000 : static_cast<std::int64_t>(e.id.ms);
    auto [it, inserted] = t.records.try_emplace(key);
    Record& r = it->second;
    if (inserted) {
        r = Record{since, action_key_hash(e), g};
        if (t.ak_indexed) t.by_ak.emplace(r.ak_hash, key);
        ++im.counts[g];
        ++live_;
        return;
    }
    if (r.group != g) {
        --im.counts[r.group];
        ++im.counts[g];
        r.group = g;
    }
    r.since_ms = std::min(r.since_ms, since);
}

bool LiveState::erase(std::uint32_t mdt, std::uint64_t key) {
    MdtTable& t = impl_->mdts[mdt];
    auto it = t.records.find(key);
    if (it == t.records.end()) return false;
    --impl_->counts[it->second.group];
    --live_;
    if (t.ak_indexed) impl_->unindex(t, it->second.ak_hash, key);
    t.records.erase(it);
    return true;
}

std::optional<std::int64_t> LiveState::oldest_live_ms() const {
    std::optional<std::int64_t> oldest;
    for (const auto& t : impl_->mdts)
        for (const auto& [key, r] : t.records)
            if (!oldest || r.since_ms < *oldest) oldest = r.since_ms;
    return oldest;
}

std::vector<BreakdownRow> LiveState::breakdown(bool include_zero) const {
    const Impl& im = *impl_;
    std::vector<BreakdownRow> rows;
    for (std::uint32_t g = 0; g < im.groups.size(); ++g) {
        if (!include_zero && im.counts[g] == 0) continue;
        const Group& gr = im.groups[g];
        rows.push_back({g, im.mdt_names.name(gr.mdt), im.actions.name(gr.action),
                        im.statuses.name(gr.status), im.counts[g]});
    }
    std::sort(rows.begin(), rows.end(), [](const BreakdownRow& a, const BreakdownRow& b) {
        return std::tie(a.mdt, a.action, a.status) < std::tie(b.mdt, b.action, b.status);
    });
    return rows;
}

}  // namespace hsm::consume
