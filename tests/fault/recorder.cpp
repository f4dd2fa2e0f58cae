// XaddRecorder and the history counts (see recorder.hpp). MONITOR is read on a plain socket: a
// line protocol (`+<line>\r\n`), and shutdown() of the socket is the one clean way to stop a
// blocking read from another thread.
#include "recorder.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace hsm::test::fault {

namespace {

int connect_monitor(const std::string& socket_path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    const char cmd[] = "MONITOR\r\n";
    if (::send(fd, cmd, sizeof cmd - 1, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof cmd - 1)) {
        ::close(fd);
        return -1;
    }
    return fd;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

// Arguments are quoted the way Redis's sdscatrepr() writes them: \\ \" \n \r \t \a \b \xHH.
std::vector<std::string> monitor_args(const std::string& line) {
    std::vector<std::string> args;
    const auto bracket = line.find("] ");
    if (bracket == std::string::npos) return args;
    std::size_t i = bracket + 2;
    while (i < line.size()) {
        if (line[i] == ' ') { ++i; continue; }
        if (line[i] != '"') return {};
        std::string arg;
        ++i;
        while (i < line.size() && line[i] != '"') {
            char c = line[i++];
            if (c != '\\' || i >= line.size()) { arg.push_back(c); continue; }
            const char e = line[i++];
            switch (e) {
                case 'n': arg.push_back('\n'); break;
                case 'r': arg.push_back('\r'); break;
                case 't': arg.push_back('\t'); break;
                case 'a': arg.push_back('\a'); break;
                case 'b': arg.push_back('\b'); break;
                case 'x':
                    if (i + 1 < line.size() && hex(line[i]) >= 0 && hex(line[i + 1]) >= 0) {
                        arg.push_back(static_cast<char>(hex(line[i]) * 16 + hex(line[i + 1])));
                        i += 2;
                    }
                    break;
                default: arg.push_back(e);
            }
        }
        if (i >= line.size()) return {};  // unterminated quote: not a whole line
        ++i;
        args.push_back(std::move(arg));
    }
    return args;
}

XaddRecorder::XaddRecorder(const RedisServer& redis) : redis_(redis), socket_(redis.unix_socket().string()) {
    thread_ = std::thread([this] { run(); });
    gate();  // attached before the scenario starts, so the first XADD is seen
}

void XaddRecorder::gate() const {
    // The server's own word (a client in MONITOR mode), not our socket's: a connected socket
    // whose MONITOR the server has not yet run would still miss commands.
    if (!wait_until([&] { return redis_.monitor_attached(); }, 10s, 1ms))
        throw std::runtime_error("the XADD recorder did not attach MONITOR within 10 s");
}

XaddRecorder::~XaddRecorder() { stop(); }

void XaddRecorder::stop() {
    stop_ = true;
    const int fd = fd_.load();
    if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
}

std::vector<Xadd> XaddRecorder::snapshot() const {
    std::lock_guard lock(mutex_);
    return xadds_;
}

std::size_t XaddRecorder::size() const {
    std::lock_guard lock(mutex_);
    return xadds_.size();
}

void XaddRecorder::run() {
    std::string buf;
    char chunk[65536];
    while (!stop_) {
        const int fd = connect_monitor(socket_);
        if (fd < 0) {
            std::this_thread::sleep_for(2ms);  // Redis is down: re-attach as soon as it listens
            continue;
        }
        fd_ = fd;
        if (stop_) ::shutdown(fd, SHUT_RDWR);
        buf.clear();
        while (true) {
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) break;
            buf.append(chunk, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (auto eol = buf.find("\r\n"); eol != std::string::npos; eol = buf.find("\r\n", start)) {
                const std::string line = buf.substr(start, eol - start);
                start = eol + 2;
                if (line.empty() || line[0] != '+') continue;
                auto args = monitor_args(line.substr(1));
                if (args.size() < 5) continue;
                for (char& c : args[0]) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                if (args[0] != "XADD") continue;
                Xadd x{args[1], parse_event(args.back())};
                {
                    std::lock_guard lock(mutex_);
                    xadds_.push_back(std::move(x));
                }
                if (const pid_t pid = kill_pid_.exchange(0); pid > 0) {
                    ::kill(pid, SIGKILL);
                    fired_ = true;
                }
            }
            buf.erase(0, start);
        }
        fd_ = -1;
        ::close(fd);
    }
}

StoredEntries stored_entries(const std::vector<StreamEvent>& stream) {
    StoredEntries out;
    std::map<std::pair<std::int64_t, std::int64_t>, const StreamEvent*> last;  // each record's previous entry
    for (const StreamEvent& e : stream) {
        const StreamEvent*& prev = last[{e.cat_idx, e.rec_idx}];
        StoredEntry s;
        if (prev) {
            const bool purged = e.event_type == "PURGED", was_purged = prev->event_type == "PURGED";
            const std::string& line = e.raw.empty() ? e.status : e.raw;
            const std::string& prev_line = prev->raw.empty() ? prev->status : prev->raw;
            s.repeat = purged ? was_purged : !was_purged && line == prev_line;
            s.before = prev->json;
        }
        out[e.json] = std::move(s);
        prev = &e;
    }
    return out;
}

void count_history(const std::vector<Xadd>& history, const std::string& key, Tally& tally,
                   const std::vector<std::size_t>& fresh_starts, const StoredEntries* stored) {
    struct Seen { bool live = false; std::string line; };
    std::map<std::pair<std::int64_t, std::int64_t>, Seen> records;
    for (std::size_t i = 0; i < history.size(); ++i) {
        const Xadd& x = history[i];
        if (std::find(fresh_starts.begin(), fresh_starts.end(), i) != fresh_starts.end()) records.clear();
        if (x.key != key) continue;
        ++tally.xadds;
        const StreamEvent& e = x.event;
        const bool seen_before = records.count({e.cat_idx, e.rec_idx}) > 0;
        Seen& r = records[{e.cat_idx, e.rec_idx}];
        const bool maintenance = e.source == "maintenance";
        bool changed = false;
        if (e.event_type == "PURGED") {
            changed = r.live;
            r.live = false;
        } else {
            const std::string& line = e.raw.empty() ? e.status : e.raw;
            changed = !r.live || r.line != line;
            r.live = true;
            r.line = line;
        }
        if (e.refresh) ++tally.refreshes;
        else if (maintenance) ++tally.repairs;
        else if (e.event_type == "PURGED" && !seen_before) ++tally.unseen_purges;
        else if (!changed) {
            const auto it = stored ? stored->find(e.json) : StoredEntries::const_iterator();
            if (stored && it != stored->end() && !it->second.repeat) {
                if (++tally.unseen_between <= 5)
                    tally.unseen_examples.push_back(e.json + "\n    the stream has before it: " + it->second.before);
            } else if (++tally.duplicates <= 5) {
                tally.examples.push_back(e.json);
            }
        }
    }
}

LiveSet live_set_of(const std::vector<Xadd>& history, const std::string& key) {
    LiveSet live;
    for (const Xadd& x : history) {
        if (x.key != key) continue;
        const auto id = std::make_pair(x.event.cat_idx, x.event.rec_idx);
        if (x.event.event_type == "PURGED") live.erase(id);
        else live[id] = x.event.status;
    }
    return live;
}

std::size_t differences(const LiveSet& a, const LiveSet& b) {
    std::size_t n = 0;
    for (const auto& [id, status] : a) {
        auto it = b.find(id);
        n += it == b.end() || it->second != status;
    }
    for (const auto& [id, status] : b) n += !a.count(id);
    return n;
}

}  // namespace hsm::test::fault
