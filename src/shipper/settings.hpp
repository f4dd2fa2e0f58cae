// The shipper's configuration: its key table (hsm_action_shipper.toml, the suite's Redis and log
// keys from services/common_keys.hpp plus the daemon's own) and the typed settings the daemon runs
// on, built once from a loaded Config so no code path looks a key up by name.
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "services/common_keys.hpp"
#include "services/config.hpp"

namespace hsm::shipper {

// Every key of hsm_action_shipper.toml: the one table docs and validation come from. Lives as
// long as the program.
std::span<const config::KeySpec> config_schema();
inline constexpr const char* kDefaultConfigPath = "/etc/lustre-hsm-action-stream/hsm_action_shipper.toml";

struct ShipperSettings {
    config::RedisSettings redis;
    config::LogSettings log;
    std::string mdt_watch_glob;
    double poll_interval = 20;          // seconds between cycles
    double reconcile_interval = 21600;  // seconds between full reconciles
    std::size_t trim_chunk_size = 1000; // entries per XTRIM / XDEL / XRANGE call
    bool use_approximate_trimming = true;
    double compact_retention = 60;      // seconds of newest history compaction keeps
    bool refresh_long_lived = false;
    std::string cache_path;

    // From a Config loaded against config_schema(). Throws config::ConfigError when keys
    // contradict each other (config::redis_settings()).
    static ShipperSettings from(const config::Config& cfg);
};

}  // namespace hsm::shipper
