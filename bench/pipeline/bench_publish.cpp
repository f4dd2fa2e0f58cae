// Publish cost per event that does not involve Redis: publish::encode_event of NEW and PURGED
// events built from real-format lines, into a reused buffer as the publisher does. Sets the
// ceiling the JSON side puts on shipping rate (target: 250,000 events/s end to end).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "ingest/line_parser.hpp"
#include "input.hpp"
#include "publish/publish.hpp"

namespace {

// Enough distinct events that the encoder reads from memory as it would, not one hot event.
constexpr std::size_t kEvents = 4096;

std::vector<hsm::Event> make_events(hsm::EventType type) {
    const std::string text = hsm::bench::render_actions(kEvents);
    std::vector<hsm::Event> out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        const std::string_view line(text.data() + pos, nl - pos);
        pos = nl + 1;
        hsm::ingest::ParsedLine p;
        if (hsm::ingest::parse_line(line, p) != hsm::ingest::ParseError::None) continue;
        hsm::Event e;
        e.type = type;
        e.key = p.key;
        e.hash = hsm::ingest::fingerprint(line);
        e.timestamp = 1'700'000'000;
        e.mdt = "bench-MDT0000";
        e.fid = p.fid;
        e.action = p.action;
        e.status = type == hsm::EventType::Purged ? std::string("PURGED") : std::string(p.status);
        if (type != hsm::EventType::Purged) e.raw = line;
        out.push_back(std::move(e));
    }
    return out;
}

void encode(benchmark::State& state, hsm::EventType type) {
    const auto events = make_events(type);
    std::string out;
    std::size_t i = 0, bytes = 0;
    for (auto _ : state) {
        out.clear();
        hsm::publish::encode_event(events[i], out);
        benchmark::DoNotOptimize(out.data());
        bytes += out.size();
        if (++i == events.size()) i = 0;
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.counters["json_bytes"] = static_cast<double>(bytes) / static_cast<double>(state.iterations());
    state.SetLabel(hsm::bench::input_source());
}

void BM_EncodeNew(benchmark::State& state) { encode(state, hsm::EventType::New); }
BENCHMARK(BM_EncodeNew);

void BM_EncodePurged(benchmark::State& state) { encode(state, hsm::EventType::Purged); }
BENCHMARK(BM_EncodePurged);

}  // namespace

BENCHMARK_MAIN();
