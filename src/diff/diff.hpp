// The diff stage: compares each read with the committed state and turns differences into
// NEW/UPDATE/PURGED events; commits an event into the state only when Redis acknowledged it
// (ship-then-commit), so a failed XADD is simply found again by the next cycle.
//
// Differ is the logic, free of threads and queues so tests drive it call by call; DiffStage runs
// it on the diff thread between the inbox and the publisher's queue.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>
#include <utility>
#include <vector>

#include "core/pipeline.hpp"
#include "core/state.hpp"
#include "diff/in_flight.hpp"

namespace hsm::diff {

using EventSink = std::function<void(Event&&)>;

class Differ {
public:
    Differ(StateTable& state, PipelineCounters& counters) : state_(state), counters_(counters) {}

    // Compares a batch of lines with the state (and with events already in flight), emitting an
    // event per changed line. Returns how many lines needed no event.
    std::size_t compare(const ReadBatch& batch, const EventSink& emit);

    // Ends a pass. After a complete pass 1 it counts the committed records the read did not print
    // (the caller re-reads when there are any: a single read is no proof of removal,
    // docs/lustre-actions.md); after a complete pass 2 it emits PURGED for those the re-read
    // lacked too. An incomplete pass purges nothing.
    DiffReport finish_pass(const ReadBatch& final_batch, const EventSink& emit);

    // Applies Redis's verdict on one event: commit it (ID present) or forget it (no ID).
    void acknowledge(const Event& event);

    // Sends an event that no read produced (a GC repair), counted in flight like the others.
    void inject(Event&& event, const EventSink& emit);

    // Events Redis acknowledged per MDT slot since the last reset (GC's "one cycle's churn").
    std::uint64_t shipped(std::uint32_t slot) const {
        return slot < shipped_by_slot_.size() ? shipped_by_slot_[slot] : 0;
    }
    void reset_shipped() { shipped_by_slot_.assign(shipped_by_slot_.size(), 0); }

    std::size_t events_in_flight() const { return in_flight_; }
    std::uint64_t failed_since_flush() const { return failed_; }
    void reset_failed() { failed_ = 0; }
    // Set whenever committed state changed; the coordinator checkpoints and clears it.
    bool dirty = false;

private:
    static EventType classify(const LiveRecord* committed, bool in_flight, std::uint64_t hash);
    Event make_event(EventType type, const ReadBatch& batch, const LineRef& line) const;
    void begin_cycle(std::uint32_t slot, std::uint32_t cycle);
    void commit(MdtState& mdt, const Event& e);
    void mark_seen(std::uint32_t slot, std::uint32_t cycle, LiveRecord& record);

    StateTable& state_;
    PipelineCounters& counters_;
    // Per slot: records with an event in flight, by packed key, and how many distinct committed
    // records the current cycle has printed.
    std::vector<InFlightMap> pending_;
    // Per slot: events whose XADD may have landed unacknowledged (Event::outcome_unknown). They
    // stay in pending_ until the slot's next cycle, so a pass 2 of the same cycle does not ship
    // their lines again after the publisher reconnected: the coordinator first folds what landed
    // from the stream (shipper/ownership.cpp, before the next cycle's read).
    std::vector<std::vector<std::pair<std::uint64_t, std::uint64_t>>> maybe_landed_;
    std::vector<std::size_t> seen_count_;
    std::vector<std::uint32_t> seen_count_cycle_;
    std::vector<std::uint64_t> shipped_by_slot_;
    std::size_t in_flight_ = 0;
    std::uint64_t failed_ = 0;
};

// Runs a Differ on its own thread. Owns the state while running (see core/state.hpp).
class DiffStage {
public:
    // `pool` (may be null) takes back the read buffers of compared batches.
    DiffStage(StateTable& state, PipelineCounters& counters, DiffInbox& inbox, EventQueue& out,
              ReportQueue& reports, BufferPool* pool = nullptr);
    ~DiffStage();
    void start();
    void stop();  // returns once the thread has exited
    // The coordinator uses the Differ (its dirty flag, shipped counts) while the thread runs, but
    // only while the thread is idle: after a Flushed report and before its next inbox message.
    // The queue hand-offs order the memory; nothing else does.
    Differ& differ() { return differ_; }

private:
    void run();
    void handle(ReadBatch& batch);
    void handle(AckBatch& acks);
    void handle(FlushRequest&);
    void handle(RepairBatch& repairs);
    void maybe_report_flushed();

    Differ differ_;
    PipelineCounters& counters_;
    DiffInbox& inbox_;
    EventQueue& out_;
    ReportQueue& reports_;
    BufferPool* pool_;
    std::atomic<bool> stop_{false};
    bool flush_requested_ = false;
    std::thread thread_;
};

}  // namespace hsm::diff
