// hsm-stream-stats: replays every HSM action stream once (a snapshot, never following) and
// prints the live-action report for monitoring: JSON by default, or Influx / Prometheus text.
// Stateless by design, so Telegraf can run it every minute; any failure is a non-zero exit.
#include <chrono>
#include <cstdio>
#include <iostream>

#include <spdlog/spdlog.h>

#include "consume/endpoint.hpp"
#include "tools/common/tool_options.hpp"
#include "services/common_keys.hpp"
#include "services/file_output.hpp"
#include "services/redis.hpp"
#include "wire/shipper_beat.hpp"
#include "report.hpp"

namespace cli = hsm::consume::cli;
using namespace hsm::consume;

namespace {

constexpr const char* kTool = "hsm-stream-stats";

// Replays until the snapshot is complete; false when Redis failed (message on stderr).
bool replay(StreamReader& reader, LiveState& live) {
    while (!reader.finished() && !reader.failed()) live.apply(reader.read(std::chrono::seconds(1)));
    if (reader.failed()) {
        std::fprintf(stderr, "%s: cannot read the streams: %s\n", kTool, reader.error().c_str());
        return false;
    }
    return true;
}

// node_exporter's textfile collector may read at any moment, so a regular file is replaced
// atomically; /dev/stdout, a FIFO or a symlink keep being what they are (services/file_output.hpp).
bool write_output(const std::string& path, const std::string& text) {
    std::string why;
    if (hsm::files::write_file(path, text, {}, why)) return true;
    std::fprintf(stderr, "%s: -o: %s\n", kTool, why.c_str());
    return false;
}

// The shippers' heartbeats (wire/shipper_beat.hpp), or nullopt with a warning when Redis refuses
// or fails: the live-action report stays useful under a user that may only read the streams.
std::optional<std::vector<hsm::beat::ShipperBeat>> read_shippers(const ReaderOptions& options,
                                                                 const std::string& prefix) {
    hsm::RedisEndpoint ep = endpoint_of(options);  // quiet: one warning below says it all
    ep.io_timeout = std::chrono::seconds(5);
    hsm::RedisConnection redis(ep);
    std::vector<hsm::beat::ShipperBeat> beats;
    hsm::RedisProblem problem;
    if (redis.connect() && hsm::beat::read_beats(redis, prefix, beats, problem)) return beats;
    spdlog::warn("shipper heartbeats left out of the report: {}",
                 problem ? problem.message() : redis.last_problem().message());
    return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Replay every Lustre HSM action stream once and print a point-in-time report."};
    cli::CommonFlags flags(app, std::string(cli::kConfigDir) + "hsm_stream_stats.toml");
    std::string format = "json";
    app.add_option("--format", format, "json (Telegraf json_v2), influx (line protocol) or prometheus")
        ->check(CLI::IsMember({"json", "influx", "prometheus"}))
        ->capture_default_str();
    bool float_fields = false;
    app.add_flag("--float-fields", float_fields,
                 "--format influx: write fields as floats, the type of series the Python version fed"
                 " to InfluxDB through Telegraf (overrides float_fields)");
    std::string output;
    app.add_option("-o,--output", output, "Write the report to this file instead of stdout (a regular file is replaced atomically)");
    if (auto code = cli::parse(app, argc, argv)) return *code;

    static const auto schema = cli::schema_with({
        {"float_fields", hsm::config::Type::Boolean, false,
         "With --format influx, write fields as floats (`5`, not `5i`): the type InfluxDB already "
         "holds for series the Python version's stats wrote through Telegraf's json_v2 parser."},
    });
    hsm::config::Config cfg;
    if (auto code = cli::start(flags, schema, kTool, cfg)) return *code;
    if (float_fields) cfg.set("float_fields", true, "--float-fields");

    ReaderOptions options = cli::reader_options(cfg);
    options.start = StartAt::Beginning;
    options.follow = false;     // a snapshot: stop where the streams ended at start
    options.reconnect = false;  // Telegraf must see a failure, not a hang
    StreamReader reader(options);
    LiveState live;
    if (!replay(reader, live)) return cli::kExitFailure;
    spdlog::info("replayed {} events, {} live actions", live.events_applied(), live.live());

    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    auto report = stats::build_report(live, reader.streams(), live.events_applied(), now_ms);
    if (auto beats = read_shippers(options, hsm::config::redis_settings(cfg).shipper_prefix))
        report.shippers = stats::shipper_rows(*beats, now_ms);
    const std::string text = format == "influx"       ? stats::to_influx(report, cfg.boolean("float_fields"))
                             : format == "prometheus" ? stats::to_prometheus(report)
                                                      : stats::to_json(report);
    if (!output.empty()) return write_output(output, text) ? 0 : cli::kExitFailure;
    std::cout << text << std::flush;
    return std::cout ? 0 : cli::kExitFailure;
}
