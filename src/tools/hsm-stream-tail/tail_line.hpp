// One printed line of hsm-stream-tail, and the filter deciding which events get one. Events are
// copied into TailLine because lines wait (up to kGatherWindow) for their paths to be resolved
// while the reader moves on to the next batch.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "hsm/consume/event.hpp"

namespace hsm::consume::tail {

struct TailLine {
    std::int64_t timestamp = 0;
    std::string mdt, label, status, fid, id;  // label: the action, or the event type without one
};

TailLine make_line(const Event& e);

// Items are actions, statuses or REFRESH (re-publications); PURGED and REFRESH hidden by default.
class Filter {
public:
    Filter();
    void show(const std::string& item);
    void hide(const std::string& item);
    bool hidden(const Event& e) const;

private:
    std::set<std::string> hidden_;
};

enum class PathMode { None, Resolved, Unresolved, Raw };

// "YYYY-mm-dd HH:MM:SS [MDT] ACTION   STATUS   -> /path (id: ID)" (the Python tool's layout:
// action and status padded to 8). `path` is used with PathMode::Resolved. Every field and the
// path are shown with control bytes escaped (tools/common/escape.hpp).
std::string format_line(const TailLine& line, PathMode mode, const std::string& path, bool color);

}  // namespace hsm::consume::tail
