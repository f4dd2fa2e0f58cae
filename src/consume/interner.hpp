// Small string interning for LiveState: a few dozen distinct MDT, action and status names map
// to dense ids, so records and counters hold integers and names are stored once.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hsm::consume::detail {

class Interner {
public:
    std::uint32_t id(std::string_view name) {
        // Consecutive events mostly repeat the previous name (one stream per MDT, batches of
        // the same status): compare before hashing.
        if (last_ != kNone && names_[last_] == name) return last_;
        auto it = ids_.find(name);
        if (it == ids_.end()) {
            names_.emplace_back(name);  // deque: views of earlier names stay valid
            it = ids_.emplace(names_.back(), static_cast<std::uint32_t>(names_.size() - 1)).first;
        }
        return last_ = it->second;
    }
    std::string_view name(std::uint32_t id) const { return names_[id]; }
    std::size_t size() const { return names_.size(); }

private:
    static constexpr std::uint32_t kNone = UINT32_MAX;
    std::deque<std::string> names_;
    std::unordered_map<std::string_view, std::uint32_t> ids_;
    std::uint32_t last_ = kNone;
};

}  // namespace hsm::consume::detail
