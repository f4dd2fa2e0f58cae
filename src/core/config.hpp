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
};

// Thrown at start-up only (never on a hot path). what() names the file, the line and the key.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Validated values of one tool's keys: defaults filled in, types checked against the table.
class Config {
public:
    Config() = default;
    explicit Config(std::span<const KeySpec> schema);

    const std::string& str(std::string_view key) const;
    std::int64_t integer(std::string_view key) const;
    double real(std::string_view key) const;  // Float keys; Integer keys convert
    bool boolean(std::string_view key) const;
    bool has(std::string_view key) const;  // set, by default or explicitly

    // Command-line overrides go through the same checks as the file ("--port" gives "redis_port").
    void set(std::string_view key, const Value& value, std::string_view origin = "command line");

    std::span<const KeySpec> schema() const { return schema_; }

private:
    const KeySpec& spec(std::string_view key) const;
    const Value& value(std::string_view key) const;
    std::span<const KeySpec> schema_;
    std::map<std::string, Value, std::less<>> values_;
};

// Reads a TOML file against `schema`. A missing file is an error only when `must_exist` (the
// user named it); otherwise the defaults are returned. Unknown keys, wrong types and values
// out of bounds raise ConfigError naming the file, line and key.
Config load(std::span<const KeySpec> schema, const std::filesystem::path& file, bool must_exist);

// Markdown table of the keys (name, type, default, help) for the README and `--config-reference`.
std::string reference_markdown(std::span<const KeySpec> schema);

}  // namespace hsm::config
