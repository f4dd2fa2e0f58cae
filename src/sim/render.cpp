// From live records to file content: the Live -> Record expansion, whole-file rendering, and the
// replacement of an actions file (through services/file_output, like every file the suite writes). Lines go through one reused buffer, so rendering a
// million records makes no per-line allocation.
#include <stdexcept>

#include "services/file_output.hpp"
#include "sim/state.hpp"

namespace hsm::sim {

namespace {

using detail::kDataKinds;

// Heads of the opaque data copytools receive (`lfs hsm_archive --data tag=...`); the kernel shows
// only the first 5 bytes. "tag=m" is the real line's 7461673D6D.
constexpr std::array<std::array<std::uint8_t, 5>, kDataKinds> kDataHeads = {{
    {'t', 'a', 'g', '=', 'm'},
    {'t', 'a', 'g', '=', 's'},
    {'p', 'r', 'i', 'o', '='},
    {'m', 'o', 'd', 'e', '='},
}};

// Bytes handed to write() at once: few system calls, and memory bounded whatever the file size.
constexpr std::size_t kWriteChunk = 1 << 20;
// A line guess for reserve(): kernel lines are 220 to 260 characters.
constexpr std::size_t kTypicalLine = 256;

}  // namespace

Record detail::Engine::to_record(const Live& r) const {
    Record out;
    const std::uint64_t per_slot = cfg.records_per_slot;
    const std::uint64_t slot = (first_slot - 1 + r.seq / per_slot) % kCatalogSlots;
    // Slot numbers start at 1; record index 0 is the llog header.
    out.catalog_slot = static_cast<std::uint32_t>(1 + slot);
    out.record_index = static_cast<std::uint32_t>(1 + r.seq % per_slot);
    out.fid = Fid{r.fid_seq, r.fid_oid, 0};
    out.dfid = out.fid;  // the data FID equals the FID except during a layout swap
    out.cookie = r.cookie;
    out.action = r.action;
    out.archive_id = r.archive_id;
    out.datalen = r.datalen;
    out.data = kDataHeads[r.data_kind];
    out.status = r.status;
    return out;
}

void Simulator::render(std::string& out, LineFormat format) const {
    out.reserve(out.size() + state_->live.size() * kTypicalLine);
    char line[kMaxLineLength + 1];
    for (const auto& r : state_->live) {
        const std::size_t n = format_line(state_->to_record(r), format, line);
        line[n] = '\n';
        out.append(line, n + 1);
    }
}

std::string Simulator::render(LineFormat format) const {
    std::string out;
    render(out, format);
    return out;
}

void Simulator::write_atomic(const std::filesystem::path& file, LineFormat format) const {
    files::WriteOptions options;
    options.new_file_mode = 0644;
    options.create_parents = true;
    // No fsync: the rename is for readers' atomic view, not for crash safety of a fake file.
    std::string why;
    const bool ok = files::write_file(
        file,
        [&](int fd, std::string& w) {
            std::vector<char> buf(kWriteChunk + kMaxLineLength + 1);
            std::size_t fill = 0;
            for (const auto& r : state_->live) {
                fill += format_line(state_->to_record(r), format, buf.data() + fill);
                buf[fill++] = '\n';
                if (fill >= kWriteChunk) {
                    if (!files::write_all(fd, buf.data(), fill, file.string(), w)) return false;
                    fill = 0;
                }
            }
            return files::write_all(fd, buf.data(), fill, file.string(), w);
        },
        options, why);
    if (!ok) throw std::runtime_error(why);
}

}  // namespace hsm::sim
