// Fuzz target: the checkpoint loader (shipper/checkpoint.hpp). The input is the body of a checkpoint
// file; the target adds the magic and a valid XXH3 checksum, so mutations reach the parser
// instead of dying at the checksum. A file that loads must round-trip: saving what was loaded and
// loading it again gives the same state, record by record.
#include <cstdint>
#include <cstdlib>
#include <string>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "scratch_dir.hpp"
#include "shipper/checkpoint.hpp"

using hsm::StateTable;

namespace {

// Same MDTs in the same slots, same records with the same fields.
bool same(const StateTable& a, const StateTable& b) {
    if (a.slots() != b.slots()) return false;
    for (std::uint32_t s = 0; s < a.slots(); ++s) {
        const auto& x = a.at(s);
        const auto& y = b.at(s);
        if (x.name() != y.name() || x.size() != y.size() ||
            x.newest_written.ms != y.newest_written.ms || x.newest_written.seq != y.newest_written.seq)
            return false;
        bool equal = true;
        x.for_each([&](hsm::RecordKey key, const hsm::LiveRecord& r) {
            const hsm::LiveRecord* o = y.find(key);
            if (!o || o->hash != r.hash || o->id_ms != r.id_ms || o->id_seq != r.id_seq ||
                o->first_seen != r.first_seen || y.fid(key, *o) != x.fid(key, r) ||
                y.action(key, *o) != x.action(key, r))
                equal = false;
        });
        if (!equal) return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto& dir = hsm::fuzz::scratch_dir();
    std::string file = "HSMSHIP1";
    file.append(reinterpret_cast<const char*>(data), size);
    const std::uint64_t sum = XXH3_64bits(file.data(), file.size());
    file.append(reinterpret_cast<const char*>(&sum), sizeof sum);
    hsm::fuzz::write_bytes(dir / "in.bin", file);

    StateTable first;
    std::string why;
    if (!hsm::shipper::load_checkpoint(first, dir / "in.bin", why)) {
        if (why.empty() || first.total_records() != 0) std::abort();  // refused: empty, with a reason
        return 0;
    }
    if (!hsm::shipper::save_checkpoint(first, dir / "a.bin", why)) std::abort();
    StateTable second;
    if (!hsm::shipper::load_checkpoint(second, dir / "a.bin", why)) std::abort();
    if (!same(first, second)) std::abort();
    return 0;
}
