// services/config: loading a TOML file against a KeySpec table. Defaults, type rules (integers accepted
// for floats, never the reverse), bounds, and errors that name the file, the line and the key;
// then the habits of files carried over from the Python version (levels in any case, retired and
// sibling keys, typos, unquoted strings).
#include <catch2/catch.hpp>

#include "services/config.hpp"
#include "services/common_keys.hpp"
#include "services/logging.hpp"
#include "services/suite_keys.hpp"
#include "fixtures.hpp"

using hsm::config::ConfigError;
using hsm::config::KeySpec;
using hsm::config::Type;
using hsm::test::TempDir;
using hsm::test::write_file;

namespace {

const KeySpec kSchema[] = {
    {"host", Type::String, std::string("localhost"), "Host name."},
    {"port", Type::Integer, std::int64_t{6379}, "Port.", 1, 65535},
    {"interval", Type::Float, 20.0, "Seconds.", 0.05, 86400},
    {"enabled", Type::Boolean, true, "Switch."},
    {"password", Type::String, {}, "Optional, no default."},
};

// Loads `text` and returns the ConfigError message, or "" when it loaded.
std::string load_error(const std::string& text, std::string* file = nullptr) {
    TempDir dir;
    const auto path = dir / "tool.toml";
    write_file(path, text);
    if (file) *file = path.string();
    try {
        hsm::config::load(kSchema, path, true);
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("config: a missing optional file gives the defaults", "[services][config]") {
    TempDir dir;
    const auto cfg = hsm::config::load(kSchema, dir / "absent.toml", false);
    CHECK(cfg.str("host") == "localhost");
    CHECK(cfg.integer("port") == 6379);
    CHECK(cfg.real("interval") == 20.0);
    CHECK(cfg.boolean("enabled"));
    CHECK_FALSE(cfg.has("password"));
    CHECK(cfg.str("password").empty());
}

TEST_CASE("config: a missing file the user named is an error", "[services][config]") {
    TempDir dir;
    const auto path = dir / "absent.toml";
    try {
        hsm::config::load(kSchema, path, true);
        FAIL("no ConfigError");
    } catch (const ConfigError& e) {
        CHECK_THAT(e.what(), Catch::Contains(path.string()));
    }
}

TEST_CASE("config: values from the file override defaults", "[services][config]") {
    TempDir dir;
    const auto path = dir / "tool.toml";
    write_file(path, "host = \"redis.example\"\nport = 6380\ninterval = 0.5\nenabled = false\npassword = \"pw\"\n");
    const auto cfg = hsm::config::load(kSchema, path, true);
    CHECK(cfg.str("host") == "redis.example");
    CHECK(cfg.integer("port") == 6380);
    CHECK(cfg.real("interval") == 0.5);
    CHECK_FALSE(cfg.boolean("enabled"));
    CHECK(cfg.has("password"));
    CHECK(cfg.str("password") == "pw");
}

TEST_CASE("config: an integer is accepted where a float is declared", "[services][config]") {
    TempDir dir;
    const auto path = dir / "tool.toml";
    write_file(path, "interval = 20\n");
    CHECK(hsm::config::load(kSchema, path, true).real("interval") == 20.0);
}

TEST_CASE("config: an unknown key names file, line and key", "[services][config]") {
    std::string file;
    const std::string err = load_error("host = \"a\"\n\nprot = 1\n", &file);
    CHECK_THAT(err, Catch::Contains(file + ":3"));
    CHECK_THAT(err, Catch::Contains("prot"));
    CHECK_THAT(err, Catch::Contains("unknown"));
}

// Errors are printed on the admin's terminal, and a quoted TOML key can hold any byte.
TEST_CASE("config: control bytes from the file are escaped in errors", "[services][config]") {
    std::string file;
    const std::string err = load_error("\"evil\\u001b]0;T\\u0007\\nline\" = 1\n", &file);
    CHECK_THAT(err, Catch::Contains(file + ":1"));
    CHECK_THAT(err, Catch::Contains(R"(unknown key 'evil\x1b]0;T\x07\nline')"));
    for (const char c : err) CHECK(static_cast<unsigned char>(c) >= 0x20);
    const std::string invalid = load_error("host = \"a\x01\"\n");
    CHECK_FALSE(invalid.empty());
    for (const char c : invalid) CHECK(static_cast<unsigned char>(c) >= 0x20);
}

TEST_CASE("config: a String key's min is its least length", "[services][config]") {
    static const KeySpec schema[] = {
        {"host", Type::String, std::string("localhost"), "Host name.", 1},
        {"note", Type::String, std::string(""), "May be empty."},
    };
    hsm::config::Config cfg(schema);
    CHECK_THROWS_WITH(cfg.set("host", std::string(""), "--host"), "--host: key 'host' must not be empty");
    cfg.set("note", std::string(""));
    cfg.set("host", std::string("h"));
    CHECK(cfg.str("host") == "h");
}

TEST_CASE("config: a wrong type names file, line, key and the expected type", "[services][config]") {
    std::string file;
    SECTION("string for integer") {
        const std::string err = load_error("# comment\nport = \"6379\"\n", &file);
        CHECK_THAT(err, Catch::Contains(file + ":2"));
        CHECK_THAT(err, Catch::Contains("'port'"));
        CHECK_THAT(err, Catch::Contains("integer"));
    }
    SECTION("float for integer") {
        const std::string err = load_error("port = 6379.5\n", &file);
        CHECK_THAT(err, Catch::Contains(file + ":1"));
        CHECK_THAT(err, Catch::Contains("'port'"));
    }
    SECTION("integer for boolean") {
        const std::string err = load_error("\n\n\n\nenabled = 1\n", &file);
        CHECK_THAT(err, Catch::Contains(file + ":5"));
        CHECK_THAT(err, Catch::Contains("'enabled'"));
        CHECK_THAT(err, Catch::Contains("boolean"));
    }
    SECTION("integer for string") {
        const std::string err = load_error("host = 5\n", &file);
        CHECK_THAT(err, Catch::Contains(file + ":1"));
        CHECK_THAT(err, Catch::Contains("'host'"));
        CHECK_THAT(err, Catch::Contains("string"));
    }
    SECTION("table for float") {
        const std::string err = load_error("[interval]\nx = 1\n", &file);
        CHECK_THAT(err, Catch::Contains(file + ":1"));
        CHECK_THAT(err, Catch::Contains("'interval'"));
    }
}

TEST_CASE("config: values out of range name file, line and key", "[services][config]") {
    std::string file;
    for (const std::string text : {"port = 0\n", "port = 65536\n", "port = -1\n"}) {
        const std::string err = load_error("\n" + text, &file);
        INFO(text);
        CHECK_THAT(err, Catch::Contains(file + ":2"));
        CHECK_THAT(err, Catch::Contains("'port'"));
        CHECK_THAT(err, Catch::Contains("out of range"));
    }
    for (const std::string text : {"interval = 0.01\n", "interval = 0\n", "interval = 1e9\n",
                                   "interval = nan\n", "interval = inf\n"}) {
        const std::string err = load_error(text, &file);
        INFO(text);
        CHECK_THAT(err, Catch::Contains(file + ":1"));
        CHECK_THAT(err, Catch::Contains("'interval'"));
    }
}

TEST_CASE("config: bounds are inclusive", "[services][config]") {
    CHECK(load_error("port = 1\ninterval = 0.05\n").empty());
    CHECK(load_error("port = 65535\ninterval = 86400\n").empty());
}

TEST_CASE("config: invalid TOML names the file and line", "[services][config]") {
    std::string file;
    const std::string err = load_error("host = \"a\"\nport = = 3\n", &file);
    CHECK_THAT(err, Catch::Contains(file + ":2"));
    CHECK_THAT(err, Catch::Contains("invalid TOML"));
}

TEST_CASE("config: set() applies the file's checks to command-line values", "[services][config]") {
    hsm::config::Config cfg(kSchema);
    cfg.set("port", std::int64_t{1234});
    CHECK(cfg.integer("port") == 1234);
    cfg.set("interval", std::int64_t{3});  // integer for float, converted
    CHECK(cfg.real("interval") == 3.0);
    CHECK_THROWS_WITH(cfg.set("port", std::int64_t{70000}, "--port"),
                      Catch::Contains("--port") && Catch::Contains("'port'"));
    CHECK_THROWS_WITH(cfg.set("port", std::string("x")), Catch::Contains("'port'"));
    CHECK_THROWS_WITH(cfg.set("nope", true), Catch::Contains("'nope'"));
    CHECK(cfg.integer("port") == 1234);  // a refused value leaves the old one
}

TEST_CASE("config: the reference lists every key with type and default", "[services][config]") {
    const std::string md = hsm::config::reference_markdown(kSchema);
    for (const auto& k : kSchema) CHECK_THAT(md, Catch::Contains(std::string("`").append(k.name).append("`")));
    CHECK_THAT(md, Catch::Contains("`6379`"));
    CHECK_THAT(md, Catch::Contains("`\"localhost\"`"));
    CHECK_THAT(md, Catch::Contains("`20.0`"));
    CHECK_THAT(md, Catch::Contains("`true`"));
}

// ---- Habits carried over from the Python version (issue #7, item 4) ----

namespace {

const KeySpec kToolSchema[] = {
    {"redis_host", Type::String, std::string("localhost"), "Host."},
    {"redis_port", Type::Integer, std::int64_t{6379}, "Port.", 1, 65535},
    hsm::config::log_level_key("warning", "Level."),
};

// Loads `text` against kToolSchema; the Config, or the ConfigError message in `err`.
hsm::config::Config load_tool(const std::string& text, std::string& err, std::string* file = nullptr) {
    TempDir dir;
    const auto path = dir / "tool.toml";
    write_file(path, text);
    if (file) *file = path.string();
    err.clear();
    try {
        return hsm::config::load(kToolSchema, path, true);
    } catch (const ConfigError& e) {
        err = e.what();
    }
    return {};
}

}  // namespace

TEST_CASE("config: log levels in any case, with the Python names", "[services][config][migration]") {
    std::string err;
    const std::pair<const char*, const char*> cases[] = {
        {"INFO", "info"},         {"WARNING", "warning"}, {"Warning", "warning"}, {"WARN", "warn"},
        {"CRITICAL", "critical"}, {"FATAL", "fatal"},     {"DEBUG", "debug"},     {"error", "error"},
        {"off", "off"},           {"Trace", "trace"},
    };
    for (const auto& [given, stored] : cases) {
        INFO(given);
        const auto cfg = load_tool(std::string("log_level = \"") + given + "\"\n", err);
        REQUIRE(err.empty());
        CHECK(cfg.str("log_level") == stored);
        // ... and every stored value is one setup_logging takes (it logs to stderr, not stdout).
        CHECK(hsm::setup_logging(cfg.str("log_level"), "", "test"));
    }
    hsm::setup_logging("warning", "", "test");
}

TEST_CASE("config: an unknown log level names file, line, key and the choices", "[services][config][migration]") {
    std::string err, file;
    load_tool("redis_host = \"h\"\nlog_level = \"verbose\"\n", err, &file);
    CHECK_THAT(err, Catch::Contains(file + ":2"));
    CHECK_THAT(err, Catch::Contains("'log_level'"));
    CHECK_THAT(err, Catch::Contains("verbose"));
    CHECK_THAT(err, Catch::Contains("warning"));
    // The command line goes through the same check, named by its flag.
    hsm::config::Config cfg(kToolSchema);
    CHECK_THROWS_WITH(cfg.set("log_level", std::string("loud"), "--log-level"),
                      Catch::Contains("--log-level") && Catch::Contains("'log_level'"));
    cfg.set("log_level", std::string("CRITICAL"), "--log-level");
    CHECK(cfg.str("log_level") == "critical");
}

TEST_CASE("config: a retired Python key is accepted with a warning saying what replaced it",
          "[services][config][migration]") {
    std::string err, file;
    const auto cfg = load_tool("redis_host = \"h\"\naggressive_trim_threshold = 5000\n", err, &file);
    REQUIRE(err.empty());
    CHECK(cfg.str("redis_host") == "h");
    REQUIRE(cfg.notices().size() == 1);
    CHECK(cfg.notices()[0].warning);
    CHECK_THAT(cfg.notices()[0].text, Catch::Contains(file + ":2"));
    CHECK_THAT(cfg.notices()[0].text, Catch::Contains("aggressive_trim_threshold"));
    CHECK_THAT(cfg.notices()[0].text, Catch::Contains("trim_chunk_size"));  // what does its job now

    // Every retired key is accepted this way, and each says what replaced it.
    for (const auto& r : hsm::config::retired_keys()) {
        INFO(r.name);
        const auto c = load_tool(std::string(r.name) + " = 1\n", err);
        CHECK(err.empty());
        CHECK(c.notices().size() == 1);
        CHECK_FALSE(r.replaced_by.empty());
    }
}

TEST_CASE("config: a sibling tool's key in a shared file is accepted with a notice",
          "[services][config][migration]") {
    std::string err, file;
    const auto cfg = load_tool("mountpoint = \"/lustre\"\npoll_interval = 20\ninterval = 2.0\n", err, &file);
    REQUIRE(err.empty());
    REQUIRE(cfg.notices().size() == 3);
    for (const auto& n : cfg.notices()) CHECK_FALSE(n.warning);
    std::string all;
    for (const auto& n : cfg.notices()) all += n.text + "\n";
    CHECK_THAT(all, Catch::Contains(file + ":1: key 'mountpoint' is for hsm-stream-tail"));
    CHECK_THAT(cfg.notices()[0].text, Catch::Contains("'mountpoint'"));  // in the file's order
    CHECK_THAT(cfg.notices()[2].text, Catch::Contains("'interval'"));
    CHECK_THAT(all, Catch::Contains("'poll_interval' is for hsm-action-shipper"));
    CHECK_THAT(all, Catch::Contains("'interval' is for hsm-action-top"));
}

TEST_CASE("config: a real typo still fails, naming the nearest key", "[services][config][migration]") {
    std::string err, file;
    load_tool("\nredis_hots = \"x\"\n", err, &file);
    CHECK_THAT(err, Catch::Contains(file + ":2"));
    CHECK_THAT(err, Catch::Contains("unknown key 'redis_hots'"));
    CHECK_THAT(err, Catch::Contains("did you mean 'redis_host'"));
    load_tool("log_levle = \"info\"\n", err);
    CHECK_THAT(err, Catch::Contains("did you mean 'log_level'"));
    load_tool("mountpiont = \"/lustre\"\n", err);  // near a sibling's key: point there
    CHECK_THAT(err, Catch::Contains("did you mean 'mountpoint'"));
    load_tool("completely_different = 1\n", err);  // nothing near: no guess
    CHECK_THAT(err, Catch::Contains("unknown key 'completely_different'"));
    CHECK_THAT(err, !Catch::Contains("did you mean"));
}

TEST_CASE("config: unquoted strings and YAML syntax get a hint with file and line",
          "[services][config][migration]") {
    std::string err, file;
    load_tool("redis_host = \"h\"\nmountpoint = /lustre\n", err, &file);
    CHECK_THAT(err, Catch::Contains(file + ":2"));
    CHECK_THAT(err, Catch::Contains("strings need quotes"));
    CHECK_THAT(err, Catch::Contains("mountpoint = \"/lustre\""));

    load_tool("redis_host = my-redis.cluster.local   # the broker\n", err);
    CHECK_THAT(err, Catch::Contains("redis_host = \"my-redis.cluster.local\""));

    load_tool("# carried over\nredis_host: \"localhost\"\n", err, &file);
    CHECK_THAT(err, Catch::Contains(file + ":2"));
    CHECK_THAT(err, Catch::Contains("key = value"));
    CHECK_THAT(err, Catch::Contains("redis_host = \"localhost\""));

    load_tool("mountpoint: /lustre\n", err);
    CHECK_THAT(err, Catch::Contains("mountpoint = \"/lustre\""));

    // A quoted value with a real syntax error gets no misleading hint.
    load_tool("redis_host = \"unterminated\n", err);
    CHECK_THAT(err, Catch::Contains("invalid TOML"));
    CHECK_THAT(err, !Catch::Contains("hint"));
}

TEST_CASE("config: control bytes from the file are escaped in messages", "[services][config]") {
    std::string err;
    load_tool("\"evil\\u001b[2Jkey\" = 1\n", err);
    CHECK_THAT(err, Catch::Contains("evil\\x1b[2Jkey"));
    CHECK(err.find('\x1b') == std::string::npos);
    load_tool("log_level = \"\\u001b[31mred\"\n", err);
    CHECK_THAT(err, Catch::Contains("\\x1b[31mred"));
    CHECK(err.find('\x1b') == std::string::npos);
}
