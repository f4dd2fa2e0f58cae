// Where a reader's bytes come from. Production opens the real file; tests substitute sources
// that fail, stop short or change between reads (as LevelDB's Env does), which is how torn and
// failed reads are tested without a kernel.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

namespace hsm::ingest {

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Reads up to `capacity` bytes. Returns the count (0 at end of file) or -1 on error, with
    // `error` saying why.
    virtual long read(char* buffer, std::size_t capacity, std::string& error) = 0;
};

class SourceOpener {
public:
    virtual ~SourceOpener() = default;
    // nullptr (with `error`) when the file cannot be opened, e.g. it vanished on failover.
    virtual std::unique_ptr<ByteSource> open(const std::filesystem::path& path, std::string& error) = 0;
};

// Opens files with open(2) and reads them sequentially with read(2): one descriptor per pass,
// no seeking, because the kernel file re-walks the llog for every read call it cannot satisfy
// (docs/lustre-actions.md, "How a read behaves").
class FileOpener final : public SourceOpener {
public:
    std::unique_ptr<ByteSource> open(const std::filesystem::path& path, std::string& error) override;
};

}  // namespace hsm::ingest
