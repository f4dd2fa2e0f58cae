// The dashboard's content, apart from the terminal: counts per (mdt, action, status) with the
// change since the previous frame, sorting, and the frame as plain lines. The curses screen and
// --run-once both print these lines, so the two modes cannot drift apart.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hsm/consume/live_state.hpp"

namespace hsm::consume::top {

enum class SortBy { Mdt, Action, Status, Count, Diff };

const char* to_string(SortBy s);

struct Header {
    std::time_t now = 0;
    bool connected = false;
    std::string redis_address;  // "host:port", shown while disconnected
    std::string status;  // "Listening for live updates...", ...
    std::uint64_t live = 0;
    std::uint64_t events = 0;
    std::optional<std::int64_t> last_event_age;  // seconds; nullopt: no event yet
    std::uint64_t parse_errors = 0;
    // One line per shipper (shippers.hpp), shown under the header; empty: no section.
    std::vector<std::string> shippers;
};

struct Row {
    std::string mdt, action, status;  // as shown: control bytes escaped (tools/common/escape.hpp)
    std::uint64_t count = 0;
    std::int64_t diff = 0;
};

class Dashboard {
public:
    // Takes the current counts; diffs are against the previous update (or the last reset).
    void update(const LiveState& live);
    // Makes the current counts the baseline: every diff reads zero until the next update.
    void reset_baseline(const LiveState& live);
    void cycle_sort();
    SortBy sort() const { return sort_; }

    const std::vector<Row>& rows() const { return rows_; }
    std::vector<std::string> render(const Header& h) const;

private:
    void take(const LiveState& live, bool as_baseline);
    void sort_rows();
    std::unordered_map<std::uint32_t, std::uint64_t> previous_;  // by LiveState group id
    std::vector<Row> rows_;
    SortBy sort_ = SortBy::Mdt;
};

// 1234567 -> "1,234,567"
std::string thousands(std::int64_t v);

}  // namespace hsm::consume::top
