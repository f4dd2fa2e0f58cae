// The stage contract stands alone: every core/ header, included before anything else, must not
// bring hiredis, toml++, spdlog or CLI11 in (a service header sneaking back into core fails the
// build here), and this program links against hsm_core alone (tests/core/CMakeLists.txt gives it
// no other library), so a core object that calls into a service fails the link. It then uses each
// part once, so the check is of code that runs, not of includes that compile away.
#include "core/event.hpp"
#include "core/line_budget.hpp"
#include "core/mix64.hpp"
#include "core/pipeline.hpp"
#include "core/state.hpp"
#if defined(__HIREDIS_H) || defined(HIREDIS_MAJOR)
#error "a core/ header includes hiredis: the Redis client is services/redis.hpp, not part of the stage contract"
#endif
#if defined(SPDLOG_VER_MAJOR)
#error "a core/ header includes spdlog: logging is services/logging.hpp, not part of the stage contract"
#endif
#if defined(TOML_LIB_MAJOR)
#error "a core/ header includes toml++: the config loader is services/config.hpp, not part of the stage contract"
#endif
#if defined(CLI11_VERSION)
#error "a core/ header includes CLI11: not part of the stage contract"
#endif

#include <cstdio>

int main() {
    int failures = 0;
    auto check = [&](bool ok, const char* what) {
        if (!ok) {
            std::fprintf(stderr, "core contract: %s\n", what);
            ++failures;
        }
    };

    hsm::MdtState state("elm-MDT0000");
    const hsm::RecordKey key{7, 42};
    auto& record = state.upsert(key, "0x200000400:0x1:0x0", "ARCHIVE");
    record.id_ms = 5;
    record.id_seq = 1;
    check(state.size() == 1 && state.find(key) != nullptr, "MdtState keeps an upserted record");
    check(state.fid(key, record) == "0x200000400:0x1:0x0", "MdtState prints the FID back");
    check(state.oldest_live_id().ms == 5 && state.oldest_live_id().seq == 1, "MdtState's oldest live ID is the record's");

    const auto purged = hsm::make_purged(0, key, 0x1234, 200, "elm-MDT0000", "0x200000400:0x1:0x0", "ARCHIVE", 0);
    check(purged.type == hsm::EventType::Purged && purged.status == "PURGED", "make_purged builds a PURGED event");

    hsm::PipelineCounters counters;
    hsm::line_budget::take(counters, 3);
    hsm::line_budget::give_back(counters, 3);
    check(counters.lines_in_flight.load() == 0, "the line budget gives back what it took");

    hsm::EventQueue events;
    events.enqueue(purged);
    hsm::Event out;
    check(events.try_dequeue(out) && out.key == key, "the event queue hands the event on");
    check(hsm::mix64(1) != hsm::mix64(2), "mix64 mixes");

    if (failures == 0) std::puts("core contract: event, state, pipeline, line budget and mix64 stand alone");
    return failures == 0 ? 0 : 1;
}
