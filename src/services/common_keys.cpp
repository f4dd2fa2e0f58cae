// The shared Redis and log keys (see common_keys.hpp). The help texts are written for every tool
// at once: they end up in each tool's /etc template, man page and --config-reference.
#include "services/common_keys.hpp"

#include <spdlog/spdlog.h>

#include "services/escape.hpp"
#include "services/logging.hpp"

namespace hsm::config {

namespace {

bool under(std::string_view key, std::string_view prefix) {
    return key.size() > prefix.size() && key.substr(0, prefix.size()) == prefix && key[prefix.size()] == ':';
}

}  // namespace

std::span<const KeySpec> redis_keys() {
    // Built on first use (KeySpec holds std::string defaults), never destroyed before the tools
    // are done with their Config.
    static const KeySpec keys[] = {
        {"redis_host", Type::String, std::string("localhost"), "Redis server host name or address.", 1},
        {"redis_port", Type::Integer, std::int64_t{6379}, "Redis server port.", 1, 65535},
        // Redis's own `databases` setting has no fixed ceiling; a million is far above any real one.
        {"redis_db", Type::Integer, std::int64_t{1}, "Redis database number (SELECT).", 0, 1000000},
        {"redis_username", Type::String, std::string(""),
         "ACL user for AUTH (Redis 6+); empty: AUTH with the password only."},
        {"redis_password", Type::String, std::string(""), "Password for AUTH; empty: no AUTH."},
        {"redis_password_file", Type::String, std::string(""),
         "Read the password from this file instead (first line), so it need not sit in this file."},
        {"redis_stream_prefix", Type::String, std::string("hsm:actions"),
         "Streams are named <prefix>:<mdt> (consumers find them with SCAN MATCH <prefix>:*).", 1},
        {"redis_shipper_prefix", Type::String, std::string("hsm:shippers"),
         "Each shipper's heartbeat is the hash <prefix>:<host>, kept apart from the streams.", 1},
    };
    return keys;
}

KeySpec log_level_key(std::string_view default_level, std::string_view help) {
    return {"log_level", Type::String, std::string(default_level), help, 1, 1e300, kLogLevels};
}

std::vector<KeySpec> log_keys(std::string_view default_level) {
    return {
        log_level_key(default_level, "trace, debug, info, warning, error, critical or off, in any case."),
        {"log_file", Type::String, std::string(""), "Log to this file instead of stderr (journald for the daemon)."},
    };
}

std::vector<KeySpec> tool_schema(std::span<const KeySpec> own, std::string_view default_log_level) {
    std::vector<KeySpec> keys(redis_keys().begin(), redis_keys().end());
    keys.insert(keys.end(), own.begin(), own.end());
    const auto log = log_keys(default_log_level);
    keys.insert(keys.end(), log.begin(), log.end());
    return keys;
}

RedisSettings redis_settings(const Config& cfg) {
    RedisSettings r;
    r.host = cfg.str("redis_host");
    r.port = static_cast<int>(cfg.integer("redis_port"));
    r.db = static_cast<int>(cfg.integer("redis_db"));
    r.username = cfg.str("redis_username");
    r.password = cfg.str("redis_password");
    r.stream_prefix = cfg.str("redis_stream_prefix");
    r.shipper_prefix = cfg.str("redis_shipper_prefix");
    if (r.shipper_prefix == r.stream_prefix || under(r.shipper_prefix, r.stream_prefix) ||
        under(r.stream_prefix, r.shipper_prefix))
        throw ConfigError("key 'redis_shipper_prefix' = \"" + escape_control(r.shipper_prefix) +
                          "\" overlaps redis_stream_prefix = \"" + escape_control(r.stream_prefix) + "\": heartbeats and streams need separate prefixes");
    return r;
}

LogSettings log_settings(const Config& cfg) { return {cfg.str("log_level"), cfg.str("log_file")}; }

std::string describe(const RedisSettings& redis) {
    return redis.host + ":" + std::to_string(redis.port) + " db " + std::to_string(redis.db);
}

void log_config_notices(const Config& cfg) {
    for (const auto& n : cfg.notices()) {
        if (n.warning)
            spdlog::warn("{}", n.text);
        else
            spdlog::info("{}", n.text);
    }
}

}  // namespace hsm::config
