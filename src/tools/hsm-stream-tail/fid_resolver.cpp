// The resolver's scheduling: which form, how many FIDs per call, how many calls at once, when to
// give up, and the LRU cache (see fid_resolver.hpp; lfs facts in docs/lfs.md).
#include "fid_resolver.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <deque>
#include <memory>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "child_process.hpp"
#include "tools/common/escape.hpp"

namespace hsm::consume::tail {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Distinct kinds of lfs failure remembered for "report once"; beyond it they are not logged
// (a flood of distinct messages would be noise anyway).
constexpr std::size_t kMaxReported = 1000;

// The line with every bracketed FID blanked out: "cannot find '[0x1:0x2:0x0]': Permission
// denied" is one kind of failure, whatever the FID.
std::string failure_kind(std::string_view line) {
    std::string out;
    std::size_t at = 0;
    for (std::size_t open = line.find('['); open != std::string_view::npos; open = line.find('[', open + 1)) {
        const auto close = line.find(']', open);
        if (close == std::string_view::npos) break;
        if (!valid_fid(line.substr(open, close - open + 1))) continue;
        out.append(line.substr(at, open - at)).append("<fid>");
        at = close + 1;
        open = close;
    }
    return out.append(line.substr(at));
}

}  // namespace

struct FidResolver::Call {
    Call(ChildProcess p, Fid2pathForm fm, std::vector<std::string> f) : proc(std::move(p)), form(fm), fids(std::move(f)) {}
    ChildProcess proc;
    Fid2pathForm form;  // what the call asked for: its output is read that way
    std::vector<std::string> fids;
    std::string out, err;
    Clock::time_point started, last_output;
};

FidResolver::FidResolver(ResolverOptions options)
    : options_(std::move(options)), batch_size_(options_.max_fids_per_call) {}

std::string find_on_path(const std::string& program) {
    if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

const FidResolver::Entry* FidResolver::lookup(std::string_view fid) {
    auto it = index_.find(fid);
    if (it == index_.end()) return nullptr;
    if (it->second->path.empty() && Clock::now() >= it->second->expires) {
        lru_.erase(it->second);  // a negative entry whose time is up: ask lfs again
        index_.erase(it);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return &*it->second;
}

void FidResolver::remember(const std::string& fid, std::string path) {
    if (auto it = index_.find(fid); it != index_.end()) {
        lru_.erase(it->second);
        index_.erase(it);
    }
    lru_.push_front({fid, std::move(path), Clock::now() + options_.negative_ttl});
    index_.emplace(lru_.front().fid, lru_.begin());
    while (lru_.size() > options_.cache_size) {
        index_.erase(lru_.back().fid);
        lru_.pop_back();
    }
}

std::optional<std::string> FidResolver::path(std::string_view fid) {
    const Entry* e = lookup(normalize_fid(fid));
    if (!e || e->path.empty()) return std::nullopt;
    return e->path;
}

void FidResolver::report_failure(const std::string& line) {
    if (reported_.size() >= kMaxReported || !reported_.insert(failure_kind(line)).second) return;
    spdlog::warn("'{}' failed: {} (reported once; paths it cannot give show as not found)",
                 cli::escape_control(options_.lfs), cli::escape_control(line));
}

void FidResolver::resolve(const std::vector<std::string_view>& fids) {
    if (disabled_ || Clock::now() < suspended_until_) return;
    std::deque<std::string> queue;
    std::unordered_set<std::string> seen;
    for (auto f : fids) {
        if (!valid_fid(f)) continue;
        std::string key = normalize_fid(f);
        if (lookup(key) || !seen.insert(key).second) continue;
        queue.push_back(std::move(key));
    }
    std::vector<std::unique_ptr<Call>> active;
    bool stop = false;       // start no more calls; those running end on their own
    bool abandon = false;    // the tail is stopping: kill the running calls too

    while (true) {
        // Start calls, up to parallel_calls at once, but one at a time until the form is known
        // (its answer decides the form). Batches shrink on a slow MDS (see finish()), so then
        // several run side by side too.
        while (!stop && !queue.empty() && active.size() < std::max<std::size_t>(options_.parallel_calls, 1) &&
               (form_known_ || active.empty())) {
            // The first call asks one FID: it finds out the form and the time per FID cheaply,
            // before a batch is sized on it (a slow MDS would make a blind first batch long).
            const std::size_t n = form_ == Fid2pathForm::OnePerCall || !form_known_ ? 1 : std::min(batch_size_, queue.size());
            std::vector<std::string> batch(queue.begin(), queue.begin() + static_cast<long>(n));
            std::string error;
            auto proc = ChildProcess::spawn(fid2path_argv(form_, options_.lfs, options_.mountpoint, batch), error);
            if (!proc) {
                report_failure("cannot start lfs: " + error);
                stop = true;
                break;
            }
            queue.erase(queue.begin(), queue.begin() + static_cast<long>(n));
            auto call = std::make_unique<Call>(std::move(*proc), form_, std::move(batch));
            call->started = call->last_output = Clock::now();
            active.push_back(std::move(call));
            ++calls_;
        }
        if (active.empty()) break;

        std::vector<pollfd> fds;
        auto now = Clock::now();
        auto wait = milliseconds::max();
        for (const auto& c : active) {
            fds.push_back({c->proc.out_fd(), POLLIN, 0});  // a negative fd is ignored by poll
            fds.push_back({c->proc.err_fd(), POLLIN, 0});
            wait = std::min(wait, std::chrono::duration_cast<milliseconds>(c->last_output + options_.timeout - now));
        }
        // Short slices while a stop flag is watched: a signal may land between checks.
        if (options_.stop) wait = std::min(wait, milliseconds(100));
        const int ready = ::poll(fds.data(), fds.size(), static_cast<int>(std::max<milliseconds::rep>(wait.count(), 0)));
        if (ready < 0 && errno != EINTR) {
            report_failure(std::string("poll: ") + std::strerror(errno));
            stop = abandon = true;
        }
        now = Clock::now();
        if (options_.stop && options_.stop->load()) stop = abandon = true;
        for (std::size_t i = 0; i < active.size(); ++i) {
            Call& c = *active[i];
            const std::size_t before = c.out.size() + c.err.size();
            if (fds[2 * i].revents) c.proc.read_out(c.out);
            if (fds[2 * i + 1].revents) c.proc.read_err(c.err);
            if (c.out.size() + c.err.size() > before) c.last_output = last_output_ = now;
        }
        std::vector<std::unique_ptr<Call>> running;
        for (auto& c : active) {
            const bool eof = c->proc.at_eof();
            const bool late = !eof && (abandon || now >= c->last_output + options_.timeout);
            if (!eof && !late) {
                running.push_back(std::move(c));
                continue;
            }
            if (late) c->proc.kill();
            c->proc.wait();
            if (late && !abandon) ++timeouts_;
            if (finish(*c, late, abandon, queue) == Outcome::Stop) stop = true;
        }
        active = std::move(running);
    }
}

FidResolver::Outcome FidResolver::finish(Call& call, bool killed, bool stopping, std::deque<std::string>& queue) {
    const Fid2pathAnswers a = read_fid2path(call.form, call.fids, call.out, call.err, !killed);
    if (!killed && a.unknown_option && a.settled() == 0 && call.form == form_) {
        if (form_ == Fid2pathForm::OnePerCall) {
            // Not even the 2.12 options: an lfs we do not know. Say what it said, and stop asking.
            for (const auto& line : a.failures) report_failure(line);
            spdlog::warn("'{}' accepts none of the fid2path forms of Lustre 2.12 and later; paths are not resolved",
                         cli::escape_control(options_.lfs));
            disabled_ = true;
            return Outcome::Stop;
        }
        // getopt names the first option it does not know, and --print-fid comes first: a client
        // that rejects it (2.12, 2.14) goes straight to one FID per call.
        const bool no_print_fid = std::any_of(a.failures.begin(), a.failures.end(), [](const std::string& l) {
            return l.find("'--print-fid'") != std::string::npos;
        });
        const Fid2pathForm older = form_ == Fid2pathForm::Print0Fid && !no_print_fid ? Fid2pathForm::PrintFid
                                                                                     : Fid2pathForm::OnePerCall;
        spdlog::info("'{}' rejects {} ({}); trying {}", cli::escape_control(options_.lfs), describe(form_),
                     cli::escape_control(a.failures.empty() ? std::string("?") : a.failures.front()), describe(older));
        form_ = older;
        queue.insert(queue.begin(), call.fids.begin(), call.fids.end());
        return Outcome::Done;
    }
    if (!form_known_ && (a.settled() > 0 || (!killed && !a.unknown_option))) {
        form_known_ = true;
        spdlog::info("lfs fid2path: using {}", describe(form_));
    }
    for (const auto& [fid, path] : a.found) remember(fid, path);
    for (const auto& fid : a.missing) remember(fid, std::string());
    for (const auto& line : a.failures) report_failure(line);

    const auto took = call.last_output - call.started;
    if (a.settled() > 0 && call.form != Fid2pathForm::OnePerCall) {
        // Aim at calls of about half the deadline, whatever the MDS's speed: a slow MDS gets
        // smaller calls (the lines gathered wait for short calls, and a call killed at a stuck
        // FID leaves fewer FIDs to ask again), a fast one up to max_fids_per_call.
        const auto per_fid = std::max<Clock::duration>(took / static_cast<long>(a.settled()), std::chrono::microseconds(1));
        batch_size_ = std::clamp<std::size_t>(static_cast<std::size_t>((options_.timeout / 2) / per_fid), 1,
                                              options_.max_fids_per_call);
    }
    std::vector<std::string> unsettled;
    for (const auto& fid : call.fids)
        if (!a.found.count(fid) && !a.missing.count(fid)) unsettled.push_back(fid);
    if (stopping) return Outcome::Stop;
    if (killed) {
        // lfs looks FIDs up in order: the first one still open is the one it was stuck on.
        // When lfs answered others (in this call, or in calls running beside it), the trouble
        // is that FID: give it up for a while (said once) and ask the rest again, so each
        // killed call settles at least one FID and a slow lfs still gets through everything.
        const bool answering = a.settled() > 0 || last_output_ > call.started;
        if (answering && !unsettled.empty()) {
            report_failure("no answer for [" + unsettled.front() + "] within " + std::to_string(options_.timeout.count()) +
                           " ms while other FIDs resolve");
            remember(unsettled.front(), std::string());
            queue.insert(queue.begin(), unsettled.begin() + 1, unsettled.end());
            return Outcome::Done;
        }
        suspended_until_ = Clock::now() + options_.suspend_after_timeout;
        spdlog::warn("'{}' fid2path gave no answer within {} ms; path resolution paused for {} s",
                     cli::escape_control(options_.lfs), options_.timeout.count(), options_.suspend_after_timeout.count());
        return Outcome::Stop;
    }
    // lfs finished: what it did not answer, it cannot answer now (each failure was reported).
    for (const auto& fid : unsettled) remember(fid, std::string());
    // Nothing settled and a failure said: lfs fails as a whole (not a Lustre mount, no right
    // to run it...); the next gathering asks again, one call, rather than every FID now.
    if (a.settled() == 0 && !a.failures.empty()) return Outcome::Stop;
    return Outcome::Done;
}

}  // namespace hsm::consume::tail
