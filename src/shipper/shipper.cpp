// Shipper::Impl: the cycle coordinator. It owns the state between cycles, starts one reader
// thread per MDT per pass, and waits on the diff thread's reports; the stage threads do the work.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ctime>
#include <map>
#include <thread>

#include <spdlog/spdlog.h>

#include "diff/diff.hpp"
#include "ingest/ingest.hpp"
#include "publish/publish.hpp"
#include "shipper/shipper.hpp"

namespace hsm::shipper {

namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
// A cycle's work must finish or be abandoned within this on shutdown, so the daemon exits within
// the 5 s systemd and admins expect, checkpoint included.
constexpr auto kShutdownGrace = 3s;
// How often waits re-check the stop flag.
constexpr std::int64_t kReportWaitMicros = 50'000;
// Redis round trips must not outlast the shutdown grace.
constexpr auto kRedisIoTimeout = 2s;
// --run-once gives Redis this long to answer before failing.
constexpr auto kRunOnceConnectTimeout = 10s;
}  // namespace

struct Shipper::Impl {
    Impl(const config::Config& cfg, RunOptions opts)
        : config(cfg), options(opts),
          diff(state, counters, inbox, events, reports),
          publisher(publisher_options(cfg, opts), events, inbox, counters) {}

    static publish::PublisherOptions publisher_options(const config::Config& cfg, RunOptions opts) {
        publish::PublisherOptions p;
        p.endpoint.host = cfg.str("redis_host");
        p.endpoint.port = static_cast<int>(cfg.integer("redis_port"));
        p.endpoint.db = static_cast<int>(cfg.integer("redis_db"));
        p.endpoint.username = cfg.str("redis_username");
        p.endpoint.password = cfg.str("redis_password");
        p.endpoint.io_timeout = kRedisIoTimeout;
        p.prefix = cfg.str("redis_stream_prefix");
        p.dry_run = opts.dry_run;
        return p;
    }

    const config::Config config;
    const RunOptions options;
    StateTable state;
    PipelineCounters counters;
    DiffInbox inbox;
    EventQueue events;
    ReportQueue reports;
    diff::DiffStage diff;
    publish::Publisher publisher;
    ingest::FileOpener opener;
    std::map<std::uint32_t, std::unique_ptr<ingest::MdtReader>> readers;  // by slot, current MDTs
    std::uint32_t cycle = 0;
    std::atomic<bool> stopping{false};
    std::mutex sleep_mutex;  // only for the sleep between cycles, never on the data path
    std::condition_variable wake;
    bool started = false;

    void update_mdts(const std::vector<ingest::MdtFile>& files);
    void read_all(std::int64_t now);
    bool wait_report(DiffReport& report, Clock::time_point deadline);
    std::uint64_t flush();
    void checkpoint();
    void sink(ReadBatch&& batch);
};

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
        current[slot] = std::make_unique<ingest::MdtReader>(f, slot, opener);
    }
    for (auto& [slot, reader] : readers) {
        if (current.count(slot)) continue;
        spdlog::warn("{}: {} vanished (failover?); dropping its local state, shipping no PURGED",
                     state.at(slot).name(), reader->file().path.string());
        state.drop(slot);
        diff.differ().dirty = true;
    }
    readers = std::move(current);
}

// Backpressure: wait (counted) while too many lines are in flight; never drop.
void Shipper::Impl::sink(ReadBatch&& batch) {
    const auto n = static_cast<std::uint32_t>(batch.lines.size());
    bool waited = false;
    while (counters.lines_in_flight.load(std::memory_order_relaxed) > kMaxLinesInFlight &&
           !stopping.load(std::memory_order_relaxed)) {
        waited = true;
        std::this_thread::sleep_for(1ms);
    }
    if (waited) counters.reader_waits.fetch_add(1, std::memory_order_relaxed);
    counters.lines_in_flight.fetch_add(n, std::memory_order_relaxed);
    inbox.enqueue(std::move(batch));
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
    for (auto& [slot, reader] : readers) launch(reader.get(), 1);
    std::size_t open_passes = readers.size();
    Clock::time_point deadline = Clock::time_point::max();
    DiffReport report;
    while (open_passes > 0) {
        if (stopping && deadline == Clock::time_point::max()) deadline = Clock::now() + kShutdownGrace;
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
std::uint64_t Shipper::Impl::flush() {
    inbox.enqueue(FlushRequest{});
    const auto deadline = stopping ? Clock::now() + kShutdownGrace : Clock::time_point::max();
    DiffReport report;
    while (true) {
        if (!wait_report(report, std::min(deadline, Clock::now() + 100ms))) {
            if (Clock::now() >= deadline) return 0;
            if (stopping && deadline == Clock::time_point::max()) return flush();
            continue;
        }
        if (report.kind == DiffReport::Kind::Flushed) return report.failed;
    }
}

void Shipper::Impl::checkpoint() {
    if (options.dry_run || !diff.differ().dirty) return;
    std::string why;
    if (save_checkpoint(state, config.str("cache_path"), why))
        diff.differ().dirty = false;
    else
        spdlog::error("cannot write checkpoint: {}", why);
}

Shipper::Shipper(const config::Config& config, RunOptions options)
    : impl_(std::make_unique<Impl>(config, options)) {}

Shipper::~Shipper() { shutdown(); }

bool Shipper::start(bool require_redis, std::string& error) {
    Impl& s = *impl_;
    std::string why;
    if (!s.options.dry_run || std::filesystem::exists(s.config.str("cache_path"))) {
        if (load_checkpoint(s.state, s.config.str("cache_path"), why))
            spdlog::info("loaded checkpoint {}: {} live records", s.config.str("cache_path"),
                         s.state.total_records());
        else if (std::filesystem::exists(s.config.str("cache_path")))
            spdlog::warn("ignoring checkpoint {}: {}; starting fresh", s.config.str("cache_path"), why);
        else
            spdlog::info("{}; starting fresh", why);
    }
    if (require_redis && !s.options.dry_run &&
        !s.publisher.connect_within(kRunOnceConnectTimeout, why)) {
        error = "cannot reach redis " + s.config.str("redis_host") + ":" +
                std::to_string(s.config.integer("redis_port")) + ": " + why;
        return false;
    }
    s.diff.start();
    s.publisher.start();
    s.started = true;
    return true;
}

CycleSummary Shipper::run_cycle() {
    Impl& s = *impl_;
    const auto t0 = Clock::now();
    ++s.cycle;
    const std::uint64_t shipped_before = s.counters.events_new + s.counters.events_update +
                                         s.counters.events_purged;
    s.update_mdts(ingest::discover(s.config.str("mdt_watch_glob")));
    s.read_all(static_cast<std::int64_t>(std::time(nullptr)));
    CycleSummary sum;
    sum.failed = s.flush();
    s.checkpoint();
    sum.mdts = s.readers.size();
    sum.live = s.state.total_records();
    sum.shipped = s.counters.events_new + s.counters.events_update + s.counters.events_purged - shipped_before;
    sum.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (sum.failed)
        spdlog::warn("cycle {}: {} events not acknowledged by redis; they will be retried",
                     s.cycle, sum.failed);
    spdlog::debug("cycle {}: {} MDTs, {} live, {} shipped in {:.3f} s", s.cycle, sum.mdts, sum.live,
                  sum.shipped, sum.seconds);
    return sum;
}

void Shipper::run_maintenance() {
    // Filled in by the GC stage.
}

void Shipper::run_forever() {
    Impl& s = *impl_;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s.config.real("poll_interval")));
    while (!s.stopping) {
        const auto next = Clock::now() + interval;
        run_cycle();
        std::unique_lock lock(s.sleep_mutex);
        s.wake.wait_until(lock, next, [&] { return s.stopping.load(); });
    }
}

void Shipper::request_stop() {
    Impl& s = *impl_;
    {
        std::lock_guard lock(s.sleep_mutex);
        s.stopping = true;
    }
    s.wake.notify_all();
}

void Shipper::shutdown() {
    Impl& s = *impl_;
    if (!s.started) return;
    s.started = false;
    s.stopping = true;
    // Publisher first: its last acknowledgements land in the inbox, which the diff thread drains
    // before it exits, so everything Redis accepted is committed and checkpointed.
    s.publisher.stop();
    s.diff.stop();
    s.checkpoint();
}

const PipelineCounters& Shipper::counters() const { return impl_->counters; }
const StateTable& Shipper::state() const { return impl_->state; }

}  // namespace hsm::shipper
