// PassMemory (see pass_memory.hpp). The entries of the pass being read overwrite, in place, those
// of the previous pass already consumed: `written_` trails `next_`, and the gap grows by one for
// every line that was removed or changed. Only a line arriving while there is no gap (an insertion
// or the first change of the pass) cannot be stored in place; it is kept aside and merged in at
// the end, one move of the array per pass that had one.
#include "ingest/pass_memory.hpp"

#include <algorithm>

namespace hsm::ingest {

void PassMemory::begin_pass() {
    next_ = 0;
    written_ = 0;
    inserted_.clear();
}

bool PassMemory::recall(std::uint64_t hash, RecordKey& key) {
    const std::size_t end = std::min(entries_.size(), next_ + kLookahead + 1);
    for (std::size_t i = next_; i < end; ++i) {
        if (entries_[i].hash != hash) continue;
        key = RecordKey::unpack(entries_[i].key);
        next_ = i + 1;
        return true;
    }
    return false;
}

void PassMemory::remember(std::uint64_t hash, RecordKey key) {
    const Entry e{hash, key.packed()};
    if (written_ < next_) {
        entries_[written_++] = e;
    } else if (next_ == entries_.size()) {
        // Past the previous pass's end (a new line, or the first pass): append.
        entries_.push_back(e);
        next_ = ++written_;
    } else if (inserted_.size() < kMaxInserted) {
        inserted_.push_back({written_, e});
    } else {
        // Too many lines unlike the previous pass: overwrite it from here on instead.
        entries_[written_++] = e;
        next_ = written_;
    }
}

void PassMemory::end_pass() {
    // Keep this pass's own entries, then merge the set-aside ones in from the back.
    const std::size_t k = inserted_.size();
    const std::size_t total = written_ + k;
    if (total > entries_.size()) entries_.resize(total);
    std::size_t out = total, in = written_, n = k;
    while (n > 0) {
        const Inserted& ins = inserted_[n - 1];
        while (in > ins.before) entries_[--out] = entries_[--in];
        entries_[--out] = ins.entry;
        --n;
    }
    entries_.resize(total);
    inserted_.clear();
    if (entries_.capacity() > 2 * entries_.size() + 1024) entries_.shrink_to_fit();
    if (inserted_.capacity() > kMaxInserted) inserted_.shrink_to_fit();
    next_ = written_ = 0;
}

}  // namespace hsm::ingest
