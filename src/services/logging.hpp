// One logging set-up for every executable: setup_logging() sends spdlog to stderr (journald
// captures it) or to a file. Knows nothing of the configuration file: the `log_level` key and the
// logging of config notices are with the shared key table (services/common_keys.hpp). spdlog's own default logger, before any set-up, writes to stdout;
// the libraries move it off stdout with keep_library_logs_off_stdout().
#pragma once

#include <string>
#include <string_view>

namespace hsm {

// The accepted `log_level` values, matched in any case: spdlog's names plus the Python logging
// names a migrated file or habit brings (WARNING, WARN, CRITICAL, FATAL).
inline constexpr std::string_view kLogLevels[] = {"trace", "debug", "info",     "warning", "warn",
                                                   "error", "critical", "fatal", "off"};

// level: one of kLogLevels, any case. Returns false (with the reason on stderr, never stdout) when
// the level is unknown or the file cannot be opened. Every message of the logger it installs has
// its control bytes escaped (services/escape.hpp): outside text cannot forge lines or drive a terminal.
bool setup_logging(const std::string& level, const std::string& log_file, const std::string& name);

// For the libraries (src/consume): when the process still has spdlog's built-in default logger,
// which writes to stdout, replace it with the same on stderr, keeping its level. A library's
// log lines must never mix into a tool's or a host program's output on stdout. A logger the
// program set up itself (setup_logging, or a named one of its own) is left alone. Thread-safe.
void keep_library_logs_off_stdout();

}  // namespace hsm
