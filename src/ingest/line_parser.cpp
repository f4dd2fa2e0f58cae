// Line parsing and fingerprinting (see line_parser.hpp). One pass over space-separated tokens.
#include "line_parser.hpp"

#include <charconv>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace hsm::ingest {

namespace {

// `idx=517/42068]` (inside lrh=[...]) or `idx=[1/2]`.
bool parse_idx(std::string_view v, RecordKey& key) {
    if (!v.empty() && v.front() == '[') v.remove_prefix(1);
    while (!v.empty() && v.back() == ']') v.remove_suffix(1);
    const auto slash = v.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == v.size()) return false;
    auto r1 = std::from_chars(v.data(), v.data() + slash, key.cat_idx);
    auto r2 = std::from_chars(v.data() + slash + 1, v.data() + v.size(), key.rec_idx);
    return r1.ec == std::errc{} && r1.ptr == v.data() + slash && r2.ec == std::errc{} &&
           r2.ptr == v.data() + v.size();
}

std::string_view strip_brackets(std::string_view v) {
    if (!v.empty() && v.front() == '[') v.remove_prefix(1);
    if (!v.empty() && v.back() == ']') v.remove_suffix(1);
    return v;
}

bool starts_with(std::string_view token, std::string_view prefix) {
    return token.size() >= prefix.size() && token.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

const char* parse_error_name(ParseError e) {
    switch (e) {
        case ParseError::None: return "ok";
        case ParseError::MissingIdx: return "no idx= field";
        case ParseError::BadIdx: return "idx= is not C/R";
        case ParseError::MissingFid: return "no fid= field";
        case ParseError::MissingAction: return "no action= field";
        case ParseError::MissingStatus: return "no status= field";
        case ParseError::TooLong: return "line too long";
    }
    return "?";
}

ParseError parse_line(std::string_view line, ParsedLine& out) {
    if (line.size() > kMaxLineLength) return ParseError::TooLong;
    bool idx = false, bad_idx = false;
    out.fid = out.action = out.status = {};
    std::size_t pos = 0;
    while (pos < line.size()) {
        std::size_t end = line.find(' ', pos);
        if (end == std::string_view::npos) end = line.size();
        const std::string_view token = line.substr(pos, end - pos);
        pos = end + 1;
        if (starts_with(token, "idx=")) {
            idx = true;
            bad_idx = !parse_idx(token.substr(4), out.key);
        } else if (starts_with(token, "fid=")) {
            out.fid = strip_brackets(token.substr(4));
        } else if (starts_with(token, "action=")) {
            out.action = token.substr(7);
        } else if (starts_with(token, "status=")) {
            out.status = token.substr(7);
        }
    }
    if (!idx) return ParseError::MissingIdx;
    if (bad_idx) return ParseError::BadIdx;
    if (out.fid.empty()) return ParseError::MissingFid;
    if (out.action.empty()) return ParseError::MissingAction;
    if (out.status.empty()) return ParseError::MissingStatus;
    return ParseError::None;
}

std::uint64_t fingerprint(std::string_view line) { return XXH3_64bits(line.data(), line.size()); }

}  // namespace hsm::ingest
