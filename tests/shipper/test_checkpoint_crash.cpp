// Crash consistency of the checkpoint (docs/checkpoint.md), with the real daemon, a real
// redis-server and a real SIGKILL: the daemon kills itself at an exact step of a snapshot save
// (HSM_TEST_CHECKPOINT_KILL, shipper/checkpoint.hpp), so no test guesses timings. Then a torn
// checkpoint, a checkpoint older than the stream, and a stream cut past the checkpoint's stamp.
// After every restart: nothing lost (the oracle: the stream's live set equals the file's),
// nothing re-shipped beyond what the stream provably lacks, and the next change is one event.
#include <catch2/catch.hpp>

#include <signal.h>

#include <map>
#include <tuple>

#include "../gc/oracle.hpp"
#include "shipper/checkpoint.hpp"
#include "shipper_scene.hpp"

using namespace hsm::test;

namespace {

const std::string kMdt = "ck-MDT0000";

std::string line(int rec, const std::string& status) {
    return kernel_line(517, static_cast<std::uint32_t>(rec), "0x2c000596f:0x" + std::to_string(rec) + ":0x0",
                       "ARCHIVE", status);
}

// 400 records waiting: the state of the first snapshot.
std::vector<std::string> first_file() {
    std::vector<std::string> lines;
    for (int r = 1; r <= 400; ++r) lines.push_back(line(r, "WAITING"));
    return lines;
}

// 350 changes from first_file(): 250 UPDATEs (1..250 start), 50 PURGEDs (251..300 gone), 50 NEWs
// (401..450). More than a third of the live set, so the daemon's next cycle writes a snapshot.
std::vector<std::string> second_file() {
    std::vector<std::string> lines;
    for (int r = 1; r <= 250; ++r) lines.push_back(line(r, "STARTED"));
    for (int r = 301; r <= 450; ++r) lines.push_back(line(r, "WAITING"));
    return lines;
}
constexpr long long kFirstEvents = 400, kSecondEvents = 350;

// The shared scene (tests/support/shipper_scene.hpp) plus the built daemon, killed at a step.
struct Crash : ShipperScene {
    Crash() {
        fx.set("use_approximate_trimming", true);  // streams below one node: nothing trimmed
        fx.set("log_level", "debug");               // one line per cycle, to count cycles
    }
    std::string stream() const { return fx.stream(kMdt); }
    long long added() const { return ShipperScene::added(kMdt); }

    std::unique_ptr<Process> daemon(const std::string& kill_step = {}) const {
        std::map<std::string, std::string> env;
        if (!kill_step.empty()) env[hsm::shipper::kCheckpointKillEnv] = kill_step;
        return std::make_unique<Process>(
            std::vector<std::string>{bin("hsm-action-shipper").string(), "-c", fx.write_config().string()}, env);
    }

    // Waits until the daemon has run `cycles` cycles (its per-cycle log line) since `from`.
    static void wait_cycles(const Process& d, std::size_t cycles, std::size_t from = 0) {
        const bool ran = wait_until([&] { return occurrences(d.err().substr(from), "] cycle ") >= cycles; }, 30s, 20ms);
        INFO("daemon stderr:\n" << d.err());
        REQUIRE(ran);
    }

    void wait_added(const Process& d, long long n) const {
        const bool reached = wait_until([&] { return added() == n; }, 30s, 20ms);
        INFO("daemon stderr:\n" << d.err());
        REQUIRE(reached);
    }

    static void stop(Process& d) {
        d.signal(SIGTERM);
        const auto code = d.wait(5s);
        INFO("daemon stderr:\n" << d.err());
        REQUIRE(code == std::optional<int>(0));
    }

    // The first file shipped and checkpointed; then the second file's changes shipped.
    void ship_first() {
        fx.write_actions(kMdt, first_file());
        const auto r = fx.run_once();
        INFO("stderr: " << r.err);
        REQUIRE(r.exit_code == 0);
        REQUIRE(added() == kFirstEvents);
    }

    // Both files shipped (the second by the daemon, stopped cleanly), then the checkpoint put
    // back to the first file's: a checkpoint older than the stream.
    void ship_both_with_old_checkpoint() {
        ship_first();
        const std::string old_checkpoint = read_file(fx.cache_path());
        fx.write_actions(kMdt, second_file());
        {
            auto d = daemon();
            wait_added(*d, kFirstEvents + kSecondEvents);
            stop(*d);
        }
        write_file(fx.cache_path(), old_checkpoint);
    }

    void check_oracle() const {
        CHECK(stream_live_set(redis, stream()) == file_live_set(fx.actions_path(kMdt)));
    }

    // The daemon restarted after whatever happened: it must settle without shipping anything
    // (XLEN stays `expected` over three cycles), keep the oracle, and ship one more change as
    // exactly one event. Returns its log.
    std::string restart_and_check(long long expected) {
        auto d = daemon();
        wait_cycles(*d, 3);
        INFO("daemon stderr:\n" << d->err());
        CHECK(added() == expected);
        check_oracle();
        auto lines = second_file();
        lines.push_back(line(999, "WAITING"));
        fx.write_actions(kMdt, lines);
        wait_added(*d, expected + 1);
        const std::size_t seen = d->err().size();
        wait_cycles(*d, 2, seen);
        CHECK(added() == expected + 1);
        stop(*d);
        check_oracle();
        // No temp file of the killed save is left beside the checkpoint.
        for (const auto& e : fs::directory_iterator(fx.cache_path().parent_path()))
            CHECK(e.path().filename() == fx.cache_path().filename());
        return d->err();
    }
};

}  // namespace

TEST_CASE("checkpoint crash: killed at every step of a snapshot save, nothing is lost or re-shipped",
          "[shipper][checkpoint][crash][integration]") {
    const std::string step = GENERATE("begin", "partial", "written", "synced", "renamed");
    INFO("killed at step " << step);
    Crash c;
    c.ship_first();
    const std::string first_checkpoint = read_file(c.fx.cache_path());

    c.fx.write_actions(kMdt, second_file());
    auto d = c.daemon(step);
    const auto code = d->wait(30s);
    INFO("daemon stderr:\n" << d->err());
    REQUIRE(code == std::optional<int>(128 + SIGKILL));  // died at the step, not before
    REQUIRE(c.added() == kFirstEvents + kSecondEvents);

    // Before the rename the old snapshot is untouched; after it the new one is whole.
    hsm::StateTable loaded;
    std::string why;
    REQUIRE(hsm::shipper::load_checkpoint(loaded, c.fx.cache_path(), why));
    const bool renamed = step == std::string("renamed");
    if (!renamed) CHECK(read_file(c.fx.cache_path()) == first_checkpoint);
    const auto entries = c.redis.xrange(c.stream());
    const std::string stamp = entries[static_cast<std::size_t>(renamed ? kFirstEvents + kSecondEvents - 1 : kFirstEvents - 1)].first;
    REQUIRE(loaded.find(kMdt) != nullptr);
    CHECK(loaded.find(kMdt)->newest_written.str() == stamp);

    const std::string log = c.restart_and_check(kFirstEvents + kSecondEvents);
    CHECK(occurrences(log, "taking over") == 0);  // no full replay was needed
    if (!renamed) CHECK(occurrences(log, "caught up with the stream: 350 entries after ") == 1);
    if (!renamed) CHECK(occurrences(log, " (0 from other writers)") == 1);
}

TEST_CASE("checkpoint crash: a torn checkpoint is ignored and the stream is replayed in full",
          "[shipper][checkpoint][crash][integration]") {
    Crash c;
    c.ship_first();
    c.fx.write_actions(kMdt, second_file());
    {
        auto d = c.daemon();
        c.wait_added(*d, kFirstEvents + kSecondEvents);
        c.stop(*d);
    }
    // Cut the last record in half, as a disk that lost the file's end would.
    std::string bytes = read_file(c.fx.cache_path());
    bytes.resize(bytes.size() - 20);
    write_file(c.fx.cache_path(), bytes);

    const std::string log = c.restart_and_check(kFirstEvents + kSecondEvents);
    CHECK(occurrences(log, "ignoring checkpoint") == 1);
    CHECK(occurrences(log, "taking over") == 1);
}

TEST_CASE("checkpoint crash: a checkpoint older than the stream replays only the newer entries",
          "[shipper][checkpoint][crash][integration]") {
    Crash c;
    c.ship_both_with_old_checkpoint();

    const std::string log = c.restart_and_check(kFirstEvents + kSecondEvents);
    CHECK(occurrences(log, "caught up with the stream: 350 entries after ") == 1);
    CHECK(occurrences(log, "taking over") == 0);
}

TEST_CASE("checkpoint crash: a stream cut past the checkpoint's stamp is replayed in full",
          "[shipper][checkpoint][crash][integration]") {
    Crash c;
    c.ship_both_with_old_checkpoint();
    const auto entries = c.redis.xrange(c.stream());

    // What the stream, as consumers replay it, lacks or holds wrongly against the file: the
    // events the diff must ship after the full replay, and no more.
    const auto differences = [&] {
        const LiveSet in_stream = stream_live_set(c.redis, c.stream());
        const LiveSet in_file = file_live_set(c.fx.actions_path(kMdt));
        long long n = 0;
        for (const auto& [key, status] : in_file) {
            const auto it = in_stream.find(key);
            n += it == in_stream.end() || it->second != status;
        }
        for (const auto& [key, status] : in_stream) n += !in_file.count(key);
        return n;
    };
    SECTION("an entry after the stamp deleted (XDEL): the UPDATE of record 1") {
        std::string update_id;
        for (const auto& [id, data] : entries) {
            const StreamEvent e = parse_event(data);
            if (e.event_type == "UPDATE" && e.rec_idx == 1) update_id = id;
        }
        REQUIRE_FALSE(update_id.empty());
        REQUIRE(c.redis.integer({"XDEL", c.stream(), update_id}) == 1);
        const long long lost = differences();
        REQUIRE(lost == 1);  // record 1 is gone from the stream (its NEW was trimmed)
        const std::string log = c.restart_and_check(kFirstEvents + kSecondEvents + lost);
        CHECK(occurrences(log, "cannot replay only the entries after") == 1);
        CHECK(occurrences(log, "taking over") == 1);
    }
    SECTION("trimmed past the stamp (XTRIM): only what the stream lost is shipped again") {
        // Keep the newest 100 entries: the stamp (the 400th entry) and everything up to the 650th go.
        REQUIRE(c.redis.integer({"XTRIM", c.stream(), "MAXLEN", "100"}) > 0);
        const long long lost = differences();
        REQUIRE(lost > 0);
        const std::string log = c.restart_and_check(kFirstEvents + kSecondEvents + lost);
        CHECK(occurrences(log, "cannot replay only the entries after") == 1);
    }
}
