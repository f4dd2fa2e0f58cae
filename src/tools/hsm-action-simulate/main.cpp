// hsm-action-simulate: writes <root>/<fsname>-MDT000N/hsm/actions and rewrites each file every tick
// like a live coordinator would, so the shipper can be demonstrated and tested without Lustre.
// A thin loop over hsm_sim: options -> one Simulator per MDT -> atomic rewrite of every file.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/version.hpp"
#include "services/manpage.hpp"
#include "sim/simulator.hpp"

namespace {

namespace sim = hsm::sim;
using Clock = std::chrono::steady_clock;

// Exit status for bad arguments, the usual convention of command-line tools.
constexpr int kUsageError = 2;
constexpr const char* kManExitStatus =
    "0 when stopped by SIGINT or SIGTERM, or after --once or --ticks; 1 when the files cannot be written "
    "(for example a full or read-only file system), 2 on a usage error.";
// LUSTRE_MAXFSNAME: a file system name has at most 8 characters.
constexpr std::size_t kMaxFsnameLength = 8;
// Target names carry the MDT index as 4 hex digits (MDT0000 ... MDTffff).
constexpr unsigned kMaxMdts = 0x10000;
// Ten times the largest site we know of (351,204 live records); beyond it a value is a typo, and
// at about 56 bytes per record the memory would run out first.
constexpr std::size_t kMaxLive = 10'000'000;

struct Options {
    std::string root;
    std::string fsname = "elm";
    unsigned mdts = 4;
    std::size_t live = 50000;
    std::optional<double> rate;  // unset: derived so that the live target holds
    double tick = 1.0;
    double speed = 1.0;
    double grace = 60;
    std::uint64_t seed = 1;
    bool once = false;
    std::optional<std::uint64_t> ticks;
    bool short_format = false;
    bool verbose = false;
};

struct Mdt {
    sim::Simulator sim;
    std::filesystem::path file;
};

std::string check_fsname(const std::string& name) {
    if (name.empty() || name.size() > kMaxFsnameLength) return "must have 1 to 8 characters";
    for (char c : name) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
        if (!ok) return "may only hold letters, digits, '_' and '-'";
    }
    return {};
}

void declare(CLI::App& app, Options& o, double& rate, std::uint64_t& ticks) {
    app.add_option("--root", o.root, "Directory to hold <fsname>-MDT000N/hsm/actions")->required();
    app.add_option("--fsname", o.fsname, "File system name")
        ->check(check_fsname)
        ->capture_default_str();
    app.add_option("--mdts", o.mdts, "Number of MDTs")
        ->check(CLI::Range(1u, kMaxMdts))
        ->capture_default_str();
    app.add_option("--live", o.live, "Live-action target per MDT")
        ->check(CLI::Range(std::size_t{0}, kMaxLive))
        ->capture_default_str();
    app.add_option("--rate", rate,
                   "Arrivals per simulated second per MDT (default: live / lifetime)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--tick", o.tick, "Real seconds between file rewrites")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--speed", o.speed, "Simulated seconds per real second")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    app.add_option("--grace", o.grace, "Simulated seconds a final record stays (grace_delay)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    app.add_option("--seed", o.seed, "Random seed; same seed, same files")->capture_default_str();
    auto* once = app.add_flag("--once", o.once, "Write the initial population once and exit");
    app.add_option("--ticks", ticks, "Stop after N ticks")
        ->check(CLI::PositiveNumber)
        ->excludes(once);
    app.add_flag("--short-format", o.short_format,
                 "Write the short test format (idx=[C/R] action= fid= status=)");
    app.add_flag("-v,--verbose", o.verbose, "Print a one-line summary per tick");
    app.set_version_flag("--version", std::string("hsm-action-simulate ") + hsm::kVersion,
                         "Print the version and exit");
}

constexpr const char* kManNotes =
    "For demos and tests: it writes MDT directories shaped like a Lustre MDS's debugfs "
    "(<root>/<fsname>-MDTnnnn/hsm/actions), whose records start, progress, finish and vanish as the "
    "kernel's do. Point the shipper's mdt_watch_glob at the tree to exercise the whole pipeline "
    "without Lustre.";

// Returns the exit status when the program should stop now (help shown, bad arguments).
std::optional<int> parse(int argc, char** argv, Options& o) {
    CLI::App app{"Simulate Lustre MDTs' hsm/actions files: a live, changing fake MDT tree"};
    double rate = -1;
    std::uint64_t ticks = 0;
    declare(app, o, rate, ticks);
    bool man_page = false;
    app.add_flag("--man-page", man_page, "Print this tool's manual page (roff) and exit");
    // Before parsing: the page must not need --root.
    for (int i = 1; i < argc; ++i)
        if (std::string_view(argv[i]) == "--man-page") {
            std::fputs(hsm::manpage::render(app, {"hsm-action-simulate", {}, {}, kManNotes, kManExitStatus}).c_str(), stdout);
            return 0;
        }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);  // prints help, or the error and a hint
        return code == 0 ? 0 : kUsageError;
    }
    if (app.count("--rate") > 0) o.rate = rate;
    if (app.count("--ticks") > 0) o.ticks = ticks;
    return std::nullopt;
}

std::vector<Mdt> build(const Options& o) {
    std::vector<Mdt> mdts;
    mdts.reserve(o.mdts);
    for (unsigned i = 0; i < o.mdts; ++i) {
        sim::Config c;
        c.mdt_index = i;
        c.seed = o.seed;
        c.live_target = o.live;
        c.arrival_rate = o.rate;
        c.grace_delay = o.grace;
        mdts.push_back(Mdt{sim::Simulator(c), sim::actions_path(o.root, o.fsname, i)});
    }
    return mdts;
}

void warn_if_target_unreachable(const Options& o, const sim::Simulator& s) {
    if (s.holds_target()) return;
    std::fprintf(stderr,
                 "hsm-action-simulate: warning: at --rate %g the live count cannot stay at"
                 " --live %zu; it will drift toward rate x lifetime\n",
                 *o.rate, o.live);
}

void write_files(const std::vector<Mdt>& mdts, sim::LineFormat format) {
    for (const auto& m : mdts) m.sim.write_atomic(m.file, format);
}

// One line per tick, totals over all MDTs; arrivals and removals since the previous line.
class Summary {
public:
    explicit Summary(const std::vector<Mdt>& mdts) { totals(mdts, arrived_, removed_); }

    void print(std::uint64_t tick, const std::vector<Mdt>& mdts, double write_seconds) {
        sim::StatusCounts c;
        for (const auto& m : mdts) {
            const auto s = m.sim.status_counts();
            c.waiting += s.waiting;
            c.started += s.started;
            c.succeed += s.succeed;
            c.failed += s.failed;
            c.canceled += s.canceled;
        }
        std::uint64_t arrived = 0, removed = 0;
        totals(mdts, arrived, removed);
        std::printf(
            "tick %llu sim=%.1fs live=%zu waiting=%zu started=%zu succeed=%zu failed=%zu"
            " canceled=%zu arrived=+%llu removed=-%llu write=%.3fs\n",
            static_cast<unsigned long long>(tick), mdts.front().sim.now(), c.total(), c.waiting,
            c.started, c.succeed, c.failed, c.canceled,
            static_cast<unsigned long long>(arrived - arrived_),
            static_cast<unsigned long long>(removed - removed_), write_seconds);
        std::fflush(stdout);
        arrived_ = arrived;
        removed_ = removed;
    }

private:
    static void totals(const std::vector<Mdt>& mdts, std::uint64_t& arrived,
                       std::uint64_t& removed) {
        arrived = removed = 0;
        for (const auto& m : mdts) {
            arrived += m.sim.counters().arrived;
            removed += m.sim.counters().removed;
        }
    }

    std::uint64_t arrived_ = 0, removed_ = 0;
};

// SIGINT and SIGTERM are blocked and collected with sigtimedwait between ticks: the loop wakes
// the moment one arrives, with no handler and no flag shared with it.
sigset_t stop_signals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

// Waits until `deadline`; returns true when a stop signal came first (or was already pending).
bool stop_requested_before(Clock::time_point deadline, const sigset_t& set) {
    while (true) {
        const auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
        const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
        if (sigtimedwait(&set, nullptr, &ts) > 0) return true;
        if (errno == EAGAIN) return false;  // deadline reached; EINTR: wait again
    }
}

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

int simulate(const Options& o) {
    const sigset_t set = stop_signals();
    sigprocmask(SIG_BLOCK, &set, nullptr);
    const auto format = o.short_format ? sim::LineFormat::Short : sim::LineFormat::Kernel;
    std::vector<Mdt> mdts = build(o);
    warn_if_target_unreachable(o, mdts.front().sim);
    Summary summary(mdts);
    auto started = Clock::now();
    write_files(mdts, format);
    if (o.verbose) summary.print(0, mdts, seconds_since(started));
    if (o.once) return 0;
    // Deadlines on a fixed grid, so time spent writing does not make the simulation drift; when a
    // tick overran, the grid restarts from now instead of firing the missed ticks in a burst.
    const auto period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.tick));
    auto deadline = Clock::now();
    for (std::uint64_t tick = 1; !o.ticks || tick <= *o.ticks; ++tick) {
        deadline = std::max(deadline + period, Clock::now());
        if (stop_requested_before(deadline, set)) return 0;
        started = Clock::now();
        for (auto& m : mdts) m.sim.tick(o.tick * o.speed);
        write_files(mdts, format);
        if (o.verbose) summary.print(tick, mdts, seconds_since(started));
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    if (auto code = parse(argc, argv, options)) return *code;
    try {
        return simulate(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hsm-action-simulate: %s\n", e.what());
        return 1;
    }
}
