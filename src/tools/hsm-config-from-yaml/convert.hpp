// The Python version's YAML configurations (hsm_action_shipper.yaml, hsm_stream_stats.yaml,
// hsm_stream_tail.yaml) turned into our TOML, for upgrading. Pure text -> text, so it is tested
// without files; main.cpp does the I/O.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hsm::convert {

enum class Tool { Shipper, Stats, Tail, Top };

// "shipper", "stats", "tail", "top" (the --tool argument), or nullopt.
std::optional<Tool> tool_from_name(std::string_view name);
// hsm_action_shipper.yaml -> Shipper, hsm_stream_stats.yaml -> Stats, ... (any directory), or
// nullopt for another name.
std::optional<Tool> tool_from_filename(std::string_view path);
// The tool's command and its TOML file name: "hsm-action-shipper", "hsm_action_shipper.toml".
const char* command(Tool tool);
const char* toml_name(Tool tool);

// A YAML file we cannot convert: not a mapping, a value that is a list or mapping, invalid YAML.
// what() names the source, the line and the key.
class ConvertError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Result {
    std::string toml;
    // One line per key not carried over as is (renamed, dropped, unknown), naming source:line.
    std::vector<std::string> notes;
};

// Converts `yaml` (the text of `source`) for `tool`. Scalars keep the type PyYAML gave them (the
// Python version's loader, YAML 1.1: `yes` is true, `20` an integer, `"20"` a string), so the
// tools read the same values the Python version did. Keys the Python version had and we do not
// are handled as upgrading needs (see convert.cpp); null values are left out (the default
// applies). Throws ConvertError.
Result convert(std::string_view yaml, Tool tool, std::string_view source);

}  // namespace hsm::convert
