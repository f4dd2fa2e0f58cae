// TOML loading against a KeySpec table (see config.hpp). toml++ gives each node its source line,
// which is what makes "file:line: key" errors possible.
#include "config.hpp"

#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include "core/escape.hpp"

namespace hsm::config {

namespace {

std::string_view type_name(Type t) {
    switch (t) {
        case Type::String: return "string";
        case Type::Integer: return "integer";
        case Type::Float: return "float";
        case Type::Boolean: return "boolean";
    }
    return "?";
}

std::string render(const Value& v) {
    if (std::holds_alternative<std::string>(v)) return "\"" + std::get<std::string>(v) + "\"";
    if (std::holds_alternative<std::int64_t>(v)) return std::to_string(std::get<std::int64_t>(v));
    if (std::holds_alternative<double>(v)) {
        std::ostringstream os;
        os << std::get<double>(v);
        std::string s = os.str();
        if (s.find_first_of(".e") == std::string::npos) s += ".0";
        return s;
    }
    if (std::holds_alternative<bool>(v)) return std::get<bool>(v) ? "true" : "false";
    return "(unset)";
}

double as_number(const Value& v) {
    if (std::holds_alternative<std::int64_t>(v)) return static_cast<double>(std::get<std::int64_t>(v));
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    return NAN;
}

// Converts a TOML node to the declared type; integers are accepted where floats are declared
// (YAML-migrated files say `poll_interval = 20`), never the other way round.
std::optional<Value> convert(const toml::node& node, Type type) {
    switch (type) {
        case Type::String:
            if (auto s = node.value<std::string>(); s && node.is_string()) return Value{*s};
            break;
        case Type::Integer:
            if (node.is_integer()) return Value{*node.value<std::int64_t>()};
            break;
        case Type::Float:
            if (node.is_floating_point() || node.is_integer()) return Value{*node.value<double>()};
            break;
        case Type::Boolean:
            if (node.is_boolean()) return Value{*node.value<bool>()};
            break;
    }
    return std::nullopt;
}

}  // namespace

Config::Config(std::span<const KeySpec> schema) : schema_(schema) {
    for (const auto& k : schema_)
        if (!std::holds_alternative<std::monostate>(k.default_value))
            values_.emplace(std::string(k.name), k.default_value);
}

const KeySpec& Config::spec(std::string_view key) const {
    for (const auto& k : schema_)
        if (k.name == key) return k;
    throw ConfigError("unknown configuration key '" + std::string(key) + "'");
}

const Value& Config::value(std::string_view key) const {
    static const Value unset;
    auto it = values_.find(key);
    return it == values_.end() ? unset : it->second;
}

bool Config::has(std::string_view key) const { return values_.count(key) != 0; }

const std::string& Config::str(std::string_view key) const {
    static const std::string empty;
    const auto& v = value(key);
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : empty;
}

std::int64_t Config::integer(std::string_view key) const {
    const auto& v = value(key);
    return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0;
}

double Config::real(std::string_view key) const {
    double d = as_number(value(key));
    return std::isnan(d) ? 0.0 : d;
}

bool Config::boolean(std::string_view key) const {
    const auto& v = value(key);
    return std::holds_alternative<bool>(v) && std::get<bool>(v);
}

void Config::set(std::string_view key, const Value& v, std::string_view origin) {
    const KeySpec& k = spec(key);
    Value stored = v;
    if (k.type == Type::Float && std::holds_alternative<std::int64_t>(v))
        stored = static_cast<double>(std::get<std::int64_t>(v));
    const bool type_ok = (k.type == Type::String && std::holds_alternative<std::string>(stored)) ||
                         (k.type == Type::Integer && std::holds_alternative<std::int64_t>(stored)) ||
                         (k.type == Type::Float && std::holds_alternative<double>(stored)) ||
                         (k.type == Type::Boolean && std::holds_alternative<bool>(stored));
    if (!type_ok)
        throw ConfigError(std::string(origin) + ": key '" + std::string(key) + "' must be a " +
                          std::string(type_name(k.type)));
    if (k.type == Type::String && static_cast<double>(std::get<std::string>(stored).size()) < k.min)
        throw ConfigError(std::string(origin) + ": key '" + std::string(key) + "' must not be empty");
    if (k.type == Type::Integer || k.type == Type::Float) {
        double d = as_number(stored);
        if (!(d >= k.min && d <= k.max)) {
            std::ostringstream os;
            os << origin << ": key '" << key << "' = " << render(stored) << " is out of range ["
               << k.min << ", " << k.max << "]";
            throw ConfigError(os.str());
        }
    }
    values_[std::string(key)] = std::move(stored);
}

Config load(std::span<const KeySpec> schema, const std::filesystem::path& file, bool must_exist) {
    Config cfg(schema);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        if (must_exist) throw ConfigError(file.string() + ": configuration file not found");
        return cfg;
    }
    toml::table table;
    try {
        table = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        throw ConfigError(file.string() + ":" + std::to_string(e.source().begin.line) +
                          ": invalid TOML: " + escape_control(e.description()));
    }
    for (const auto& [key, node] : table) {
        const std::string where = file.string() + ":" + std::to_string(node.source().begin.line);
        const KeySpec* spec = nullptr;
        for (const auto& k : schema)
            if (k.name == key.str()) spec = &k;
        // Key names come from the file and end up on a terminal: escaped (core/escape.hpp).
        if (!spec) throw ConfigError(where + ": unknown key '" + escape_control(key.str()) + "'");
        auto v = convert(node, spec->type);
        if (!v)
            throw ConfigError(where + ": key '" + std::string(key.str()) + "' must be a " +
                              std::string(type_name(spec->type)));
        cfg.set(spec->name, *v, where);
    }
    return cfg;
}

std::string reference_markdown(std::span<const KeySpec> schema) {
    std::ostringstream os;
    os << "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
    for (const auto& k : schema)
        os << "| `" << k.name << "` | " << type_name(k.type) << " | `" << render(k.default_value)
           << "` | " << k.help << " |\n";
    return os.str();
}

}  // namespace hsm::config
