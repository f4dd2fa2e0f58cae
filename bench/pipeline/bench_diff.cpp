// Diff cost per poll cycle: Differ::compare over every batch of a whole 350,000-line read against
// a committed state of the same 350,000 records, with no change and with 1% of statuses changed
// (3,500 UPDATE events built). This is the diff thread's share of a no-change cycle's budget.
#include <benchmark/benchmark.h>

#include <vector>

#include "core/state.hpp"
#include "diff/diff.hpp"
#include "input.hpp"

namespace {

constexpr std::size_t kLines = 350'000;

// A state that has committed every record of `content`: cycle 1 emits a NEW per line and each
// is acknowledged with an entry ID, as after the initial shipping.
void commit_all(hsm::diff::Differ& differ, const std::string& content) {
    std::vector<hsm::Event> events;
    auto batches = hsm::bench::read_batches(content, 0, 1);
    for (auto& b : batches) {
        if (b.final) break;
        differ.compare(b, [&](hsm::Event&& e) { events.push_back(std::move(e)); });
    }
    std::uint64_t seq = 0;
    for (auto& e : events) {
        e.id = {1'700'000'000'000ULL, ++seq};
        differ.acknowledge(e);
    }
}

// state.range(0): one line in N has a new status (0: no change).
void BM_DiffCycle(benchmark::State& state) {
    const std::size_t every = static_cast<std::size_t>(state.range(0));
    const std::string base = hsm::bench::render_actions(kLines);
    hsm::StateTable table;
    const std::uint32_t slot = table.slot_of("bench-MDT0000");
    hsm::PipelineCounters counters;
    hsm::diff::Differ differ(table, counters);
    commit_all(differ, base);
    if (table.at(slot).size() != kLines) {
        state.SkipWithError("committed state does not hold every line");
        return;
    }
    std::vector<hsm::ReadBatch> batches =
        hsm::bench::read_batches(every ? hsm::bench::change_statuses(base, every) : base, slot, 2);
    std::vector<hsm::Event> emitted;
    emitted.reserve(kLines / (every ? every : kLines) + 1);
    std::uint32_t cycle = 1;
    std::size_t unchanged = 0, events = 0;
    for (auto _ : state) {
        ++cycle;
        for (auto& b : batches) {
            b.cycle = cycle;
            if (b.final)
                benchmark::DoNotOptimize(differ.finish_pass(b, [&](hsm::Event&& e) {
                    emitted.push_back(std::move(e));
                }));
            else
                unchanged += differ.compare(b, [&](hsm::Event&& e) { emitted.push_back(std::move(e)); });
        }
        state.PauseTiming();
        // Redis "refuses" them: nothing is committed, so the next iteration sees the same change.
        events += emitted.size();
        for (const auto& e : emitted) differ.acknowledge(e);
        emitted.clear();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLines));
    state.counters["events/cycle"] = static_cast<double>(events) / static_cast<double>(state.iterations());
    state.counters["unchanged/cycle"] = static_cast<double>(unchanged) / static_cast<double>(state.iterations());
    state.SetLabel(hsm::bench::input_source());
}
BENCHMARK(BM_DiffCycle)->ArgName("one_in")->Arg(0)->Arg(100)->Unit(benchmark::kMillisecond);

}  // namespace
