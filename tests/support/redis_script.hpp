// A scripted layer in front of a REAL redis-server (services/redis.hpp's RedisTap): a test says
// "refuse the 7th XADD from now with OOM", "lose the connection after the 300th XADD" or "delay
// the next XREVRANGE by 200 ms", and every other command goes to the private redis-server as it
// is. Faults that cannot be made to happen for real on demand (a connection that dies with XADDs
// half executed, a refusal in the middle of a pipelined batch) are then exact, not timed.
// Header-only: linked into the tests that link the code under test (hsm_core).
// Thread-safe: the shipper's publisher, GC, coordinator and heartbeat threads share one.
#pragma once

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "services/redis.hpp"

namespace hsm::test {

class RedisScript final : public RedisTap {
public:
    // Each rule counts the commands named `command` (case-insensitive; "*" for any) from when it
    // is added, and acts on the `nth` of them (1 = the next one), once.
    void refuse(const std::string& command, std::uint64_t nth, const std::string& error) {
        add(command, nth, {Act::Refuse, error, {}});
    }
    // The connection is lost at the nth command: it is not sent, nor anything after it.
    void lose_before(const std::string& command, std::uint64_t nth) { add(command, nth, {Act::LoseBefore, {}, {}}); }
    // The nth command and all before it are executed by Redis, then the connection is lost before
    // any of their replies not read yet reach the client (they landed, unacknowledged).
    void lose_after(const std::string& command, std::uint64_t nth) { add(command, nth, {Act::LoseAfter, {}, {}}); }
    // The nth command's reply reaches the client `by` later.
    void delay(const std::string& command, std::uint64_t nth, std::chrono::milliseconds by) {
        add(command, nth, {Act::Send, {}, by});
    }

    // How many commands named `command` went through the script (scripted or not), and how many
    // rules have acted.
    std::uint64_t seen(const std::string& command) const {
        std::lock_guard lock(mutex_);
        std::uint64_t n = 0;
        for (const auto& [name, count] : seen_) n += matches(command, name) ? count : 0;
        return n;
    }
    std::uint64_t fired() const { return fired_.load(); }

    Verdict on_command(const RedisEndpoint&, const std::vector<std::string_view>& argv) override {
        if (argv.empty()) return {};
        std::string name(argv[0]);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
        std::lock_guard lock(mutex_);
        bool counted = false;
        for (auto& [n, count] : seen_)
            if (n == name) ++count, counted = true;
        if (!counted) seen_.push_back({name, 1});
        for (auto it = rules_.begin(); it != rules_.end(); ++it) {
            if (!matches(it->command, name) || ++it->count < it->nth) continue;
            const Verdict v = it->verdict;
            rules_.erase(it);
            ++fired_;
            return v;
        }
        return {};
    }

private:
    struct Rule {
        std::string command;
        std::uint64_t nth = 1, count = 0;
        Verdict verdict;
    };
    static bool matches(const std::string& pattern, const std::string& upper_name) {
        if (pattern == "*") return true;
        if (pattern.size() != upper_name.size()) return false;
        for (std::size_t i = 0; i < pattern.size(); ++i)
            if (std::toupper(static_cast<unsigned char>(pattern[i])) != upper_name[i]) return false;
        return true;
    }
    void add(const std::string& command, std::uint64_t nth, Verdict v) {
        std::lock_guard lock(mutex_);
        rules_.push_back({command, nth, 0, std::move(v)});
    }
    using Act = RedisTap::Act;
    mutable std::mutex mutex_;
    std::list<Rule> rules_;
    std::vector<std::pair<std::string, std::uint64_t>> seen_;
    std::atomic<std::uint64_t> fired_{0};
};

}  // namespace hsm::test
