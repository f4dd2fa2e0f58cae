// ncurses loop of hsm-action-top (see screen.hpp). One thread: it applies whatever the reader has
// (a batch of up to 10,000 events per stream at a time), polls the keyboard between batches, and
// redraws when due. Key latency is bounded by kPoll; redraw cost does not grow with events.
#include "screen.hpp"

#include <atomic>
#include <csignal>
#include <ctime>

#include <ncurses.h>

namespace hsm::consume::top {

namespace {

// Longest wait for events before the keyboard is looked at again.
constexpr auto kPoll = std::chrono::milliseconds(50);

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

std::string viewer_status(const StreamReader& reader, const LiveState& live, bool bootstrapped) {
    // While Redis fails (unreachable, refusing a command, loading), say why: the log is off.
    if (!reader.connected())
        if (std::string why = reader.error(); !why.empty()) return "Retrying with backoff: " + why;
    if (bootstrapped) return "Listening for live updates...";
    if (reader.streams().empty() && !reader.connected()) return "Connecting to Redis...";
    return "Replaying history to build initial state... (" + thousands(static_cast<std::int64_t>(live.events_applied())) +
           " events)";
}

void draw(const std::vector<std::string>& lines, SortBy sort) {
    erase();
    const int rows = LINES, cols = COLS;
    for (int i = 0; i < static_cast<int>(lines.size()) && i < rows - 1; ++i) {
        if (lines[static_cast<std::size_t>(i)].rfind("---", 0) == 0) attron(A_BOLD);  // section titles
        mvaddnstr(i, 0, lines[static_cast<std::size_t>(i)].c_str(), cols);
        attroff(A_BOLD);
    }
    const std::string footer = std::string("Sort: ") + to_string(sort) + "   q: quit   s: sort   r: reset diff";
    attron(A_REVERSE);
    mvaddnstr(rows - 1, 0, footer.c_str(), cols);
    attroff(A_REVERSE);
    refresh();
}

}  // namespace

Header make_header(const StreamReader& reader, const LiveState& live, std::string status) {
    Header h;
    h.now = std::time(nullptr);
    h.connected = reader.connected();
    h.redis_address = reader.options().host + ":" + std::to_string(reader.options().port);
    h.status = std::move(status);
    h.live = live.live();
    h.events = live.events_applied();
    if (live.events_applied() > 0)
        h.last_event_age = std::max<std::int64_t>(0, h.now - static_cast<std::int64_t>(live.last_id().ms / 1000));
    h.parse_errors = reader.stats().skipped;
    return h;
}

int run_screen(StreamReader& reader, ShipperWatch& shippers, std::chrono::milliseconds interval) {
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    initscr();
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);

    LiveState live;
    Dashboard board;
    bool bootstrapped = false;
    auto next_draw = std::chrono::steady_clock::now();
    while (!g_stop) {
        live.apply(reader.read(kPoll));
        bool redraw = false;
        if (!bootstrapped && reader.caught_up()) {
            bootstrapped = true;  // history is in: diffs count from here
            board.reset_baseline(live);
            redraw = true;
        }
        for (int ch = getch(); ch != ERR; ch = getch()) {
            if (ch == 'q' || ch == 'Q') g_stop = true;
            else if (ch == 's' || ch == 'S') board.cycle_sort();
            else if (ch == 'r' || ch == 'R') board.reset_baseline(live);
            else if (ch != KEY_RESIZE) continue;
            redraw = true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= next_draw) {
            if (bootstrapped) board.update(live);
            else board.reset_baseline(live);  // no diffs while replaying history
            next_draw = now + interval;
            redraw = true;
        }
        if (redraw && !g_stop) {
            // Heartbeats change once per shipper cycle: a read per second is plenty.
            shippers.refresh(std::max<std::chrono::steady_clock::duration>(interval, std::chrono::seconds(1)));
            Header h = make_header(reader, live, viewer_status(reader, live, bootstrapped));
            h.shippers = shippers.lines(unix_ms_now());
            draw(board.render(h), board.sort());
        }
    }
    endwin();
    return 0;
}

}  // namespace hsm::consume::top
