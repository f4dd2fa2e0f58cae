// Upgrading from the Python version, end to end (docs/upgrading.md): the Python YAML converted
// by hsm-config-from-yaml runs the C++ shipper, which takes over a stream the Python shipper
// wrote without FLUSHDB (no event re-shipped for an unchanged record) and leaves the Python
// cache untouched, so rolling back finds it as it was.
#include <catch2/catch.hpp>

#include "shipper_fixture.hpp"

using namespace hsm::test;

namespace {

// One NEW event as the Python shipper wrote it (WIRE-FORMAT: key order, MD5 hash, the cycle's
// start time as timestamp).
std::string python_new(const std::string& mdt, std::uint32_t cat, std::uint32_t rec, const std::string& fid,
                       const std::string& action, const std::string& status, const std::string& raw) {
    return "{\"cat_idx\": " + std::to_string(cat) + ", \"rec_idx\": " + std::to_string(rec) + ", \"fid\": \"" + fid +
           "\", \"action\": \"" + action + "\", \"status\": \"" + status + "\", \"event_type\": \"NEW\", \"mdt\": \"" +
           mdt + "\", \"timestamp\": 1759619143, \"raw\": " + toml_string(raw) + ", \"action_key\": \"" + fid + ":" +
           action + "\", \"hash\": \"9e107d9d372bb6826bd81d3542a419d6\"}";
}

}  // namespace

TEST_CASE("upgrade: converted config, Python stream taken over without FLUSHDB, Python cache untouched",
          "[packaging][upgrade]") {
    RedisServer redis;
    ShipperFixture f(redis.port());
    const std::string mdt = "elm-MDT0000";
    const std::string l1 = kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "STARTED");
    const std::string l2 = kernel_line(1, 2, "0x200000400:0x2:0x0", "RESTORE", "WAITING");
    f.write_actions(mdt, {l1, l2});
    // What the Python shipper left: its stream and its JSON cache.
    for (const auto& [rec, fid, action, status, raw] :
         {std::tuple{1u, "0x200000400:0x1:0x0", "ARCHIVE", "STARTED", l1},
          std::tuple{2u, "0x200000400:0x2:0x0", "RESTORE", "WAITING", l2}}) {
        auto r = redis.command({"XADD", f.stream(mdt), "*", "data", python_new(mdt, 1, rec, fid, action, status, raw)});
        REQUIRE(r);
    }
    const fs::path cache_dir = f.root() / "cache";
    fs::create_directories(cache_dir);
    const std::string python_cache = "{\"elm-MDT0000\": {\"1:1\": \"9e107d9d372bb6826bd81d3542a419d6\"}}";
    write_file(cache_dir / "cache.json", python_cache);

    // The Python YAML, as an admin had it, converted.
    TempDir dir;
    write_file(dir / "hsm_action_shipper.yaml",
               "redis_host: \"127.0.0.1\"\nredis_port: " + std::to_string(redis.port()) +
                   "\nredis_db: 1\nredis_stream_prefix: \"" + f.prefix() + "\"\nmdt_watch_glob: \"" +
                   (f.mdt_root() / "*-MDT*/hsm/actions").string() +
                   "\"\npoll_interval: 20\nreconcile_interval: 21600\naggressive_trim_threshold: 5000\n"
                   "cache_path: \"" + (cache_dir / "cache.json").string() + "\"\nlog_level: \"INFO\"\n");
    const fs::path toml = dir / "hsm_action_shipper.toml";
    auto conv = run({bin("hsm-config-from-yaml").string(), (dir / "hsm_action_shipper.yaml").string(), "-o", toml.string()});
    INFO(conv.err);
    REQUIRE(conv.exit_code == 0);
    // The converted file drops the JSON cache path; outside /var/cache (a test) the checkpoint
    // needs a writable place, next to the Python cache.
    write_file(toml, read_file(toml) + "cache_path = " + toml_string((cache_dir / "state.bin").string()) + "\n");

    auto first = run({bin("hsm-action-shipper").string(), "-c", toml.string(), "--run-once"}, 60s);
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK(redis.xlen(f.stream(mdt)) == 2);  // nothing re-shipped: the Python events stand
    CHECK(read_file(cache_dir / "cache.json") == python_cache);
    CHECK(fs::exists(cache_dir / "state.bin"));

    // From now on, one event per real change.
    f.write_actions(mdt, {kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "SUCCEED"), l2});
    auto second = run({bin("hsm-action-shipper").string(), "-c", toml.string(), "--run-once"}, 60s);
    INFO(second.out << second.err);
    REQUIRE(second.exit_code == 0);
    const auto events = stream_events(redis, f.stream(mdt));
    REQUIRE(events.size() == 3);
    CHECK(events[2].event_type == "UPDATE");
    CHECK(events[2].status == "SUCCEED");
    CHECK(events[2].rec_idx == 1);
    CHECK(read_file(cache_dir / "cache.json") == python_cache);
}
