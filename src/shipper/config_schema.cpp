// The shipper's configuration keys and typed settings (see settings.hpp). Names match the Python
// version's YAML keys so migrating is a mechanical edit (key: value -> key = value).
#include "shipper/settings.hpp"

#include <vector>

namespace hsm::shipper {

namespace {
using config::KeySpec;
using config::Type;

// The daemon's own keys; the Redis and log keys come from services/common_keys.hpp.
std::vector<KeySpec> own_keys() {
    return {
        {"mdt_watch_glob", Type::String,
         std::string("/sys/kernel/debug/lustre/mdt/*-MDT?\?\?\?/hsm/actions"),
         "Glob of hsm/actions files, re-evaluated every cycle (/proc/fs/lustre/mdt/... before Lustre 2.13).", 1},
        {"poll_interval", Type::Float, 20.0,
         "Seconds between cycles. Final statuses stay visible ~60 s, so keep it under 30.", 0.05, 86400},
        {"reconcile_interval", Type::Float, 21600.0,
         "Seconds between full reconciles of each stream with the committed state.", 1, 31536000},
        {"trim_chunk_size", Type::Integer, std::int64_t{1000},
         "Entries deleted per XTRIM or XDEL call (and read per XRANGE), so one call never blocks Redis for long.",
         1, 1000000},
        {"use_approximate_trimming", Type::Boolean, true,
         "XTRIM MINID ~ (whole macro-nodes, cheapest) instead of exact trimming in bounded steps."},
        {"compact_retention", Type::Float, 60.0,
         "Seconds of newest history compaction never deletes from: a consumer lagging less sees every event.",
         0, 86400},
        {"refresh_long_lived", Type::Boolean, false,
         "Re-publish long-lived records as \"refresh\" UPDATEs instead of compacting; consumers see extra events."},
        {"cache_path", Type::String, std::string("/var/cache/hsm-action-shipper/state.bin"),
         "Checkpoint of the committed state, so a restart ships nothing already shipped.", 1},
    };
}
}  // namespace

std::span<const config::KeySpec> config_schema() {
    static const std::vector<KeySpec> schema = config::tool_schema(own_keys(), "info");
    return schema;
}

ShipperSettings ShipperSettings::from(const config::Config& cfg) {
    ShipperSettings s;
    s.redis = config::redis_settings(cfg);
    s.log = config::log_settings(cfg);
    s.mdt_watch_glob = cfg.str("mdt_watch_glob");
    s.poll_interval = cfg.real("poll_interval");
    s.reconcile_interval = cfg.real("reconcile_interval");
    s.trim_chunk_size = static_cast<std::size_t>(cfg.integer("trim_chunk_size"));
    s.use_approximate_trimming = cfg.boolean("use_approximate_trimming");
    s.compact_retention = cfg.real("compact_retention");
    s.refresh_long_lived = cfg.boolean("refresh_long_lived");
    s.cache_path = cfg.str("cache_path");
    return s;
}

}  // namespace hsm::shipper
