// The one Redis stream entry ID type, `<ms>-<seq>`, used by the shipper's stages, GC and the
// consumer API alike. Header-only and standard-library-only on purpose: the installed consumer
// headers include it (so it cannot pull in hiredis or any in-tree header), and core/event.hpp and
// core/state.hpp need it without compiling against hiredis.
#pragma once

#include <charconv>
#include <compare>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace hsm {

// `ms` is the Redis server's clock (Unix milliseconds) when the entry was added; `seq` orders
// entries added in the same millisecond. All-zero means "none" (Redis never assigns 0-0).
// A plain value: copy freely, no thread-safety concerns.
struct StreamId {
    std::uint64_t ms = 0;
    std::uint64_t seq = 0;

    bool empty() const { return ms == 0 && seq == 0; }
    auto operator<=>(const StreamId&) const = default;

    // The smallest ID after this one, e.g. to page through XRANGE from just past the last entry
    // on Redis 5 (exclusive ranges need 6.2). Saturates at the largest ID.
    StreamId next() const {
        if (seq != std::numeric_limits<std::uint64_t>::max()) return {ms, seq + 1};
        if (ms != std::numeric_limits<std::uint64_t>::max()) return {ms + 1, 0};
        return *this;
    }

    // "<ms>-<seq>", as Redis writes it.
    std::string str() const { return std::to_string(ms) + "-" + std::to_string(seq); }

    // Accepts "<ms>-<seq>" and "<ms>" (which Redis reads as "<ms>-0", e.g. XTRIM MINID), each
    // part decimal digits that fit 64 bits; anything else (empty, signs, spaces, "1-", "1-2-3")
    // is nullopt.
    static std::optional<StreamId> parse(std::string_view text) {
        const auto number = [](std::string_view s, std::uint64_t& out) {
            const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
            return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
        };
        StreamId id;
        const auto dash = text.find('-');
        if (!number(text.substr(0, dash), id.ms)) return std::nullopt;
        if (dash != std::string_view::npos && !number(text.substr(dash + 1), id.seq)) return std::nullopt;
        return id;
    }
    // The same, for callers that keep the value in place: false (and `out` untouched) when the
    // text is not an ID.
    static bool parse(std::string_view text, StreamId& out) {
        const auto id = parse(text);
        if (id) out = *id;
        return id.has_value();
    }
};

}  // namespace hsm
