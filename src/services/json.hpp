// Minimal JSON writing shared by the event encoder and the tools' reports. Strings are escaped
// so that any input bytes (quotes, control bytes, invalid UTF-8 from a corrupted line) always
// yield valid JSON: invalid UTF-8 sequences become U+FFFD.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hsm::json {

// Appends `"escaped"` (with the quotes) to out.
void append_string(std::string& out, std::string_view s);
// Appends the escaped bytes without quotes, to build one JSON string from several pieces.
void append_escaped(std::string& out, std::string_view s);
void append_int(std::string& out, std::int64_t v);
void append_uint(std::string& out, std::uint64_t v);

}  // namespace hsm::json
