// A shipper under test, written once for every integration test that drives the built
// hsm-action-shipper: its own temp MDT tree (<tmp>/mdt/<mdt>/hsm/actions), cache file and TOML
// config pointing at a RedisServer; run-once, dry-run, maintenance and daemon runs; and the
// stream content decoded back into events (the project's wire decoder) so tests assert fields,
// not substrings.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fixtures.hpp"

namespace hsm::test {

// One line in the kernel's format (docs/lustre-actions.md), e.g.
// kernel_line(517, 42068, "0x2c000596f:0x1ce71:0x0", "ARCHIVE", "STARTED").
std::string kernel_line(std::uint32_t cat, std::uint32_t rec, const std::string& fid,
                        const std::string& action, const std::string& status,
                        std::uint64_t cookie = 0x6912db05);
// The short test format of the Python version: `idx=[C/R] action=A fid=[F] status=S`.
std::string short_line(std::uint32_t cat, std::uint32_t rec, const std::string& fid,
                       const std::string& action, const std::string& status);
// Lines joined with a newline after each (the kernel ends every line, the last one included).
std::string join_lines(const std::vector<std::string>& lines);

// A TOML literal for a string value (quotes and backslashes escaped).
std::string toml_string(const std::string& s);

// One event as read back from a stream entry's `data`. `valid` is false when the data is not a
// JSON object; `complete` says whether every docs/wire-format.md field of its type is present with
// its type (missing ones are listed in `missing`).
struct StreamEvent {
    std::string id;    // the entry ID
    std::string json;  // the raw `data` value
    bool valid = false;
    bool complete = false;
    std::vector<std::string> missing;
    std::string event_type, mdt, fid, action, status, action_key, raw, hash, source;
    std::int64_t cat_idx = -1, rec_idx = -1, timestamp = -1, first_seen = -1;
    bool refresh = false;
};
// Decodes one `data` value; never throws.
StreamEvent parse_event(std::string_view json);
// Every entry of `key`, oldest first, decoded.
std::vector<StreamEvent> stream_events(const RedisServer& redis, const std::string& key, int db = 1);

class ShipperFixture {
public:
    // `redis_port` is where the shipper's config points (a RedisServer's port, or a port where
    // nothing listens). Defaults: redis_host 127.0.0.1, db 1, poll_interval 0.2 s, log_level
    // info, mdt_watch_glob <tmp>/mdt/*/hsm/actions, cache_path <tmp>/cache/state.bin.
    explicit ShipperFixture(int redis_port);
    ShipperFixture(const ShipperFixture&) = delete;
    ShipperFixture& operator=(const ShipperFixture&) = delete;

    const fs::path& root() const { return dir_.path(); }
    fs::path mdt_root() const { return root() / "mdt"; }
    fs::path actions_path(const std::string& mdt) const { return mdt_root() / mdt / "hsm" / "actions"; }
    fs::path cache_path() const;
    fs::path config_path() const { return root() / "shipper.toml"; }
    std::string prefix() const;
    std::string stream(const std::string& mdt) const;

    // Replaces an MDT's hsm/actions file atomically (creating the MDT directory).
    void write_actions(const std::string& mdt, const std::vector<std::string>& lines);
    void write_actions_raw(const std::string& mdt, const std::string& bytes);
    // Removes the MDT's directory, as when the MDT fails over to another host.
    void remove_mdt(const std::string& mdt);

    // Config overrides; each takes effect at the next run (the file is rewritten every run).
    void set(const std::string& key, std::int64_t value);
    void set(const std::string& key, int value) { set(key, static_cast<std::int64_t>(value)); }
    void set(const std::string& key, double value);
    void set(const std::string& key, bool value);
    void set(const std::string& key, const std::string& value);
    void set(const std::string& key, const char* value) { set(key, std::string(value)); }
    void set_raw(const std::string& key, const std::string& toml_literal);
    void unset(const std::string& key);
    // Writes the config file from the current settings and returns its path.
    fs::path write_config() const;

    // `hsm-action-shipper -c <config> <args...>` to completion.
    ProcessResult run(const std::vector<std::string>& args,
                      std::chrono::milliseconds timeout = 60s) const;
    ProcessResult run_once(std::chrono::milliseconds timeout = 60s) const { return run({"--run-once"}, timeout); }
    ProcessResult dry_run(std::chrono::milliseconds timeout = 60s) const { return run({"--dry-run"}, timeout); }
    ProcessResult maintenance_now(std::chrono::milliseconds timeout = 60s) const {
        return run({"--maintenance-now"}, timeout);
    }
    ProcessResult check_config() const { return run({"--check-config"}, 30s); }
    // The daemon (no one-shot flag), running until signalled.
    std::unique_ptr<Process> start_daemon(const std::vector<std::string>& extra_args = {}) const;

private:
    TempDir dir_;
    std::map<std::string, std::string> settings_;  // key -> TOML literal
};

}  // namespace hsm::test
