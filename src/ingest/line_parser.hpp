// Parses one hsm/actions line into the fields the shipper needs. Pure: bytes in, values out, no
// I/O and no allocation, so it is tested by feeding it strings (docs/lustre-actions.md).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/event.hpp"

namespace hsm::ingest {

struct ParsedLine {
    RecordKey key;
    std::string_view fid;     // inside the line, brackets stripped
    std::string_view action;
    std::string_view status;
};

enum class ParseError : std::uint8_t {
    None,
    MissingIdx,
    BadIdx,
    MissingFid,
    MissingAction,
    MissingStatus,
    TooLong,
};

const char* parse_error_name(ParseError e);

// The kernel prints ~250-byte lines; anything far longer is not a record.
inline constexpr std::size_t kMaxLineLength = 4096;

// Accepts the kernel format and the short test format (`idx=[1/2] action=RESTORE fid=[0xb]
// status=WAITING`): fields in any order, separated by spaces, `idx` with or without brackets.
ParseError parse_line(std::string_view line, ParsedLine& out);

// XXH3-64 of the whole line: equal lines, equal fingerprints, across runs and hosts.
std::uint64_t fingerprint(std::string_view line);

}  // namespace hsm::ingest
