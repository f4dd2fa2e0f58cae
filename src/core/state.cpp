// MdtState/StateTable (see state.hpp): compact per-record storage for a million live actions.
#include "state.hpp"

#include <charconv>

namespace hsm {

namespace {

bool parse_hex(std::string_view s, std::uint64_t& out) {
    if (s.size() < 3 || s[0] != '0' || s[1] != 'x') return false;
    auto r = std::from_chars(s.data() + 2, s.data() + s.size(), out, 16);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

void append_hex(std::string& out, std::uint64_t v) {
    char digits[16];
    const auto r = std::to_chars(digits, digits + sizeof digits, v, 16);
    out.append("0x");
    out.append(digits, r.ptr);
}

// "0x%llx:0x%x:0x%x", as the kernel prints a FID (without printf: this runs per record at load).
std::string format_fid(std::uint64_t seq, std::uint32_t oid, std::uint32_t ver) {
    std::string out;
    out.reserve(40);
    append_hex(out, seq);
    out.push_back(':');
    append_hex(out, oid);
    out.push_back(':');
    append_hex(out, ver);
    return out;
}

// True when `fid` is exactly what the kernel prints for three numbers (so it can be stored as
// numbers and printed back byte for byte).
bool canonical_fid(std::string_view fid, std::uint64_t& seq, std::uint32_t& oid, std::uint32_t& ver) {
    const auto c1 = fid.find(':');
    const auto c2 = c1 == std::string_view::npos ? c1 : fid.find(':', c1 + 1);
    if (c2 == std::string_view::npos) return false;
    std::uint64_t o = 0, v = 0;
    if (!parse_hex(fid.substr(0, c1), seq) || !parse_hex(fid.substr(c1 + 1, c2 - c1 - 1), o) ||
        !parse_hex(fid.substr(c2 + 1), v) || o > 0xffffffffu || v > 0xffffffffu)
        return false;
    oid = static_cast<std::uint32_t>(o);
    ver = static_cast<std::uint32_t>(v);
    return format_fid(seq, oid, ver) == fid;
}

}  // namespace

LiveRecord* MdtState::find(RecordKey key) {
    auto it = records_.find(key.packed());
    return it == records_.end() ? nullptr : &it->second;
}

const LiveRecord* MdtState::find(RecordKey key) const {
    auto it = records_.find(key.packed());
    return it == records_.end() ? nullptr : &it->second;
}

LiveRecord& MdtState::upsert(RecordKey key, std::string_view fid, std::string_view action,
                             bool* inserted) {
    oldest_valid_ = false;
    const auto [it, is_new] = records_.try_emplace(key.packed());
    if (inserted) *inserted = is_new;
    LiveRecord& r = it->second;
    std::size_t code = 0;
    while (code < action_names_.size() && action_names_[code] != action) ++code;
    if (code == action_names_.size() && code < 255) action_names_.emplace_back(action);
    const bool numeric = canonical_fid(fid, r.fid_seq, r.fid_oid, r.fid_ver);
    r.odd_text = !numeric || code >= 255;
    r.action = static_cast<std::uint8_t>(code < 255 ? code : 0);
    if (r.odd_text)
        odd_[key.packed()] = OddText{std::string(fid), std::string(action)};
    else
        odd_.erase(key.packed());
    return r;
}

void MdtState::erase(RecordKey key) {
    oldest_valid_ = false;
    records_.erase(key.packed());
    odd_.erase(key.packed());
}

void MdtState::clear() {
    oldest_valid_ = false;
    records_.clear();
    odd_.clear();
}

std::string MdtState::fid(RecordKey key, const LiveRecord& r) const {
    if (r.odd_text) return odd_.at(key.packed()).fid;
    return format_fid(r.fid_seq, r.fid_oid, r.fid_ver);
}

std::string_view MdtState::action(RecordKey key, const LiveRecord& r) const {
    if (r.odd_text) return odd_.at(key.packed()).action;
    return action_names_.at(r.action);
}

StreamId MdtState::oldest_live_id() const {
    if (oldest_valid_) return oldest_cache_;
    StreamId oldest{UINT64_MAX, UINT64_MAX};
    for (const auto& [k, r] : records_)
        if (r.last_id() < oldest) oldest = r.last_id();
    oldest_cache_ = records_.empty() ? StreamId{} : oldest;
    oldest_valid_ = true;
    return oldest_cache_;
}

std::uint32_t StateTable::slot_of(const std::string& mdt) {
    for (std::uint32_t i = 0; i < mdts_.size(); ++i)
        if (mdts_[i]->name() == mdt) return i;
    mdts_.push_back(std::make_unique<MdtState>(mdt));
    return static_cast<std::uint32_t>(mdts_.size() - 1);
}

MdtState* StateTable::find(const std::string& mdt) {
    for (auto& m : mdts_)
        if (m->name() == mdt) return m.get();
    return nullptr;
}

std::size_t StateTable::total_records() const {
    std::size_t n = 0;
    for (const auto& m : mdts_) n += m->size();
    return n;
}

void StateTable::drop(std::uint32_t slot) {
    MdtState& m = at(slot);
    m.clear();
    m.newest_written = {};
    m.stream_verified = false;
    m.repairing = false;
}

}  // namespace hsm
