// Per-event cost of the consumer hot path without Redis: decoding one entry (simdjson
// on-demand) and applying it to LiveState, alone and together, over a record life cycle.
#include <benchmark/benchmark.h>

#include <vector>

#include "bench_events.hpp"
#include "wire/decoder.hpp"
#include "hsm/consume/live_state.hpp"

using namespace hsm::consume;
namespace wire = hsm::wire;

namespace {

constexpr std::uint32_t kRecords = 100000;

// NEW, UPDATE STARTED and PURGED for each record, as one padded buffer of documents.
struct Corpus {
    std::string bytes;
    std::vector<std::pair<std::size_t, std::size_t>> docs;  // offset, length
    Corpus() {
        const char* mdts[] = {"elm-MDT0000", "elm-MDT0001", "elm-MDT0002", "elm-MDT0003"};
        for (std::uint32_t r = 0; r < kRecords; ++r) add(hsm::bench::event_json(mdts[r % 4], r, "NEW", "WAITING"));
        for (std::uint32_t r = 0; r < kRecords; ++r) add(hsm::bench::event_json(mdts[r % 4], r, "UPDATE", "STARTED"));
        for (std::uint32_t r = 0; r < kRecords / 2; ++r) add(hsm::bench::event_json(mdts[r % 4], r, "PURGED", "PURGED"));
        bytes.append(wire::kJsonPadding, '\0');
    }
    void add(const std::string& j) {
        docs.emplace_back(bytes.size(), j.size());
        bytes += j;
    }
};

const Corpus& corpus() {
    static const Corpus c;
    return c;
}

void BM_Decode(benchmark::State& state) {
    const Corpus& c = corpus();
    wire::Decoder decoder;
    std::string strings;
    strings.reserve(c.bytes.size());
    Event e;
    std::size_t i = 0;
    for (auto _ : state) {
        if (i == c.docs.size()) i = 0, strings.clear();
        const auto [off, len] = c.docs[i++];
        benchmark::DoNotOptimize(decoder.decode(c.bytes.data() + off, len, strings, e));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Decode);

void BM_Apply(benchmark::State& state) {
    const Corpus& c = corpus();
    wire::Decoder decoder;
    std::string strings;
    strings.reserve(c.bytes.size());
    std::vector<Event> events(c.docs.size());
    for (std::size_t i = 0; i < c.docs.size(); ++i)
        decoder.decode(c.bytes.data() + c.docs[i].first, c.docs[i].second, strings, events[i]);
    LiveState live;
    std::size_t i = 0;
    for (auto _ : state) {
        if (i == events.size()) i = 0;
        live.apply(events[i++]);
    }
    benchmark::DoNotOptimize(live.live());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Apply);

void BM_DecodeApply(benchmark::State& state) {
    const Corpus& c = corpus();
    wire::Decoder decoder;
    std::string strings;
    strings.reserve(c.bytes.size());
    LiveState live;
    Event e;
    std::size_t i = 0;
    for (auto _ : state) {
        if (i == c.docs.size()) i = 0, strings.clear();
        const auto [off, len] = c.docs[i++];
        if (decoder.decode(c.bytes.data() + off, len, strings, e).ok()) live.apply(e);
    }
    benchmark::DoNotOptimize(live.live());
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodeApply);

}  // namespace

BENCHMARK_MAIN();
