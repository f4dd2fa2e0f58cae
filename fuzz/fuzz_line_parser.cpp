// Fuzz target: the hsm/actions line parser (ingest/line_parser.hpp) on arbitrary bytes. Besides
// "no crash, no UB", it checks what the reader relies on: the fields it returns are views inside
// the line, the fingerprint is a pure function of the bytes, and the fast single-pass parser
// agrees with the token-by-token reference parser it replaced (same error, same fields).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "../tests/ingest/line_parser_reference.hpp"
#include "ingest/line_parser.hpp"

namespace {

bool inside(std::string_view part, std::string_view whole) {
    return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view line(reinterpret_cast<const char*>(data), size);
    hsm::ingest::ParsedLine parsed;
    const auto err = hsm::ingest::parse_line(line, parsed);
    if (hsm::ingest::parse_error_name(err) == nullptr) std::abort();
    if (err == hsm::ingest::ParseError::None) {
        if (!inside(parsed.fid, line) || !inside(parsed.action, line) || !inside(parsed.status, line)) std::abort();
        if (line.size() > hsm::ingest::kMaxLineLength) std::abort();  // over-long lines are refused
    }
    if (!hsm::ingest::reference::agrees(line)) std::abort();
    if (hsm::ingest::fingerprint(line) != hsm::ingest::fingerprint(std::string_view(line))) std::abort();
    return 0;
}
