// Tail line formatting and filtering (see tail_line.hpp).
#include "tail_line.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "tools/common/escape.hpp"
#include "tools/common/tool_options.hpp"

namespace hsm::consume::tail {

namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kDim = "\033[2m";

// The Python tool's colours, so operators see what they are used to.
const char* status_color(const std::string& status) {
    if (status == "STARTED") return "\033[94m";
    if (status == "WAITING") return "\033[93m";
    if (status == "SUCCEED") return "\033[92m";
    if (status == "FAILED" || status == "CANCELED") return "\033[91m";
    if (status == "PURGED") return kDim;
    return nullptr;
}

std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
    return s;
}

}  // namespace

TailLine make_line(const Event& e) {
    TailLine l;
    l.timestamp = e.timestamp;
    l.mdt = e.mdt;
    l.label = e.action.empty() ? std::string(to_string(e.type)) : std::string(e.action);
    l.status = e.status;
    l.fid = e.fid;
    l.id = e.id.str();
    return l;
}

Filter::Filter() : hidden_{"PURGED", "REFRESH"} {}
void Filter::show(const std::string& item) { hidden_.erase(upper(item)); }
void Filter::hide(const std::string& item) { hidden_.insert(upper(item)); }

bool Filter::hidden(const Event& e) const {
    const auto in = [&](std::string_view s) { return !s.empty() && hidden_.count(std::string(s)); };
    return in(e.action.empty() ? to_string(e.type) : e.action) || in(e.status) ||
           (e.refresh && hidden_.count("REFRESH"));
}

std::string format_line(const TailLine& line, PathMode mode, const std::string& path, bool color) {
    // Every field comes from outside (a stream entry, lfs): control bytes are shown escaped.
    using consume::cli::escape_control;
    std::string status = pad(line.status.empty() ? "?" : escape_control(line.status), 8);
    if (const char* c = color ? status_color(line.status) : nullptr) status = c + status + kReset;
    std::string out = consume::cli::local_time_text(line.timestamp) + " [" + (line.mdt.empty() ? "?" : escape_control(line.mdt)) +
                      "] " + pad(line.label.empty() ? "?" : escape_control(line.label), 8) + " " + status;
    switch (mode) {
        case PathMode::None: break;
        case PathMode::Resolved: out += " -> " + escape_control(path); break;
        case PathMode::Unresolved: out += " -> (path for " + escape_control(line.fid) + " not found)"; break;
        case PathMode::Raw: out += " -> [" + escape_control(line.fid) + "]"; break;
    }
    const std::string id = "(id: " + line.id + ")";
    out += " " + (color ? kDim + id + kReset : id);
    return out;
}

}  // namespace hsm::consume::tail
