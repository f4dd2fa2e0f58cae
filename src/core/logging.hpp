// One logging set-up for every executable: spdlog to stderr (journald captures it) or to a file.
#pragma once

#include <string>

namespace hsm {

// level: trace|debug|info|warning|error|critical. Returns false (and logs why to stderr) when the
// level is unknown or the file cannot be opened.
bool setup_logging(const std::string& level, const std::string& log_file, const std::string& name);

// For the libraries (src/consume): when the process still has spdlog's built-in default logger,
// which writes to stdout, replace it with the same on stderr, keeping its level. A library's
// log lines must never mix into a tool's or a host program's output on stdout. A logger the
// program set up itself (setup_logging, or a named one of its own) is left alone. Thread-safe.
void keep_library_logs_off_stdout();

}  // namespace hsm
