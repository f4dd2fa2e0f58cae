// The ingest stage: find the MDTs on this host and read each one's hsm/actions file into batches
// of fingerprinted lines for the diff stage, parsed unless the reader's previous pass had them
// (pass_memory.hpp). It never sees the committed state.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/pipeline.hpp"
#include "ingest/byte_source.hpp"
#include "ingest/line_parser.hpp"
#include "ingest/pass_memory.hpp"

namespace hsm::ingest {

struct MdtFile {
    std::string mdt;  // directory two levels above the file, e.g. "elm-MDT0003"
    std::filesystem::path path;
};

// Expands the glob (re-evaluated every cycle: MDTs come and go on failover). Sorted by MDT name.
std::vector<MdtFile> discover(const std::string& glob_pattern);

// Receives batches; may block (backpressure) but must not drop.
using BatchSink = std::function<void(ReadBatch&&)>;

struct PassRequest {
    std::uint32_t cycle = 0;
    std::uint8_t pass = 1;
    std::int64_t observed_at = 0;
    const std::atomic<bool>* stop = nullptr;  // abandon the pass (reported incomplete) when set
};

// Reads one MDT's file. One instance per MDT, used by one thread at a time.
class MdtReader {
public:
    // `pool` (may be null) supplies recycled read buffers; it must outlive the reader.
    MdtReader(MdtFile file, std::uint32_t mdt_slot, SourceOpener& opener, BufferPool* pool = nullptr);

    // One pass: open, read sequentially to EOF through one descriptor, fingerprint every line and
    // parse those the previous pass did not have (pass_memory.hpp; the others reach the diff with
    // fields_located false and ReadBatch::locate_fields set), hand batches to `sink`, end with a
    // final batch. Bad lines are counted and logged
    // (rate-limited, with file and line number), never fatal. A last line without its newline is
    // a torn read: the pass is reported incomplete.
    void read_pass(const PassRequest& request, const BatchSink& sink);

    const MdtFile& file() const { return file_; }

private:
    struct PassState;
    void scan_buffer(PassState& ps, std::size_t end, bool at_eof);
    void process_line(PassState& ps, std::size_t begin, std::size_t end);
    void report_bad_line(PassState& ps, std::string_view why);

    MdtFile file_;
    std::uint32_t slot_;
    SourceOpener& opener_;
    BufferPool* pool_;
    PassMemory memory_;  // the previous pass's lines, to skip parsing unchanged ones
};

}  // namespace hsm::ingest
