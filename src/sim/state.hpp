// Private to hsm_sim: what one simulated MDT keeps per live record, and the life-cycle engine.
// A record is stored compactly (its idx, data bytes and FID version are derived when rendered), so
// a million live records cost about 56 MB and one pass over them stays in cache-friendly order.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

#include "sim/random.hpp"
#include "sim/simulator.hpp"

namespace hsm::sim::detail {

inline constexpr double kNever = std::numeric_limits<double>::infinity();
// The catalog has the same 64767-entry bitmap as a plain llog; slot numbers wrap past it.
inline constexpr std::uint32_t kCatalogSlots = 64767;
// Entries of the data-head table (render.cpp) a record's data_kind picks from.
inline constexpr std::uint32_t kDataKinds = 4;

struct Live {
    std::uint64_t seq = 0;  // arrival ordinal: gives idx=C/R and the file order
    std::uint64_t cookie = 0;
    std::uint64_t target = 0;  // CANCEL only: seq of the request it cancels
    std::uint64_t fid_seq = 0;
    double due = kNever;  // simulated time of the next transition (removal once final)
    std::uint32_t fid_oid = 0;
    std::uint16_t datalen = 0;
    Action action = Action::Archive;
    Status status = Status::Waiting;
    std::uint8_t archive_id = 1;
    std::uint8_t data_kind = 0;  // index into the table of data heads
    bool removed = false;        // removed by housekeeping, erased at the end of the tick
};

// FIDs as an MDT hands them out: each client creates files in its own sequence of
// kSeqWidth objects, and takes the MDT's next sequence when it is used up.
class FidSource {
public:
    FidSource(std::uint32_t mdt_index, Rng& rng);
    Fid new_file(Rng& rng);        // a file just written, as archived
    Fid old_file(Rng& rng) const;  // a file written earlier, as restored or removed

private:
    static constexpr int kClients = 8;  // clients writing at once: their sequences interleave
    std::uint64_t first_seq_;
    std::uint64_t next_seq_;
    std::array<Fid, kClients> clients_;
};

struct Engine {
    Engine(const Config& config);

    Config cfg;
    Rng rng;
    FidSource fids;
    std::vector<Live> live;  // sorted by seq: llog order
    Counters counters;
    double now = 0;
    double horizon = 0;  // the end of the advance in progress
    double next_arrival = kNever;
    double rate = 0;  // effective arrivals per simulated second
    double wait = 0;  // effective mean queue time
    bool holds_target = true;
    std::uint64_t next_seq = 0;
    std::uint64_t next_cookie = 0;
    std::uint32_t first_slot = 1;

    void tick(double seconds);
    Record to_record(const Live& r) const;

private:
    double lifetime(double mean_wait) const;
    void derive_rates();
    void prefill();
    void thin_to_target();
    void arrive_until(double t_end, double arrival_rate);
    Live make_request(double t);
    bool make_cancel(Live& r);
    void advance(Live& r);
    void start(Live& r, double t);
    void finish(Live& r, double t);
    void make_final(Live& r, Status status, double t);
    void set_status(Live& r, Status status);
    void cancel_target(std::uint64_t target, double t);
    double draw_wait();
    double removal_time(double final_time) const;
    void compact();
};

}  // namespace hsm::sim::detail

namespace hsm::sim {

// The Simulator's hidden state is the engine itself.
struct Simulator::State : detail::Engine {
    using Engine::Engine;
};

}  // namespace hsm::sim
