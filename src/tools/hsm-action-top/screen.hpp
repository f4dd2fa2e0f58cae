// The interactive, full-screen mode of hsm-action-top (ncurses): reads events continuously,
// redraws every interval, on a key and on resize. Keys: q quits, s cycles the sort column, r
// resets the diff baseline.
#pragma once

#include <chrono>

#include "dashboard.hpp"
#include "shippers.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace hsm::consume::top {

// Returns the process exit code. SIGINT/SIGTERM end it cleanly (the terminal is restored).
// `shippers` is re-read at most once per second (or per interval, when longer).
int run_screen(StreamReader& reader, ShipperWatch& shippers, std::chrono::milliseconds interval);

// The header fields shared by both modes.
Header make_header(const StreamReader& reader, const LiveState& live, std::string status);

}  // namespace hsm::consume::top
