// The token-by-token hsm/actions line parser that ingest/line_parser.cpp replaced (one memchr and
// four prefix compares per token: simple and slow). Kept as the definition of what a line means:
// the unit tests and fuzz/fuzz_line_parser.cpp check that the fast parser agrees with it on every
// input (same error, and on success the same key and fields).
#pragma once

#include <charconv>
#include <string_view>

#include "ingest/line_parser.hpp"

namespace hsm::ingest::reference {

inline bool parse_idx(std::string_view v, RecordKey& key) {
    if (!v.empty() && v.front() == '[') v.remove_prefix(1);
    while (!v.empty() && v.back() == ']') v.remove_suffix(1);
    const auto slash = v.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == v.size()) return false;
    auto r1 = std::from_chars(v.data(), v.data() + slash, key.cat_idx);
    auto r2 = std::from_chars(v.data() + slash + 1, v.data() + v.size(), key.rec_idx);
    return r1.ec == std::errc{} && r1.ptr == v.data() + slash && r2.ec == std::errc{} &&
           r2.ptr == v.data() + v.size();
}

inline std::string_view strip_brackets(std::string_view v) {
    if (!v.empty() && v.front() == '[') v.remove_prefix(1);
    if (!v.empty() && v.back() == ']') v.remove_suffix(1);
    return v;
}

inline ParseError parse_line(std::string_view line, ParsedLine& out) {
    if (line.size() > kMaxLineLength) return ParseError::TooLong;
    bool idx = false, bad_idx = false;
    out.fid = out.action = out.status = {};
    std::size_t pos = 0;
    while (pos < line.size()) {
        std::size_t end = line.find(' ', pos);
        if (end == std::string_view::npos) end = line.size();
        const std::string_view token = line.substr(pos, end - pos);
        pos = end + 1;
        if (token.starts_with("idx=")) {
            idx = true;
            bad_idx = !parse_idx(token.substr(4), out.key);
        } else if (token.starts_with("fid=")) {
            out.fid = strip_brackets(token.substr(4));
        } else if (token.starts_with("action=")) {
            out.action = token.substr(7);
        } else if (token.starts_with("status=")) {
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

// True when the fast parser and the reference agree on `line`; on success the fields must be the
// very same bytes of the line (same position and length), not merely equal text.
inline bool agrees(std::string_view line) {
    ParsedLine fast, ref;
    const ParseError a = hsm::ingest::parse_line(line, fast);
    const ParseError b = reference::parse_line(line, ref);
    if (a != b) return false;
    if (a != ParseError::None) return true;
    const auto same = [](std::string_view x, std::string_view y) {
        return x.data() == y.data() && x.size() == y.size();
    };
    return fast.key == ref.key && same(fast.fid, ref.fid) && same(fast.action, ref.action) &&
           same(fast.status, ref.status);
}

}  // namespace hsm::ingest::reference
