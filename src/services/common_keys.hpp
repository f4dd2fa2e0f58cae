// The configuration keys every tool of the suite has, declared once: where Redis is and how to
// log. The shipper and the consumer tools used to declare them each in their own table, and the
// two tables drifted apart (bounds, defaults, help); now both tables take them from here, and the
// code reads them through the typed settings below, built once after loading, instead of looking
// keys up by name.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "services/config.hpp"

namespace hsm::config {

// The Redis keys of every tool, in the order the templates list them: redis_host, redis_port,
// redis_db, redis_username, redis_password, redis_password_file, redis_stream_prefix,
// redis_shipper_prefix. The table lives as long as the program.
std::span<const KeySpec> redis_keys();

// The `log_level` entry of a tool's key table, with services/logging.hpp's kLogLevels as its choices.
KeySpec log_level_key(std::string_view default_level, std::string_view help);

// log_level (choices: services/logging.hpp's kLogLevels) and log_file. Only the default level differs
// between tools: "info" for the daemon, "warning" for the interactive and scripted tools.
std::vector<KeySpec> log_keys(std::string_view default_level);

// A tool's whole table: the Redis keys, then `own`, then the log keys.
std::vector<KeySpec> tool_schema(std::span<const KeySpec> own, std::string_view default_log_level);

// The Redis keys' values. Built once, after loading and command-line overrides.
struct RedisSettings {
    std::string host;
    int port = 6379;
    int db = 1;
    std::string username;  // empty: AUTH with the password only (or no AUTH)
    std::string password;  // already read from redis_password_file when that was set
    std::string stream_prefix;   // streams are <stream_prefix>:<mdt>
    std::string shipper_prefix;  // heartbeats are <shipper_prefix>:<host>
};

struct LogSettings {
    std::string level;  // one of kLogLevels, as spelt there
    std::string file;   // empty: stderr
};

// Build the settings from a loaded Config whose schema holds redis_keys() (resp. log_keys()).
// redis_settings() throws ConfigError when the two prefixes overlap (a heartbeat hash under the
// stream prefix would be found by every consumer's SCAN MATCH <stream_prefix>:*, and a stream
// under the shipper prefix by the heartbeat reader). Calling either on a Config whose schema
// lacks the keys is a programming error: std::logic_error (Config's rule).
RedisSettings redis_settings(const Config& cfg);
LogSettings log_settings(const Config& cfg);

// "host:port db N" for messages.
std::string describe(const RedisSettings& redis);

// Logs (spdlog) what loading the configuration noticed (retired or sibling keys): call after
// setup_logging().
void log_config_notices(const Config& cfg);

}  // namespace hsm::config
