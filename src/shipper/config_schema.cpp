// The shipper's configuration keys. Names match the Python version's YAML keys so migrating is a
// mechanical edit (key: value -> key = value).
#include "core/logging.hpp"
#include "shipper/shipper.hpp"

namespace hsm::shipper {

namespace {
using config::KeySpec;
using config::Type;
const KeySpec kSchema[] = {
    {"redis_host", Type::String, std::string("localhost"), "Redis server host name or address.", 1},
    {"redis_port", Type::Integer, std::int64_t{6379}, "Redis server port.", 1, 65535},
    {"redis_db", Type::Integer, std::int64_t{1}, "Redis database number.", 0, 1000000},
    {"redis_username", Type::String, {}, "ACL user for AUTH (Redis 6+); optional."},
    {"redis_password", Type::String, {}, "Password for AUTH; optional."},
    {"redis_password_file", Type::String, {},
     "Read the password from this file instead (first line), so it need not sit in this file."},
    {"redis_stream_prefix", Type::String, std::string("hsm:actions"),
     "Streams are named <prefix>:<mdt>.", 1},
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
    log_level_key("info", "trace, debug, info, warning, error, critical or off, in any case."),
    {"log_file", Type::String, {}, "Log to this file instead of stderr (journald); optional."},
};
}  // namespace

std::span<const config::KeySpec> config_schema() { return kSchema; }

}  // namespace hsm::shipper
