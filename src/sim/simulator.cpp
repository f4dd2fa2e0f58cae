// The life cycle of one MDT's HSM action records (docs/lustre-actions.md, "A record's life"):
// each record carries the time of its next transition, and a tick applies every transition due
// before its end, in order, so the outcome does not depend on how time is sliced into ticks.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/state.hpp"

namespace hsm::sim {

namespace detail {

namespace {

// Request mix of a typical archive-heavy site: mostly new files archived, some restores on access,
// a few removals from the archive, rare cancels (the shares add up to 1).
constexpr double kRestoreShare = 0.10;
constexpr double kRemoveShare = 0.04;
constexpr double kCancelShare = 0.01;
// How a copy ends: mostly success, some copytool errors, a few retryable errors sent back to
// WAITING, a few aborted (CANCELED); the remainder after the three shares is SUCCEED.
constexpr double kFailedShare = 0.05;
constexpr double kRetryShare = 0.02;
constexpr double kCanceledShare = 0.01;
// Sites with a second archive backend send some requests to archive#=2.
constexpr double kSecondArchiveShare = 0.10;
// A CANCEL is acknowledged by the agent almost at once: STARTED for up to this long.
constexpr double kCancelRunMax = 1.0;
// A CANCEL needs a live, unfinished target; it gives up after this many random picks and the
// request becomes an ARCHIVE (only happens when nearly everything is final).
constexpr int kCancelTries = 8;
// Opaque data lengths of tag=value hints; at least 5 so data=[...] shows 10 hex digits.
constexpr std::uint32_t kMinDataLen = 20;
constexpr std::uint32_t kMaxDataLen = 80;
// The initial population is grown from far enough back that hardly any record alive at time 0
// arrived earlier: the longest queue time (1.5 x mean_wait), then runs up to this many times
// mean_run (exponential: e^-12, about 6 in a million, run longer), then grace and housekeeping.
constexpr double kRunTail = 12.0;
// An MDT that has run for a while has used some catalog slots and many cookies already. The
// coordinator seeds cookies with the wall-clock seconds at start-up: 0x68e77800 is October 2025.
constexpr std::uint32_t kMaxFirstSlot = 1024;
constexpr std::uint64_t kCookieEpoch = 0x68e77800;
constexpr std::uint64_t kCookieSpread = 1u << 24;  // about 6 months of start-up times

}  // namespace

Engine::Engine(const Config& config)
    : cfg(config), rng(config.seed, config.mdt_index), fids(config.mdt_index, rng) {
    if (!(cfg.mean_wait >= 0) || !(cfg.mean_run >= 0) || !(cfg.grace_delay >= 0) ||
        !(cfg.loop_period > 0) || cfg.records_per_slot == 0 ||
        cfg.records_per_slot > kCatalogSlots || (cfg.arrival_rate && !(*cfg.arrival_rate >= 0)))
        throw std::invalid_argument(
            "hsm::sim::Config: negative duration or rate, zero loop_period"
            " or records_per_slot outside 1..64767");
    first_slot = 1 + static_cast<std::uint32_t>(rng.below(kMaxFirstSlot));
    next_cookie = kCookieEpoch + rng.below(kCookieSpread);
    derive_rates();
    prefill();
}

// Mean time a record stays in the file when it queues `mean_wait` on average (Little's law then
// gives live = rate x lifetime). Housekeeping removes at the next loop pass: half a period later
// on average. Retries repeat wait and run 1 / (1 - retry share) times on average.
double Engine::lifetime(double mean_wait) const {
    const double removal = cfg.grace_delay + cfg.loop_period / 2;
    const double request = (mean_wait + cfg.mean_run) / (1 - kRetryShare) + removal;
    const double cancel = cfg.loop_period / 2 + kCancelRunMax / 2 + removal;
    return (1 - kCancelShare) * request + kCancelShare * cancel;
}

void Engine::derive_rates() {
    const double target = static_cast<double>(cfg.live_target);
    wait = cfg.mean_wait;
    if (!cfg.arrival_rate) {
        rate = target / lifetime(wait);
        return;
    }
    rate = *cfg.arrival_rate;
    if (rate == 0) {
        holds_target = cfg.live_target == 0;
        return;
    }
    // lifetime() is linear in mean_wait with this slope; solve lifetime(wait) = target / rate.
    const double slope = (1 - kCancelShare) / (1 - kRetryShare);
    wait = (target / rate - lifetime(0)) / slope;
    holds_target = wait >= 0;
    wait = std::max(wait, 0.0);
}

// Runs the arrival process over the longest lifetime before time 0, so the records alive at 0
// have the steady-state mix of statuses and ages. It runs a little fast so that there is nearly
// always a surplus, which random thinning removes without biasing that mix: exactly live_target.
void Engine::prefill() {
    if (cfg.live_target > 0) {
        const double target = static_cast<double>(cfg.live_target);
        const double life = lifetime(wait);
        // 4 standard deviations of the Poisson count, plus 5% for what lifetime() leaves out
        // (cancels cut their targets' lives short).
        const double prefill_rate = target / life * (1.05 + 4 / std::sqrt(target));
        live.reserve(static_cast<std::size_t>(target * 1.1 + 4 * std::sqrt(target) + 16));
        now = -(1.5 * wait + kRunTail * cfg.mean_run + cfg.grace_delay + cfg.loop_period);
        next_arrival = now + rng.exponential(1 / prefill_rate);
        horizon = 0;
        arrive_until(0, prefill_rate);
        compact();
        thin_to_target();
    }
    now = 0;
    next_arrival = rate > 0 ? rng.exponential(1 / rate) : kNever;
}

// Keeps exactly live_target records, each with the same chance (selection sampling, one pass).
// A shortfall, rare by construction, is filled with requests arriving at time 0.
void Engine::thin_to_target() {
    std::size_t keep = cfg.live_target;
    std::size_t left = live.size();
    for (auto& r : live) {
        if (rng.below(left--) < keep) {
            --keep;
        } else {
            r.removed = true;
            ++counters.removed;
        }
    }
    compact();
    while (live.size() < cfg.live_target) live.push_back(make_request(0));
}

void Engine::tick(double seconds) {
    if (!(seconds > 0)) return;
    horizon = now + seconds;
    for (auto& r : live) advance(r);
    arrive_until(horizon, rate);
    compact();
    now = horizon;
}

// Poisson arrivals up to t_end; each new record is advanced to the horizon at once, and only kept
// if still alive there.
void Engine::arrive_until(double t_end, double arrival_rate) {
    while (next_arrival <= t_end) {
        Live r = make_request(next_arrival);
        advance(r);
        if (!r.removed) live.push_back(r);
        next_arrival += rng.exponential(1 / arrival_rate);
    }
}

Live Engine::make_request(double t) {
    Live r;
    r.seq = next_seq++;
    ++counters.arrived;
    const double pick = rng.uniform();
    if (pick < kCancelShare && make_cancel(r)) {
        r.due = t + rng.uniform(0, cfg.loop_period);  // the coordinator's next pass handles it
        return r;
    }
    r.action = pick < kCancelShare + kRemoveShare                   ? Action::Remove
               : pick < kCancelShare + kRemoveShare + kRestoreShare ? Action::Restore
                                                                    : Action::Archive;
    const Fid fid = r.action == Action::Archive ? fids.new_file(rng) : fids.old_file(rng);
    r.fid_seq = fid.seq;
    r.fid_oid = fid.oid;
    r.cookie = next_cookie++;
    r.archive_id = rng.chance(kSecondArchiveShare) ? 2 : 1;
    r.datalen = static_cast<std::uint16_t>(kMinDataLen + rng.below(kMaxDataLen - kMinDataLen + 1));
    r.data_kind = static_cast<std::uint8_t>(rng.below(kDataKinds));
    r.due = t + draw_wait();
    return r;
}

// A CANCEL record repeats the fid, cookie and data of the request it cancels.
bool Engine::make_cancel(Live& r) {
    for (int i = 0; i < kCancelTries && !live.empty(); ++i) {
        const Live& t = live[rng.below(live.size())];
        if (t.removed || is_final(t.status) || t.action == Action::Cancel) continue;
        r.action = Action::Cancel;
        r.target = t.seq;
        r.cookie = t.cookie;
        r.fid_seq = t.fid_seq;
        r.fid_oid = t.fid_oid;
        r.archive_id = t.archive_id;
        r.datalen = t.datalen;
        r.data_kind = t.data_kind;
        return true;
    }
    return false;
}

// Applies, in order, every transition of `r` due by the horizon.
void Engine::advance(Live& r) {
    while (!r.removed && r.due <= horizon) {
        const double t = r.due;
        if (r.status == Status::Waiting) {
            start(r, t);
        } else if (r.status == Status::Started) {
            finish(r, t);
        } else {  // final: this housekeeping pass removes it
            r.removed = true;
            ++counters.removed;
        }
    }
}

// A copytool takes the request. Taking a CANCEL is what cancels its target.
void Engine::start(Live& r, double t) {
    set_status(r, Status::Started);
    if (r.action == Action::Cancel) {
        cancel_target(r.target, t);
        r.due = t + rng.uniform(0, kCancelRunMax);
    } else {
        r.due = t + rng.exponential(cfg.mean_run);
    }
}

void Engine::finish(Live& r, double t) {
    if (r.action == Action::Cancel) return make_final(r, Status::Succeed, t);
    const double u = rng.uniform();
    if (u < kRetryShare) {  // retryable error: same idx, back in the queue
        set_status(r, Status::Waiting);
        ++counters.retried;
        r.due = t + draw_wait();
    } else if (u < kRetryShare + kFailedShare) {
        make_final(r, Status::Failed, t);
    } else if (u < kRetryShare + kFailedShare + kCanceledShare) {
        make_final(r, Status::Canceled, t);
    } else {
        make_final(r, Status::Succeed, t);
    }
}

void Engine::make_final(Live& r, Status status, double t) {
    set_status(r, status);
    r.due = removal_time(t);
}

void Engine::set_status(Live& r, Status status) {
    r.status = status;
    ++counters.changed;
}

// The target precedes the CANCEL in seq order and has already been advanced to the horizon; if it
// is still unfinished there, it was unfinished at t too.
void Engine::cancel_target(std::uint64_t target, double t) {
    auto it = std::lower_bound(live.begin(), live.end(), target,
                               [](const Live& l, std::uint64_t seq) { return l.seq < seq; });
    if (it == live.end() || it->seq != target || it->removed || is_final(it->status)) return;
    make_final(*it, Status::Canceled, t);
    advance(*it);
}

// Mostly first come, first served: queue times spread +-50% around the mean rather than
// exponentially, so WAITING records gather at the end of the file as on a real backlog.
double Engine::draw_wait() { return wait * rng.uniform(0.5, 1.5); }

// Housekeeping runs every loop_period and removes what has been final for grace_delay.
double Engine::removal_time(double final_time) const {
    return std::ceil((final_time + cfg.grace_delay) / cfg.loop_period) * cfg.loop_period;
}

void Engine::compact() {
    std::erase_if(live, [](const Live& r) { return r.removed; });
}

// ---- FidSource ----

namespace {
// FID_SEQ_NORMAL: the first sequence of ordinary files.
constexpr std::uint64_t kFirstNormalSeq = 0x200000400;
// DNE gives each MDT its own super-sequence range: MDT0001 files are 0x240000400 and up, and the
// real line's 0x2c000596f is an MDT0003 file.
constexpr std::uint64_t kMdtSeqStride = 0x40000000;
// LUSTRE_DATA_SEQ_MAX_WIDTH: objects a client creates in one sequence before taking the next.
constexpr std::uint32_t kSeqWidth = 0x20000;
// Sequences the MDT had already handed out before the simulation starts.
constexpr std::uint64_t kMaxUsedSeqs = 0x8000;
// Files a client creates between two archived ones (most files are not archived yet).
constexpr std::uint32_t kMaxOidStep = 16;
}  // namespace

FidSource::FidSource(std::uint32_t mdt_index, Rng& rng)
    : first_seq_(kFirstNormalSeq + mdt_index * kMdtSeqStride),
      next_seq_(first_seq_ + rng.below(kMaxUsedSeqs)) {
    for (auto& c : clients_) {  // each client part-way through its sequence
        c = Fid{next_seq_++, static_cast<std::uint32_t>(1 + rng.below(kSeqWidth / 2)), 0};
    }
}

Fid FidSource::new_file(Rng& rng) {
    Fid& c = clients_[rng.below(kClients)];
    c.oid += 1 + static_cast<std::uint32_t>(rng.below(kMaxOidStep));
    if (c.oid >= kSeqWidth) c = Fid{next_seq_++, 1, 0};
    return c;
}

Fid FidSource::old_file(Rng& rng) const {
    return Fid{first_seq_ + rng.below(next_seq_ - first_seq_),
               1 + static_cast<std::uint32_t>(rng.below(kSeqWidth - 1)), 0};
}

}  // namespace detail

// ---- Simulator: a thin handle on the engine ----

Simulator::Simulator(const Config& config) : state_(std::make_unique<State>(config)) {}
Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;
Simulator& Simulator::operator=(Simulator&&) noexcept = default;

void Simulator::tick(double seconds) { state_->tick(seconds); }
double Simulator::now() const { return state_->now; }
std::size_t Simulator::size() const { return state_->live.size(); }
const Counters& Simulator::counters() const { return state_->counters; }
double Simulator::arrival_rate() const { return state_->rate; }
double Simulator::mean_wait() const { return state_->wait; }
bool Simulator::holds_target() const { return state_->holds_target; }

std::vector<Record> Simulator::records() const {
    std::vector<Record> out;
    out.reserve(state_->live.size());
    for (const auto& r : state_->live) out.push_back(state_->to_record(r));
    return out;
}

StatusCounts Simulator::status_counts() const {
    StatusCounts c;
    for (const auto& r : state_->live) {
        switch (r.status) {
            case Status::Waiting: ++c.waiting; break;
            case Status::Started: ++c.started; break;
            case Status::Succeed: ++c.succeed; break;
            case Status::Failed: ++c.failed; break;
            case Status::Canceled: ++c.canceled; break;
            case Status::Unknown: break;
        }
    }
    return c;
}

}  // namespace hsm::sim
