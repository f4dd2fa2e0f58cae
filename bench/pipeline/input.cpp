// Renders benchmark inputs (see input.hpp). The local formatter exists only so the benchmarks
// build before or without hsm_sim; both print the kernel's format, ~230 bytes per line.
#include "input.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "ingest/ingest.hpp"

#ifdef HSM_BENCH_HAVE_SIM
#include "sim/simulator.hpp"
#endif

namespace hsm::bench {

namespace {

#ifndef HSM_BENCH_HAVE_SIM
// A splitmix64 step: cheap, deterministic, good enough to spread statuses and cookies.
std::uint64_t next_random(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string render_local(std::size_t lines, std::uint32_t mdt_index, std::uint64_t seed) {
    // Records per plain llog before the next catalog slot (as hsm_sim's default, see its Config).
    constexpr std::uint32_t kPerSlot = 64767;
    static constexpr const char* kStatus[] = {"WAITING", "WAITING", "WAITING", "STARTED",
                                              "STARTED", "SUCCEED", "FAILED",  "CANCELED"};
    static constexpr const char* kAction[] = {"ARCHIVE", "ARCHIVE", "ARCHIVE", "RESTORE", "REMOVE"};
    std::string out;
    out.reserve(lines * 256);
    std::uint64_t rng = seed * 0x100000001b3ULL + mdt_index;
    const std::uint64_t fid_seq = 0x200000400ULL + (std::uint64_t{mdt_index} << 32);
    char buf[512];
    for (std::size_t i = 0; i < lines; ++i) {
        const std::uint64_t r = next_random(rng);
        const auto oid = static_cast<unsigned>(0x1000 + i);
        const int n = std::snprintf(
            buf, sizeof buf,
            "lrh=[type=10680000 len=192 idx=%u/%u] fid=[0x%llx:0x%x:0x0] dfid=[0x%llx:0x%x:0x0] "
            "compound/cookie=0x0/0x%llx action=%s archive#=1 flags=0x0 "
            "extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=%s data=[7461673D6D]\n",
            static_cast<unsigned>(1 + i / kPerSlot), static_cast<unsigned>(1 + i % kPerSlot),
            static_cast<unsigned long long>(fid_seq), oid, static_cast<unsigned long long>(fid_seq),
            oid, static_cast<unsigned long long>(0x69000000ULL + i), kAction[r % 5],
            kStatus[(r >> 8) % 8]);
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}
#endif

}  // namespace

namespace {
class MemorySource final : public ingest::ByteSource {
public:
    explicit MemorySource(const std::string& content) : content_(content) {}
    long read(char* buffer, std::size_t capacity, std::string&) override {
        const std::size_t n = std::min(capacity, content_.size() - pos_);
        std::memcpy(buffer, content_.data() + pos_, n);
        pos_ += n;
        return static_cast<long>(n);
    }

private:
    const std::string& content_;
    std::size_t pos_ = 0;
};
}  // namespace

std::unique_ptr<ingest::ByteSource> MemoryOpener::open(const std::filesystem::path&, std::string&) {
    return std::make_unique<MemorySource>(content_);
}

std::vector<ReadBatch> read_batches(const std::string& content, std::uint32_t mdt_slot,
                                    std::uint32_t cycle) {
    MemoryOpener opener(content);
    ingest::MdtReader reader({"bench-MDT0000", "memory"}, mdt_slot, opener);
    std::vector<ReadBatch> out;
    ingest::PassRequest request;
    request.cycle = cycle;
    reader.read_pass(request, [&](ReadBatch&& b) { out.push_back(std::move(b)); });
    return out;
}

const char* input_source() {
#ifdef HSM_BENCH_HAVE_SIM
    return "hsm_sim";
#else
    return "local";
#endif
}

std::string render_actions(std::size_t lines, std::uint32_t mdt_index, std::uint64_t seed) {
#ifdef HSM_BENCH_HAVE_SIM
    sim::Config cfg;
    cfg.mdt_index = mdt_index;
    cfg.seed = seed;
    cfg.live_target = lines;
    return sim::Simulator(cfg).render(sim::LineFormat::Kernel);
#else
    return render_local(lines, mdt_index, seed);
#endif
}

std::string change_statuses(const std::string& content, std::size_t every) {
    constexpr std::string_view kField = "status=";
    std::string out;
    out.reserve(content.size() + content.size() / 200);
    std::size_t pos = 0, line_no = 0;
    while (pos < content.size()) {
        std::size_t end = content.find('\n', pos);
        end = end == std::string::npos ? content.size() : end + 1;
        const std::string_view line(content.data() + pos, end - pos);
        const std::size_t f = line.find(kField);
        if (line_no++ % every != 0 || f == std::string_view::npos) {
            out.append(line);
        } else {
            const std::size_t v = f + kField.size();
            std::size_t v_end = line.find_first_of(" \n", v);
            if (v_end == std::string_view::npos) v_end = line.size();
            const std::string_view old = line.substr(v, v_end - v);
            out.append(line.substr(0, v));
            out.append(old == "STARTED" ? "SUCCEED" : "STARTED");
            out.append(line.substr(v_end));
        }
        pos = end;
    }
    return out;
}

}  // namespace hsm::bench
