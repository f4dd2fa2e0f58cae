// YAML -> TOML conversion of the Python version's configs (see convert.hpp). yaml-cpp parses;
// the YAML 1.1 scalar rules PyYAML applies are reproduced here because yaml-cpp leaves plain
// scalars untyped, and the point is to read each value exactly as the Python version did.
#include "convert.hpp"

#include <cmath>
#include <cstdint>
#include <regex>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "services/config.hpp"

namespace hsm::convert {

namespace {

// PyYAML's implicit resolvers (yaml/resolver.py), for the types configs use.
const std::regex kBool("yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF");
const std::regex kNull("~|null|Null|NULL|");
const std::regex kInt("[-+]?(0b[0-1_]+|0[0-7_]+|(0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)");
const std::regex kFloat(
    "[-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?|\\.[0-9_]+([eE][-+][0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");

std::string strip_underscores(std::string s) {
    std::erase(s, '_');
    return s;
}

// A plain (unquoted) scalar as PyYAML types it; nullopt for null.
std::optional<config::Value> resolve_plain(const std::string& text) {
    if (std::regex_match(text, kNull)) return std::nullopt;
    if (std::regex_match(text, kBool)) {
        const char c = text[0];
        return config::Value{c == 'y' || c == 'Y' || c == 't' || c == 'T' || text == "on" || text == "On" ||
                             text == "ON"};
    }
    if (std::regex_match(text, kInt)) {
        std::string t = strip_underscores(text);
        int sign = 1;
        if (t[0] == '-' || t[0] == '+') {
            sign = t[0] == '-' ? -1 : 1;
            t.erase(0, 1);
        }
        int base = 10;
        if (t.rfind("0b", 0) == 0) base = 2, t.erase(0, 2);
        else if (t.rfind("0x", 0) == 0) base = 16, t.erase(0, 2);
        else if (t.size() > 1 && t[0] == '0') base = 8;
        try {
            return config::Value{static_cast<std::int64_t>(sign * std::stoll(t, nullptr, base))};
        } catch (const std::out_of_range&) {
            throw std::out_of_range(text);  // TOML integers are 64-bit; convert() names the key
        }
    }
    if (std::regex_match(text, kFloat)) {
        const std::string t = strip_underscores(text);
        if (t.find("nan") != std::string::npos || t.find("NaN") != std::string::npos ||
            t.find("NAN") != std::string::npos)
            return config::Value{std::nan("")};
        if (t.find_first_of("iI") != std::string::npos)
            return config::Value{t[0] == '-' ? -INFINITY : INFINITY};
        return config::Value{std::stod(t)};
    }
    return config::Value{text};
}

// TOML text of a value; floats keep every digit (config::toml_value rounds to 6 digits).
std::string toml_text(const config::Value& v) {
    if (const double* d = std::get_if<double>(&v)) {
        if (std::isnan(*d)) return "nan";
        if (std::isinf(*d)) return *d < 0 ? "-inf" : "inf";
        std::ostringstream os;
        os.precision(17);
        os << *d;
        std::string s = os.str();
        if (s.find_first_of(".e") == std::string::npos) s += ".0";
        return s;
    }
    return config::toml_value(v);
}

// A bare key when TOML allows one, else a quoted key (never a dotted key by accident).
std::string toml_key(const std::string& key) {
    static const std::regex bare("[A-Za-z0-9_-]+");
    return std::regex_match(key, bare) ? key : config::toml_value(config::Value{key});
}

// What became of a Python-version key.
struct Mapping {
    std::string key;      // the key written, or empty when the key is dropped
    std::string comment;  // why it changed (written above it, and reported), or empty
};

Mapping map_key(Tool tool, const std::string& key, const config::Value& value) {
    if (tool == Tool::Stats && key == "redis_stream_name")
        return {"redis_stream_prefix", "redis_stream_name is called redis_stream_prefix in this version"};
    if (tool == Tool::Shipper && key == "aggressive_trim_threshold")
        return {"", "aggressive_trim_threshold is gone: every trim is bounded by trim_chunk_size "
                    "and repeated until the stream is trimmed"};
    if (tool == Tool::Shipper && key == "cache_path") {
        const std::string* path = std::get_if<std::string>(&value);
        if (path && path->size() >= 5 && path->compare(path->size() - 5, 5, ".json") == 0)
            return {"", "cache_path pointed at the Python version's JSON cache, which this version "
                        "neither reads nor overwrites (rolling back finds it intact); the default "
                        "/var/cache/hsm-action-shipper/state.bin is used"};
    }
    return {key, ""};
}

}  // namespace

std::optional<Tool> tool_from_name(std::string_view name) {
    if (name == "shipper" || name == "hsm-action-shipper") return Tool::Shipper;
    if (name == "stats" || name == "hsm-stream-stats") return Tool::Stats;
    if (name == "tail" || name == "hsm-stream-tail") return Tool::Tail;
    if (name == "top" || name == "hsm-action-top") return Tool::Top;
    return std::nullopt;
}

std::optional<Tool> tool_from_filename(std::string_view path) {
    const auto slash = path.find_last_of('/');
    const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
    for (Tool t : {Tool::Shipper, Tool::Stats, Tool::Tail, Tool::Top}) {
        std::string stem = toml_name(t);
        stem.resize(stem.size() - 5);  // ".toml"
        if (base == stem + ".yaml" || base == stem + ".yml") return t;
    }
    return std::nullopt;
}

const char* command(Tool tool) {
    switch (tool) {
        case Tool::Shipper: return "hsm-action-shipper";
        case Tool::Stats: return "hsm-stream-stats";
        case Tool::Tail: return "hsm-stream-tail";
        case Tool::Top: return "hsm-action-top";
    }
    return "?";
}

const char* toml_name(Tool tool) {
    switch (tool) {
        case Tool::Shipper: return "hsm_action_shipper.toml";
        case Tool::Stats: return "hsm_stream_stats.toml";
        case Tool::Tail: return "hsm_stream_tail.toml";
        case Tool::Top: return "hsm_action_top.toml";
    }
    return "?";
}

Result convert(std::string_view yaml, Tool tool, std::string_view source) {
    const std::string src(source);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw ConvertError(src + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    }
    Result r;
    std::ostringstream out;
    out << "# " << toml_name(tool) << ": converted from " << src << " (the Python version's YAML)\n"
        << "# by hsm-config-from-yaml. Values keep the types the Python version read them with.\n"
        << "# Every other key and its default: `" << command(tool) << " --config-template`.\n\n";
    if (root.IsNull()) return {out.str(), {}};  // an empty file: all defaults
    if (!root.IsMap()) throw ConvertError(src + ":" + std::to_string(root.Mark().line + 1) +
                                          ": expected `key: value` lines at the top level");
    for (const auto& item : root) {
        const std::string where = src + ":" + std::to_string(item.first.Mark().line + 1);
        if (!item.first.IsScalar()) throw ConvertError(where + ": a key must be a plain name");
        const std::string key = item.first.Scalar();
        const YAML::Node& node = item.second;
        if (!node.IsScalar() && !node.IsNull())
            throw ConvertError(where + ": key '" + key + "': lists and mappings are not configuration values");
        std::optional<config::Value> value;
        if (node.IsScalar()) {
            // "!" is yaml-cpp's tag for a quoted scalar: always a string, as in PyYAML.
            try {
                value = node.Tag() == "!" ? std::optional<config::Value>(node.Scalar()) : resolve_plain(node.Scalar());
            } catch (const std::out_of_range&) {
                throw ConvertError(where + ": key '" + key + "': " + node.Scalar() +
                                   " does not fit a 64-bit integer (TOML's)");
            }
        }
        if (!value) {
            r.notes.push_back(where + ": key '" + key + "' is null: left out, the default applies");
            continue;
        }
        // Python's logging accepted any case (INFO); the tools take lower case.
        if (key == "log_level")
            if (auto* s = std::get_if<std::string>(&*value))
                for (char& c : *s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const Mapping m = map_key(tool, key, *value);
        if (!m.comment.empty()) {
            out << "# " << m.comment << ".\n";
            r.notes.push_back(where + ": " + m.comment);
        }
        out << (m.key.empty() ? "# " : "") << toml_key(m.key.empty() ? key : m.key) << " = "
            << toml_text(*value) << "\n";
    }
    r.toml = out.str();
    return r;
}

}  // namespace hsm::convert
