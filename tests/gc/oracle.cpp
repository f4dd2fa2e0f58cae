// Oracle implementation: a deliberately simple, independent replay and file parse (regex), so a
// bug in the shipper's own parser or replay cannot hide itself.
#include "oracle.hpp"

#include <regex>
#include <sstream>

namespace hsm::test {

LiveSet stream_live_set(const RedisServer& redis, const std::string& key) {
    LiveSet live;
    for (const StreamEvent& e : stream_events(redis, key)) {
        const auto id = std::make_pair(e.cat_idx, e.rec_idx);
        if (e.event_type == "PURGED") live.erase(id);
        else if (e.event_type == "NEW" || e.event_type == "UPDATE") live[id] = e.status;
    }
    return live;
}

LiveSet file_live_set(const fs::path& actions) {
    LiveSet live;
    std::istringstream in(read_file(actions));
    static const std::regex idx(R"((?:^| )idx=\[?(\d+)/(\d+)\]?)");
    static const std::regex status(R"((?:^| )status=(\S+))");
    std::string line;
    std::smatch m, s;
    while (std::getline(in, line))
        if (std::regex_search(line, m, idx) && std::regex_search(line, s, status))
            live[{std::stoll(m[1]), std::stoll(m[2])}] = s[1];
    return live;
}

}  // namespace hsm::test
