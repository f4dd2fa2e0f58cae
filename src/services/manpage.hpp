// Man pages generated from the two tables a tool already has: its CLI11 options and its config
// key table. Each tool prints its own page with `--man-page`; the build runs that to produce the
// installed section-1 pages, so a page cannot describe a flag or key the tool does not have.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

#include "services/config.hpp"

namespace hsm::manpage {

// What the tables do not say. All views must outlive the call; `keys` may be empty (a tool
// without a configuration file), and so may `config_path`.
struct Page {
    std::string_view name;         // the command, e.g. "hsm-stream-stats"
    std::string_view config_path;  // default configuration file, or empty
    std::span<const config::KeySpec> keys;
    std::string_view notes;        // extra paragraphs for DESCRIPTION (plain text), or empty
    // EXIT STATUS (plain text); empty: the daemons' and Redis tools' "0 success, 1 runtime
    // failure (e.g. Redis unreachable), 2 usage or configuration error".
    std::string_view exit_status;
};

// The roff source of the page (man(7) macros): NAME and DESCRIPTION from app's description,
// SYNOPSIS with app's positional arguments ([name] unless required), OPTIONS from app's visible
// options (with their defaults; a positional under its name), CONFIGURATION from `keys`, then
// FILES, EXIT STATUS and SEE ALSO. Text is escaped for roff. Pure function, thread-safe.
std::string render(const CLI::App& app, const Page& page);

// Escapes text for a roff line: backslashes, hyphens of option names, and a leading '.' or '\''.
std::string escape(std::string_view text);

}  // namespace hsm::manpage
