// hsm-action-shipper: the per-MDS daemon. Parses the command line, validates the configuration
// (exit 2 on any error, before anything starts) and runs the Shipper; signals are taken by one
// thread with sigwait so no handler runs inside the pipeline threads.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <systemd/sd-daemon.h>
#include <spdlog/spdlog.h>

#include "services/common_keys.hpp"
#include "services/logging.hpp"
#include "services/version.hpp"
#include "services/manpage.hpp"
#include "shipper/shipper.hpp"

namespace {

// Exit status for a bad command line or configuration (the convention of argparse, which the
// Python version used; the consumer tools share it).
constexpr int kExitConfig = 2;

constexpr const char* kManNotes =
    "Run by systemd as hsm-action-shipper.service (Type=notify, with a watchdog fed after every cycle "
    "and while idle between cycles, so only a hung cycle starves it) "
    "on every Lustre MDS. It reads each MDT's hsm/actions file in debugfs (root only), ships every "
    "new, changed or vanished action to the Redis stream <prefix>:<mdt>, and keeps a checkpoint of "
    "what Redis acknowledged in /var/cache/hsm-action-shipper, so a restart ships nothing twice. "
    "Logs go to the journal: journalctl -u hsm-action-shipper -f.";

struct Args {
    std::string config_path = hsm::shipper::kDefaultConfigPath;
    bool config_given = false;
    bool run_once = false, maintenance_now = false, dry_run = false, check_config = false;
    bool version = false, reference = false, config_template = false, man_page = false;
};

// Blocks SIGINT/SIGTERM in every thread and lets this one take them: the first asks the shipper
// to stop (bounded wind-down, checkpoint, exit 0), a second exits at once.
std::thread start_signal_thread(hsm::shipper::Shipper& shipper, sigset_t set) {
    return std::thread([&shipper, set] {
        int sig = 0;
        sigwait(&set, &sig);
        spdlog::info("signal {} received: finishing the cycle in hand and exiting", sig);
        shipper.request_stop();
        sigwait(&set, &sig);
        std::fputs("second signal: exiting now\n", stderr);
        ::_exit(1);
    });
}

// glibc gives each thread that allocates its own arena (up to 8 per core), and memory freed into
// one arena serves only the threads attached to it. The daemon's five threads then keep five
// heaps' worth of freed-but-kept memory, which is what made its RSS wander: in the memory soak
// (bench/soak, docs/benchmarks.md) two arenas held RSS 4 to 8 MB lower, at 100,000 and at
// 350,000 live, with no cycle-time difference measurable there. Called before any thread starts;
// an admin's MALLOC_ARENA_MAX or GLIBC_TUNABLES still wins.
void limit_malloc_arenas() {
    if (std::getenv("MALLOC_ARENA_MAX") || std::getenv("GLIBC_TUNABLES")) return;
    mallopt(M_ARENA_MAX, 2);
}

}  // namespace

int main(int argc, char** argv) {
    limit_malloc_arenas();
    Args a;
    CLI::App app{"Ships Lustre HSM hsm/actions records to per-MDT Redis streams."};
    auto* c = app.add_option("-c,--config", a.config_path, "TOML configuration file");
    app.add_flag("--run-once", a.run_once, "One full cycle, then exit");
    app.add_flag("--maintenance-now", a.maintenance_now, "One cycle, then a maintenance pass, then exit");
    app.add_flag("--dry-run", a.dry_run, "Print events as JSON lines; touch neither Redis nor the cache");
    app.add_flag("--check-config", a.check_config, "Validate the configuration and exit");
    app.add_flag("--version", a.version, "Print the version and exit");
    app.add_flag("--config-reference", a.reference, "Print the configuration keys as Markdown");
    app.add_flag("--config-template", a.config_template,
                 "Print a configuration file with every key commented out at its default, and exit");
    app.add_flag("--man-page", a.man_page, "Print this tool's manual page (roff) and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help exits 0; anything else is a usage error, exit 2 like every tool of the suite
        // (CLI11's own codes, e.g. 109 for an unknown option, mean nothing to an admin).
        const int code = app.exit(e);
        return code == 0 ? 0 : kExitConfig;
    }
    a.config_given = c->count() > 0;
    if (a.version) {
        std::printf("hsm-action-shipper %s\n", hsm::kVersion);
        return 0;
    }
    if (a.man_page) {
        std::fputs(hsm::manpage::render(app, {"hsm-action-shipper", hsm::shipper::kDefaultConfigPath,
                                              hsm::shipper::config_schema(), kManNotes, {}})
                       .c_str(),
                   stdout);
        return 0;
    }
    if (a.config_template) {
        std::fputs(hsm::config::config_template(hsm::shipper::config_schema(), "hsm-action-shipper",
                                                hsm::shipper::kDefaultConfigPath)
                       .c_str(),
                   stdout);
        return 0;
    }
    if (a.reference) {
        std::fputs(hsm::config::reference_markdown(hsm::shipper::config_schema()).c_str(), stdout);
        return 0;
    }

    hsm::config::Config cfg;
    hsm::shipper::ShipperSettings settings;
    try {
        cfg = hsm::config::load(hsm::shipper::config_schema(), a.config_path, a.config_given);
        settings = hsm::shipper::ShipperSettings::from(cfg);  // checks keys against each other
    } catch (const hsm::config::ConfigError& e) {
        std::fprintf(stderr, "hsm-action-shipper: configuration error: %s\n", e.what());
        return kExitConfig;
    }
    if (a.check_config) {
        // Retired and sibling keys are accepted; say so here, where an admin checks a file.
        for (const auto& n : cfg.notices())
            std::fprintf(stderr, "hsm-action-shipper: %s: %s\n", n.warning ? "warning" : "notice", n.text.c_str());
        std::printf("%s\n", hsm::config::check_config_line(cfg, a.config_path).c_str());
        return 0;
    }
    if (!hsm::setup_logging(settings.log.level, settings.log.file, "shipper")) return kExitConfig;
    hsm::config::log_config_notices(cfg);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);

    const bool one_shot = a.run_once || a.maintenance_now || a.dry_run;
    hsm::shipper::RunOptions options{a.dry_run, one_shot, {}, {}};
    std::uint64_t watchdog_usec = 0;
    if (!one_shot && sd_watchdog_enabled(0, &watchdog_usec) > 0) {
        // systemd restarts us when WATCHDOG=1 stops for WatchdogSec: feed at half that while
        // idle; each finished cycle feeds too, so only a hung cycle starves it.
        options.heartbeat = [] { sd_notify(0, "WATCHDOG=1"); };
        options.heartbeat_every = std::chrono::microseconds(watchdog_usec / 2);
    }
    hsm::shipper::Shipper shipper(cfg, options);
    std::string error;
    if (!shipper.start(one_shot, error)) {
        spdlog::critical("{}", error);
        return 1;
    }
    std::thread signals = start_signal_thread(shipper, set);
    signals.detach();
    int exit_code = 0;
    if (one_shot) {
        hsm::shipper::CycleSummary sum = shipper.run_cycle();
        if (a.maintenance_now && sum.failed == 0) {
            sum = shipper.run_maintenance();
            if (!sum.maintenance_error.empty()) {
                spdlog::error("maintenance failed: {}", sum.maintenance_error);
                exit_code = 1;
            }
        }
        // A cron job or an admin must be able to tell that nothing (or not all) was shipped.
        if (sum.failed && !a.dry_run) {
            spdlog::error("{} events were not acknowledged by redis; nothing of them was committed",
                          sum.failed);
            exit_code = 1;
        }
        if (sum.unshipped_mdts && !a.dry_run) {
            spdlog::error("{} MDTs were not shipped: their streams could not be checked", sum.unshipped_mdts);
            exit_code = 1;
        }
        if (!sum.checkpoint_ok) exit_code = 1;
    } else {
        spdlog::info("hsm-action-shipper {} started: glob {}, every {} s", hsm::kVersion,
                     settings.mdt_watch_glob, settings.poll_interval);
        sd_notify(0, "READY=1");  // Type=notify units start dependants only now; no-op elsewhere
        shipper.run_forever();
        sd_notify(0, "STOPPING=1");
    }
    shipper.shutdown();
    spdlog::info("stopped {}", exit_code == 0 ? "cleanly" : "with errors");
    return exit_code;
}
