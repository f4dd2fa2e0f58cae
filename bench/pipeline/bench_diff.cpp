// Diff cost per poll cycle (and the committed state's own costs, below): Differ::compare over every batch of a whole 350,000-line read against
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

namespace {

// The committed state's own costs at 350,000 records, keys in file order as a load makes them:
// inserting every record (the initial load's commits, or a checkpoint load), looking each up
// (a no-change cycle's share), and one walk over all of them (oldest_live_id, the checkpoint's
// serialisation, a re-read's purge scan).
std::vector<hsm::RecordKey> file_order_keys() {
    std::vector<hsm::RecordKey> keys;
    for (const auto& b : hsm::bench::read_batches(hsm::bench::render_actions(kLines), 0, 1))
        for (const auto& l : b.lines) keys.push_back(l.key);
    return keys;
}

void BM_StateUpsert(benchmark::State& state) {
    const auto keys = file_order_keys();
    for (auto _ : state) {
        hsm::MdtState mdt("bench-MDT0000");
        for (const auto& k : keys) mdt.upsert(k, "0x2c000596f:0x1ce71:0x0", "ARCHIVE").hash = k.rec_idx;
        benchmark::DoNotOptimize(mdt.size());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}
BENCHMARK(BM_StateUpsert)->Unit(benchmark::kMillisecond);

void BM_StateFind(benchmark::State& state) {
    const auto keys = file_order_keys();
    hsm::MdtState mdt("bench-MDT0000");
    for (const auto& k : keys) mdt.upsert(k, "0x2c000596f:0x1ce71:0x0", "ARCHIVE");
    for (auto _ : state) {
        std::size_t found = 0;
        for (const auto& k : keys) found += mdt.find(k) != nullptr;
        benchmark::DoNotOptimize(found);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}
BENCHMARK(BM_StateFind)->Unit(benchmark::kMillisecond);

void BM_StateWalk(benchmark::State& state) {
    const auto keys = file_order_keys();
    hsm::MdtState mdt("bench-MDT0000");
    for (const auto& k : keys) mdt.upsert(k, "0x2c000596f:0x1ce71:0x0", "ARCHIVE").id_ms = k.rec_idx;
    for (auto _ : state) {
        std::uint64_t sum = 0;
        mdt.for_each([&](hsm::RecordKey, const hsm::LiveRecord& r) { sum += r.id_ms; });
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(keys.size()));
}
BENCHMARK(BM_StateWalk)->Unit(benchmark::kMillisecond);

}  // namespace
