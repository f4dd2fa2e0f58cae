// hsm-config-from-yaml: the Python version's YAML configs, as it shipped them, become TOML that
// the tools accept with the same values. The oracle for "same values" is the Python version's
// own loader (PyYAML's safe_load) against Python's TOML reader (tomllib), run by Debian's
// python3; the converter's typing rules are also checked one by one.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "convert.hpp"
#include "install_support.hpp"

using namespace hsm::test;
using hsm::convert::Tool;

namespace {

// The three files as the Python version (0.3) shipped them in /etc/lustre-hsm-action-stream:
// the same keys and values, with comments of the same kind.
const char* kShipperYaml = R"(#
# Shipper configuration (Python version).
#
redis_host: "localhost"
redis_port: 6379

# database number
redis_db: 1
redis_stream_prefix: "hsm:actions"
mdt_watch_glob: "/sys/kernel/debug/lustre/mdt/*-MDT*/hsm/actions"
poll_interval: 20
reconcile_interval: 21600 # 6 hours
aggressive_trim_threshold: 5000
cache_path: "/var/cache/hsm-action-shipper/cache.json"
log_level: "INFO"
)";
const char* kStatsYaml = R"(# stats
redis_host: "localhost"
redis_port: 6379
redis_db: 1
redis_stream_name: "hsm:actions"
)";
const char* kTailYaml = R"(# tail
mountpoint: /lustre
redis_host: "localhost"
redis_port: 6379
redis_db: 1
redis_stream_prefix: "hsm:actions"
)";

// Compares yaml.safe_load(yaml) with tomllib.load(toml) after the documented renames and drops;
// prints what differs and exits 1 when anything does.
const char* kOracle = R"(
import sys, tomllib, yaml
src = yaml.safe_load(open(sys.argv[1]))
out = tomllib.load(open(sys.argv[2], 'rb'))
expected = {}
for k, v in src.items():
    if k in ('aggressive_trim_threshold',) or (k == 'cache_path' and v.endswith('.json')):
        continue
    if k == 'redis_stream_name':
        k = 'redis_stream_prefix'
    if k == 'log_level':
        v = v.lower()
    expected[k] = v
bad = False
for k in sorted(set(expected) | set(out)):
    e, o = expected.get(k, '<absent>'), out.get(k, '<absent>')
    if e != o or type(e) is not type(o):
        print(f'{k}: yaml {e!r} toml {o!r}'); bad = True
sys.exit(1 if bad else 0)
)";

std::string convert_text(const std::string& yaml, Tool tool) { return hsm::convert::convert(yaml, tool, "test.yaml").toml; }

}  // namespace

TEST_CASE("convert: the Python version's three YAML files become TOML the tools accept, same values",
          "[packaging][convert]") {
    TempDir dir;
    write_file(dir / "oracle.py", kOracle);
    struct Case { const char* yaml_name; const char* text; const char* tool; };
    for (const Case& c : {Case{"hsm_action_shipper.yaml", kShipperYaml, "hsm-action-shipper"},
                          Case{"hsm_stream_stats.yaml", kStatsYaml, "hsm-stream-stats"},
                          Case{"hsm_stream_tail.yaml", kTailYaml, "hsm-stream-tail"}}) {
        INFO(c.yaml_name);
        const fs::path yaml = dir / c.yaml_name, toml = dir / (std::string(c.yaml_name) + ".toml");
        write_file(yaml, c.text);
        auto conv = run({bin("hsm-config-from-yaml").string(), yaml.string(), "-o", toml.string()}, 30s);
        INFO(conv.out << conv.err);
        REQUIRE(conv.exit_code == 0);
        auto check = run({bin(c.tool).string(), "--check-config", "-c", toml.string()}, 30s);
        INFO(read_file(toml) << check.out << check.err);
        CHECK(check.exit_code == 0);
        auto same = run({"/usr/bin/python3", (dir / "oracle.py").string(), yaml.string(), toml.string()}, 60s);
        INFO(same.out << same.err);
        CHECK(same.exit_code == 0);
    }
    // What was dropped is said, with the line, on stderr and in the file.
    auto conv = run({bin("hsm-config-from-yaml").string(), (dir / "hsm_action_shipper.yaml").string()}, 30s);
    CHECK(conv.err.find("hsm_action_shipper.yaml:14: cache_path") != std::string::npos);
    CHECK(conv.err.find("hsm_action_shipper.yaml:13: aggressive_trim_threshold") != std::string::npos);
    CHECK(conv.out.find("# cache_path = \"/var/cache/hsm-action-shipper/cache.json\"") != std::string::npos);
}

TEST_CASE("convert: scalars are typed as PyYAML types them", "[packaging][convert]") {
    const std::string t = convert_text(
        "a: yes\nb: Off\nc: 20\nd: 20.5\ne: \"20\"\nf: 0x1f\ng: 1_000\nh: ~\ni: 'it''s'\nj: text with \"quotes\"\nk: 1e3\nl: 010\n",
        Tool::Top);
    CHECK(t.find("\n\na = true\n") != std::string::npos);
    CHECK(t.find("\nb = false\n") != std::string::npos);
    CHECK(t.find("\nc = 20\n") != std::string::npos);
    CHECK(t.find("\nd = 20.5\n") != std::string::npos);
    CHECK(t.find("\ne = \"20\"\n") != std::string::npos);
    CHECK(t.find("\nf = 31\n") != std::string::npos);
    CHECK(t.find("\ng = 1000\n") != std::string::npos);
    CHECK(t.find("\nh =") == std::string::npos);  // null: left out, the default applies
    CHECK(t.find("\ni = \"it's\"\n") != std::string::npos);
    CHECK(t.find("\nj = \"text with \\\"quotes\\\"\"\n") != std::string::npos);
    CHECK(t.find("\nk = \"1e3\"\n") != std::string::npos);  // YAML 1.1 floats need a dot
    CHECK(t.find("\nl = 8\n") != std::string::npos);        // YAML 1.1 octal
}

TEST_CASE("convert: what cannot be converted is an error naming the file, line and key", "[packaging][convert]") {
    using hsm::convert::ConvertError;
    CHECK_THROWS_WITH(hsm::convert::convert("redis_host: x\nmdts:\n  - a\n", Tool::Shipper, "s.yaml"),
                      Catch::Contains("s.yaml:2: key 'mdts'"));
    CHECK_THROWS_WITH(hsm::convert::convert("- a\n- b\n", Tool::Shipper, "s.yaml"), Catch::Contains("s.yaml:1"));
    CHECK_THROWS_WITH(hsm::convert::convert("a: [\n", Tool::Shipper, "s.yaml"), Catch::Contains("invalid YAML"));
    CHECK_THROWS_WITH(hsm::convert::convert("a: 1\nbig: 99999999999999999999\n", Tool::Shipper, "s.yaml"),
                      Catch::Contains("s.yaml:2: key 'big'") && Catch::Contains("64-bit"));
    CHECK(hsm::convert::tool_from_filename("/etc/lustre-hsm-action-stream/hsm_stream_tail.yaml") == Tool::Tail);
    CHECK_FALSE(hsm::convert::tool_from_filename("other.yaml").has_value());

    TempDir dir;
    write_file(dir / "x.yaml", "a: 1\n");
    auto r = run({bin("hsm-config-from-yaml").string(), (dir / "x.yaml").string()}, 30s);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--tool") != std::string::npos);
}

TEST_CASE("convert: -o never replaces an existing file without --force", "[packaging][convert]") {
    TempDir dir;
    write_file(dir / "hsm_stream_stats.yaml", kStatsYaml);
    write_file(dir / "out.toml", "# the admin's file\n");
    auto r = run({bin("hsm-config-from-yaml").string(), (dir / "hsm_stream_stats.yaml").string(), "-o",
                  (dir / "out.toml").string()}, 30s);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("exists") != std::string::npos);
    CHECK(read_file(dir / "out.toml") == "# the admin's file\n");
    r = run({bin("hsm-config-from-yaml").string(), (dir / "hsm_stream_stats.yaml").string(), "-o",
             (dir / "out.toml").string(), "--force"}, 30s);
    CHECK(r.exit_code == 0);
    CHECK(read_file(dir / "out.toml").find("redis_stream_prefix = \"hsm:actions\"") != std::string::npos);
    struct stat st {};
    REQUIRE(::stat((dir / "out.toml").c_str(), &st) == 0);
    CHECK((st.st_mode & S_IROTH) == 0);  // it may hold a password
}

// `-o /dev/stdout | less` and `--force -o <link>`: what is not a regular file is written in place
// (renaming over /dev/stdout would replace the machine's link), a symlink keeps being a link.
TEST_CASE("convert: -o /dev/stdout into a pipe, and a symlink followed", "[packaging][convert]") {
    TempDir dir;
    write_file(dir / "hsm_stream_stats.yaml", kStatsYaml);
    const std::string conv = bin("hsm-config-from-yaml").string() + " '" + (dir / "hsm_stream_stats.yaml").string() + "'";
    auto r = run({"/bin/sh", "-c", conv + " -o /dev/stdout | cat"}, 30s);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("redis_stream_prefix = \"hsm:actions\"") != std::string::npos);
    CHECK(fs::is_symlink("/dev/stdout"));

    fs::create_directories(dir / "etc");
    write_file(dir / "etc" / "stats.toml", "# old\n");
    fs::create_symlink("etc/stats.toml", dir / "link.toml");
    r = run({"/bin/sh", "-c", conv + " --force -o '" + (dir / "link.toml").string() + "'"}, 30s);
    CHECK(r.exit_code == 0);
    CHECK(fs::is_symlink(dir / "link.toml"));
    CHECK(read_file(dir / "etc" / "stats.toml").find("redis_stream_prefix") != std::string::npos);
}
