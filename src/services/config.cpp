// TOML loading against a KeySpec table (see config.hpp). toml++ gives each node its source line,
// which is what makes "file:line: key" errors possible.
#include "config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "services/suite_keys.hpp"

#include <toml++/toml.h>

#include "services/escape.hpp"

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

// Text from the file or the command line, made safe to print: messages go to a terminal or the
// journal, where control bytes (an escape sequence in a quoted key) must not act. The one
// escaping rule of the suite (services/escape.hpp).
std::string shown(std::string_view text) { return escape_control(text); }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string list_choices(std::span<const std::string_view> choices) {
    std::string out;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i) out += i + 1 == choices.size() ? " or " : ", ";
        out += choices[i];
    }
    return out;
}

// Levenshtein distance, for "did you mean": keys are short, so the quadratic table is nothing.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// The known key nearest to a misspelt one, when it is near enough to be what was meant
// (a third of the key's length, at least 2 edits: `redis_hots` -> `redis_host`).
std::string nearest_key(std::string_view key, std::span<const KeySpec> schema) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, key.size() / 3) + 1;
    auto consider = [&](std::string_view name) {
        const std::size_t d = edit_distance(key, name);
        if (d < best_d) best_d = d, best = std::string(name);
    };
    for (const auto& k : schema) consider(k.name);
    for (const auto& k : sibling_keys()) consider(k.name);
    return best;
}

// toml++ reports `key = /lustre` as "could not determine value type": say what was meant. Looks
// at the offending line only; no hint when it does not look like one of these habits.
std::string syntax_hint(const std::filesystem::path& file, std::size_t line_no) {
    std::ifstream in(file);
    std::string line;
    for (std::size_t i = 0; i < line_no && std::getline(in, line); ++i) {
    }
    if (!in) return {};
    // `<spaces>key<spaces>(:|=)<spaces>value<spaces>`, by hand (the shape is that simple).
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    auto is_key_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; };
    std::size_t i = 0;
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t key_begin = i;
    while (i < line.size() && is_key_char(line[i])) ++i;
    const std::string key = line.substr(key_begin, i - key_begin);
    while (i < line.size() && is_space(line[i])) ++i;
    if (key.empty() || i == line.size() || (line[i] != ':' && line[i] != '=')) return {};
    const bool yaml = line[i] == ':';
    ++i;
    while (i < line.size() && is_space(line[i])) ++i;
    std::string value = line.substr(i);
    while (!value.empty() && is_space(value.back())) value.pop_back();
    auto quoted = [](std::string v) {
        if (const auto hash = v.find(" #"); hash != std::string::npos) v.resize(hash);
        while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
        std::string out = "\"";
        for (char c : v) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        return out + "\"";
    };
    if (yaml)
        return " (hint: TOML writes `key = value`, and strings need quotes: " + key + " = " +
               (value.empty() || value[0] == '"' ? value : quoted(value)) + ")";
    if (!value.empty() && value[0] != '"' && value[0] != '\'' && value[0] != '[' && value[0] != '{')
        return " (hint: strings need quotes in TOML: " + key + " = " + quoted(value) + ")";
    return {};
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

// "mode 0644" for messages about who can read a file.
std::string mode_text(mode_t mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
    return buf;
}

bool readable_by_others(const std::filesystem::path& file, mode_t& mode) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) return false;
    mode = st.st_mode;
    return (st.st_mode & S_IROTH) != 0;
}

// Bounds as a person writes them: 1000000, not 1e+06.
std::string bound_text(double d) {
    if (d == std::floor(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    std::ostringstream os;
    os << d;
    return os.str();
}

constexpr std::string_view kPasswordKey = "redis_password";
constexpr std::string_view kPasswordFileKey = "redis_password_file";

bool schema_has(std::span<const KeySpec> schema, std::string_view key) {
    for (const auto& k : schema)
        if (k.name == key) return true;
    return false;
}

// Reads redis_password_file into redis_password (see load() in config.hpp).
void resolve_password_file(Config& cfg, const std::filesystem::path& toml_file) {
    const std::string& file = cfg.str(kPasswordFileKey);
    if (file.empty()) return;
    const std::string where = toml_file.string() + ": key '" + std::string(kPasswordFileKey) + "'";
    if (!cfg.str(kPasswordKey).empty())
        throw ConfigError(where + ": set either redis_password or redis_password_file, not both");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw ConfigError(where + ": cannot read " + file);
    std::string password;
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) throw ConfigError(where + ": " + file + " holds no password on its first line");
    mode_t mode = 0;
    if (readable_by_others(file, mode))
        cfg.warn(file + " (redis_password_file) is readable by every user (mode " + mode_text(mode) +
                 "); chmod 0600 or 0640 it");
    cfg.set(kPasswordKey, password, where);
}

}  // namespace

std::string toml_value(const Value& v) {
    if (!std::holds_alternative<std::string>(v)) return render(v);
    std::string out = "\"";
    for (unsigned char c : std::get<std::string>(v)) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string config_template(std::span<const KeySpec> schema, std::string_view tool,
                            std::string_view path) {
    std::ostringstream os;
    os << "# " << path << ": configuration of " << tool << " (TOML).\n"
       << "# Every key is listed with its default, commented out: as shipped this file changes\n"
       << "# nothing. Uncomment a line to change that key; check with `" << tool << " --check-config`.\n"
       << "# Generated from the tool's key table (`" << tool << " --config-template`).\n";
    for (const auto& k : schema) {
        os << "\n# " << k.help << "\n# " << type_name(k.type);
        if ((k.type == Type::Integer || k.type == Type::Float) && (k.min > -1e300 || k.max < 1e300))
            os << ", " << bound_text(k.min) << " to " << bound_text(k.max);
        if (std::holds_alternative<std::monostate>(k.default_value)) {
            os << ", no default\n#" << k.name << " = "
               << toml_value(k.type == Type::String ? Value{std::string()} : Value{std::int64_t{0}}) << "\n";
        } else {
            os << "\n#" << k.name << " = " << toml_value(k.default_value) << "\n";
        }
    }
    return os.str();
}

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

// The getters' one rule: the key must be in this Config's table and of the type asked for
// (real() also takes an Integer key). Anything else is a bug in the calling code, not in the
// user's file, so it is a std::logic_error naming the key, never a silent "" / 0 / false.
const Value& Config::checked(std::string_view key, Type want) const {
    const KeySpec* k = nullptr;
    for (const auto& s : schema_)
        if (s.name == key) k = &s;
    if (!k)
        throw std::logic_error("configuration key '" + std::string(key) + "' is not declared by this tool's key table");
    if (k->type != want && !(want == Type::Float && k->type == Type::Integer))
        throw std::logic_error("configuration key '" + std::string(key) + "' is declared " + std::string(type_name(k->type)) +
                               ", read as " + std::string(type_name(want)));
    return value(key);
}

bool Config::has(std::string_view key) const {
    if (!std::any_of(schema_.begin(), schema_.end(), [&](const KeySpec& k) { return k.name == key; }))
        throw std::logic_error("configuration key '" + std::string(key) + "' is not declared by this tool's key table");
    return values_.count(key) != 0;
}

const std::string& Config::str(std::string_view key) const {
    static const std::string empty;
    const auto& v = checked(key, Type::String);
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : empty;
}

std::int64_t Config::integer(std::string_view key) const {
    const auto& v = checked(key, Type::Integer);
    return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0;
}

double Config::real(std::string_view key) const {
    double d = as_number(checked(key, Type::Float));
    return std::isnan(d) ? 0.0 : d;
}

bool Config::boolean(std::string_view key) const {
    const auto& v = checked(key, Type::Boolean);
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
    if (k.type == Type::String && !k.choices.empty()) {
        const std::string& text = std::get<std::string>(stored);
        const auto it = std::find_if(k.choices.begin(), k.choices.end(),
                                     [&](std::string_view c) { return same_ignoring_case(c, text); });
        if (it == k.choices.end())
            throw ConfigError(std::string(origin) + ": key '" + std::string(key) + "' = \"" + shown(text) +
                              "\" is not one of " + list_choices(k.choices) + " (any case)");
        stored = std::string(*it);
    }
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

std::string check_config_line(const Config& cfg, const std::filesystem::path& looked_for) {
    if (!cfg.source().empty()) return shown(cfg.source()) + ": configuration OK";
    return shown(looked_for.string()) +
           ": not found, no configuration file read: configuration OK, every setting is its default";
}

Config load(std::span<const KeySpec> schema, const std::filesystem::path& file, bool must_exist) {
    Config cfg(schema);
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        if (must_exist) throw ConfigError(file.string() + ": configuration file not found");
        return cfg;
    }
    cfg.set_source(file.string());
    toml::table table;
    try {
        table = toml::parse_file(file.string());
    } catch (const toml::parse_error& e) {
        const std::size_t line = e.source().begin.line;
        throw ConfigError(shown(file.string()) + ":" + std::to_string(line) + ": invalid TOML: " +
                          shown(e.description()) + shown(syntax_hint(file, line)));
    }
    // toml++ iterates keys in name order; notices are given in the file's line order.
    std::vector<std::pair<std::size_t, Notice>> found;
    for (const auto& [key, node] : table) {
        const std::string where = shown(file.string()) + ":" + std::to_string(node.source().begin.line);
        const std::string_view name = key.str();
        const KeySpec* spec = nullptr;
        for (const auto& k : schema)
            if (k.name == name) spec = &k;
        if (!spec) {
            const auto retired = std::find_if(retired_keys().begin(), retired_keys().end(),
                                              [&](const RetiredKey& r) { return r.name == name; });
            if (retired != retired_keys().end()) {
                found.push_back({node.source().begin.line, {true, where + ": key '" + std::string(name) +
                                          "' is from the Python version and is ignored: " +
                                          std::string(retired->replaced_by)}});
                continue;
            }
            const auto sibling = std::find_if(sibling_keys().begin(), sibling_keys().end(),
                                              [&](const SiblingKey& k) { return k.name == name; });
            if (sibling != sibling_keys().end()) {
                found.push_back({node.source().begin.line, {false, where + ": key '" + std::string(name) +
                                                                    "' is for " + std::string(sibling->tools) +
                                                                    "; ignored here"}});
                continue;
            }
            const std::string near = nearest_key(name, schema);
            throw ConfigError(where + ": unknown key '" + shown(name) + "'" +
                              (near.empty() ? std::string() : " (did you mean '" + near + "'?)"));
        }
        auto v = convert(node, spec->type);
        if (!v)
            throw ConfigError(where + ": key '" + std::string(key.str()) + "' must be a " +
                              std::string(type_name(spec->type)));
        cfg.set(spec->name, *v, where);
    }
    std::stable_sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [line, notice] : found) cfg.add_notice(std::move(notice));
    mode_t mode = 0;
    if (schema_has(schema, kPasswordKey) && !cfg.str(kPasswordKey).empty() && readable_by_others(file, mode))
        cfg.warn(file.string() + " holds redis_password and is readable by every user (mode " +
                 mode_text(mode) + "); chmod 0600 it, or move the password to redis_password_file");
    if (schema_has(schema, kPasswordFileKey)) resolve_password_file(cfg, file);
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
