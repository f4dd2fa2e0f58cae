// Configuration keys a tool may meet in its file without owning them, declared once: keys of the
// suite's other tools (one file shared by several tools is common practice) and keys the Python
// version had that are gone. config::load() turns them into notices instead of fatal "unknown
// key" errors, so a migrated or shared file keeps working while a real typo still fails.
// Each tool's own keys stay in its own table; tests check that this list matches them.
#pragma once

#include <span>
#include <string_view>

namespace hsm::config {

struct SiblingKey {
    std::string_view name;
    std::string_view tools;  // who reads it, for the notice: "hsm-stream-tail"
};

struct RetiredKey {
    std::string_view name;
    std::string_view replaced_by;  // "replaced by ..." (what does its job now), for the warning
};

// Keys of one tool of the suite that another tool ignores (keys every tool has are not here).
std::span<const SiblingKey> sibling_keys();

// Keys of the Python version (0.3 and earlier) that no tool reads any more.
std::span<const RetiredKey> retired_keys();

}  // namespace hsm::config
