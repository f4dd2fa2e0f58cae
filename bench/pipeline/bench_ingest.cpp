// Ingest cost per line and per read pass: parse_line + fingerprint (XXH3) on real-format lines,
// each alone and together, then a whole MdtReader pass over 350,000 lines held in memory. These
// are the per-line costs every poll cycle pays for every live record, changed or not.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingest.hpp"
#include "ingest/line_parser.hpp"
#include "input.hpp"

namespace {

// A large site's live record count (docs/lustre-actions.md: 351,204 in the product page).
constexpr std::size_t kLines = 350'000;

const std::string& content() {
    static const std::string c = hsm::bench::render_actions(kLines);
    return c;
}

std::vector<std::string_view> split_lines(const std::string& text) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        out.emplace_back(text.data() + pos, nl - pos);
        pos = nl + 1;
    }
    return out;
}

const std::vector<std::string_view>& lines() {
    static const std::vector<std::string_view> l = split_lines(content());
    return l;
}

// Walks the 350,000 distinct lines in file order, one line per iteration, so caches see what a
// real pass gives them (each line once) rather than one hot line.
template <class F>
void per_line(benchmark::State& state, F&& f) {
    const auto& ls = lines();
    std::size_t i = 0, bytes = 0;
    for (auto _ : state) {
        const std::string_view line = ls[i];
        f(line);
        bytes += line.size() + 1;
        if (++i == ls.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.SetLabel(hsm::bench::input_source());
}

void BM_ParseLine(benchmark::State& state) {
    per_line(state, [](std::string_view line) {
        hsm::ingest::ParsedLine p;
        benchmark::DoNotOptimize(hsm::ingest::parse_line(line, p));
        benchmark::DoNotOptimize(p);
    });
}
BENCHMARK(BM_ParseLine);

void BM_Fingerprint(benchmark::State& state) {
    per_line(state, [](std::string_view line) {
        benchmark::DoNotOptimize(hsm::ingest::fingerprint(line));
    });
}
BENCHMARK(BM_Fingerprint);

void BM_ParseAndFingerprint(benchmark::State& state) {
    per_line(state, [](std::string_view line) {
        hsm::ingest::ParsedLine p;
        benchmark::DoNotOptimize(hsm::ingest::parse_line(line, p));
        benchmark::DoNotOptimize(p);
        benchmark::DoNotOptimize(hsm::ingest::fingerprint(line));
    });
}
BENCHMARK(BM_ParseAndFingerprint);

// One whole pass as a reader thread does it: 1 MiB reads, memchr for newlines, hash, LineRef per
// line, batches handed to a sink (here dropped, as the diff thread frees them). One reader is kept
// across passes as in the daemon, so lines the previous pass had are not parsed again
// (ingest/pass_memory.hpp). state.range(0): 0, every pass reads the same file (a no-change
// cycle); N, passes alternate between the file and a copy with one status in N changed (a churn
// cycle: 1% of lines differ from the previous pass); -1, a fresh reader per pass parses every line
// (the first cycle after a start, and every cycle before the reader remembered its last pass).
// Serves two file versions in turn, one per open.
class AlternatingOpener final : public hsm::ingest::SourceOpener {
public:
    AlternatingOpener(const std::string& a, const std::string& b) : a_(a), b_(b) {}
    std::unique_ptr<hsm::ingest::ByteSource> open(const std::filesystem::path& p, std::string& error) override {
        return (opens_++ % 2 ? b_ : a_).open(p, error);
    }

private:
    hsm::bench::MemoryOpener a_, b_;
    std::size_t opens_ = 0;
};

void BM_ReadPass(benchmark::State& state) {
    const std::string& text = content();
    const long mode = state.range(0);
    const std::string changed = mode > 0 ? hsm::bench::change_statuses(text, static_cast<std::size_t>(mode)) : text;
    AlternatingOpener opener(text, changed);
    hsm::ingest::MdtReader kept({"bench-MDT0000", "memory"}, 0, opener);
    std::size_t batches = 0, recalled = 0, lines = 0, pass = 0;
    const auto sink = [&](hsm::ReadBatch&& b) {
        ++batches;
        for (const auto& l : b.lines) recalled += l.fields_located ? 0 : 1;
        lines += b.lines.size();
        benchmark::DoNotOptimize(b.lines.data());
    };
    // The first pass of a kept reader fills its memory; it is not what is measured.
    hsm::ingest::PassRequest warm;
    kept.read_pass(warm, [](hsm::ReadBatch&&) {});
    for (auto _ : state) {
        hsm::ingest::PassRequest request;
        request.cycle = static_cast<std::uint32_t>(++pass);
        if (mode < 0) {
            hsm::ingest::MdtReader fresh({"bench-MDT0000", "memory"}, 0, opener);
            fresh.read_pass(request, sink);
        } else {
            kept.read_pass(request, sink);
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLines));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
    state.counters["batches/pass"] = static_cast<double>(batches) / static_cast<double>(state.iterations());
    state.counters["parsed/pass"] =
        static_cast<double>(lines - recalled) / static_cast<double>(state.iterations());
    state.SetLabel(hsm::bench::input_source());
}
BENCHMARK(BM_ReadPass)->ArgName("one_in")->Arg(0)->Arg(100)->Arg(-1)->Unit(benchmark::kMillisecond);

}  // namespace
