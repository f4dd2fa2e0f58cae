// The Shipper's life: start (an interrupted save's temp files removed, the checkpoint and its
// stamps loaded, stage threads), run_forever (cycles and the idle wait between them, with the
// supervisor's heartbeat), request_stop (async-signal-safe: an atomic flag and an eventfd write)
// and shutdown (threads stopped in the order that commits every acknowledgement, then the last
// checkpoint, written whatever the snapshot policy; on a requested stop, the heartbeat hash removed).
#include <poll.h>

#include <algorithm>
#include <cerrno>

#include <filesystem>

#include <spdlog/spdlog.h>

#include "shipper/impl.hpp"

namespace hsm::shipper {


Shipper::Shipper(const config::Config& config, RunOptions options, Injected injected)
    : impl_(std::make_unique<Impl>(ShipperSettings::from(config), options, injected)) {}

Shipper::~Shipper() { shutdown(); }

bool Shipper::start(bool require_redis, std::string& error) {
    Impl& s = *impl_;
    std::string why;
    const std::string& cache = s.config.cache_path;
    if (const std::string foreign = foreign_checkpoint(cache); !foreign.empty()) {
        spdlog::error("cache_path = \"{}\" names {}: it is not read and will not be overwritten; no"
                      " checkpoint is written until cache_path names another file (restarts then"
                      " replay the streams instead)",
                      cache, foreign);
        s.checkpoint_refused = true;
    } else if (!s.options.dry_run || std::filesystem::exists(cache)) {
        if (!s.options.dry_run)
            if (const std::size_t n = remove_stale_temps(cache))
                spdlog::info("removed {} temp file(s) of an interrupted checkpoint save beside {}", n, cache);
        if (load_checkpoint(s.state, cache, why)) {
            spdlog::info("loaded checkpoint {}: {} live records", cache,
                         s.state.total_records());
            // Its stamps: verify_streams() catches up from them, compaction keeps what they need.
            s.have_snapshot = true;
            for (std::uint32_t slot = 0; slot < s.state.slots(); ++slot)
                s.snapshot_stamp[slot] = s.state.at(slot).newest_written;
        }
        else if (std::filesystem::exists(cache))
            spdlog::warn("ignoring checkpoint {}: {}; starting fresh", cache, why);
        else
            spdlog::info("{}; starting fresh", why);
    }
    if (require_redis && !s.options.dry_run &&
        !s.publisher.connect_within(kRunOnceConnectTimeout, why)) {
        error = "cannot reach redis " + s.config.redis.host + ":" + std::to_string(s.config.redis.port) + ": " + why;
        return false;
    }
    if (!s.options.dry_run) s.admin.connect();  // failures are retried with backoff per cycle
    if (!s.options.dry_run && !s.options.one_shot)
        s.heartbeat.emplace(Impl::quiet(Impl::endpoint(s.config, s.injected.redis)), s.config.redis.shipper_prefix, s.publisher_host,
                            s.config.poll_interval);
    s.diff.start();
    s.publisher.start();
    if (!s.options.dry_run) s.gc.start();
    s.started = true;
    return true;
}

void Shipper::run_forever() {
    Impl& s = *impl_;
    const auto interval = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s.config.poll_interval));
    s.gc_enabled = true;
    s.next_reconcile = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(s.config.reconcile_interval));
    const auto beat = [&] {
        if (s.options.heartbeat) s.options.heartbeat();
    };
    const auto every = std::chrono::duration_cast<Clock::duration>(s.options.heartbeat_every);
    while (!s.stopping) {
        const auto next = Clock::now() + interval;
        if (Clock::now() >= s.next_reconcile)
            run_maintenance();
        else
            run_cycle();
        beat();  // once per finished cycle: a hung cycle never gets here
        // Idle until the next cycle, waking to beat when the supervisor wants it more often.
        while (!s.stopping && Clock::now() < next) {
            const auto until = every.count() > 0 ? std::min(next, Clock::now() + every) : next;
            if (s.idle_until(until)) break;
            if (every.count() > 0 && Clock::now() < next) beat();
        }
    }
}

// Sleeps until `until` or a stop request; true on a stop request. The eventfd is never drained:
// a stop is final, and it stays readable so every later wait returns at once.
bool Shipper::Impl::idle_until(Clock::time_point until) {
    while (!stopping.load()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
        if (left <= 0) return false;
        // Without an eventfd, look at the flag every 100 ms.
        const int timeout = static_cast<int>(std::min<std::int64_t>(left, stop_event.fd() >= 0 ? 60'000 : 100));
        pollfd p{stop_event.fd(), POLLIN, 0};
        // Readable between request_stop()'s write and its store of `stopping`: the loop spins for
        // those few instructions, then sees the flag.
        if (poll(&p, stop_event.fd() >= 0 ? 1 : 0, timeout) < 0 && errno != EINTR) return stopping.load();
    }
    return true;
}

void Shipper::request_stop() {
    Impl& s = *impl_;
    // The eventfd first, the flag last: once the coordinator sees `stopping` it may destroy the
    // Shipper, so storing the flag must be this call's last touch of it.
    s.stop_event.signal();
    s.stopping.store(true);
}

void Shipper::shutdown() {
    Impl& s = *impl_;
    if (!s.started) return;
    s.started = false;
    const bool asked = s.stopping.exchange(true);  // request_stop() (SIGTERM), not an error exit
    // Publisher first: its last acknowledgements land in the inbox, which the diff thread drains
    // before it exits, so everything Redis accepted is committed and checkpointed.
    s.gc.stop();
    s.publisher.stop();
    s.diff.stop();
    s.checkpoint(true);  // whatever the snapshot policy: the next start catches up from here
    // A clean stop leaves top/stats now; anything else keeps its hash, to show STALE until it expires.
    if (asked && s.heartbeat) s.heartbeat->remove();
}

const PipelineCounters& Shipper::counters() const { return impl_->counters; }
const StateTable& Shipper::state() const { return impl_->state; }

}  // namespace hsm::shipper
