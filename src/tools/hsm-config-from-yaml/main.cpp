// hsm-config-from-yaml: converts one of the Python version's YAML configurations to the TOML
// file the C++ tools read (docs/upgrading.md). Prints to stdout, or writes -o FILE, refusing to
// replace an existing file unless --force: /etc holds the admin's files, not ours.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "convert.hpp"
#include "services/file_output.hpp"
#include "services/manpage.hpp"
#include "services/version.hpp"

namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr const char* kTool = "hsm-config-from-yaml";
constexpr const char* kManExitStatus =
    "0 on success, 1 when the YAML file cannot be read or the output cannot be written, 2 on a usage "
    "error or a YAML file that cannot be converted (the message names the file, the line and the key).";

constexpr const char* kManNotes =
    "For upgrading from the Python version (0.3): give it hsm_action_shipper.yaml, "
    "hsm_stream_stats.yaml or hsm_stream_tail.yaml (the tool is known from the file name, or named "
    "with --tool) and it prints the same settings as TOML. Values keep the types the Python version "
    "read them with; renamed keys are renamed, keys this version no longer has are kept as comments "
    "with the reason, and the Python cache path is not carried over, so rolling back finds the "
    "Python cache intact. Check the result with the tool's --check-config.";

// Writes `text` to a new file next to `path`, then renames it over `path`; with `force` false an
// existing `path` is an error (checked again by link(), so a file appearing meanwhile is kept).
// A symlink is followed (the link stays, its target is written). What is not a regular file
// (`-o /dev/stdout`, a FIFO, a device) is written in place by core/file_output's rules: renaming
// over /dev/stdout would replace the machine's link.
bool write_new(const std::string& link, const std::string& text, bool force, std::string& error) {
    struct stat st {};
    if (::stat(link.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
        return hsm::files::write_file(link, text, {}, error);
    const std::string path = hsm::files::resolve_links(link, error).string();
    if (path.empty()) return false;
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out.flush()) {
            error = "cannot write " + tmp;
            std::filesystem::remove(tmp);
            return false;
        }
    }
    ::chmod(tmp.c_str(), 0640);  // it may hold redis_password
    if (force) {
        if (std::rename(tmp.c_str(), path.c_str()) != 0) {
            error = "cannot rename " + tmp + " to " + path;
            std::filesystem::remove(tmp);
            return false;
        }
        return true;
    }
    const bool ok = ::link(tmp.c_str(), path.c_str()) == 0;
    const int err = errno;
    std::filesystem::remove(tmp);
    if (!ok) error = path + (err == EEXIST ? " exists; not replacing it (use --force)" : ": " + std::string(std::strerror(err)));
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Convert a Python-version YAML configuration to this version's TOML."};
    std::string input, output, tool_name;
    bool force = false, man_page = false;
    app.add_option("yaml", input, "The Python version's YAML file (e.g. hsm_action_shipper.yaml)");
    app.add_option("-o,--output", output, "Write the TOML here instead of stdout (never replacing a file)");
    app.add_option("--tool", tool_name, "shipper, stats, tail or top (default: from the YAML file name)");
    app.add_flag("--force", force, "Replace the --output file if it exists");
    app.add_flag("--man-page", man_page, "Print this tool's manual page (roff) and exit");
    app.set_version_flag("--version", std::string(kTool) + " " + hsm::kVersion, "Print the version and exit");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : kExitUsage;
    }
    if (man_page) {
        std::fputs(hsm::manpage::render(app, {kTool, {}, {}, kManNotes, kManExitStatus}).c_str(), stdout);
        return 0;
    }
    if (input.empty()) {
        std::fprintf(stderr, "%s: name the YAML file to convert (see --help)\n", kTool);
        return kExitUsage;
    }
    auto tool = tool_name.empty() ? hsm::convert::tool_from_filename(input) : hsm::convert::tool_from_name(tool_name);
    if (!tool) {
        std::fprintf(stderr, "%s: %s: say which tool it configures with --tool shipper|stats|tail|top\n", kTool,
                     tool_name.empty() ? input.c_str() : ("unknown tool '" + tool_name + "'").c_str());
        return kExitUsage;
    }
    std::ifstream in(input, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "%s: cannot read %s: %s\n", kTool, input.c_str(), std::strerror(errno));
        return kExitFailure;
    }
    std::ostringstream text;
    text << in.rdbuf();
    hsm::convert::Result r;
    try {
        r = hsm::convert::convert(text.str(), *tool, input);
    } catch (const hsm::convert::ConvertError& e) {
        std::fprintf(stderr, "%s: %s\n", kTool, e.what());
        return kExitUsage;
    }
    for (const auto& n : r.notes) std::fprintf(stderr, "%s: note: %s\n", kTool, n.c_str());
    if (output.empty()) {
        std::fputs(r.toml.c_str(), stdout);
        return 0;
    }
    std::string error;
    if (!write_new(output, r.toml, force, error)) {
        std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
        return kExitFailure;
    }
    std::fprintf(stderr, "%s: wrote %s; check it with `%s --check-config -c %s`\n", kTool, output.c_str(),
                 hsm::convert::command(*tool), output.c_str());
    return 0;
}
