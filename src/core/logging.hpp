// One logging set-up for every executable: spdlog to stderr (journald captures it) or to a file.
#pragma once

#include <string>

namespace hsm {

// level: trace|debug|info|warning|error|critical. Returns false (and logs why to stderr) when the
// level is unknown or the file cannot be opened.
bool setup_logging(const std::string& level, const std::string& log_file, const std::string& name);

}  // namespace hsm
