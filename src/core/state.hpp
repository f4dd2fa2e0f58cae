// The committed state: per MDT, every live record the stream is known to hold, with what a
// PURGED event needs (fid, action), the fingerprint of the line last shipped, and the ID of the
// record's newest stream entry (GC trims below the oldest of those).
//
// Ownership (no locks): the diff thread owns the table while a cycle runs, the coordinator between
// cycles (the handoff is a queue message or a thread join, which orders memory). Readers never
// touch it; GC gets what it needs (trim points, live sets) as copies through its queue.
//
// Size and speed matter (a million records; every poll looks up every live record): records
// live in a dense array, in insertion order (file order, so a cycle's lookups walk it nearly
// sequentially), cut into fixed blocks that never move; an open-addressing index of 8-byte slots
// (position + 32 hash bits, linear probing, at most 80% full) finds them. A record costs 64
// bytes (the 56-byte LiveRecord, static_assert below, and its 8-byte key) plus 10 to 20 of
// index, no allocation per record, and a walk over every record is a walk over memory in order.
// find() tries the record after the previous hit before the index, so a cycle that reads records
// in the order they were stored seldom touches the index. FIDs are stored as their three numbers
// when they print back identically (every kernel FID does); anything else goes to a side map.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "event.hpp"
#include "hsm/wire/stream_id.hpp"

namespace hsm {

// Why a record must be re-shipped even though its line did not change (set by GC).
enum ReshipFlag : std::uint8_t {
    kReshipRefresh = 1,  // pinned the trim point: re-publish as UPDATE with "refresh": true
    kReshipRebuild = 2,  // the stream lacks it: re-publish as NEW (maintenance)
    kReshipRepair = 4,   // the stream holds an older version: UPDATE (maintenance)
};

struct LiveRecord {
    std::uint64_t hash = 0;
    std::uint64_t id_ms = 0;  // newest stream entry for this record
    std::uint64_t id_seq = 0;
    std::uint32_t first_seen = 0;  // Unix seconds of the first NEW (kept across refreshes)
    std::uint32_t seen_cycle = 0;  // last read that printed this record (torn-read detection)
    std::uint64_t fid_seq = 0;     // canonical FID numbers, see above
    std::uint32_t fid_oid = 0;
    std::uint32_t fid_ver = 0;
    std::uint8_t action = 0;  // index into MdtState's action names
    std::uint8_t reship = 0;  // ReshipFlag bits
    bool odd_text = false;    // fid/action live in the side map
    StreamId last_id() const { return {id_ms, id_seq}; }
};
// The size the header comment states; change both together.
static_assert(sizeof(LiveRecord) == 56, "update the record size in the comment at the top");

// Not thread-safe (see "Ownership" above). Pointers and references to records (find, upsert,
// for_each) stay valid across inserts and until the next erase() or clear(): an erase moves the
// last record into the hole it leaves.
class MdtState {
public:
    explicit MdtState(std::string name) : name_(std::move(name)) {}

    const std::string& name() const { return name_; }
    std::size_t size() const { return size_; }

    LiveRecord* find(RecordKey key);
    const LiveRecord* find(RecordKey key) const;
    // Inserts or overwrites the record's text fields; keeps first_seen of an existing record.
    LiveRecord& upsert(RecordKey key, std::string_view fid, std::string_view action,
                       bool* inserted = nullptr);
    void erase(RecordKey key);
    // Forgets every record and releases the memory.
    void clear();
    // Sizes the index for `n` records (the records' blocks are allocated as they fill).
    void reserve(std::size_t n);

    std::string fid(RecordKey key, const LiveRecord& r) const;
    std::string_view action(RecordKey key, const LiveRecord& r) const;

    // Oldest newest-entry over all live records: the MINID below which GC may trim. A scan of
    // every record (~40 ms at 350,000: one cache miss per node), so it is cached until the next
    // upsert/erase/clear; callers set a record's id only right after upsert().
    StreamId oldest_live_id() const;

    // Calls f(RecordKey, LiveRecord&) for every record, in insertion order (modulo erases). f may
    // change the record but must not insert or erase.
    template <class F> void for_each(F&& f) {
        for (std::size_t b = 0, left = size_; left; ++b) {
            Entry* block = blocks_[b].get();
            const std::size_t n = left < kBlockRecords ? left : kBlockRecords;
            for (std::size_t i = 0; i < n; ++i) f(RecordKey::unpack(block[i].key), block[i].rec);
            left -= n;
        }
    }
    template <class F> void for_each(F&& f) const {
        for (std::size_t b = 0, left = size_; left; ++b) {
            const Entry* block = blocks_[b].get();
            const std::size_t n = left < kBlockRecords ? left : kBlockRecords;
            for (std::size_t i = 0; i < n; ++i)
                f(RecordKey::unpack(block[i].key), static_cast<const LiveRecord&>(block[i].rec));
            left -= n;
        }
    }

    // The newest entry this host wrote to the stream (any record, purged ones included):
    // a stream whose last entry is newer was written by someone else (takeover), and a stream
    // that lacks it lost data (rebuild).
    StreamId newest_written;
    // This host has replayed/verified the stream since it (re)gained the MDT.
    bool stream_verified = false;
    // The stream is being rebuilt after data loss: this cycle's events are repairs.
    bool repairing = false;

private:
    struct Entry {
        LiveRecord rec;
        std::uint64_t key = 0;  // RecordKey::packed()
    };
    // One index slot: pos1 = position in the dense array + 1 (0: empty); tag = 32 bits of the
    // key's hash, whose low bits are also the slot the key hashes to (so the index is rebuilt
    // and shifted without touching the records; see tag_of in state.cpp).
    struct Slot {
        std::uint32_t pos1 = 0;
        std::uint32_t tag = 0;
    };
    // 4096 records of 64 bytes: 256 KiB blocks, few enough to be noise, small enough that the
    // last, partly used block wastes little.
    static constexpr std::size_t kBlockShift = 12;
    static constexpr std::size_t kBlockRecords = std::size_t{1} << kBlockShift;

    Entry& entry(std::size_t pos) { return blocks_[pos >> kBlockShift][pos & (kBlockRecords - 1)]; }
    const Entry& entry(std::size_t pos) const {
        return blocks_[pos >> kBlockShift][pos & (kBlockRecords - 1)];
    }
    std::size_t slot_of(std::uint64_t key) const;  // index slot holding `key`, or SIZE_MAX
    void grow_index(std::size_t min_records);
    void remove_slot(std::size_t slot);

    std::string name_;
    std::vector<std::unique_ptr<Entry[]>> blocks_;
    std::size_t size_ = 0;
    std::vector<Slot> slots_;  // power-of-two size, or empty
    std::size_t cursor_ = SIZE_MAX;  // position of the last record find() returned (a hint only)
    std::vector<std::string> action_names_;  // interned; a handful per MDT in practice
    struct OddText { std::string fid, action; };
    std::unordered_map<std::uint64_t, OddText> odd_;
    mutable StreamId oldest_cache_;
    mutable bool oldest_valid_ = false;
};

// All MDTs this host knows, by stable slot (events carry the slot, not the name).
class StateTable {
public:
    // Returns the slot for `mdt`, creating empty state on first sight.
    std::uint32_t slot_of(const std::string& mdt);
    MdtState* find(const std::string& mdt);
    MdtState& at(std::uint32_t slot) { return *mdts_.at(slot); }
    const MdtState& at(std::uint32_t slot) const { return *mdts_.at(slot); }
    std::size_t slots() const { return mdts_.size(); }
    std::size_t total_records() const;
    // Slots are never reused within a run; a dropped MDT keeps an empty, unverified state.
    void drop(std::uint32_t slot);

private:
    std::vector<std::unique_ptr<MdtState>> mdts_;
};

}  // namespace hsm
