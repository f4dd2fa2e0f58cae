// The diff thread's per-MDT table of records with an event in flight (sent to Redis, not yet
// acknowledged): packed RecordKey -> fingerprint of the line the event carries. Every line of a
// cycle that has anything in flight is looked up here, and every event inserts and erases once,
// so it is a flat open-addressing table (linear probing, at most half full, backward-shift
// erase): no allocation per event, one cache line per lookup. It holds at most what is in
// flight (about kMaxLinesInFlight plus a pass's PURGEDs); emptied, it gives its memory back.
//
// Not thread-safe: owned by the diff thread (see diff.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/mix64.hpp"

namespace hsm::diff {

class InFlightMap {
public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }

    // The fingerprint in flight for `key`, or null. Valid until the next insert or erase.
    const std::uint64_t* find(std::uint64_t key) const {
        if (size_ == 0) return nullptr;
        for (std::size_t i = home(key);; i = next(i)) {
            const Slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (s.key == key) return &s.hash;
        }
    }

    // Sets (or replaces) the fingerprint in flight for `key`.
    void set(std::uint64_t key, std::uint64_t hash) {
        if ((size_ + 1) * 2 > slots_.size()) grow();
        std::size_t i = home(key);
        for (; slots_[i].used; i = next(i))
            if (slots_[i].key == key) {
                slots_[i].hash = hash;
                return;
            }
        slots_[i] = Slot{key, hash, true};
        ++size_;
    }

    // Removes `key` if its fingerprint in flight is `hash` (a newer event of the same record
    // stays). Returns whether it removed it.
    bool erase_if(std::uint64_t key, std::uint64_t hash) {
        if (size_ == 0) return false;
        std::size_t hole = home(key);
        for (;; hole = next(hole)) {
            if (!slots_[hole].used) return false;
            if (slots_[hole].key == key) break;
        }
        if (slots_[hole].hash != hash) return false;
        for (std::size_t j = next(hole); slots_[j].used; j = next(j)) {
            const std::size_t h = home(slots_[j].key);
            // The slot at j may move back to the hole unless its home lies cyclically in (hole, j].
            const bool stays = hole < j ? (h > hole && h <= j) : (h > hole || h <= j);
            if (stays) continue;
            slots_[hole] = slots_[j];
            hole = j;
        }
        slots_[hole] = Slot{};
        if (--size_ == 0 && slots_.size() > kKeptSlots) slots_ = {};  // after an initial load
        return true;
    }

private:
    struct Slot {
        std::uint64_t key = 0;
        std::uint64_t hash = 0;
        bool used = false;
    };
    // An empty table keeps at most this many slots (~100 KiB); more is given back.
    static constexpr std::size_t kKeptSlots = 4096;

    std::size_t home(std::uint64_t key) const { return static_cast<std::size_t>(mix64(key)) & (slots_.size() - 1); }
    std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }

    void grow() {
        std::vector<Slot> old(slots_.empty() ? 64 : slots_.size() * 2);
        old.swap(slots_);
        size_ = 0;
        for (const Slot& s : old)
            if (s.used) set(s.key, s.hash);
    }

    std::vector<Slot> slots_;  // power-of-two size, or empty
    std::size_t size_ = 0;
};

}  // namespace hsm::diff
