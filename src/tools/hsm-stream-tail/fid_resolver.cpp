// lfs fid2path batching, subprocess with deadline, and the LRU cache (see fid_resolver.hpp).
#include "fid_resolver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <unordered_set>

#include <spdlog/spdlog.h>

namespace hsm::consume::tail {

namespace {

using Clock = std::chrono::steady_clock;

bool hex_number(std::string_view s) {
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    return std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Output of a child, read until EOF or the deadline; false on timeout (the child is killed).
bool read_child(int fd, pid_t pid, Clock::time_point deadline, std::string& out) {
    char buf[65536];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        pollfd p{fd, POLLIN, 0};
        const int n = left.count() > 0 ? ::poll(&p, 1, static_cast<int>(left.count())) : 0;
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::kill(pid, SIGKILL);
            return false;
        }
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return true;
        out.append(buf, static_cast<std::size_t>(got));
    }
}

// Runs argv[0] with argv (no shell), stdout captured, stderr discarded (lfs prints one error
// line per unknown FID there; the missing FIDs are what we need and we see them as absent).
std::optional<std::string> run_with_deadline(const std::vector<std::string>& argv,
                                             std::chrono::milliseconds timeout) {
    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) return std::nullopt;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        return std::nullopt;
    }
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDWR);
        ::dup2(devnull, 0);
        ::dup2(pipefd[1], 1);
        ::dup2(devnull, 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(pipefd[1]);
    std::string out;
    const bool in_time = read_child(pipefd[0], pid, Clock::now() + timeout, out);
    ::close(pipefd[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!in_time) return std::nullopt;
    return out;
}

}  // namespace

std::string normalize_fid(std::string_view fid) {
    if (fid.size() >= 2 && fid.front() == '[' && fid.back() == ']') fid = fid.substr(1, fid.size() - 2);
    std::string out(fid);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool FidResolver::valid_fid(std::string_view fid) {
    if (fid.size() >= 2 && fid.front() == '[' && fid.back() == ']') fid = fid.substr(1, fid.size() - 2);
    const auto a = fid.find(':');
    const auto b = a == std::string_view::npos ? a : fid.find(':', a + 1);
    if (b == std::string_view::npos) return false;
    return hex_number(fid.substr(0, a)) && hex_number(fid.substr(a + 1, b - a - 1)) &&
           hex_number(fid.substr(b + 1));
}

std::string find_on_path(const std::string& program) {
    if (program.find('/') != std::string::npos) return ::access(program.c_str(), X_OK) == 0 ? program : "";
    const char* path = std::getenv("PATH");
    std::string_view dirs = path ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
        const auto colon = dirs.find(':');
        std::string dir(dirs.substr(0, colon));
        dirs = colon == std::string_view::npos ? std::string_view() : dirs.substr(colon + 1);
        const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return "";
}

const FidResolver::Entry* FidResolver::lookup(std::string_view fid) {
    auto it = index_.find(fid);
    if (it == index_.end()) return nullptr;
    if (it->second->path.empty() && Clock::now() >= it->second->expires) {
        lru_.erase(it->second);  // a negative entry whose time is up: ask lfs again
        index_.erase(it);
        return nullptr;
    }
    lru_.splice(lru_.begin(), lru_, it->second);
    return &*it->second;
}

void FidResolver::remember(const std::string& fid, std::string path) {
    if (auto it = index_.find(fid); it != index_.end()) {
        lru_.erase(it->second);
        index_.erase(it);
    }
    lru_.push_front({fid, std::move(path), Clock::now() + options_.negative_ttl});
    index_.emplace(lru_.front().fid, lru_.begin());
    while (lru_.size() > options_.cache_size) {
        index_.erase(lru_.back().fid);
        lru_.pop_back();
    }
}

std::optional<std::string> FidResolver::path(std::string_view fid) {
    const Entry* e = lookup(normalize_fid(fid));
    if (!e || e->path.empty()) return std::nullopt;
    return e->path;
}

void FidResolver::resolve(const std::vector<std::string_view>& fids) {
    if (Clock::now() < suspended_until_) return;
    std::vector<std::string> wanted;
    std::unordered_set<std::string> seen;
    for (auto f : fids) {
        if (!valid_fid(f)) continue;
        std::string key = normalize_fid(f);
        if (lookup(key) || !seen.insert(key).second) continue;
        wanted.push_back(std::move(key));
    }
    for (std::size_t i = 0; i < wanted.size() && Clock::now() >= suspended_until_;
         i += options_.max_fids_per_call) {
        const auto end = std::min(wanted.size(), i + options_.max_fids_per_call);
        call_lfs(std::vector<std::string>(wanted.begin() + static_cast<long>(i), wanted.begin() + static_cast<long>(end)));
    }
}

// `lfs fid2path --print-fid` prints "<fid as given> <path>" per link; the first link wins.
void FidResolver::call_lfs(const std::vector<std::string>& fids) {
    std::vector<std::string> argv = {options_.lfs, "fid2path", "--print-fid", options_.mountpoint};
    for (const auto& f : fids) argv.push_back("[" + f + "]");
    ++calls_;
    auto out = run_with_deadline(argv, options_.timeout);
    if (!out) {
        ++timeouts_;
        suspended_until_ = Clock::now() + options_.suspend_after_timeout;
        spdlog::warn("lfs fid2path did not answer within {} ms; path resolution paused for {} s",
                     options_.timeout.count(), options_.suspend_after_timeout.count());
        return;
    }
    std::unordered_map<std::string, std::string> found;
    std::string_view rest = *out;
    while (!rest.empty()) {
        const auto nl = rest.find('\n');
        const std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        const auto space = line.find(' ');
        if (space == std::string_view::npos || space + 1 >= line.size()) continue;
        found.try_emplace(normalize_fid(line.substr(0, space)), line.substr(space + 1));
    }
    for (const auto& f : fids) {
        auto it = found.find(f);
        remember(f, it == found.end() ? std::string() : it->second);
    }
}

}  // namespace hsm::consume::tail
