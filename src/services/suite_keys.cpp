// The suite-wide key lists of suite_keys.hpp. tests/tools/test_suite_cli.cpp loads one file holding
// every key of every tool's --config-reference into every tool, so a key added to a tool must be
// added here.
#include "services/suite_keys.hpp"

namespace hsm::config {

namespace {

constexpr SiblingKey kSiblings[] = {
    {"mdt_watch_glob", "hsm-action-shipper"},
    {"poll_interval", "hsm-action-shipper"},
    {"reconcile_interval", "hsm-action-shipper"},
    {"trim_chunk_size", "hsm-action-shipper"},
    {"use_approximate_trimming", "hsm-action-shipper"},
    {"cache_path", "hsm-action-shipper"},
    {"compact_retention", "hsm-action-shipper"},
    {"refresh_long_lived", "hsm-action-shipper"},
    {"interval", "hsm-action-top"},
    {"float_fields", "hsm-stream-stats"},
    {"mountpoint", "hsm-stream-tail"},
    {"lfs_timeout", "hsm-stream-tail"},
    {"fid_cache_size", "hsm-stream-tail"},
};

// From the Python version's shipped configuration files (shipper, stats, tail, and the janitor
// that its 0.3 shipper absorbed).
constexpr RetiredKey kRetired[] = {
    {"aggressive_trim_threshold",
     "replaced by trimming every cycle, in bounded XTRIM calls repeated until the trim point "
     "(trim_chunk_size, use_approximate_trimming)"},
    {"redis_stream_name",
     "replaced by redis_stream_prefix (one stream per MDT, <prefix>:<mdt>, instead of one stream)"},
    {"redis_heartbeat_stream_name",
     "replaced by redis_shipper_prefix (each shipper writes the hash <prefix>:<host> every cycle, not a stream)"},
    {"heartbeat_interval", "replaced by the shipper's poll_interval (its heartbeat hash is rewritten every cycle)"},
    {"heartbeat_stream_maxlen", "not replaced: the heartbeat is one hash per shipper with a TTL, not a stream"},
    {"operation_interval_seconds", "replaced by reconcile_interval of hsm-action-shipper (the shipper does the janitor's work)"},
    {"stale_action_timeout_seconds",
     "replaced by reconcile_interval of hsm-action-shipper (each reconcile removes actions gone "
     "from the MDT)"},
};

}  // namespace

std::span<const SiblingKey> sibling_keys() { return kSiblings; }
std::span<const RetiredKey> retired_keys() { return kRetired; }

}  // namespace hsm::config
