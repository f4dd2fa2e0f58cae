// Secrets in configuration files: redis_password_file instead of a password in the TOML, and a
// warning when a file holding a password is readable by every user. Real files and modes.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "services/config.hpp"
#include "fixtures.hpp"

using namespace hsm::test;
using hsm::config::ConfigError;
using hsm::config::KeySpec;
using hsm::config::Type;

namespace {

const KeySpec kSchema[] = {
    {"redis_host", Type::String, std::string("localhost"), "host"},
    {"redis_password", Type::String, std::string(""), "password"},
    {"redis_password_file", Type::String, std::string(""), "password file"},
};

fs::path file_with(const TempDir& dir, const std::string& name, const std::string& text, mode_t mode) {
    const fs::path p = dir / name;
    write_file(p, text);
    REQUIRE(::chmod(p.c_str(), mode) == 0);
    return p;
}

}  // namespace

TEST_CASE("secrets: redis_password_file supplies the password, without its newline", "[services][config]") {
    TempDir dir;
    const auto pw = file_with(dir, "pw", "s3cret\n", 0600);
    const auto toml = file_with(dir, "c.toml", "redis_password_file = \"" + pw.string() + "\"\n", 0644);
    const auto cfg = hsm::config::load(kSchema, toml, true);
    CHECK(cfg.str("redis_password") == "s3cret");
    CHECK(cfg.warnings().empty());  // the TOML holds no password; the password file is private
}

TEST_CASE("secrets: bad password files are errors naming the TOML file, the key and the password file",
          "[services][config]") {
    TempDir dir;
    const auto empty = file_with(dir, "empty", "\n", 0600);
    const auto pw = file_with(dir, "pw", "x\n", 0600);
    struct Case { std::string toml; std::string expect; };
    for (const Case& c : {Case{"redis_password_file = \"" + (dir / "missing").string() + "\"\n", "cannot read " + (dir / "missing").string()},
                          Case{"redis_password_file = \"" + empty.string() + "\"\n", "holds no password"},
                          Case{"redis_password = \"a\"\nredis_password_file = \"" + pw.string() + "\"\n", "not both"}}) {
        const auto toml = file_with(dir, "c.toml", c.toml, 0600);
        INFO(c.toml);
        CHECK_THROWS_WITH(hsm::config::load(kSchema, toml, true),
                          Catch::Contains(toml.string()) && Catch::Contains("redis_password_file") &&
                              Catch::Contains(c.expect));
    }
}

TEST_CASE("secrets: a password readable by every user is warned about, naming the file and its mode",
          "[services][config]") {
    TempDir dir;
    auto toml = file_with(dir, "c.toml", "redis_password = \"s3cret\"\n", 0644);
    auto cfg = hsm::config::load(kSchema, toml, true);
    REQUIRE(cfg.warnings().size() == 1);
    CHECK_THAT(cfg.warnings()[0], Catch::Contains(toml.string()) && Catch::Contains("0644"));
    REQUIRE(::chmod(toml.c_str(), 0600) == 0);
    CHECK(hsm::config::load(kSchema, toml, true).warnings().empty());
    // An empty password is no secret.
    toml = file_with(dir, "d.toml", "redis_password = \"\"\n", 0644);
    CHECK(hsm::config::load(kSchema, toml, true).warnings().empty());
    // The same for the password file.
    const auto pw = file_with(dir, "pw", "s3cret\n", 0644);
    toml = file_with(dir, "e.toml", "redis_password_file = \"" + pw.string() + "\"\n", 0600);
    cfg = hsm::config::load(kSchema, toml, true);
    REQUIRE(cfg.warnings().size() == 1);
    CHECK_THAT(cfg.warnings()[0], Catch::Contains(pw.string()) && Catch::Contains("0644"));
}

TEST_CASE("config template: every key commented out at its default, read back as all defaults", "[services][config]") {
    TempDir dir;
    const std::string text = hsm::config::config_template(kSchema, "tool", "/etc/x.toml");
    CHECK(text.find("\n#redis_host = \"localhost\"\n") != std::string::npos);
    write_file(dir / "t.toml", text);
    const auto cfg = hsm::config::load(kSchema, dir / "t.toml", true);
    CHECK(cfg.str("redis_host") == "localhost");
    // Uncommenting a line sets exactly that key.
    std::string edited = text;
    edited.replace(edited.find("#redis_host = \"localhost\""), 25, "redis_host = \"redis.example\"");
    write_file(dir / "u.toml", edited);
    CHECK(hsm::config::load(kSchema, dir / "u.toml", true).str("redis_host") == "redis.example");
    CHECK(hsm::config::toml_value(std::string("a\"b\\c\n")) == "\"a\\\"b\\\\c\\n\"");
}
