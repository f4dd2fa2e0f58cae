// hsm_sim: the kernel line format, determinism by seed, the record life cycle, identities and the
// live count. Simulated time only (no sleeps), so every case runs in well under a second or two.
#include <catch2/catch.hpp>

#include <thread>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>

#include "fixtures.hpp"
#include "kernel_line.hpp"
#include "sim/simulator.hpp"

namespace {

namespace sim = hsm::sim;
using Identity = std::pair<std::uint32_t, std::uint32_t>;  // (catalog slot, record index)

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// Short durations so that records live through their whole cycle in a few hundred seconds.
sim::Config quick_config(std::size_t live) {
    sim::Config c;
    c.live_target = live;
    c.mean_wait = 20;
    c.mean_run = 10;
    c.grace_delay = 30;
    c.loop_period = 5;
    c.seed = 3;
    return c;
}

}  // namespace

TEST_CASE("format_line reproduces the real kernel line byte for byte", "[sim][format]") {
    sim::Record r;
    r.catalog_slot = 517;
    r.record_index = 42068;
    r.fid = r.dfid = sim::Fid{0x2c000596f, 0x1ce71, 0};
    r.cookie = 0x6912db05;
    r.action = sim::Action::Archive;
    r.archive_id = 1;
    r.datalen = 50;
    r.data = {'t', 'a', 'g', '=', 'm'};
    r.status = sim::Status::Started;
    CHECK(sim::format_line(r) ==
          "lrh=[type=10680000 len=192 idx=517/42068] fid=[0x2c000596f:0x1ce71:0x0] "
          "dfid=[0x2c000596f:0x1ce71:0x0] compound/cookie=0x0/0x6912db05 action=ARCHIVE "
          "archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 "
          "status=STARTED data=[7461673D6D]");
    CHECK(sim::record_length(50) == 192);

    SECTION("data shows at most datalen bytes, and zero prints as 0x0") {
        r.datalen = 2;
        r.data = {0x0a, 0xff, 1, 2, 3};
        r.cookie = 0;
        const std::string line = sim::format_line(r);
        CHECK(line.find(" datalen=2 ") != std::string::npos);
        CHECK(line.find("data=[0AFF]") != std::string::npos);
        CHECK(line.find("compound/cookie=0x0/0x0 ") != std::string::npos);
    }
    SECTION("the widest record fits kMaxLineLength") {
        r.catalog_slot = r.record_index = r.archive_id = r.datalen = 0xffffffff;
        r.fid = r.dfid = sim::Fid{~0ull, 0xffffffff, 0xffffffff};
        r.compound_id = r.cookie = r.flags = r.gid = ~0ull;
        r.action = sim::Action::Unknown;
        r.status = sim::Status::Canceled;
        CHECK(sim::format_line(r).size() <= sim::kMaxLineLength);
    }
}

TEST_CASE("every rendered line matches the kernel format field by field", "[sim][format]") {
    sim::Config c;
    c.live_target = 20000;
    c.seed = 7;
    sim::Simulator s(c);
    s.tick(30);
    const auto lines = lines_of(s.render());
    const auto records = s.records();
    REQUIRE(lines.size() == s.size());
    REQUIRE(records.size() == s.size());

    std::set<std::string> actions, statuses;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::smatch m;
        INFO(lines[i]);
        REQUIRE(std::regex_match(lines[i], m, hsm::sim::test::kernel_line()));
        const auto datalen = static_cast<std::uint32_t>(std::stoul(m[9]));
        CHECK(std::stoul(m[1]) == sim::record_length(datalen));
        CHECK(datalen >= 5);
        CHECK(m[4] == m[5]);  // dfid = fid
        CHECK(std::stoul(m[3]) >= 1);
        CHECK(lines[i] == sim::format_line(records[i]));
        actions.insert(m[7]);
        statuses.insert(m[10]);
    }
    CHECK(actions == std::set<std::string>{"ARCHIVE", "RESTORE", "REMOVE", "CANCEL"});
    CHECK(statuses == std::set<std::string>{"WAITING", "STARTED", "SUCCEED", "FAILED", "CANCELED"});
}

TEST_CASE("the short format carries idx, action, fid and status", "[sim][format]") {
    sim::Simulator s(quick_config(500));
    const auto lines = lines_of(s.render(sim::LineFormat::Short));
    REQUIRE(lines.size() == 500);
    for (const auto& line : lines) {
        INFO(line);
        CHECK(std::regex_match(line, hsm::sim::test::short_line()));
    }
}

TEST_CASE("MDT names and paths follow the Lustre layout", "[sim][format]") {
    CHECK(sim::mdt_name("elm", 0) == "elm-MDT0000");
    CHECK(sim::mdt_name("elm", 10) == "elm-MDT000a");
    CHECK(sim::actions_path("/r", "fs1", 3) == std::filesystem::path("/r/fs1-MDT0003/hsm/actions"));
}

TEST_CASE("the same seed gives the same file, another seed or MDT another file", "[sim][seed]") {
    auto run = [](std::uint64_t seed, std::uint32_t mdt) {
        sim::Config c = quick_config(2000);
        c.seed = seed;
        c.mdt_index = mdt;
        sim::Simulator s(c);
        for (int i = 0; i < 5; ++i) s.tick(3);
        return s.render();
    };
    const std::string a = run(42, 0);
    CHECK(a == run(42, 0));
    CHECK(a != run(43, 0));
    CHECK(a != run(42, 1));
}

TEST_CASE("a record goes WAITING, STARTED, final, and leaves a grace delay later",
          "[sim][lifecycle]") {
    const sim::Config c = quick_config(300);
    sim::Simulator s(c);
    struct History {
        sim::Status last = sim::Status::Unknown;
        int first_seen = 0;
        bool saw_waiting = false, saw_started = false;
        std::optional<int> final_at, removed_at;
    };
    std::map<Identity, History> seen;
    auto observe = [&](int t) {
        std::set<Identity> present;
        for (const auto& r : s.records()) {
            const Identity id{r.catalog_slot, r.record_index};
            present.insert(id);
            auto [it, added] = seen.try_emplace(id);
            History& h = it->second;
            if (added) h.first_seen = t;
            // An identity never comes back, and a final status is never rewritten.
            REQUIRE_FALSE(h.removed_at);
            if (sim::is_final(h.last)) REQUIRE(r.status == h.last);
            // Only a change seen happening dates the final status (not a record born final).
            const bool was_open = !added && !sim::is_final(h.last);
            if (was_open && sim::is_final(r.status)) h.final_at = t;
            h.last = r.status;
            h.saw_waiting |= r.status == sim::Status::Waiting;
            h.saw_started |= r.status == sim::Status::Started;
        }
        for (auto& [id, h] : seen) {
            if (h.removed_at || present.count(id)) continue;
            h.removed_at = t;
            REQUIRE(sim::is_final(h.last));  // only housekeeping removes, and only final records
            if (h.final_at) {
                // Final within (final_at - 1, final_at]; removed at the first housekeeping pass
                // at least grace_delay later, seen at the next whole second.
                CHECK(t - *h.final_at >= c.grace_delay);
                CHECK(t - *h.final_at <= c.grace_delay + c.loop_period);
            }
        }
    };
    observe(0);
    for (int t = 1; t <= 300; ++t) {
        s.tick(1);
        observe(t);
    }
    const auto full_cycles = std::count_if(seen.begin(), seen.end(), [](const auto& e) {
        const History& h = e.second;
        return h.first_seen > 0 && h.saw_waiting && h.saw_started && h.final_at && h.removed_at;
    });
    CHECK(full_cycles > 100);
    CHECK(s.counters().retried > 0);
}

TEST_CASE("identities are unique and grow, rolling over to the next catalog slot", "[sim][idx]") {
    sim::Config c = quick_config(200);
    c.records_per_slot = 50;
    sim::Simulator s(c);
    const std::uint32_t first_slot = s.records().front().catalog_slot;
    // Position in the llog: records_per_slot records per slot, slots one after the other.
    auto ordinal = [&](const sim::Record& r) {
        REQUIRE(r.record_index >= 1);
        REQUIRE(r.record_index <= c.records_per_slot);
        REQUIRE(r.catalog_slot >= first_slot);
        return std::int64_t{r.catalog_slot - first_slot} * c.records_per_slot + r.record_index - 1;
    };
    std::set<std::int64_t> seen;
    std::int64_t newest = -1;
    std::set<std::uint32_t> slots;
    for (int t = 0; t <= 200; ++t) {
        if (t > 0) s.tick(1);
        std::int64_t previous = -1;
        for (const auto& r : s.records()) {
            const std::int64_t o = ordinal(r);
            REQUIRE(o > previous);  // the file is in idx order
            previous = o;
            if (seen.insert(o).second) REQUIRE(o > newest);  // a new record comes after all others
            slots.insert(r.catalog_slot);
        }
        newest = previous;
    }
    CHECK(slots.size() > 10);
}

TEST_CASE("a CANCEL turns its target CANCELED and ends SUCCEED itself", "[sim][lifecycle]") {
    sim::Config c;
    c.live_target = 5000;
    c.seed = 11;
    sim::Simulator s(c);
    int canceled_targets = 0;
    for (int t = 0; t < 200; ++t) {
        s.tick(5);
        std::map<std::uint64_t, sim::Status> by_cookie;  // requests only; CANCEL reuses cookies
        for (const auto& r : s.records())
            if (r.action != sim::Action::Cancel) by_cookie[r.cookie] = r.status;
        for (const auto& r : s.records()) {
            if (r.action != sim::Action::Cancel || !sim::is_final(r.status)) continue;
            REQUIRE(r.status == sim::Status::Succeed);
            auto target = by_cookie.find(r.cookie);
            if (target != by_cookie.end()) {
                CHECK(sim::is_final(target->second));
                canceled_targets += target->second == sim::Status::Canceled;
            }
        }
    }
    CHECK(canceled_targets > 0);
}

// Housekeeping removes in batches every loop_period, so the count saw-tooths by about
// rate x loop_period (4% below at rate 20 with 5000 live); ticks of 7 s sample every phase of it,
// and the mean over many ticks is what Little's law predicts.
TEST_CASE("the live count stays near the target", "[sim][live]") {
    sim::Config c;
    c.live_target = 5000;
    auto hold = [&](sim::Simulator& s) {
        REQUIRE(s.size() == 5000);
        double sum = 0;
        const int ticks = 430;  // about 3000 s: nearly four mean lifetimes at the default rate
        for (int t = 0; t < ticks; ++t) {
            s.tick(7);
            REQUIRE(s.size() > 4500);
            REQUIRE(s.size() < 5500);
            sum += static_cast<double>(s.size());
        }
        CHECK(sum / ticks == Approx(5000).epsilon(0.03));
    };
    SECTION("with the derived arrival rate") {
        sim::Simulator s(c);
        CHECK(s.holds_target());
        hold(s);
    }
    SECTION("with a given arrival rate, through the queue time") {
        c.arrival_rate = 20;
        sim::Simulator s(c);
        CHECK(s.holds_target());
        CHECK(s.mean_wait() < c.mean_wait);  // 250 s lifetimes leave about a minute of queue
        hold(s);
    }
    SECTION("a rate too high for the target is reported") {
        c.arrival_rate = 1000;
        sim::Simulator s(c);
        CHECK(s.size() == 5000);
        CHECK_FALSE(s.holds_target());
        CHECK(s.mean_wait() == 0);
    }
}

TEST_CASE("write_atomic replaces the file whole and leaves no temporary", "[sim][io]") {
    hsm::test::TempDir dir;
    const auto file = sim::actions_path(dir.path(), "elm", 0);
    sim::Simulator s(quick_config(1000));
    s.write_atomic(file);
    CHECK(hsm::test::read_file(file) == s.render());
    s.tick(60);
    s.write_atomic(file);
    CHECK(hsm::test::read_file(file) == s.render());
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(file.parent_path()))
        names.push_back(e.path().filename().string());
    CHECK(names == std::vector<std::string>{"actions"});
}

TEST_CASE("write_atomic follows a symlinked file, never shares a temp file, names a directory", "[sim][io]") {
    hsm::test::TempDir dir;
    sim::Simulator s(quick_config(100));
    // A test tree whose actions file is a link into another directory: the link stays.
    const auto real = dir / "real-actions";
    const auto file = sim::actions_path(dir.path(), "elm", 0);
    std::filesystem::create_directories(file.parent_path());
    std::filesystem::create_symlink(real, file);
    s.write_atomic(file);
    CHECK(std::filesystem::is_symlink(file));
    CHECK(hsm::test::read_file(real) == s.render());

    // Two simulators on one tree (a mistake, but not a corrupt file): distinct temp files.
    sim::Simulator other(quick_config(200));
    std::thread a([&] { for (int i = 0; i < 20; ++i) s.write_atomic(real); });
    std::thread b([&] { for (int i = 0; i < 20; ++i) other.write_atomic(real); });
    a.join();
    b.join();
    const std::string last = hsm::test::read_file(real);
    CHECK((last == s.render() || last == other.render()));
    for (const auto& e : std::filesystem::directory_iterator(dir.path()))
        CHECK((e.path().filename() == "real-actions" || e.path().filename() == "elm-MDT0000"));

    // A directory where the file should be is an error naming it, not a crash.
    const auto taken = sim::actions_path(dir.path(), "elm", 1);
    std::filesystem::create_directories(taken);
    CHECK_THROWS_WITH(s.write_atomic(taken), Catch::Contains(taken.string()));
}

TEST_CASE("a nonsensical Config is refused", "[sim]") {
    sim::Config c = quick_config(10);
    c.loop_period = 0;
    CHECK_THROWS_AS(sim::Simulator(c), std::invalid_argument);
    c = quick_config(10);
    c.records_per_slot = 0;
    CHECK_THROWS_AS(sim::Simulator(c), std::invalid_argument);
}
