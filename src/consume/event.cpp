// Entry IDs and event type names (see hsm/consume/event.hpp).
#include "hsm/consume/event.hpp"

#include <charconv>

namespace hsm::consume {

std::string EntryId::str() const { return std::to_string(ms) + "-" + std::to_string(seq); }

std::optional<EntryId> EntryId::parse(std::string_view text) {
    const auto number = [](std::string_view s, std::uint64_t& out) {
        auto r = std::from_chars(s.data(), s.data() + s.size(), out);
        return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
    };
    EntryId id;
    const auto dash = text.find('-');
    if (!number(text.substr(0, dash), id.ms)) return std::nullopt;
    if (dash != std::string_view::npos && !number(text.substr(dash + 1), id.seq)) return std::nullopt;
    return id;
}

std::string_view to_string(EventType type) {
    switch (type) {
        case EventType::New: return "NEW";
        case EventType::Update: return "UPDATE";
        case EventType::Purged: return "PURGED";
    }
    return "UNKNOWN";
}

}  // namespace hsm::consume
