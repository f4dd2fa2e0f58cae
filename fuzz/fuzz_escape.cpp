// Fuzz target: escape_control (services/escape.hpp), which every human-facing output and log line
// goes through. Its result must hold no C0 control, DEL or C1 control and be valid UTF-8, and text
// that needed no escaping must come back unchanged.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "services/escape.hpp"

namespace {

// Valid UTF-8 without C0/DEL/C1 controls: the same rule, written independently and naively.
bool safe(const std::string& s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return false;
        if (c < 0x80) { ++i; continue; }
        std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
        if (n == 0 || c > 0xf4 || i + n > s.size()) return false;
        std::uint32_t cp = c & (0x7f >> n);
        for (std::size_t k = 1; k < n; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (b & 0x3f);
        }
        const std::uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f) return false;
        i += n;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    const std::string out = hsm::escape_control(in);
    if (!safe(out)) std::abort();
    if (safe(in) && out != in) std::abort();
    if (hsm::escape_control(out) != out) std::abort();  // escaping is idempotent
    return 0;
}
