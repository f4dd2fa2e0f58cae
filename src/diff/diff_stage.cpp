// DiffStage: the diff thread's loop (see diff.hpp).
#include "core/line_budget.hpp"
#include "diff/diff.hpp"

namespace hsm::diff {

namespace {
// How long the thread blocks on an empty inbox before re-checking its stop flag: bounds how long
// stop() can take, and costs nothing measurable at 10 wake-ups per second.
constexpr std::int64_t kInboxWaitMicros = 100'000;
// Events handed to the publisher per enqueue_bulk.
constexpr std::size_t kEmitChunk = 1024;
}  // namespace

DiffStage::DiffStage(StateTable& state, PipelineCounters& counters, DiffInbox& inbox,
                     EventQueue& out, ReportQueue& reports, BufferPool* pool)
    : differ_(state, counters), counters_(counters), inbox_(inbox), out_(out), reports_(reports),
      pool_(pool) {}

DiffStage::~DiffStage() { stop(); }

void DiffStage::start() {
    stop_ = false;
    thread_ = std::thread([this] { run(); });
}

void DiffStage::stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
}

void DiffStage::run() {
    DiffMessage msg;
    while (!stop_.load(std::memory_order_relaxed)) {
        if (!inbox_.wait_dequeue_timed(msg, kInboxWaitMicros)) continue;
        std::visit([this](auto& m) { handle(m); }, msg);
    }
    // Commit whatever Redis acknowledged before the publisher stopped; reads are abandoned.
    while (inbox_.try_dequeue(msg))
        if (auto* acks = std::get_if<AckBatch>(&msg)) handle(*acks);
}

void DiffStage::handle(ReadBatch& batch) {
    std::vector<Event> chunk;
    chunk.reserve(kEmitChunk);
    const auto emit = [&](Event&& e) {
        chunk.push_back(std::move(e));
        if (chunk.size() == kEmitChunk) {
            out_.enqueue_bulk(std::make_move_iterator(chunk.begin()), chunk.size());
            chunk.clear();
        }
    };
    if (batch.final) {
        DiffReport report = differ_.finish_pass(batch, emit);
        if (!chunk.empty()) out_.enqueue_bulk(std::make_move_iterator(chunk.begin()), chunk.size());
        reports_.enqueue(report);
        return;
    }
    const std::size_t unchanged = differ_.compare(batch, emit);
    if (!chunk.empty()) out_.enqueue_bulk(std::make_move_iterator(chunk.begin()), chunk.size());
    if (pool_ && pool_->size_approx() < kPooledBuffers) pool_->enqueue(std::move(batch.text));
    line_budget::give_back(counters_, static_cast<std::uint32_t>(unchanged));
}

void DiffStage::handle(AckBatch& acks) {
    std::uint32_t from_lines = 0;
    for (const Event& e : acks.events) {
        differ_.acknowledge(e);
        if (e.type != EventType::Purged) ++from_lines;
    }
    line_budget::give_back(counters_, from_lines);
    maybe_report_flushed();
}

void DiffStage::handle(RepairBatch& repairs) {
    const auto emit = [this](Event&& e) { out_.enqueue(std::move(e)); };
    for (Event& e : repairs.events) differ_.inject(std::move(e), emit);
}

void DiffStage::handle(FlushRequest&) {
    flush_requested_ = true;
    maybe_report_flushed();
}

void DiffStage::maybe_report_flushed() {
    if (!flush_requested_ || differ_.events_in_flight() != 0) return;
    flush_requested_ = false;
    DiffReport report;
    report.kind = DiffReport::Kind::Flushed;
    report.failed = differ_.failed_since_flush();
    differ_.reset_failed();
    reports_.enqueue(report);
}

}  // namespace hsm::diff
