// Declarative configuration: every tool declares its TOML keys once, in one table (name, type,
// default, bounds, help). Loading, validation, error messages and the README reference are all
// generated from that table, so a key cannot be documented one way and parsed another.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hsm::config {

enum class Type { String, Integer, Float, Boolean };

using Value = std::variant<std::monostate, std::string, std::int64_t, double, bool>;

struct KeySpec {
    std::string_view name;
    Type type;
    Value default_value;  // std::monostate: optional key without a default
    std::string_view help;
    double min = -1e300;  // inclusive bounds for Integer/Float keys; for String keys, min is the
    double max = 1e300;   // least length (1: empty makes no sense, e.g. a host or a path)
    // String keys with a closed set of values: matched in any case and stored as spelled here
    // (`log_level = "INFO"`, the Python version's habit, gives "info"). Empty: any string.
    std::span<const std::string_view> choices = {};
};

// What loading a file had to say without failing: a retired key (ignored, with what replaced
// it) or a key of a sibling tool in a shared file (ignored). Tools log these once logging is up:
// `warning` ones as warnings, the others as info.
struct Notice {
    bool warning;
    std::string text;  // "file:line: key '...' ..."
};

// Thrown at start-up only (never on a hot path). what() names the file, the line and the key.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Validated values of one tool's keys: defaults filled in, types checked against the table.
// Thread-safety: the const accessors may be called from any number of threads at once; set(),
// add_notice() and warn() must not run concurrently with anything else on the same Config.
// Lifetimes: the schema span must outlive the Config (tools pass their static key tables); the
// references str() returns live as long as the Config and until set() changes that key.
class Config {
public:
    Config() = default;
    explicit Config(std::span<const KeySpec> schema);

    // The value of a declared key; an optional key without a default reads "" / 0 / false.
    // A key the table does not declare, or read as another type (str() of an Integer key), is a
    // programming error: std::logic_error naming the key. Code outside the config loader should
    // read typed settings built once (services/common_keys.hpp) rather than call these by name.
    const std::string& str(std::string_view key) const;
    std::int64_t integer(std::string_view key) const;
    double real(std::string_view key) const;  // Float keys; Integer keys convert
    bool boolean(std::string_view key) const;
    bool has(std::string_view key) const;  // set, by default or explicitly (declared keys only)

    // Command-line overrides go through the same checks as the file ("--port" gives "redis_port").
    void set(std::string_view key, const Value& value, std::string_view origin = "command line");

    std::span<const KeySpec> schema() const { return schema_; }
    const std::vector<Notice>& notices() const { return notices_; }
    void add_notice(Notice n) { notices_.push_back(std::move(n)); }

    // The file load() read the settings from; empty when there was none (every key its default).
    const std::string& source() const { return source_; }
    void set_source(std::string file) { source_ = std::move(file); }

    // A warning notice (a password in a file others can read); warnings() lists their texts.
    void warn(std::string message) { notices_.push_back({true, std::move(message)}); }
    std::vector<std::string> warnings() const {
        std::vector<std::string> out;
        for (const auto& n : notices_)
            if (n.warning) out.push_back(n.text);
        return out;
    }

private:
    const KeySpec& spec(std::string_view key) const;
    const Value& value(std::string_view key) const;
    const Value& checked(std::string_view key, Type want) const;
    std::span<const KeySpec> schema_;
    std::map<std::string, Value, std::less<>> values_;
    std::vector<Notice> notices_;
    std::string source_;
};

// Reads a TOML file against `schema`. A missing file is an error only when `must_exist` (the
// user named it); otherwise the defaults are returned. Wrong types, values out of bounds or not
// among the choices, and unknown keys raise ConfigError naming the file, line and key (an unknown
// key names the nearest known one: a typo). Keys the suite knows elsewhere (suite_keys.hpp:
// retired Python-version keys, sibling tools' keys) are ignored with a Notice instead. A TOML
// syntax error on a line that looks like `key = bare words` or `key: value` carries a hint (the
// habits of YAML files carried over from the Python version).
//
// Secrets: when the schema has `redis_password_file` and it is set, the password is read from
// that file (one line; a trailing newline is dropped) into `redis_password`, so the password
// need not sit in the TOML file. Setting both, or an unreadable or empty file, is a
// ConfigError naming the file. A non-empty password in a file that others can read (the TOML
// or the password file) adds a warning notice.
Config load(std::span<const KeySpec> schema, const std::filesystem::path& file, bool must_exist);

// The line --check-config prints (every tool): which file was read, or that `looked_for` was not
// there and every setting is its default, so "OK" never hides a file that was not read.
std::string check_config_line(const Config& cfg, const std::filesystem::path& looked_for);

// The commented TOML file shipped in /etc and printed by `--config-template`: a header naming
// `tool` and `path`, then every key with its help, type, bounds and default, commented out, so
// the file as shipped changes nothing and uncommenting one line changes one key.
std::string config_template(std::span<const KeySpec> schema, std::string_view tool,
                            std::string_view path);

// A value as TOML writes it (strings quoted and escaped; floats with a decimal point).
std::string toml_value(const Value& v);

// Markdown table of the keys (name, type, default, help) for the README and `--config-reference`.
std::string reference_markdown(std::span<const KeySpec> schema);

}  // namespace hsm::config
