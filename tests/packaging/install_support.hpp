// Helpers the packaging tests share: installing the build into a scratch root, the spec's
// %files list with its macros expanded, and small file checks.
#pragma once

#include <string>
#include <vector>

#include "fixtures.hpp"

namespace hsm::test {

// `cmake --install <build> --prefix /usr` into `root` (DESTDIR), every component. REQUIREs success.
void install_into(const fs::path& root);

// One line of the spec's %files sections: the path with macros expanded for prefix /usr and
// libdir `libdir`, whether it is %config, and which package (main "" or "devel").
struct SpecFile {
    std::string path;
    bool config = false;
    bool dir = false;
    std::string package;
};
std::vector<SpecFile> spec_files(const std::string& libdir);

// Whether `pattern` (a path whose last component may hold '*') matches a file under `root`.
bool exists_glob(const fs::path& root, const std::string& pattern);

// The tools and their /etc files, as the packages ship them.
struct ToolConfig {
    std::string tool;     // command name
    std::string dir;      // "bin" or "sbin"
    std::string config;   // file name in /etc/lustre-hsm-action-stream
};
const std::vector<ToolConfig>& tool_configs();

// The lines of a command's output.
std::vector<std::string> lines(const std::string& text);

}  // namespace hsm::test
