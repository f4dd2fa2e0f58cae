// hsm-action-top: a `top`-like live dashboard of HSM actions by (MDT, action, status). It replays
// the streams' history to build the live set, then follows new events; --run-once prints one
// plain frame (no terminal codes) after the replay, for scripts and tests.
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "tools/common/tool_options.hpp"
#include "services/common_keys.hpp"
#include "dashboard.hpp"
#include "screen.hpp"

namespace cli = hsm::consume::cli;
using namespace hsm::consume;

namespace {

constexpr const char* kTool = "hsm-action-top";

int run_once(StreamReader& reader, top::ShipperWatch& shippers) {
    LiveState live;
    while (!reader.finished() && !reader.failed()) live.apply(reader.read(std::chrono::seconds(1)));
    if (reader.failed()) {
        std::fprintf(stderr, "%s: %s\n", kTool, reader.error().c_str());
        return cli::kExitFailure;
    }
    top::Dashboard board;
    board.reset_baseline(live);
    const std::string status = "Snapshot complete (" + top::thousands(static_cast<std::int64_t>(live.events_applied())) + " events).";
    top::Header header = top::make_header(reader, live, status);
    shippers.refresh(std::chrono::seconds(0));
    header.shippers = shippers.lines(top::unix_ms_now());
    for (const auto& line : board.render(header)) std::cout << line << '\n';
    std::cout << std::flush;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"A top-like dashboard of live Lustre HSM actions, from the action streams."};
    cli::CommonFlags flags(app, std::string(cli::kConfigDir) + "hsm_action_top.toml");
    std::optional<double> interval;
    bool once = false;
    app.add_option("--interval", interval, "Seconds between refreshes (overrides interval)");
    app.add_flag("--run-once", once, "Print a single plain frame after replaying the streams, then exit");
    if (auto code = cli::parse(app, argc, argv)) return *code;

    static const auto schema = cli::schema_with({
        {"interval", hsm::config::Type::Float, 2.0, "Seconds between screen refreshes.", 0.05, 3600},
    });
    hsm::config::Config cfg;
    if (auto code = cli::start(flags, schema, kTool, cfg)) return *code;
    try {
        if (interval) cfg.set("interval", *interval, "--interval");
    } catch (const hsm::config::ConfigError& e) {
        std::fprintf(stderr, "%s: %s\n", kTool, e.what());
        return cli::kExitUsage;
    }

    ReaderOptions options = cli::reader_options(cfg);
    options.start = StartAt::Beginning;
    top::ShipperWatch shippers(options, hsm::config::redis_settings(cfg).shipper_prefix);
    if (once) {
        options.follow = false;
        options.reconnect = false;
        StreamReader reader(options);
        return run_once(reader, shippers);
    }
    // Log lines on stderr would tear the full-screen display: without log_file, stay quiet
    // (the header shows the Redis connection state).
    if (cfg.str("log_file").empty()) spdlog::set_level(spdlog::level::off);
    StreamReader reader(options);
    return top::run_screen(reader, shippers, std::chrono::milliseconds(static_cast<long>(cfg.real("interval") * 1000)));
}
