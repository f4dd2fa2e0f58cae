// One poll cycle: discover the MDT files, verify their streams (ownership.cpp), read every MDT
// in parallel through the line budget, wait for the diff thread's reports, flush the publisher,
// commit and checkpoint (when the snapshot policy says so: checkpointing.cpp), then hand the trim
// points to the GC (gc_handoff.cpp).
#include <malloc.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <thread>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/line_budget.hpp"
#include "shipper/impl.hpp"

namespace hsm::shipper {

// MDTs come and go (failover). A vanished MDT's state is dropped without PURGED events: its new
// host continues the stream.
void Shipper::Impl::update_mdts(const std::vector<ingest::MdtFile>& files) {
    std::map<std::uint32_t, std::unique_ptr<ingest::MdtReader>> current;
    for (const auto& f : files) {
        const std::uint32_t slot = state.slot_of(f.mdt);
        auto it = readers.find(slot);
        if (it != readers.end() && it->second->file().path == f.path) {
            current[slot] = std::move(it->second);
            continue;
        }
        if (it == readers.end()) spdlog::info("{}: watching {}", f.mdt, f.path.string());
        current[slot] = std::make_unique<ingest::MdtReader>(f, slot, opener, &buffers);
    }
    for (auto& [slot, reader] : readers) {
        if (current.count(slot)) continue;
        spdlog::warn("{}: {} vanished (failover?); dropping its local state, shipping no PURGED",
                     state.at(slot).name(), reader->file().path.string());
        state.drop(slot);
        agreed.erase(slot);  // its next agreement is with the state it will then have
        unsure.erase(slot);
        standby.erase(slot);  // when it comes back, its takeover is a failover, not a collision
        diff.differ().dirty = true;
    }
    readers = std::move(current);
}

// Backpressure (core/line_budget.hpp): wait, counted, while too many lines are in flight; never drop.
void Shipper::Impl::sink(ReadBatch&& batch) {
    line_budget::take(counters, static_cast<std::uint32_t>(batch.lines.size()));
    inbox.enqueue(std::move(batch));
}

// A stop gives the cycle in hand kShutdownGrace in all, counted from when a wait first saw it:
// reading and shipping what was read share it, so a cycle stopped mid-read on a saturated CPU
// cannot spend one grace reading and another shipping. What is acknowledged by then is
// committed and checkpointed; what is not is read again at the next start (nothing is lost).
Clock::time_point Shipper::Impl::grace_end() {
    if (stopping && stop_deadline == Clock::time_point::max()) stop_deadline = Clock::now() + kShutdownGrace;
    return stop_deadline;
}

bool Shipper::Impl::wait_report(DiffReport& report, Clock::time_point deadline) {
    while (Clock::now() < deadline) {
        if (reports.wait_dequeue_timed(report, kReportWaitMicros)) return true;
    }
    return false;
}

// Pass 1 over every MDT in parallel; a confirming pass 2 for each MDT whose read lacked
// committed records. Returns when every pass has been compared.
void Shipper::Impl::read_all(std::int64_t now) {
    std::vector<std::thread> threads;
    const auto launch = [&](ingest::MdtReader* reader, std::uint8_t pass) {
        ingest::PassRequest req{cycle, pass, now, &stopping};
        threads.emplace_back([this, reader, req] {
            reader->read_pass(req, [this](ReadBatch&& b) { sink(std::move(b)); });
        });
    };
    // An MDT whose stream could not be checked (Redis unreachable) is not read: diffing against
    // state the stream may contradict could ship a storm of NEWs the moment Redis answers.
    std::size_t open_passes = 0;
    for (auto& [slot, reader] : readers) {
        if (!options.dry_run && (!state.at(slot).stream_verified || unchecked.count(slot))) continue;
        launch(reader.get(), 1);
        ++open_passes;
    }
    DiffReport report;
    while (open_passes > 0) {
        const Clock::time_point deadline = grace_end();
        if (!wait_report(report, std::min(deadline, Clock::now() + 100ms))) {
            if (Clock::now() >= deadline) break;
            continue;
        }
        if (report.kind != DiffReport::Kind::PassDone) continue;
        if (report.pass == 1 && report.complete && report.missing > 0 && !stopping) {
            counters.rereads.fetch_add(1, std::memory_order_relaxed);
            launch(readers.at(report.mdt_slot).get(), 2);
            continue;
        }
        --open_passes;
    }
    for (auto& t : threads) t.join();
}

// Waits until every event emitted so far came back from the publisher; returns how many failed.
// Nothing when a stop made it give up: the diff thread may then still be busy, so the caller
// must not touch the state (shutdown() stops the threads, then checkpoints).
std::optional<std::uint64_t> Shipper::Impl::flush() {
    inbox.enqueue(FlushRequest{});
    DiffReport report;
    while (true) {
        const Clock::time_point deadline = grace_end();  // what is left of the read's grace
        if (!wait_report(report, std::min(deadline, Clock::now() + 100ms))) {
            if (Clock::now() >= deadline) return std::nullopt;
            continue;
        }
        if (report.kind == DiffReport::Kind::Flushed) return report.failed;
    }
}

CycleSummary Shipper::run_cycle() {
    Impl& s = *impl_;
    const auto t0 = Clock::now();
    ++s.cycle;
    const std::uint64_t new_before = s.counters.events_new, update_before = s.counters.events_update,
                        purged_before = s.counters.events_purged;
    s.apply_gc_findings(false);
    s.update_mdts(ingest::discover(s.config.mdt_watch_glob));
    CycleSummary sum;
    sum.unshipped_mdts = s.verify_streams();
    s.read_all(static_cast<std::int64_t>(std::time(nullptr)));
    const std::optional<std::uint64_t> flushed = s.flush();
    sum.failed = flushed.value_or(0);
    double checkpoint_seconds = 0;
    if (flushed) {
        // A repair stays a repair until Redis acknowledged it: events of a rebuild that failed
        // (the publisher found Redis gone again) go out next cycle still tagged "source":
        // "maintenance".
        if (sum.failed == 0)
            for (auto& [slot, reader] : s.readers)
                if (s.state.at(slot).stream_verified && !s.unchecked.count(slot)) s.state.at(slot).repairing = false;
        const auto checkpoint_start = Clock::now();
        sum.checkpoint_ok = s.checkpoint();
        checkpoint_seconds = std::chrono::duration<double>(Clock::now() - checkpoint_start).count();
        s.post_gc_jobs();
        sum.live = s.state.total_records();
    }
    sum.mdts = s.readers.size();
    const std::uint64_t news = s.counters.events_new - new_before,
                        updates = s.counters.events_update - update_before,
                        purges = s.counters.events_purged - purged_before;
    sum.shipped = news + updates + purges;
    // A big cycle (the initial load, a takeover) leaves megabytes of freed event strings spread
    // through the heap; hand them back so the daemon's RSS returns to its working set.
    if (sum.shipped >= kTrimHeapAfterEvents) malloc_trim(0);
    sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    // The reason (a refusal, a lost connection) is logged once by the publisher; this says what
    // it cost, once per streak of failing cycles.
    if (sum.failed && !s.options.dry_run && !std::exchange(s.unacked_logged, true))
        spdlog::warn("cycle {}: {} events not acknowledged by redis; they will be retried{}",
                     s.cycle, sum.failed, s.options.one_shot ? "" : " every cycle");
    else if (sum.failed && !s.options.dry_run)
        spdlog::debug("cycle {}: {} events not acknowledged by redis", s.cycle, sum.failed);
    else if (!sum.failed && std::exchange(s.unacked_logged, false))
        spdlog::info("cycle {}: every event acknowledged again", s.cycle);
    s.counters.cycles.fetch_add(1, std::memory_order_relaxed);
    s.counters.last_cycle_micros.store(static_cast<std::uint64_t>(sum.seconds * 1e6), std::memory_order_relaxed);
    // Not on the way out: a stop must finish within the 5 s systemd allows.
    if (s.heartbeat && !s.stopping) s.heartbeat->write({checkpoint_seconds, sum.checkpoint_ok, s.shipped_mdts()}, s.counters);
    // One line per cycle that changed something; quiet cycles only at debug level.
    spdlog::log(sum.shipped ? spdlog::level::info : spdlog::level::debug,
                "cycle {}: {} MDTs, {} live, {} shipped in {:.3f} s ({} new, {} updated, {} purged)",
                s.cycle, sum.mdts, sum.live, sum.shipped, sum.seconds, news, updates, purges);
    return sum;
}

}  // namespace hsm::shipper
