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

void PassMemory::resize(std::size_t n) {
    const std::size_t blocks = (n + kBlockEntries - 1) >> kBlockShift;
    while (blocks_.size() < blocks) blocks_.push_back(std::make_unique<Entry[]>(kBlockEntries));
    blocks_.resize(blocks);  // frees the blocks past the end
    size_ = n;
}

bool PassMemory::recall(std::uint64_t hash, RecordKey& key) {
    const std::size_t end = std::min(size_, next_ + kLookahead + 1);
    for (std::size_t i = next_; i < end; ++i) {
        const Entry& e = at(i);
        if (e.hash != hash) continue;
        key = RecordKey::unpack(e.key);
        next_ = i + 1;
        return true;
    }
    return false;
}

void PassMemory::remember(std::uint64_t hash, RecordKey key) {
    const Entry e{hash, key.packed()};
    if (written_ < next_) {
        at(written_++) = e;
    } else if (next_ == size_) {
        // Past the previous pass's end (a new line, or the first pass): append.
        if ((size_ & (kBlockEntries - 1)) == 0 && (size_ >> kBlockShift) == blocks_.size())
            blocks_.push_back(std::make_unique<Entry[]>(kBlockEntries));
        at(size_++) = e;
        next_ = ++written_;
    } else if (inserted_.size() < kMaxInserted) {
        inserted_.push_back({written_, e});
    } else {
        // Too many lines unlike the previous pass: overwrite it from here on instead.
        at(written_++) = e;
        next_ = written_;
    }
}

void PassMemory::end_pass() {
    // Keep this pass's own entries, then merge the set-aside ones in from the back.
    const std::size_t k = inserted_.size();
    const std::size_t total = written_ + k;
    if (total > size_) resize(total);
    std::size_t out = total, in = written_, n = k;
    while (n > 0) {
        const Inserted& ins = inserted_[n - 1];
        while (in > ins.before) at(--out) = at(--in);
        at(--out) = ins.entry;
        --n;
    }
    resize(total);  // what the file no longer has is forgotten, its blocks freed
    inserted_.clear();
    next_ = written_ = 0;
}

}  // namespace hsm::ingest
