// What a reader remembers of its previous pass, so an unchanged line is not parsed again.
//
// The kernel prints hsm/actions afresh on every read, so every line must be read and
// fingerprinted each cycle; parsing it need not be repeated. Between two polls most lines are
// byte for byte what they were, in the same order. PassMemory keeps, per line of the previous
// pass and in file order, its fingerprint and its record key (16 bytes a line: 16 MB at
// 1,000,000 lines). A line whose fingerprint equals the one expected at its position (or one a
// little further on: lines removed before it) is that same line, so its key is known and the
// parse is skipped; the reader then leaves the fid/action/status offsets to be located only if
// the diff builds an event from the line (ReadBatch::locate_fields). Whatever the memory holds,
// a recalled key is the key of a line with the same fingerprint, which the diff already treats as
// the same line: the order only decides how often it hits, never what a line means.
//
// Used by one reader on one thread at a time; no allocation per line once it has grown to the
// file's size (one 64 KiB block per 4,096 lines; a line inserted before unconsumed entries goes to
// a small side list, merged in at the end of the pass).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/event.hpp"

namespace hsm::ingest {

class PassMemory {
public:
    // Starts a pass over the file: expect the previous pass's first line.
    void begin_pass();
    // The key of the line with fingerprint `hash` if the previous pass had it at the expected
    // position or up to kLookahead lines after it (those skipped are forgotten).
    bool recall(std::uint64_t hash, RecordKey& key);
    // Records the current line (recalled or parsed), in file order. Call once per good line.
    void remember(std::uint64_t hash, RecordKey key);
    // Ends the pass (complete or not): what was remembered during it becomes the previous pass.
    void end_pass();

    std::size_t size() const { return size_; }
    std::size_t capacity_bytes() const { return blocks_.size() * kBlockEntries * sizeof(Entry); }

    // How far past the expected line a match is looked for (a run of removed lines longer than
    // this costs a parse per line for the rest of the pass, and is back in step the next one).
    static constexpr std::size_t kLookahead = 64;
    // Lines inserted ahead of unconsumed entries kept aside before the memory gives up keeping
    // the previous pass's tail (a file replaced by a different one: bounded memory, no merge).
    static constexpr std::size_t kMaxInserted = 4096;

private:
    struct Entry {
        std::uint64_t hash;
        std::uint64_t key;  // RecordKey::packed()
    };
    struct Inserted {
        std::size_t before;  // index in the pass's own order ([0, written_)) it precedes
        Entry entry;
    };
    // Entries in blocks of fixed size, so growing never copies what is there nor holds two
    // copies at once (a vector doubling through 1,000,000 entries would briefly hold 24 MB, at
    // the very moment the first load peaks). [0, written_): this pass so far; [next_, size_):
    // the previous pass.
    static constexpr std::size_t kBlockShift = 12;
    static constexpr std::size_t kBlockEntries = std::size_t{1} << kBlockShift;  // 64 KiB a block
    Entry& at(std::size_t i) { return blocks_[i >> kBlockShift][i & (kBlockEntries - 1)]; }
    void resize(std::size_t n);
    std::vector<std::unique_ptr<Entry[]>> blocks_;
    std::size_t size_ = 0;
    std::vector<Inserted> inserted_;
    std::size_t next_ = 0;     // the previous pass's entry the next line is expected to match
    std::size_t written_ = 0;  // entries of this pass stored in place (always <= next_)
};

}  // namespace hsm::ingest
