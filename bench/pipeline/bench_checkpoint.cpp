// Checkpoint cost: save_checkpoint of a 350,000-record state (serialize, write, fsync, rename).
// The coordinator pays it after a third of the live set changed and at shutdown
// (docs/checkpoint.md), so its cost divided by that many changes is the per-change share; its
// buffer is part of the daemon's peak memory.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/state.hpp"
#include "diff/diff.hpp"
#include "input.hpp"
#include "shipper/checkpoint.hpp"

namespace {

constexpr std::size_t kLines = 350'000;

void BM_CheckpointSave(benchmark::State& state) {
    hsm::StateTable table;
    table.slot_of("bench-MDT0000");
    hsm::PipelineCounters counters;
    hsm::diff::Differ differ(table, counters);
    std::vector<hsm::Event> events;
    for (auto& b : hsm::bench::read_batches(hsm::bench::render_actions(kLines), 0, 1))
        if (!b.final) differ.compare(b, [&](hsm::Event&& e) { events.push_back(std::move(e)); });
    std::uint64_t seq = 0;
    for (auto& e : events) {
        e.id = {1'700'000'000'000ULL, ++seq};
        differ.acknowledge(e);
    }
    events = {};
    char dir_template[] = "/tmp/hsm-bench-ckpt.XXXXXX";
    const char* dir = ::mkdtemp(dir_template);
    if (!dir) {
        state.SkipWithError("mkdtemp failed");
        return;
    }
    const std::filesystem::path path = std::filesystem::path(dir) / "state.bin";
    std::string why;
    for (auto _ : state) {
        if (!hsm::shipper::save_checkpoint(table, path, why)) {
            state.SkipWithError(why.c_str());
            break;
        }
    }
    std::error_code ec;
    state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path, ec)) / 1e6;
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kLines));
    std::filesystem::remove_all(dir, ec);
}
BENCHMARK(BM_CheckpointSave)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
