// hsm-stream-stats as Telegraf runs it: exact JSON on a known stream (Python quirks included),
// Influx and Prometheus outputs parsed back, the json_v2 config checked against real output,
// and clear failures for bad configs and an unreachable Redis; -o on regular files, symlinks, a
// device, a FIFO and concurrent runs; the float variant for sites migrating their InfluxDB series.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <simdjson.h>
#include <toml++/toml.h>

#include "event_json.hpp"
#include "fifo_reader.hpp"
#include "fixtures.hpp"

using namespace hsm::test;

namespace {

std::int64_t now_s() { return std::time(nullptr); }

// A stream of each kind: ours (MDT0000) and the Python shipper's quirks (MDT0001).
void write_known_streams(const RedisServer& redis) {
    xadd(redis, spec("elm-MDT0000", 1));                                    // ARCHIVE WAITING
    xadd(redis, spec("elm-MDT0000", 2));
    EventSpec started = spec("elm-MDT0000", 1, "STARTED");
    started.type = "UPDATE";
    xadd(redis, started);
    EventSpec restore = spec("elm-MDT0000", 3);
    restore.action = "RESTORE";
    restore.fid = "0x200000400:0x3:0x0";
    xadd(redis, restore);
    EventSpec purged = spec("elm-MDT0000", 2, "PURGED");
    purged.type = "PURGED";
    xadd(redis, purged);
    EventSpec refresh = restore;  // re-published by GC: must not count twice
    refresh.type = "UPDATE";
    refresh.extra = "\"refresh\": true, \"first_seen\": " + std::to_string(now_s() - 3600);
    xadd(redis, refresh);

    EventSpec a = spec("elm-MDT0001", 1);
    a.cat = 5;
    a.fid = "0x240000400:0xa:0x0";
    xadd(redis, a);
    EventSpec failed = spec("elm-MDT0001", 2, "FAILED");
    failed.cat = 5;
    failed.action = "REMOVE";
    failed.fid = "0x240000400:0xb:0x0";
    xadd(redis, failed);
    xadd(redis, "hsm:actions:elm-MDT0001", python_maintenance_purge("elm-MDT0001", "0x240000400:0xa:0x0:ARCHIVE"));
    xadd(redis, "hsm:actions:elm-MDT0001", "this is not JSON");
    xadd(redis, "hsm:actions:elm-MDT0001", R"({"event_type": "NEW", "mdt": "elm-MDT0001"})");
}

// The default config file (/etc/...) is absent here, which means defaults: only --port is needed.
std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A shipper's heartbeat hash as hsm-action-shipper writes it (wire/shipper_beat.hpp), last
// written at `written_ms`, with a poll interval of 20 s.
void write_heartbeat(const RedisServer& redis, const std::string& host, std::int64_t written_ms,
                     const std::string& mdts = "elm-MDT0000,elm-MDT0001") {
    auto r = redis.command({"HSET", "hsm:shippers:" + host, "version", "9.9.9", "pid", "42", "mdts", mdts,
                            "mdt_count", "2", "poll_interval", "20.000000", "written_ms", std::to_string(written_ms),
                            "cycle_started_ms", std::to_string(written_ms - 250), "cycle_seconds", "0.250000",
                            "checkpoint_seconds", "0.004000", "checkpoint_ok", "1", "cycles", "12",
                            "events_shipped", "3456", "events_refused", "7", "reconnects", "1", "reader_waits", "2",
                            "rereads", "0", "takeovers", "1", "rebuilds", "0", "repairs", "5", "trims", "6",
                            "trimmed_entries", "60", "compactions", "3", "bad_lines", "0"});
    REQUIRE(r->type == REDIS_REPLY_INTEGER);
}

std::vector<std::string> stats(const RedisServer& redis, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {bin("hsm-stream-stats").string(), "--host", "127.0.0.1", "--port",
                                     std::to_string(redis.port())};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
}

std::string zero_ages(const std::string& text) {
    static const std::regex ages(R"re(("(?:age_seconds|newest_entry_age_seconds)": )\d+)re");
    return std::regex_replace(text, ages, "$010");
}

}  // namespace

TEST_CASE("stats: exact JSON for a known stream, Python quirks included", "[tools][stats]") {
    RedisServer redis;
    write_known_streams(redis);
    auto r = run(stats(redis));
    REQUIRE(r.exit_code == 0);
    // Both broken entries are skipped with a warning naming them.
    CHECK(r.err.find("not valid JSON") != std::string::npos);
    CHECK(r.err.find("missing key: cat_idx") != std::string::npos);

    // The oldest live action is the refreshed RESTORE, first seen an hour ago.
    const std::regex oldest(R"("oldest_live_action_age_seconds": (\d+))");
    std::smatch m;
    REQUIRE(std::regex_search(r.out, m, oldest));
    const long age = std::stol(m[1]);
    CHECK(age >= 3600);
    CHECK(age <= 3630);
    const std::string expected =
        "{\n"
        "  \"summary\": {\n"
        "    \"total_live_actions\": 3,\n"
        "    \"oldest_live_action_age_seconds\": " + std::string(m[1]) + ",\n"
        "    \"total_events_replayed\": 9,\n"
        "    \"total_stream_entries\": 11,\n"
        "    \"shippers_alive\": 0\n"
        "  },\n"
        "  \"streams\": [\n"
        "    { \"mdt\": \"elm-MDT0000\", \"length\": 6, \"age_seconds\": 0, \"newest_entry_age_seconds\": 0 },\n"
        "    { \"mdt\": \"elm-MDT0001\", \"length\": 5, \"age_seconds\": 0, \"newest_entry_age_seconds\": 0 }\n"
        "  ],\n"
        "  \"breakdown\": [\n"
        "    { \"mdt\": \"elm-MDT0000\", \"action\": \"ARCHIVE\", \"status\": \"STARTED\", \"count\": 1 },\n"
        "    { \"mdt\": \"elm-MDT0000\", \"action\": \"RESTORE\", \"status\": \"WAITING\", \"count\": 1 },\n"
        "    { \"mdt\": \"elm-MDT0001\", \"action\": \"REMOVE\", \"status\": \"FAILED\", \"count\": 1 }\n"
        "  ],\n"
        "  \"shippers\": []\n"
        "}\n";
    CHECK(zero_ages(r.out) == expected);
}

TEST_CASE("stats: an empty database gives zeros and empty lists", "[tools][stats]") {
    RedisServer redis;
    auto r = run(stats(redis));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out ==
          "{\n  \"summary\": {\n    \"total_live_actions\": 0,\n    \"oldest_live_action_age_seconds\": 0,\n"
          "    \"total_events_replayed\": 0,\n    \"total_stream_entries\": 0,\n    \"shippers_alive\": 0\n  },\n"
          "  \"streams\": [],\n  \"breakdown\": [],\n  \"shippers\": []\n}\n");
}

TEST_CASE("stats: the json_v2 Telegraf config matches real output and types", "[tools][stats][telegraf]") {
    RedisServer redis;
    write_known_streams(redis);
    write_heartbeat(redis, "mds1", now_ms());
    auto r = run(stats(redis));
    REQUIRE(r.exit_code == 0);
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(r.out);

    const auto conf = toml::parse_file(std::string(HSM_SOURCE_DIR) + "/contrib/telegraf/hsm-stream-stats.conf");
    const auto* exec = conf["inputs"]["exec"].as_array();
    REQUIRE(exec);
    const auto* exec0 = exec->get(0)->as_table();
    CHECK(exec0->get("data_format")->value<std::string>() == "json_v2");
    const auto* parsers = exec0->get("json_v2")->as_array();
    REQUIRE(parsers);
    const auto* objects = parsers->get(0)->as_table()->get("object")->as_array();
    REQUIRE(objects);
    CHECK(objects->size() == 4);
    for (const auto& node : *objects) {
        const auto& obj = *node.as_table();
        const std::string path = obj["path"].value_or(std::string());
        INFO("json_v2 object path " << path);
        simdjson::dom::element target;
        REQUIRE(doc[path].get(target) == simdjson::SUCCESS);
        std::vector<std::string> tags;
        if (const auto* t = obj["tags"].as_array())
            for (const auto& tag : *t) tags.push_back(*tag.value<std::string>());
        std::map<std::string, std::string> fields;
        for (const auto& [k, v] : *obj["fields"].as_table()) fields[std::string(k.str())] = *v.value<std::string>();
        std::vector<std::string> excluded;
        if (const auto* x = obj["excluded_keys"].as_array())
            for (const auto& key : *x) excluded.push_back(*key.value<std::string>());

        std::vector<simdjson::dom::object> elements;
        if (target.is_array()) {
            for (auto e : target.get_array()) elements.push_back(e.get_object());
            CHECK_FALSE(elements.empty());
        } else {
            elements.push_back(target.get_object());
        }
        for (auto element : elements) {
            for (const auto& tag : tags) CHECK(element[tag].is_string());
            for (const auto& [field, type] : fields) {
                INFO("field " << field);
                CHECK(type == "int");
                CHECK(element[field].is_int64());
            }
            // Nothing else is emitted, so nothing reaches Telegraf as an untyped float.
            for (auto [key, value] : element) {
                const std::string k(key);
                const bool is_tag = std::find(tags.begin(), tags.end(), k) != tags.end();
                const bool is_excluded = std::find(excluded.begin(), excluded.end(), k) != excluded.end();
                CHECK((is_tag || is_excluded || fields.count(k) == 1));
            }
        }
    }
}

TEST_CASE("stats: Influx line protocol parses back to the JSON's values", "[tools][stats][influx]") {
    RedisServer redis;
    write_known_streams(redis);
    xadd(redis, spec("odd MDT,=x", 1));  // tag escaping
    auto r = run(stats(redis, {"--format", "influx"}));
    REQUIRE(r.exit_code == 0);

    // Split on unescaped separators, then unescape.
    const auto split = [](const std::string& s, char sep) {
        std::vector<std::string> parts(1);
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\\' && i + 1 < s.size()) { parts.back() += s[++i]; continue; }
            if (s[i] == sep) { parts.emplace_back(); continue; }
            parts.back() += s[i];
        }
        return parts;
    };
    std::map<std::string, std::string> counts;  // "mdt|action|status" -> count field
    std::size_t lines = 0;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line); ++lines) {
        // measurement[,tags] fields: the first unescaped space separates them.
        std::size_t sp = 0;
        while (sp < line.size() && !(line[sp] == ' ' && line[sp - 1] != '\\')) ++sp;
        REQUIRE(sp < line.size());
        auto series = split(line.substr(0, sp), ',');
        CHECK(series[0] == "hsm_stream_stats");
        std::map<std::string, std::string> tags;
        for (std::size_t i = 1; i < series.size(); ++i) {
            const auto eq = series[i].find('=');
            tags[series[i].substr(0, eq)] = series[i].substr(eq + 1);
        }
        std::map<std::string, std::string> fields;
        for (const auto& f : split(line.substr(sp + 1), ',')) {
            const auto eq = f.find('=');
            fields[f.substr(0, eq)] = f.substr(eq + 1);
            CHECK(std::regex_match(f.substr(eq + 1), std::regex(R"(\d+i)")));  // typed integers
        }
        if (fields.count("count")) counts[tags["mdt"] + "|" + tags["action"] + "|" + tags["status"]] = fields["count"];
        if (tags.empty()) {
            CHECK(fields["total_live_actions"] == "4i");
            CHECK(fields["total_events_replayed"] == "10i");
            CHECK(fields["total_stream_entries"] == "12i");
        }
    }
    CHECK(lines == 1 + 3 + 4);  // summary, 3 streams, 4 breakdown rows
    CHECK(counts["odd MDT,=x|ARCHIVE|WAITING"] == "1i");
    CHECK(counts["elm-MDT0001|REMOVE|FAILED"] == "1i");
}

TEST_CASE("stats: Prometheus text exposition parses back", "[tools][stats][prometheus]") {
    RedisServer redis;
    write_known_streams(redis);
    xadd(redis, spec(R"(quote\"MDT)", 1));  // JSON-escaped quote: the MDT name holds a "
    TempDir dir;
    const auto file = dir / "hsm.prom";
    auto r = run(stats(redis, {"--format", "prometheus", "--output", file.string()}));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    const std::string text = read_file(file);
    CHECK_FALSE(fs::exists(file.string() + ".tmp"));

    const std::regex sample(R"(^([a-z_]+)(\{(.*)\})? (-?\d+)$)");
    const std::regex label(R"re(([a-z_]+)="((?:[^"\\]|\\.)*)")re");
    std::map<std::string, std::string> typed;
    std::map<std::string, long> live_actions;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("# TYPE ", 0) == 0) {
            auto rest = line.substr(7);
            typed[rest.substr(0, rest.find(' '))] = rest.substr(rest.find(' ') + 1);
            continue;
        }
        if (line.rfind("# HELP ", 0) == 0) continue;
        std::smatch m;
        INFO(line);
        REQUIRE(std::regex_match(line, m, sample));
        CHECK(typed[m[1]] == "gauge");  // every sample's family was declared before it
        if (m[1] == "hsm_stream_stats_live_actions") {
            std::map<std::string, std::string> labels;
            const std::string body = m[3];
            for (std::sregex_iterator it(body.begin(), body.end(), label), end; it != end; ++it)
                labels[(*it)[1]] = std::regex_replace(std::string((*it)[2]), std::regex(R"(\\(.))"), "$1");
            live_actions[labels["mdt"] + "|" + labels["action"] + "|" + labels["status"]] = std::stol(m[4]);
        }
        if (m[1] == "hsm_stream_stats_total_live_actions") CHECK(m[4] == "4");
    }
    CHECK(live_actions.size() == 4);
    CHECK(live_actions["quote\"MDT|ARCHIVE|WAITING"] == 1);
    CHECK(live_actions["elm-MDT0000|RESTORE|WAITING"] == 1);
}

// Issue #12 item 1: names from the stream reach files an admin reads and scrapers parse. Control
// bytes are written as visible escapes, then escaped as each format defines (a backslash is `\\`
// in both), so every line parses and nothing drives a terminal.
TEST_CASE("stats: control bytes in names are escaped in Influx and Prometheus outputs", "[tools][stats]") {
    RedisServer redis;
    xadd(redis, "hsm:actions:evil",
         R"({"event_type":"NEW","mdt":"evil\u001b[2J","cat_idx":1,"rec_idx":1,"fid":"0x1:0x1:0x0",)"
         R"("action":"ARCHIVE\nforged 1i","status":"WAIT\u009bING\u0007","timestamp":1})");
    const auto only_printable = [](const std::string& text) {
        for (const char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if (c != '\n' && (u < 0x20 || u == 0x7f)) return false;
        }
        return text.find("\xc2\x9b") == std::string::npos;
    };
    auto influx = run(stats(redis, {"--format", "influx"}));
    REQUIRE(influx.exit_code == 0);
    CHECK(only_printable(influx.out));
    CHECK(std::count(influx.out.begin(), influx.out.end(), '\n') == 3);  // summary, stream, breakdown
    CHECK_THAT(influx.out, Catch::Contains(
        R"(hsm_stream_stats,action=ARCHIVE\\nforged\ 1i,mdt=evil\\x1b[2J,status=WAIT\\u009bING\\x07 count=1i)"));

    auto prom = run(stats(redis, {"--format", "prometheus"}));
    REQUIRE(prom.exit_code == 0);
    CHECK(only_printable(prom.out));
    CHECK_THAT(prom.out, Catch::Contains(
        R"(hsm_stream_stats_live_actions{mdt="evil\\x1b[2J",action="ARCHIVE\\nforged 1i",status="WAIT\\u009bING\\x07"} 1)"));
}

TEST_CASE("stats: configuration and connection failures exit non-zero with a clear message",
          "[tools][stats]") {
    TempDir dir;
    auto missing = run({bin("hsm-stream-stats").string(), "-c", (dir / "absent.toml").string()});
    CHECK(missing.exit_code == 2);
    CHECK(missing.err.find("absent.toml") != std::string::npos);

    write_file(dir / "bad.toml", "redis_host = \"127.0.0.1\"\nredis_port = \"six\"\n");
    auto bad = run({bin("hsm-stream-stats").string(), "-c", (dir / "bad.toml").string()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("bad.toml:2") != std::string::npos);
    CHECK(bad.err.find("redis_port") != std::string::npos);

    write_file(dir / "unknown.toml", "redis_hots = \"x\"\n");
    auto unknown = run({bin("hsm-stream-stats").string(), "-c", (dir / "unknown.toml").string()});
    CHECK(unknown.exit_code == 2);
    CHECK(unknown.err.find("redis_hots") != std::string::npos);

    // Empty where empty makes no sense: in the file, or on the command line.
    write_file(dir / "empty.toml", "redis_stream_prefix = \"\"\n");
    auto empty = run({bin("hsm-stream-stats").string(), "-c", (dir / "empty.toml").string()});
    CHECK(empty.exit_code == 2);
    CHECK(empty.err.find("empty.toml:1") != std::string::npos);
    CHECK(empty.err.find("'redis_stream_prefix' must not be empty") != std::string::npos);
    auto empty_host = run({bin("hsm-stream-stats").string(), "--host", ""});
    CHECK(empty_host.exit_code == 2);
    CHECK(empty_host.err.find("'redis_host' must not be empty") != std::string::npos);

    write_file(dir / "ok.toml", "redis_host = \"127.0.0.1\"\nredis_port = " + std::to_string(free_port()) + "\n");
    auto down = run({bin("hsm-stream-stats").string(), "-c", (dir / "ok.toml").string()}, 30s);
    CHECK(down.exit_code == 1);
    CHECK(down.out.empty());
    CHECK(down.err.find("cannot read the streams") != std::string::npos);

    auto usage = run({bin("hsm-stream-stats").string(), "--format", "xml"});
    CHECK(usage.exit_code == 2);
}

TEST_CASE("stats: settings come from the file, and the command line overrides them", "[tools][stats]") {
    RedisServer redis;
    xadd(redis, spec("elm-MDT0000", 1), "custom:prefix");
    redis.command({"XADD", "custom:prefix:elm-MDT0009", "*", "data", event_json(spec("elm-MDT0009", 1))}, 3);
    TempDir dir;
    write_file(dir / "s.toml", "redis_host = \"127.0.0.1\"\nredis_port = " + std::to_string(redis.port()) +
                                   "\nredis_stream_prefix = \"custom:prefix\"\n");
    auto from_file = run({bin("hsm-stream-stats").string(), "-c", (dir / "s.toml").string()});
    REQUIRE(from_file.exit_code == 0);
    CHECK(from_file.out.find("\"elm-MDT0000\"") != std::string::npos);
    auto other_db = run({bin("hsm-stream-stats").string(), "-c", (dir / "s.toml").string(), "--db", "3"});
    REQUIRE(other_db.exit_code == 0);
    CHECK(other_db.out.find("\"elm-MDT0009\"") != std::string::npos);
    CHECK(other_db.out.find("\"elm-MDT0000\"") == std::string::npos);
}

// ---- -o: the files it writes (issue #7, item 3) ----

TEST_CASE("stats -o: a regular file is replaced atomically, mode kept, no temp file left",
          "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    const auto file = dir / "hsm.prom";
    write_file(file, "old\n");
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
    auto r = run(stats(redis, {"--format", "prometheus", "-o", file.string()}));
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.empty());
    CHECK_THAT(read_file(file), Catch::Contains("hsm_stream_stats_total_live_actions 3"));
    CHECK(fs::status(file).permissions() ==
          (fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read));
    for (const auto& e : fs::directory_iterator(dir.path())) CHECK(e.path().filename() == "hsm.prom");
}

TEST_CASE("stats -o: a symlink is followed, the link stays", "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    fs::create_directories(dir / "textfile");
    write_file(dir / "textfile" / "hsm.prom", "old\n");
    fs::create_symlink("textfile/hsm.prom", dir / "link");
    auto r = run(stats(redis, {"--format", "prometheus", "-o", (dir / "link").string()}));
    REQUIRE(r.exit_code == 0);
    CHECK(fs::is_symlink(dir / "link"));
    CHECK_THAT(read_file(dir / "textfile" / "hsm.prom"), Catch::Contains("hsm_stream_stats_total_live_actions 3"));
}

TEST_CASE("stats -o: a device is written in place, never replaced", "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    // /dev/null's device made under the temp dir (we run as root in CI): a regression replaces
    // this node, never the machine's /dev/null. Without CAP_MKNOD, /dev/null itself.
    fs::path dev = dir / "null";
    if (::mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) dev = "/dev/null";
    struct stat before {}, after {};
    REQUIRE(::stat(dev.c_str(), &before) == 0);
    auto r = run(stats(redis, {"-o", dev.string()}));
    INFO("stderr: " << r.err);
    CHECK(r.exit_code == 0);
    REQUIRE(::lstat(dev.c_str(), &after) == 0);
    CHECK(S_ISCHR(after.st_mode));
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_rdev == before.st_rdev);
    if (dev.parent_path() == dir.path())
        for (const auto& e : fs::directory_iterator(dir.path())) CHECK(e.path().filename() == "null");
}

TEST_CASE("stats -o: a FIFO is written in place for its reader", "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    const auto fifo = dir / "pipe";
    hsm::test::FifoReader reader(fifo);
    auto r = run(stats(redis, {"-o", fifo.string()}));
    CHECK(r.exit_code == 0);
    CHECK_THAT(reader.received(), Catch::Contains("\"total_live_actions\": 3"));
    struct stat st {};
    REQUIRE(::lstat(fifo.c_str(), &st) == 0);
    CHECK(S_ISFIFO(st.st_mode));
}

// The shell's spelling of "my output": `-o /dev/stdout | cat` (Telegraf's exec input reads a
// pipe the same way), `-o /dev/stderr`, and `-o /dev/stdout >> log`. /proc/self/fd/1 reads
// "pipe:[4026]", which once became a temp file created beside a name that does not exist.
TEST_CASE("stats -o: /dev/stdout into a pipe, /dev/stderr, and a log appended to", "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    std::string cmd;
    for (const auto& a : stats(redis)) cmd += "'" + a + "' ";
    auto piped = run({"/bin/sh", "-c", cmd + "-o /dev/stdout | cat"});
    INFO("stderr: " << piped.err);
    CHECK(piped.exit_code == 0);
    CHECK_THAT(piped.out, Catch::Contains("\"total_live_actions\": 3"));

    auto to_stderr = run({"/bin/sh", "-c", cmd + "--format influx -o /dev/stderr 2>&1 | cat"});
    CHECK(to_stderr.exit_code == 0);
    CHECK_THAT(to_stderr.out, Catch::Contains("hsm_stream_stats"));

    const auto log = dir / "log";
    write_file(log, "earlier run\n");
    auto appended = run({"/bin/sh", "-c", cmd + "-o /dev/stdout >> '" + log.string() + "'"});
    CHECK(appended.exit_code == 0);
    const std::string text = read_file(log);
    CHECK(text.rfind("earlier run\n{", 0) == 0);  // kept, then the report after it
    CHECK_THAT(text, Catch::Contains("\"total_live_actions\": 3"));
    for (const auto& e : fs::directory_iterator(dir.path())) CHECK(e.path().filename() == "log");
}

TEST_CASE("stats -o: runs at once never share a temp file", "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    const auto file = dir / "stats.json";
    // Several processes started together, as overlapping cron/Telegraf runs would.
    std::vector<std::unique_ptr<Process>> runs;
    for (int i = 0; i < 6; ++i) {
        auto argv = stats(redis, {"-o", file.string()});
        runs.push_back(std::make_unique<Process>(argv));
    }
    for (auto& p : runs) {
        const auto code = p->wait(60s);
        INFO("stderr: " << p->err());
        CHECK(code == 0);
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    CHECK(parser.parse(read_file(file)).get(doc) == simdjson::SUCCESS);  // one whole report
    for (const auto& e : fs::directory_iterator(dir.path())) CHECK(e.path().filename() == "stats.json");
}

TEST_CASE("stats -o: a directory or a missing parent is a clear error, exit 1", "[tools][stats][output]") {
    RedisServer redis;
    write_known_streams(redis);
    TempDir dir;
    fs::create_directories(dir / "taken");
    auto r = run(stats(redis, {"-o", (dir / "taken").string()}));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains((dir / "taken").string()));
    CHECK(fs::is_directory(dir / "taken"));
    r = run(stats(redis, {"-o", (dir / "absent" / "x.json").string()}));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains((dir / "absent").string()));
}

// ---- Telegraf: sites whose InfluxDB series hold floats (issue #7, item 4) ----

TEST_CASE("stats: --float-fields writes the same series with float fields", "[tools][stats][influx][telegraf]") {
    RedisServer redis;
    write_known_streams(redis);
    const auto ints = run(stats(redis, {"--format", "influx"}));
    const auto floats = run(stats(redis, {"--format", "influx", "--float-fields"}));
    REQUIRE(ints.exit_code == 0);
    REQUIRE(floats.exit_code == 0);
    // Same lines with every `<digits>i` field value spelt `<digits>`: same measurement, tags,
    // field names and values; only the type differs (ages may tick between runs, so they are
    // compared as shapes).
    const std::regex int_value(R"((=)(\d+)i(,|$))");
    std::istringstream a(ints.out), b(floats.out);
    std::size_t lines = 0;
    for (std::string li, lf; std::getline(a, li) && std::getline(b, lf); ++lines) {
        INFO(li << "\n" << lf);
        CHECK_FALSE(std::regex_search(lf, std::regex(R"(=\d+i)")));
        const std::string stripped = std::regex_replace(std::regex_replace(li, int_value, "$1$2$3"), int_value, "$1$2$3");
        const std::regex ages(R"((age_seconds=)\d+)");
        CHECK(std::regex_replace(stripped, ages, "$1N") == std::regex_replace(lf, ages, "$1N"));
    }
    CHECK(lines == 1 + 2 + 3);
    // The key does the same from the configuration file.
    TempDir dir;
    write_file(dir / "s.toml", "float_fields = true\n");
    const auto from_file = run(stats(redis, {"-c", (dir / "s.toml").string(), "--format", "influx"}));
    REQUIRE(from_file.exit_code == 0);
    CHECK_FALSE(std::regex_search(from_file.out, std::regex(R"(=\d+i)")));
    CHECK_THAT(from_file.out, Catch::Contains("total_live_actions=3"));
}

TEST_CASE("stats: the float json_v2 config for migrating sites matches real output",
          "[tools][stats][telegraf]") {
    RedisServer redis;
    write_known_streams(redis);
    write_heartbeat(redis, "mds1", now_ms());
    auto r = run(stats(redis));
    REQUIRE(r.exit_code == 0);
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(r.out);
    const auto load = [](const char* name) {
        return toml::parse_file(std::string(HSM_SOURCE_DIR) + "/contrib/telegraf/" + name);
    };
    const auto floats = load("hsm-stream-stats-float.conf");
    const auto ints = load("hsm-stream-stats.conf");
    const auto objects_of = [](const toml::table& conf) {
        const auto* parser0 = conf["inputs"]["exec"][0]["json_v2"][0].as_table();
        REQUIRE(parser0);
        CHECK(parser0->get("measurement_name")->value<std::string>() == "hsm_stream_stats");
        return parser0->get("object")->as_array();
    };
    const auto* fo = objects_of(floats);
    const auto* io = objects_of(ints);
    REQUIRE(fo);
    REQUIRE(io);
    REQUIRE(fo->size() == io->size());
    for (std::size_t k = 0; k < fo->size(); ++k) {
        const auto& f = *fo->get(k)->as_table();
        const auto& i = *io->get(k)->as_table();
        const std::string path = f["path"].value_or(std::string());
        INFO("path " << path);
        // The same series as the integer config: path, tags and field names; only types differ.
        CHECK(path == i["path"].value_or(std::string()));
        std::vector<std::string> ftags, itags;
        if (const auto* t = f["tags"].as_array()) for (const auto& x : *t) ftags.push_back(*x.value<std::string>());
        if (const auto* t = i["tags"].as_array()) for (const auto& x : *t) itags.push_back(*x.value<std::string>());
        CHECK(ftags == itags);
        std::set<std::string> fnames, inames;
        for (const auto& [name, type] : *f["fields"].as_table()) {
            fnames.insert(std::string(name.str()));
            CHECK(type.value<std::string>() == "float");
        }
        for (const auto& [name, type] : *i["fields"].as_table()) inames.insert(std::string(name.str()));
        CHECK(fnames == inames);
        // ... and every numeric member of the real output is declared (nothing left to default).
        simdjson::dom::element target;
        REQUIRE(doc[path].get(target) == simdjson::SUCCESS);
        std::vector<simdjson::dom::object> elements;
        if (target.is_array())
            for (auto e : target.get_array()) elements.push_back(e.get_object());
        else
            elements.push_back(target.get_object());
        for (auto element : elements)
            for (auto [key, value] : element) {
                const std::string k(key);
                if (std::find(ftags.begin(), ftags.end(), k) != ftags.end()) continue;
                if (const auto* x = f["excluded_keys"].as_array(); x && std::any_of(x->begin(), x->end(), [&](const auto& e) {
                        return *e.template value<std::string>() == k;
                    }))
                    continue;
                CHECK(fnames.count(k) == 1);
                CHECK(value.is_int64());
            }
    }
}

TEST_CASE("stats: shippers from their heartbeats, stale ones not alive, in all three formats",
          "[tools][stats][heartbeat]") {
    RedisServer redis;
    write_known_streams(redis);
    write_heartbeat(redis, "mds1", now_ms());
    write_heartbeat(redis, "mds2", now_ms() - 120'000, "elm-MDT0002");  // 2 minutes: > 3 x 20 s
    write_heartbeat(redis, "mds\x1b[2J", now_ms());                        // a host name to escape

    auto json = run(stats(redis));
    INFO(json.err);
    REQUIRE(json.exit_code == 0);
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(json.out);
    CHECK(int64_t(doc["summary"]["shippers_alive"]) == 2);
    CHECK(int64_t(doc["summary"]["total_live_actions"]) == 3);  // the existing keys are untouched
    simdjson::dom::array shippers = doc["shippers"];
    REQUIRE(shippers.size() == 3);
    CHECK(json.out.find('\x1b') == std::string::npos);  // JSON-escaped (\u001b)
    simdjson::dom::element first = shippers.at(1), second = shippers.at(2);  // sorted by host: "mds\x1b..." first
    CHECK(std::string_view(first["shipper"]) == "mds1");
    CHECK(std::string_view(first["version"]) == "9.9.9");
    CHECK(int64_t(first["alive"]) == 1);
    CHECK(int64_t(first["events_shipped"]) == 3456);
    CHECK(int64_t(first["events_refused"]) == 7);
    CHECK(int64_t(first["takeovers"]) == 1);
    CHECK(int64_t(first["repairs"]) == 5);
    CHECK(int64_t(first["cycle_ms"]) == 250);
    CHECK(int64_t(first["mdts"]) == 2);
    CHECK(std::string_view(first["mdt_names"].at(1)) == "elm-MDT0001");
    CHECK(std::string_view(second["shipper"]) == "mds2");
    CHECK(int64_t(second["alive"]) == 0);
    CHECK(int64_t(second["heartbeat_age_seconds"]) >= 119);

    auto influx = run(stats(redis, {"--format", "influx"}));
    REQUIRE(influx.exit_code == 0);
    CHECK_THAT(influx.out, Catch::Contains(",shippers_alive=2i\n"));
    CHECK_THAT(influx.out, Catch::Contains("hsm_stream_stats,shipper=mds1,version=9.9.9 alive=1i,"));
    CHECK_THAT(influx.out, Catch::Contains("hsm_stream_stats,shipper=mds2,version=9.9.9 alive=0i,"));
    CHECK_THAT(influx.out, Catch::Contains("hsm_stream_stats,shipper=mds\\\\x1b[2J,version="));
    CHECK(influx.out.find('\x1b') == std::string::npos);

    auto prom = run(stats(redis, {"--format", "prometheus"}));
    REQUIRE(prom.exit_code == 0);
    CHECK_THAT(prom.out, Catch::Contains("\nhsm_stream_stats_shippers_alive 2\n"));
    CHECK_THAT(prom.out, Catch::Contains("hsm_stream_stats_shipper_alive{shipper=\"mds2\",version=\"9.9.9\"} 0\n"));
    CHECK_THAT(prom.out, Catch::Contains("# TYPE hsm_stream_stats_shipper_events_shipped counter\n"));
    CHECK_THAT(prom.out,
               Catch::Contains("hsm_stream_stats_shipper_events_shipped{shipper=\"mds1\",version=\"9.9.9\"} 3456\n"));
    CHECK(prom.out.find('\x1b') == std::string::npos);
}

TEST_CASE("stats: a user that may not read the heartbeats still gets the report, without shippers",
          "[tools][stats][heartbeat][acl]") {
    RedisServer redis;
    write_known_streams(redis);
    write_heartbeat(redis, "mds1", now_ms());
    // The Python-era monitoring user: read access to the streams only.
    auto r = redis.command({"ACL", "SETUSER", "ro", "on", ">pw", "~hsm:actions:*", "+@read", "+@connection"});
    REQUIRE(r->type == REDIS_REPLY_STATUS);
    TempDir dir;
    write_file(dir / "ro.toml", "redis_username = \"ro\"\nredis_password = \"pw\"\n");
    auto res = run(stats(redis, {"-c", (dir / "ro.toml").string()}));
    INFO(res.err);
    REQUIRE(res.exit_code == 0);
    CHECK(res.out.find("\"total_live_actions\": 3") != std::string::npos);
    CHECK(res.out.find("shippers") == std::string::npos);  // left out, not "none alive"
    CHECK_THAT(res.err, Catch::Contains("shipper heartbeats left out of the report"));
    CHECK_THAT(res.err, Catch::Contains("NOPERM"));
}
