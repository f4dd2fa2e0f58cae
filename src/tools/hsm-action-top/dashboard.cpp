// Dashboard rows and frame layout (see dashboard.hpp). The layout is the Python viewer's, as the
// seed shows it: fixed-width columns, counts with thousands separators, "(+N)" / "(-N)" diffs.
#include "dashboard.hpp"

#include <algorithm>
#include <tuple>

#include "tools/common/escape.hpp"
#include "tools/common/tool_options.hpp"

namespace hsm::consume::top {

namespace {

std::string pad_right(const std::string& s, std::size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }
std::string pad_left(const std::string& s, std::size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

std::string rtrim(std::string s) {
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

}  // namespace

const char* to_string(SortBy s) {
    switch (s) {
        case SortBy::Mdt: return "MDT";
        case SortBy::Action: return "ACTION";
        case SortBy::Status: return "STATUS";
        case SortBy::Count: return "COUNT";
        case SortBy::Diff: return "DIFF";
    }
    return "?";
}

std::string thousands(std::int64_t v) {
    const std::string digits = std::to_string(v < 0 ? -v : v);
    std::string out = v < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

void Dashboard::take(const LiveState& live, bool as_baseline) {
    rows_.clear();
    std::unordered_map<std::uint32_t, std::uint64_t> current;
    for (const auto& b : live.breakdown(true)) {
        current[b.group] = b.count;
        const auto prev = previous_.find(b.group);
        const std::int64_t diff = as_baseline ? 0
                                  : static_cast<std::int64_t>(b.count) -
                                        static_cast<std::int64_t>(prev == previous_.end() ? 0 : prev->second);
        // Names come from the streams, where anyone who can XADD writes them: escaped here, once,
        // for both the curses screen and --run-once (a raw ESC would drive the admin's terminal).
        if (b.count > 0 || diff != 0)
            rows_.push_back({cli::escape_control(b.mdt), cli::escape_control(b.action),
                             cli::escape_control(b.status), b.count, diff});
    }
    previous_ = std::move(current);
    sort_rows();
}

// Rows arrive sorted by (mdt, action, status); stable sorts keep that order as the tie-break.
void Dashboard::sort_rows() {
    std::stable_sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
        return std::tie(a.mdt, a.action, a.status) < std::tie(b.mdt, b.action, b.status);
    });
    const auto by = [&](auto less) { std::stable_sort(rows_.begin(), rows_.end(), less); };
    switch (sort_) {
        case SortBy::Mdt: break;
        case SortBy::Action: by([](const Row& a, const Row& b) { return a.action < b.action; }); break;
        case SortBy::Status: by([](const Row& a, const Row& b) { return a.status < b.status; }); break;
        case SortBy::Count: by([](const Row& a, const Row& b) { return a.count > b.count; }); break;
        case SortBy::Diff: by([](const Row& a, const Row& b) { return a.diff > b.diff; }); break;
    }
}

void Dashboard::update(const LiveState& live) { take(live, false); }
void Dashboard::reset_baseline(const LiveState& live) { take(live, true); }

void Dashboard::cycle_sort() {
    sort_ = static_cast<SortBy>((static_cast<int>(sort_) + 1) % 5);
    sort_rows();  // what is shown is re-sorted; the diffs stay
}

std::vector<std::string> Dashboard::render(const Header& h) const {
    std::vector<std::string> out;
    out.push_back("--- Lustre HSM Action Dashboard ---");
    out.push_back("Time: " + consume::cli::local_time_text(h.now) + " | Redis: " + 
                  (h.connected ? std::string("Connected") : "DISCONNECTED (" + h.redis_address + ")"));
    out.push_back("Viewer Status: " + h.status);
    out.push_back("Live Actions: " + thousands(static_cast<std::int64_t>(h.live)) +
                  " | Total Events Processed: " + thousands(static_cast<std::int64_t>(h.events)) +
                  " | Last Event: " + (h.last_event_age ? std::to_string(*h.last_event_age) + "s ago" : "Never"));
    out.insert(out.end(), h.shippers.begin(), h.shippers.end());
    out.push_back("");
    out.push_back("--- Live Action Count by (MDT, Action, Status) ---");
    if (rows_.empty()) {
        out.push_back("No live actions detected.");
    } else {
        std::size_t mdt_w = 3, act_w = 6;  // at least the headers' widths
        for (const auto& r : rows_) {
            mdt_w = std::max(mdt_w, r.mdt.size());
            act_w = std::max(act_w, r.action.size());
        }
        const std::string header = pad_right("MDT", mdt_w) + " | " + pad_right("ACTION", act_w) + " | " +
                                   pad_right("STATUS", 10) + " | " + pad_left("COUNT", 10) + " " + pad_right("DIFF", 10);
        out.push_back(rtrim(header));
        out.push_back(std::string(header.size(), '-'));
        for (const auto& r : rows_) {
            const std::string diff = r.diff > 0 ? "(+" + thousands(r.diff) + ")" : r.diff < 0 ? "(" + thousands(r.diff) + ")" : "";
            out.push_back(rtrim(pad_right(r.mdt, mdt_w) + " | " + pad_right(r.action, act_w) + " | " +
                                pad_right(r.status, 10) + " | " +
                                pad_left(thousands(static_cast<std::int64_t>(r.count)), 10) + " " + diff));
        }
    }
    if (h.parse_errors > 0) {
        out.push_back("");
        out.push_back("WARNING: " + thousands(static_cast<std::int64_t>(h.parse_errors)) +
                      " stream events failed to parse.");
    }
    return out;
}

}  // namespace hsm::consume::top
