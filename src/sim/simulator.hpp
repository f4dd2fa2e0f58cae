// hsm_sim: a fake MDT whose hsm/actions file lives, changes and gets read like the kernel's, so the
// shipper's tests, benchmarks and demos run without Lustre. Formatting is apart from simulation
// (format_line takes a Record and a buffer), and the simulation is apart from I/O (render/write).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hsm::sim {

// ---- One record, as the kernel prints it (see docs/lustre-actions.md) ----

enum class Action : std::uint8_t { Noop, Archive, Restore, Remove, Cancel, Unknown };
enum class Status : std::uint8_t { Waiting, Started, Succeed, Failed, Canceled, Unknown };

std::string_view name(Action action);  // "ARCHIVE", as printed after action=
std::string_view name(Status status);  // "WAITING", as printed after status=
// SUCCEED, FAILED and CANCELED: the record only waits for housekeeping to remove it.
bool is_final(Status status);

struct Fid {
    std::uint64_t seq = 0;
    std::uint32_t oid = 0;
    std::uint32_t ver = 0;
    friend bool operator==(const Fid&, const Fid&) = default;
};

// Field for field what one line shows. (catalog_slot, record_index) is the record's identity.
struct Record {
    std::uint32_t catalog_slot = 0;  // idx=C/...
    std::uint32_t record_index = 0;  // idx=.../R
    Fid fid;
    Fid dfid;
    std::uint64_t compound_id = 0;  // always 0 since Lustre 2.12
    std::uint64_t cookie = 0;
    Action action = Action::Archive;
    std::uint32_t archive_id = 1;
    std::uint64_t flags = 0;
    std::uint64_t extent_offset = 0;
    std::uint64_t extent_length = ~std::uint64_t{0};  // whole file
    std::uint64_t gid = 0;
    std::uint32_t datalen = 0;           // full length of the opaque data
    std::array<std::uint8_t, 5> data{};  // its first bytes; the kernel shows at most 5
    Status status = Status::Waiting;
    friend bool operator==(const Record&, const Record&) = default;
};

enum class LineFormat {
    Kernel,  // lrh=[type=10680000 len=192 idx=517/42068] fid=[...] ... data=[7461673D6D]
    Short,   // idx=[517/42068] action=ARCHIVE fid=[0x200000400:0x1:0x0] status=WAITING
};

// Upper bound of one formatted line, newline excluded: every number at its widest (u64 in hex is
// 18 characters, u32 in decimal 10) adds up to 391 characters; rounded up for headroom.
inline constexpr std::size_t kMaxLineLength = 400;

// The lrh_len the kernel prints: the llog_agent_req_rec header and tail (136 bytes) plus the
// opaque data, rounded up to 8 bytes. datalen=50 gives len=192, as in the real line.
std::uint32_t record_length(std::uint32_t datalen);

// Writes one line, without newline, into `out`, which must hold kMaxLineLength bytes; returns its
// length. No allocation: rendering a million lines costs a million of these calls (~0.2 s).
std::size_t format_line(const Record& record, LineFormat format, char* out);
std::string format_line(const Record& record, LineFormat format = LineFormat::Kernel);

// "<fsname>-MDT<4 hex digits>" and <root>/<that>/hsm/actions: the layout the shipper globs.
std::string mdt_name(std::string_view fsname, std::uint32_t mdt_index);
std::filesystem::path actions_path(const std::filesystem::path& root, std::string_view fsname,
                                   std::uint32_t mdt_index);

// ---- One simulated MDT ----

struct Config {
    std::uint32_t mdt_index = 0;      // picks the MDT's FID sequence range and, with seed, its RNG
    std::uint64_t seed = 1;           // same seed, index and tick() calls: byte-identical files
    std::size_t live_target = 50000;  // records in the file; the constructor starts exactly there
    // Requests per simulated second. Unset: live_target / mean lifetime, which holds the target.
    // Set: the queue time (mean_wait) is derived instead, by Little's law, so the target still
    // holds; see holds_target() for rates too high for that.
    std::optional<double> arrival_rate;
    double mean_wait = 600;   // s WAITING before a copytool takes it (used when rate is unset)
    double mean_run = 120;    // s STARTED, i.e. the copy itself (exponential)
    double grace_delay = 60;  // s a final record stays visible (kernel default, grace_delay)
    double loop_period = 10;  // s between housekeeping passes that remove records (kernel default)
    // Records per plain llog before the next catalog slot is used; tests lower it to see rollover.
    // 64767: an 8 KiB llog header has a bitmap of (8192 - 96) * 8 = 64768 bits, bit 0 the header.
    std::uint32_t records_per_slot = 64767;
};

struct StatusCounts {
    std::size_t waiting = 0, started = 0, succeed = 0, failed = 0, canceled = 0;
    std::size_t total() const { return waiting + started + succeed + failed + canceled; }
};

// Totals since construction (the initial population included), for summaries and tests.
struct Counters {
    std::uint64_t arrived = 0;  // records added
    std::uint64_t changed = 0;  // in-place status rewrites
    std::uint64_t retried = 0;  // of which STARTED -> WAITING
    std::uint64_t removed = 0;  // removed by housekeeping
};

// The live records of one MDT's action llog and their life cycle: arrive WAITING, a copytool
// takes them (STARTED), they end SUCCEED (mostly), FAILED, CANCELED or go back to WAITING to be
// retried, and housekeeping removes them grace_delay after their final status. CANCEL requests
// turn their target CANCELED. Time is simulated: tick(seconds) advances it, and every transition
// happens at its own instant, so one long tick gives the same life cycle as many short ones.
//
// Not thread-safe; distinct instances share nothing. Memory: about 56 bytes per live record.
class Simulator {
public:
    // Builds the initial population: exactly live_target records with the steady-state mix of
    // statuses and identities, as if the MDT had been running for a while. It simulates the
    // arrivals of the longest lifetime to get there: some 0.2-0.4 s per million live records.
    // Throws std::invalid_argument on a negative duration or rate, or a zero loop_period.
    explicit Simulator(const Config& config);
    ~Simulator();
    Simulator(Simulator&&) noexcept;
    Simulator& operator=(Simulator&&) noexcept;

    void tick(double seconds);  // advances simulated time; seconds <= 0 does nothing
    double now() const;         // simulated seconds since construction

    std::size_t size() const;             // live records, i.e. lines in the file
    std::vector<Record> records() const;  // in file (llog) order; a copy, for tests
    StatusCounts status_counts() const;
    const Counters& counters() const;

    double arrival_rate() const;  // effective requests per simulated second
    double mean_wait() const;     // effective queue time
    // False when arrival_rate was set so high that even a zero queue time keeps more than
    // live_target records alive; the file then grows to arrival_rate x lifetime.
    bool holds_target() const;

    // Appends the whole file content (one line per record, each ending in '\n') to `out`.
    void render(std::string& out, LineFormat format = LineFormat::Kernel) const;
    std::string render(LineFormat format = LineFormat::Kernel) const;
    // Replaces `file` atomically (services/file_output.hpp: a unique temp file beside it, written in
    // 1 MiB chunks, then renamed; symlinks followed, a FIFO or device written in place), so a
    // reader sees the old content or the new, never a mix. Creates the parent directories.
    // Throws std::runtime_error naming the path on failure.
    void write_atomic(const std::filesystem::path& file,
                      LineFormat format = LineFormat::Kernel) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace hsm::sim
