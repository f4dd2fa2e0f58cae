// Config keys and command-line flags shared by hsm-stream-stats, hsm-stream-tail and
// hsm-action-top. They are declared once here so the three tools spell, default, validate and
// document them the same way (the tables feed services/config and `--config-reference`).
#pragma once

#include <cstdint>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "services/config.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume::cli {

// Where the packaged configuration files live.
inline constexpr const char* kConfigDir = "/etc/lustre-hsm-action-stream/";

// Exit codes shared by the tools: 1 = runtime failure (Redis unreachable...), 2 = usage or
// configuration error (the convention of argparse, which the Python tools used).
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// The suite's Redis keys, the tool's own, then the log keys (services/common_keys.hpp), with
// "warning" as the default log level.
std::vector<config::KeySpec> schema_with(std::initializer_list<config::KeySpec> tool_keys);

// "<tool> <version>", what --version prints (the version comes from services/version.hpp).
std::string version_text(std::string_view tool);

// Flags every tool has: -c/--config, --host, --port, --db, --stream-prefix, --log-level,
// --check-config, --config-reference, --config-template, --man-page and --version. Overrides are
// applied with Config::set, so they are checked like the file. --version names the executable as
// it was invoked (argv[0]'s file name).
class CommonFlags {
public:
    CommonFlags(CLI::App& app, std::string default_config);

    // Loads the file (a missing default file means defaults; a missing file named with -c is
    // an error) and applies the command-line overrides. Throws config::ConfigError.
    config::Config load(const std::vector<config::KeySpec>& schema) const;
    bool config_reference() const { return config_reference_; }
    bool check_config() const { return check_config_; }
    bool config_template() const { return config_template_; }
    bool man_page() const { return man_page_; }
    const CLI::App& app() const { return app_; }
    const std::string& config_path() const { return config_path_; }
    const std::string& default_config_path() const { return default_config_; }

private:
    CLI::App& app_;
    std::string config_path_;
    std::string default_config_;
    bool check_config_ = false, config_template_ = false, man_page_ = false;
    std::optional<std::string> host_, prefix_, log_level_;
    std::optional<std::int64_t> port_, db_;
    bool config_reference_ = false;
};

// Parses the command line. Returns the exit code to leave with (0 after --help or --version,
// kExitUsage on a bad command line, with CLI11's message on stderr), or nullopt to go on.
std::optional<int> parse(CLI::App& app, int argc, char** argv);

// The steps every tool starts with once the command line is parsed: --man-page,
// --config-template, --config-reference, the configuration (errors name file, line and key),
// --check-config, logging, and the configuration's warnings. Returns the exit code to leave
// with, or nullopt with `cfg` loaded.
std::optional<int> start(const CommonFlags& flags, const std::vector<config::KeySpec>& schema,
                         const std::string& tool, config::Config& cfg);

ReaderOptions reader_options(const config::Config& cfg);

// "host:port db N" for messages.
std::string describe_endpoint(const config::Config& cfg);

// "YYYY-mm-dd HH:MM:SS" in local time, as the seed's tools print it; "N/A" for no time.
std::string local_time_text(std::int64_t unix_seconds);

}  // namespace hsm::consume::cli
