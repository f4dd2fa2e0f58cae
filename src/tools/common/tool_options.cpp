// The shared tool keys and flags (see tool_options.hpp).
#include "tools/common/tool_options.hpp"

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "consume/endpoint.hpp"
#include "services/common_keys.hpp"
#include "services/logging.hpp"
#include "services/version.hpp"
#include "services/manpage.hpp"

namespace hsm::consume::cli {

using config::KeySpec;
using config::Type;

std::vector<KeySpec> schema_with(std::initializer_list<KeySpec> tool_keys) {
    // Tools log warnings and worse by default: their stdout is the product, stderr is for trouble.
    return config::tool_schema(std::span<const KeySpec>(tool_keys.begin(), tool_keys.size()), "warning");
}

std::string version_text(std::string_view tool) {
    return std::string(tool) + " " + hsm::kVersion;
}

CommonFlags::CommonFlags(CLI::App& app, std::string default_config)
    : app_(app), config_path_(default_config), default_config_(std::move(default_config)) {
    app.add_option("-c,--config", config_path_, "TOML configuration file")->capture_default_str();
    app.add_option("--host", host_, "Redis server host (overrides redis_host)");
    app.add_option("--port", port_, "Redis server port (overrides redis_port)");
    app.add_option("--db", db_, "Redis database number (overrides redis_db)");
    app.add_option("--stream-prefix", prefix_, "Prefix of the Redis streams (overrides redis_stream_prefix)");
    app.add_option("--log-level", log_level_, "Log level (overrides log_level)");
    app.add_flag("--check-config", check_config_, "Validate the configuration file and exit");
    app.add_flag("--config-reference", config_reference_,
                 "Print the configuration keys as a Markdown table and exit");
    // The App is named after argv[0] only when parsing starts, hence the deferred text.
    app.set_version_flag(
        "--version",
        [&app] { return version_text(std::filesystem::path(app.get_name()).filename().string()); },
        "Print the version and exit");
    app.add_flag("--config-template", config_template_,
                 "Print a configuration file with every key commented out at its default, and exit");
    app.add_flag("--man-page", man_page_, "Print this tool's manual page (roff) and exit");
}

config::Config CommonFlags::load(const std::vector<KeySpec>& schema) const {
    const bool named = app_.get_option("--config")->count() > 0;
    config::Config cfg = config::load(schema, config_path_, named);
    if (host_) cfg.set("redis_host", *host_, "--host");
    if (port_) cfg.set("redis_port", *port_, "--port");
    if (db_) cfg.set("redis_db", *db_, "--db");
    if (prefix_) cfg.set("redis_stream_prefix", *prefix_, "--stream-prefix");
    if (log_level_) cfg.set("log_level", *log_level_, "--log-level");
    config::redis_settings(cfg);  // the keys checked against each other, overrides included
    return cfg;
}

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version are "errors" that exit 0; every other one is a usage error.
        const int code = app.exit(e);
        return code == 0 ? 0 : kExitUsage;
    }
    return std::nullopt;
}

std::optional<int> start(const CommonFlags& flags, const std::vector<config::KeySpec>& schema,
                         const std::string& tool, config::Config& cfg) {
    if (flags.man_page()) {
        std::cout << manpage::render(flags.app(), {tool, flags.default_config_path(), schema, {}, {}});
        return 0;
    }
    if (flags.config_template()) {
        std::cout << config::config_template(schema, tool, flags.default_config_path());
        return 0;
    }
    if (flags.config_reference()) {
        std::cout << config::reference_markdown(schema);
        return 0;
    }
    try {
        cfg = flags.load(schema);
    } catch (const config::ConfigError& e) {
        std::fprintf(stderr, "%s: %s\n", tool.c_str(), e.what());
        return kExitUsage;
    }
    if (flags.check_config()) {
        for (const auto& n : cfg.notices())
            std::fprintf(stderr, "%s: %s%s\n", tool.c_str(), n.warning ? "warning: " : "", n.text.c_str());
        std::printf("%s\n", config::check_config_line(cfg, flags.config_path()).c_str());
        return 0;
    }
    const config::LogSettings log = config::log_settings(cfg);
    if (!setup_logging(log.level, log.file, tool)) return kExitUsage;
    log_config_notices(cfg);
    return std::nullopt;
}

ReaderOptions reader_options(const config::Config& cfg) {
    const config::RedisSettings redis = config::redis_settings(cfg);
    ReaderOptions o;
    copy_identity(o, redis);
    o.prefix = redis.stream_prefix;
    return o;
}

std::string local_time_text(std::int64_t unix_seconds) {
    if (unix_seconds <= 0) return "N/A";
    const std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

std::string describe_endpoint(const config::Config& cfg) { return config::describe(config::redis_settings(cfg)); }

}  // namespace hsm::consume::cli
