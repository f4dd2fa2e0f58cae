// JSON string escaping with UTF-8 validation (RFC 8259 sections 7 and 8.1).
#include "json.hpp"

#include <charconv>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace hsm::json {

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid (overlongs,
// surrogates and code points above U+10FFFF are invalid too).
size_t utf8_sequence_length(std::string_view s, size_t i) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (c >= 0xF5 || len == 0 || i + len > s.size()) return 0;
    for (size_t k = 1; k < len; ++k)
        if ((b(k) & 0xC0) != 0x80) return 0;
    if (len == 3 && ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0))) return 0;
    if (len == 4 && ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90))) return 0;
    return len;
}

// Printable ASCII other than the quote and the backslash: copied as is, in runs, because the
// lines we ship are almost entirely made of it.
bool plain(unsigned char c) { return c >= 0x20 && c < 0x7F && c != '"' && c != '\\'; }

// End of the run of plain bytes that starts at s[i]. The encoder spends most of its time here
// (a shipped event is ~500 bytes of mostly plain text), so whole 16-byte blocks are tested at
// once where SSE2 exists; the block tail goes byte by byte and never reads past the end.
size_t plain_run_end(std::string_view s, size_t i) {
#if defined(__SSE2__)
    const __m128i below = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7F);
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    while (i + 16 <= s.size()) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        // Signed compare: bytes 0x80-0xFF are negative, so "< 0x20" catches them with the
        // control bytes (non-ASCII takes the slow UTF-8 path).
        const __m128i odd = _mm_or_si128(
            _mm_or_si128(_mm_cmplt_epi8(v, below), _mm_cmpeq_epi8(v, del)),
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)));
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(odd));
        if (mask) return i + static_cast<size_t>(__builtin_ctz(mask));
        i += 16;
    }
#endif
    while (i < s.size() && plain(static_cast<unsigned char>(s[i]))) ++i;
    return i;
}

}  // namespace

void append_string(std::string& out, std::string_view s) {
    out.push_back('"');
    append_escaped(out, s);
    out.push_back('"');
}

void append_escaped(std::string& out, std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (plain(c)) {
            const size_t end = plain_run_end(s, i + 1);
            out.append(s.data() + i, end - i);
            i = end;
        } else if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(static_cast<char>(c));
            ++i;
        } else if (c < 0x20 || c == 0x7F) {
            const char* esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : nullptr;
            if (esc) {
                out.append(esc);
            } else {
                out.append("\\u00");
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xF]);
            }
            ++i;
        } else if (size_t len = utf8_sequence_length(s, i)) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out.append(kReplacement);
            ++i;
        }
    }
}

void append_int(std::string& out, std::int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_uint(std::string& out, std::uint64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

}  // namespace hsm::json
