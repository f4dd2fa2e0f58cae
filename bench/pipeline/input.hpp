// Benchmark inputs: whole hsm/actions files of N real-format (kernel) lines, rendered by the
// simulator (hsm_sim) when it is built, else by a local formatter of the same line format
// (docs/lustre-actions.md), plus a deterministic "1% of records changed status" edit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/pipeline.hpp"
#include "ingest/byte_source.hpp"

namespace hsm::bench {

// The content of one MDT's hsm/actions file: `lines` records, each ending in '\n'. Same
// arguments, same bytes. `mdt_index` picks the FID range, so MDTs of one run differ.
std::string render_actions(std::size_t lines, std::uint32_t mdt_index = 0, std::uint64_t seed = 1);

// Rewrites the status of every `every`-th line in place of the kernel (same idx, new status):
// WAITING/SUCCEED/FAILED/CANCELED -> STARTED, STARTED -> SUCCEED. every = 100 is a 1% change.
std::string change_statuses(const std::string& content, std::size_t every);

// Serves one in-memory file to MdtReader, in read(2)-sized pieces like the kernel file, so the
// ingest and diff benchmarks measure parsing and comparing, not the page cache.
class MemoryOpener final : public ingest::SourceOpener {
public:
    explicit MemoryOpener(const std::string& content) : content_(content) {}
    std::unique_ptr<ingest::ByteSource> open(const std::filesystem::path&, std::string&) override;

private:
    const std::string& content_;
};

// The batches one read pass over `content` hands the diff thread (final batch last), exactly as
// the shipper's MdtReader cuts them.
std::vector<ReadBatch> read_batches(const std::string& content, std::uint32_t mdt_slot,
                                    std::uint32_t cycle);

// Which generator render_actions uses: "hsm_sim" or "local".
const char* input_source();

}  // namespace hsm::bench
