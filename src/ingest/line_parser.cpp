// Line parsing and fingerprinting (see line_parser.hpp).
//
// This runs for every line of every read (350,000 lines per poll at a large site), so it is one
// pass over the bytes: the spaces that end tokens are found 16 bytes at a time (SSE2, every
// x86-64 has it; elsewhere memchr per token), and a token is looked at only if its first byte can
// start one of the four fields wanted (`i`, `f`, `a`, `s`), so the other dozen tokens of a kernel
// line cost one byte compare each. The rules are those of the token-by-token parser this replaced
// (kept in tests/ingest/line_parser_reference.hpp and compared against it by the tests and the
// fuzz target): fields in any order, the last occurrence of a field wins, empty tokens match
// nothing.
#include "line_parser.hpp"

#include <charconv>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

template <std::size_t N>
bool has_prefix(const char* token, std::size_t len, const char (&prefix)[N]) {
    return len >= N - 1 && std::memcmp(token, prefix, N - 1) == 0;
}

// What one pass collects: the last value of each wanted field (views into the line).
struct Fields {
    std::string_view idx, fid, action, status;
    bool have_idx = false;
};

inline void take_token(const char* t, std::size_t len, Fields& f) {
    if (len < 4) return;  // shorter than the shortest prefix, "idx=" / "fid="
    switch (t[0]) {
        case 'i':
            if (has_prefix(t, len, "idx=")) f.idx = {t + 4, len - 4}, f.have_idx = true;
            break;
        case 'f':
            if (has_prefix(t, len, "fid=")) f.fid = {t + 4, len - 4};
            break;
        case 'a':
            if (has_prefix(t, len, "action=")) f.action = {t + 7, len - 7};
            break;
        case 's':
            if (has_prefix(t, len, "status=")) f.status = {t + 7, len - 7};
            break;
        default: break;
    }
}

// Calls take_token for every space-separated token of `line`, in order.
void scan_tokens(std::string_view line, Fields& f) {
    const char* const s = line.data();
    const std::size_t n = line.size();
    std::size_t start = 0;  // of the current token
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' ');
    const auto spaces_in = [&](const char* p, std::size_t base) {
        unsigned mask = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), space)));
        while (mask) {
            const std::size_t at = base + static_cast<std::size_t>(__builtin_ctz(mask));
            take_token(s + start, at - start, f);
            start = at + 1;
            mask &= mask - 1;
        }
    };
    std::size_t base = 0;
    for (; base + 16 <= n; base += 16) spaces_in(s + base, base);
    if (base < n) {
        // The last partial block goes through a copy: never load past the end of the line.
        alignas(16) char tail[16];
        std::memset(tail, 0, sizeof tail);
        std::memcpy(tail, s + base, n - base);
        spaces_in(tail, base);
    }
#else
    while (start < n) {
        const void* sp = std::memchr(s + start, ' ', n - start);
        const std::size_t at = sp ? static_cast<std::size_t>(static_cast<const char*>(sp) - s) : n;
        take_token(s + start, at - start, f);
        start = at + 1;
    }
#endif
    if (start < n) take_token(s + start, n - start, f);
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
    out.fid = out.action = out.status = {};
    if (line.size() > kMaxLineLength) return ParseError::TooLong;
    Fields f;
    scan_tokens(line, f);
    out.fid = strip_brackets(f.fid);
    out.action = f.action;
    out.status = f.status;
    if (!f.have_idx) return ParseError::MissingIdx;
    if (!parse_idx(f.idx, out.key)) return ParseError::BadIdx;
    if (out.fid.empty()) return ParseError::MissingFid;
    if (out.action.empty()) return ParseError::MissingAction;
    if (out.status.empty()) return ParseError::MissingStatus;
    return ParseError::None;
}

std::uint64_t fingerprint(std::string_view line) { return XXH3_64bits(line.data(), line.size()); }

}  // namespace hsm::ingest
