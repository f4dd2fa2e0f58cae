// hsm-stream-tail: a `tail -f` of the HSM action streams, one line per event with the file's
// path. Lines are gathered for a short window and their FIDs resolved together (few `lfs` calls
// per gathering where the client allows it), so the tail keeps up with bursts.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "tools/common/tool_options.hpp"
#include "fid_resolver.hpp"
#include "tail_line.hpp"

namespace cli = hsm::consume::cli;
using namespace hsm::consume;
using namespace hsm::consume::tail;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kTool = "hsm-stream-tail";
// Lines waiting for path resolution are printed at the latest after this: short for a human,
// long enough that a burst of events costs one lfs call, not hundreds.
constexpr auto kGatherWindow = std::chrono::milliseconds(200);
// ...or as soon as this many wait, which bounds memory and the size of one lfs call batch.
constexpr std::size_t kGatherMax = 5000;
constexpr auto kReadPoll = std::chrono::milliseconds(50);

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Settings {
    bool resolve = true;
    bool color = false;
    bool run_once = false;
};

class Printer {
public:
    Printer(const Settings& s, FidResolver* resolver) : settings_(s), resolver_(resolver) {}

    void add(const Event& e) {
        if (pending_.empty()) first_pending_ = Clock::now();
        pending_.push_back(make_line(e));
    }
    bool due() const {
        return !pending_.empty() &&
               (!resolver_ || pending_.size() >= kGatherMax || Clock::now() - first_pending_ >= kGatherWindow);
    }
    void flush() {
        if (pending_.empty()) return;
        if (resolver_) {
            std::vector<std::string_view> fids;
            for (const auto& l : pending_) fids.push_back(l.fid);
            resolver_->resolve(fids);
        }
        std::string out;
        for (const auto& l : pending_) {
            PathMode mode = l.fid.empty() ? PathMode::None : settings_.resolve ? PathMode::Unresolved : PathMode::Raw;
            std::string path;
            if (resolver_ && !l.fid.empty())
                if (auto p = resolver_->path(l.fid)) {
                    mode = PathMode::Resolved;
                    path = std::move(*p);
                }
            out += format_line(l, mode, path, settings_.color);
            out += '\n';
        }
        pending_.clear();
        std::fwrite(out.data(), 1, out.size(), stdout);
        std::fflush(stdout);
    }

private:
    const Settings& settings_;
    FidResolver* resolver_;
    std::vector<TailLine> pending_;
    Clock::time_point first_pending_{};
};

int run_tail(StreamReader& reader, const Filter& filter, Printer& printer, const Settings& s) {
    while (!g_stop) {
        for (const Event& e : reader.read(kReadPoll))
            if (!filter.hidden(e)) printer.add(e);
        if (printer.due()) printer.flush();
        if (reader.failed()) {
            printer.flush();
            std::fprintf(stderr, "%s: %s\n", kTool, reader.error().c_str());
            return cli::kExitFailure;
        }
        if (s.run_once && reader.finished()) break;
    }
    printer.flush();
    if (g_stop) std::fprintf(stderr, "\nExiting.\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Tail the Lustre HSM action streams. PURGED and refresh events are hidden by default."};
    cli::CommonFlags flags(app, std::string(cli::kConfigDir) + "hsm_stream_tail.toml");
    std::optional<std::string> mountpoint;
    bool from_beginning = false, no_resolve = false;
    Settings settings;
    std::vector<std::string> show, hide;
    app.add_option("--mountpoint", mountpoint, "Lustre mount point for 'lfs fid2path' (overrides mountpoint)");
    app.add_flag("--from-beginning", from_beginning, "Start from the beginning of every stream");
    app.add_flag("--run-once", settings.run_once, "Print the events the streams hold now, then exit");
    app.add_option("--show", show, "Show actions/statuses hidden by default (e.g. --show PURGED REFRESH)");
    app.add_option("--hide", hide, "Hide more actions/statuses (e.g. --hide STARTED)");
    app.add_flag("--no-resolve", no_resolve, "Print FIDs instead of resolving them with lfs");
    if (auto code = cli::parse(app, argc, argv)) return *code;

    using hsm::config::Type;
    static const auto schema = cli::schema_with({
        {"mountpoint", Type::String, std::string(""), "Lustre client mount point given to `lfs fid2path`."},
        {"lfs_timeout", Type::Float, 5.0,
         "Seconds an `lfs fid2path` call may go without answering anything before it is killed.", 0.1, 600},
        {"fid_cache_size", Type::Integer, std::int64_t{100000}, "FID paths remembered (LRU).", 1, 1e8},
    });
    hsm::config::Config cfg;
    if (auto code = cli::start(flags, schema, kTool, cfg)) return *code;
    if (mountpoint) cfg.set("mountpoint", *mountpoint, "--mountpoint");

    Filter filter;
    for (const auto& item : show) filter.show(item);
    for (const auto& item : hide) filter.hide(item);
    settings.resolve = !no_resolve;
    settings.color = ::isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr;

    std::optional<FidResolver> resolver;
    if (settings.resolve) {
        ResolverOptions ro;
        ro.mountpoint = cfg.str("mountpoint");
        ro.lfs = find_on_path("lfs");
        ro.timeout = std::chrono::milliseconds(static_cast<long>(cfg.real("lfs_timeout") * 1000));
        ro.cache_size = static_cast<std::size_t>(cfg.integer("fid_cache_size"));
        ro.stop = &g_stop;
        if (ro.mountpoint.empty()) {
            std::fprintf(stderr, "%s: --mountpoint must be given on the command line or in the configuration "
                         "(or use --no-resolve)\n", kTool);
            return cli::kExitUsage;
        }
        if (ro.lfs.empty()) {
            std::fprintf(stderr, "%s: 'lfs' not found on PATH: is the Lustre client installed? "
                         "(use --no-resolve to print FIDs)\n", kTool);
            return cli::kExitFailure;
        }
        resolver.emplace(ro);
    }

    ReaderOptions options = cli::reader_options(cfg);
    // --run-once prints what the streams hold, so it replays them whatever --from-beginning says.
    options.start = from_beginning || settings.run_once ? StartAt::Beginning : StartAt::Now;
    options.follow = !settings.run_once;
    options.reconnect = !settings.run_once;
    // A line shows time, MDT, action, status and path: no record identity is needed, so an
    // event without cat_idx/rec_idx is printed like any other (the Python tail prints it too).
    options.require_index = false;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::fprintf(stderr, "Tailing streams with prefix '%s:*'. Press Ctrl+C to exit.\n",
                 options.prefix.c_str());
    StreamReader reader(options);
    Printer printer(settings, resolver ? &*resolver : nullptr);
    return run_tail(reader, filter, printer, settings);
}
