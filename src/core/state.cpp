// MdtState/StateTable (see state.hpp): compact per-record storage for a million live actions:
// the dense record blocks, their open-addressing index, and FIDs kept as numbers.
#include "state.hpp"

#include <charconv>
#include <cstdint>
#include <stdexcept>

#include "mix64.hpp"

namespace hsm {

namespace {

bool parse_hex(std::string_view s, std::uint64_t& out) {
    if (s.size() < 3 || s[0] != '0' || s[1] != 'x') return false;
    auto r = std::from_chars(s.data() + 2, s.data() + s.size(), out, 16);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

// Writes "0x<hex>" at p; returns the end.
char* put_hex(char* p, std::uint64_t v) {
    *p++ = '0';
    *p++ = 'x';
    return std::to_chars(p, p + 16, v, 16).ptr;
}

// "0x%llx:0x%x:0x%x", as the kernel prints a FID, into buf (>= kFidChars bytes); returns the
// length. Without printf or allocation: this runs per record at load and per commit.
constexpr std::size_t kFidChars = 3 * 18 + 2;
std::size_t write_fid(char* buf, std::uint64_t seq, std::uint32_t oid, std::uint32_t ver) {
    char* p = put_hex(buf, seq);
    *p++ = ':';
    p = put_hex(p, oid);
    *p++ = ':';
    p = put_hex(p, ver);
    return static_cast<std::size_t>(p - buf);
}

std::string format_fid(std::uint64_t seq, std::uint32_t oid, std::uint32_t ver) {
    char buf[kFidChars];
    return std::string(buf, write_fid(buf, seq, oid, ver));
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
    char buf[kFidChars];
    return std::string_view(buf, write_fid(buf, seq, oid, ver)) == fid;
}

// A key's tag, whose low bits are its home slot. Runs of 8 consecutive record indices (one
// catalog's records are numbered in sequence, and the file lists them in order) share one hashed
// base and take consecutive slots, so a cycle's lookups, which follow the file, touch one 64-byte
// line of the index per 8 records instead of one per record; the bases of the runs are random.
inline std::uint32_t tag_of(std::uint64_t key) {
    return static_cast<std::uint32_t>(mix64(key >> 3) >> 32) + static_cast<std::uint32_t>(key & 7);
}

}  // namespace

std::size_t MdtState::slot_of(std::uint64_t key) const {
    if (slots_.empty()) return SIZE_MAX;
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t tag = tag_of(key);
    for (std::size_t i = tag & mask;; i = (i + 1) & mask) {
        const Slot s = slots_[i];
        if (s.pos1 == 0) return SIZE_MAX;
        if (s.tag == tag && entry(s.pos1 - 1).key == key) return i;
    }
}

// Doubles the index until `min_records` fit at most 80% full, re-placing slots from their tags
// alone (the records are not read).
void MdtState::grow_index(std::size_t min_records) {
    std::size_t cap = slots_.empty() ? 16 : slots_.size();
    while (min_records * 5 > cap * 4) cap *= 2;
    if (cap == slots_.size()) return;
    std::vector<Slot> old(cap);
    old.swap(slots_);
    const std::size_t mask = cap - 1;
    for (const Slot s : old) {
        if (s.pos1 == 0) continue;
        std::size_t i = s.tag & mask;
        while (slots_[i].pos1 != 0) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

// Empties slot `hole` and shifts later slots of the same probe run back (no tombstones, so
// lookups never slow down with churn).
void MdtState::remove_slot(std::size_t hole) {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t j = (hole + 1) & mask; slots_[j].pos1 != 0; j = (j + 1) & mask) {
        const std::size_t home = slots_[j].tag & mask;
        // The slot at j may move to the hole unless its home lies cyclically in (hole, j].
        const bool stays = hole < j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (stays) continue;
        slots_[hole] = slots_[j];
        hole = j;
    }
    slots_[hole] = Slot{};
}

void MdtState::reserve(std::size_t n) { grow_index(n); }

// The record after the last one found is tried first: a cycle looks records up in file order,
// which is the order they were inserted in (or loaded from the checkpoint in), so most lookups
// are one sequential read and never touch the index (whose slots are scattered by design).
LiveRecord* MdtState::find(RecordKey key) {
    const std::uint64_t packed = key.packed();
    const std::size_t next = cursor_ + 1;
    if (next < size_ && entry(next).key == packed) {
        cursor_ = next;
        return &entry(next).rec;
    }
    const std::size_t i = slot_of(packed);
    if (i == SIZE_MAX) return nullptr;
    cursor_ = slots_[i].pos1 - 1;
    return &entry(cursor_).rec;
}

// Same, without moving the cursor (a const lookup changes nothing).
const LiveRecord* MdtState::find(RecordKey key) const {
    const std::uint64_t packed = key.packed();
    const std::size_t next = cursor_ + 1;
    if (next < size_ && entry(next).key == packed) return &entry(next).rec;
    const std::size_t i = slot_of(packed);
    return i == SIZE_MAX ? nullptr : &entry(slots_[i].pos1 - 1).rec;
}

LiveRecord& MdtState::upsert(RecordKey key, std::string_view fid, std::string_view action,
                             bool* inserted) {
    oldest_valid_ = false;
    const std::uint64_t packed = key.packed();
    LiveRecord* found = find(key);
    if (inserted) *inserted = found == nullptr;
    if (!found) {
        if (size_ >= UINT32_MAX - 1) throw std::length_error("MdtState: more than 2^32 records");
        grow_index(size_ + 1);
        if ((size_ >> kBlockShift) == blocks_.size())
            blocks_.push_back(std::make_unique<Entry[]>(kBlockRecords));
        Entry& e = entry(size_);
        e = Entry{};
        e.key = packed;
        const std::uint32_t tag = tag_of(packed);
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = tag & mask;
        while (slots_[i].pos1 != 0) i = (i + 1) & mask;
        slots_[i] = Slot{static_cast<std::uint32_t>(size_ + 1), tag};
        ++size_;
        found = &e.rec;
    }
    LiveRecord& r = *found;
    std::size_t code = 0;
    while (code < action_names_.size() && action_names_[code] != action) ++code;
    if (code == action_names_.size() && code < 255) action_names_.emplace_back(action);
    const bool was_odd = r.odd_text;
    const bool numeric = canonical_fid(fid, r.fid_seq, r.fid_oid, r.fid_ver);
    r.odd_text = !numeric || code >= 255;
    r.action = static_cast<std::uint8_t>(code < 255 ? code : 0);
    if (r.odd_text)
        odd_[packed] = OddText{std::string(fid), std::string(action)};
    else if (was_odd)
        odd_.erase(packed);
    return r;
}

void MdtState::erase(RecordKey key) {
    const std::uint64_t packed = key.packed();
    const std::size_t i = slot_of(packed);
    if (i == SIZE_MAX) return;
    oldest_valid_ = false;
    const std::size_t pos = slots_[i].pos1 - 1;
    if (entry(pos).rec.odd_text) odd_.erase(packed);
    remove_slot(i);
    const std::size_t last = size_ - 1;
    if (pos != last) {
        // The last record fills the hole; its slot is re-pointed.
        Entry& moved = entry(last);
        const std::size_t mask = slots_.size() - 1;
        std::size_t j = tag_of(moved.key) & mask;
        while (slots_[j].pos1 != last + 1) j = (j + 1) & mask;
        slots_[j].pos1 = static_cast<std::uint32_t>(pos + 1);
        entry(pos) = moved;
    }
    size_ = last;
    // Give back blocks no longer needed, keeping one spare so churn at a block edge does not
    // allocate and free in turn.
    const std::size_t needed = (size_ + kBlockRecords - 1) >> kBlockShift;
    while (blocks_.size() > needed + 1) blocks_.pop_back();
}

void MdtState::clear() {
    oldest_valid_ = false;
    blocks_.clear();
    blocks_.shrink_to_fit();
    slots_.clear();
    slots_.shrink_to_fit();
    size_ = 0;
    cursor_ = SIZE_MAX;
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
    for_each([&](RecordKey, const LiveRecord& r) {
        if (r.last_id() < oldest) oldest = r.last_id();
    });
    oldest_cache_ = size_ == 0 ? StreamId{} : oldest;
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
