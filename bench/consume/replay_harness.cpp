// End-to-end consumer benchmark against a real redis-server on a free port: loads N realistic
// events into 4 MDT streams, then measures in one run (so ratios compare like with like):
//   fetch   - raw XREAD of every entry with hiredis, no decoding: the Redis-side ceiling
//   replay  - StreamReader + LiveState (the library path of stats and top)
//   stats   - the hsm-stream-stats executable, top - hsm-action-top --run-once
//   tail    - hsm-stream-tail --run-once with FID resolution through a fake lfs
//   live    - a writer adding 50,000 events/s while a follower applies them and builds the
//             breakdown every second, as top's screen does; reports how far it lags.
// Usage: hsm-consume-bench [events=1000000]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>

#include "bench_events.hpp"
#include "hsm/consume/live_state.hpp"
#include "hsm/consume/stream_reader.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace hsm::consume;

namespace {

const char* kMdts[] = {"elm-MDT0000", "elm-MDT0001", "elm-MDT0002", "elm-MDT0003"};

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 0);
        ::dup2(null, 1);
        ::dup2(null, 2);
        for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

// Runs a tool to completion; returns its wall time in seconds (negative if it failed).
double timed(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    const auto t0 = Clock::now();
    int status = 0;
    ::waitpid(spawn(argv, env), &status, 0);
    const double s = seconds_since(t0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? s : -s;
}

redisContext* connect(int port) {
    redisContext* c = redisConnect("127.0.0.1", port);
    if (c && !c->err) freeReplyObject(redisCommand(c, "SELECT 1"));
    return c;
}

// Pipelined XADDs, acknowledged in chunks so the client never holds millions of replies.
void add_events(redisContext* c, const std::vector<std::pair<int, std::string>>& events) {
    constexpr std::size_t kChunk = 1000;
    for (std::size_t i = 0; i < events.size(); i += kChunk) {
        const std::size_t end = std::min(events.size(), i + kChunk);
        for (std::size_t k = i; k < end; ++k) {
            const std::string key = std::string("hsm:actions:") + kMdts[events[k].first];
            redisAppendCommand(c, "XADD %s * data %b", key.c_str(), events[k].second.data(), events[k].second.size());
        }
        for (std::size_t k = i; k < end; ++k) {
            void* r = nullptr;
            redisGetReply(c, &r);
            freeReplyObject(r);
        }
    }
}

// A record life cycle over the 4 MDTs: NEW for all, STARTED for all, PURGED for a third.
std::vector<std::pair<int, std::string>> life_cycle(std::uint32_t first, std::uint64_t n) {
    std::vector<std::pair<int, std::string>> out;
    const auto records = static_cast<std::uint32_t>(n * 3 / 7);
    for (std::uint32_t r = 0; r < records && out.size() < n; ++r)
        out.emplace_back(r % 4, hsm::bench::event_json(kMdts[r % 4], first + r, "NEW", "WAITING"));
    for (std::uint32_t r = 0; r < records && out.size() < n; ++r)
        out.emplace_back(r % 4, hsm::bench::event_json(kMdts[r % 4], first + r, "UPDATE", "STARTED"));
    for (std::uint32_t r = 0; out.size() < n; ++r)
        out.emplace_back(r % 4, hsm::bench::event_json(kMdts[r % 4], first + r, "PURGED", "PURGED"));
    return out;
}

void reset_redis_stats(int port) {
    redisContext* c = connect(port);
    freeReplyObject(redisCommand(c, "CONFIG RESETSTAT"));
    redisFree(c);
}

// Time Redis spent executing XREAD since the last reset (INFO commandstats), in seconds.
double redis_xread_seconds(int port) {
    redisContext* c = connect(port);
    auto* r = static_cast<redisReply*>(redisCommand(c, "INFO commandstats"));
    double s = 0;
    if (r && r->type == REDIS_REPLY_STRING) {
        const std::string text(r->str, r->len);
        const auto at = text.find("cmdstat_xread:");
        const auto usec = at == std::string::npos ? at : text.find("usec=", at);
        if (usec != std::string::npos) s = std::stod(text.substr(usec + 5)) / 1e6;
    }
    freeReplyObject(r);
    redisFree(c);
    return s;
}

std::uint64_t fetch_only(int port) {
    redisContext* c = connect(port);
    std::uint64_t entries = 0;
    for (const char* mdt : kMdts) {
        std::string last = "0-0";
        const std::string key = std::string("hsm:actions:") + mdt;
        while (true) {
            auto* r = static_cast<redisReply*>(redisCommand(c, "XREAD COUNT 10000 STREAMS %s %s", key.c_str(), last.c_str()));
            if (!r || r->type != REDIS_REPLY_ARRAY) { freeReplyObject(r); break; }
            const redisReply* list = r->element[0]->element[1];
            entries += list->elements;
            last = list->element[list->elements - 1]->element[0]->str;
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return entries;
}

std::uint64_t replay(int port, std::uint64_t& live_count) {
    ReaderOptions o;
    o.port = port;
    o.follow = false;
    o.reconnect = false;
    StreamReader reader(o);
    LiveState live;
    while (!reader.finished() && !reader.failed()) live.apply(reader.read(std::chrono::seconds(1)));
    live_count = live.live();
    return live.events_applied();
}

// Adds `events` at `rate` per second, in pipelined steps of 500.
void paced_writer(int port, const std::vector<std::pair<int, std::string>>& events, double rate) {
    redisContext* c = connect(port);
    const auto t0 = Clock::now();
    constexpr std::size_t kTick = 500;
    for (std::size_t i = 0; i < events.size(); i += kTick) {
        std::vector<std::pair<int, std::string>> chunk(events.begin() + static_cast<long>(i),
                                                       events.begin() + static_cast<long>(std::min(events.size(), i + kTick)));
        add_events(c, chunk);
        const auto due = t0 + std::chrono::duration<double>(static_cast<double>(i + kTick) / rate);
        std::this_thread::sleep_until(std::chrono::time_point_cast<Clock::duration>(due));
    }
    redisFree(c);
}

std::string capture(const std::string& socket) {
    std::string out;
    FILE* p = ::popen(("/usr/bin/tmux -L " + socket + " capture-pane -p -t top").c_str(), "r");
    char buf[4096];
    for (std::size_t n; p && (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    if (p) ::pclose(p);
    return out;
}

std::string thousands(std::uint64_t v) {
    std::string d = std::to_string(v), out;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i > 0 && (d.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(d[i]);
    }
    return out;
}

// The real hsm-action-top in a private tmux, redrawing every second while `rate` events/s
// arrive for `secs`; returns how long after the writer stopped its screen showed them all
// (-1: not within 30 s).
double top_live(const std::string& bin, int port, std::uint64_t history, double rate, double secs) {
    const std::string socket = "hsm-consume-bench-" + std::to_string(::getpid());
    const std::string cmd = bin + "/hsm-action-top --host 127.0.0.1 --port " + std::to_string(port) + " --interval 1";
    std::system(("/usr/bin/tmux -L " + socket + " new-session -d -s top -x 120 -y 40 '" + cmd + "'").c_str());
    const auto start = Clock::now();
    while (capture(socket).find("Listening for live updates") == std::string::npos && seconds_since(start) < 120)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto total = static_cast<std::uint64_t>(rate * secs);
    paced_writer(port, life_cycle(20000000, total), rate);
    const auto written = Clock::now();
    const std::string want = "Total Events Processed: " + thousands(history + total) + " ";
    double lag = -1;
    while (seconds_since(written) < 30) {
        if (capture(socket).find(want) != std::string::npos) {
            lag = seconds_since(written);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::system(("/usr/bin/tmux -L " + socket + " kill-server").c_str());
    return lag;
}

// Writer at `rate` events/s for `secs`, follower applying them; returns the follower's lag (s)
// after the writer stops, or -1 if it never caught up.
double follow_live(int port, double rate, double secs, std::uint64_t& applied) {
    ReaderOptions o;
    o.port = port;
    o.start = StartAt::Now;
    StreamReader reader(o);
    while (!reader.caught_up()) reader.read(std::chrono::milliseconds(20));
    const auto total = static_cast<std::uint64_t>(rate * secs);
    const auto events = life_cycle(10000000, total);
    std::atomic<bool> done{false};
    std::thread writer([&] {
        paced_writer(port, events, rate);
        done = true;
    });
    LiveState live;
    auto next_frame = Clock::now();
    Clock::time_point writer_end{};
    while (live.events_applied() < total) {
        live.apply(reader.read(std::chrono::milliseconds(50)));
        if (Clock::now() >= next_frame) {  // what a redraw needs
            volatile auto rows = live.breakdown(true).size();
            (void)rows;
            next_frame += std::chrono::seconds(1);
        }
        if (done && writer_end == Clock::time_point{}) writer_end = Clock::now();
        if (writer_end != Clock::time_point{} && seconds_since(writer_end) > 30) break;
    }
    writer.join();
    if (writer_end == Clock::time_point{}) writer_end = Clock::now();
    applied = live.events_applied();
    return applied < total ? -1 : seconds_since(writer_end);
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t n = argc > 1 ? std::stoull(argv[1]) : 1000000;
    const int port = free_port();
    const fs::path dir = fs::temp_directory_path() / ("hsm-consume-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir / "bin");
    const pid_t redis = spawn({"/usr/bin/redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no", "--dir", dir.string()});
    redisContext* c = nullptr;
    for (int i = 0; i < 200 && (!c || c->err); ++i) {
        if (c) redisFree(c);
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        c = connect(port);
    }
    std::printf("redis-server on 127.0.0.1:%d, %llu events over 4 streams\n", port, static_cast<unsigned long long>(n));
    auto t0 = Clock::now();
    add_events(c, life_cycle(0, n));
    redisFree(c);
    std::printf("load           %8.2f s  (%.0f XADD/s)\n", seconds_since(t0), static_cast<double>(n) / seconds_since(t0));

    t0 = Clock::now();
    const auto fetched = fetch_only(port);
    const double fetch_s = seconds_since(t0);
    std::printf("fetch only     %8.2f s  %10.0f entries/s  (raw XREAD, no decoding: the ceiling)\n", fetch_s, static_cast<double>(fetched) / fetch_s);

    std::uint64_t live = 0;
    reset_redis_stats(port);
    t0 = Clock::now();
    const auto replayed = replay(port, live);
    const double replay_s = seconds_since(t0);
    std::printf("replay (lib)   %8.2f s  %10.0f events/s   %.2fx the fetch-only rate, %llu live\n", replay_s,
                static_cast<double>(replayed) / replay_s, fetch_s / replay_s, static_cast<unsigned long long>(live));
    std::printf("               Redis executed XREAD for %.2f s of those %.2f s (its own ceiling: %.0f entries/s)\n",
                redis_xread_seconds(port), replay_s, static_cast<double>(n) / redis_xread_seconds(port));

    const std::string bin = HSM_BIN_DIR;
    const std::string p = std::to_string(port);
    const double stats_s = timed({bin + "/hsm-stream-stats", "--host", "127.0.0.1", "--port", p});
    std::printf("hsm-stream-stats %6.2f s  %10.0f events/s\n", stats_s, static_cast<double>(n) / stats_s);
    const double top_s = timed({bin + "/hsm-action-top", "--host", "127.0.0.1", "--port", p, "--run-once"});
    std::printf("hsm-action-top --run-once %5.2f s  %8.0f events/s\n", top_s, static_cast<double>(n) / top_s);

    // A fake 2.16 lfs answering every FID (`fid2path --print-fid --print0 <mount> <fid>...`); a
    // real one costs more per call, which batching amortizes.
    const fs::path lfs = dir / "bin" / "lfs";
    std::ofstream(lfs) << "#!/bin/sh\necho x >> " << (dir / "calls").string()
                       << "\nshift 4\nfor f in \"$@\"; do printf '%s /lustre/%s\\0' \"$f\" \"$f\"; done\n";
    ::chmod(lfs.c_str(), 0755);
    const std::string path_env = "PATH=" + (dir / "bin").string() + ":/usr/bin:/bin";
    const double tail_s = timed({bin + "/hsm-stream-tail", "--host", "127.0.0.1", "--port", p, "--run-once",
                                 "--mountpoint", "/lustre", "--show", "PURGED"}, {path_env});
    std::ifstream calls_in(dir / "calls");
    std::size_t calls = 0;
    for (std::string l; std::getline(calls_in, l);) ++calls;
    std::printf("hsm-stream-tail --run-once (resolving) %5.2f s  %8.0f lines/s, %zu lfs calls\n", tail_s,
                static_cast<double>(n) / tail_s, calls);

    std::uint64_t applied = 0;
    const double lag = follow_live(port, 50000, 10, applied);
    std::printf("live follow at 50,000 events/s for 10 s: %llu applied, lag after the writer stopped %.3f s\n",
                static_cast<unsigned long long>(applied), lag);
    const double top_lag = top_live(bin, port, n + applied, 50000, 10);
    std::printf("hsm-action-top in tmux (1 s refresh) at 50,000 events/s for 10 s: screen complete %.2f s after the writer stopped\n",
                top_lag);

    ::kill(redis, SIGTERM);
    ::waitpid(redis, nullptr, 0);
    fs::remove_all(dir);
    return 0;
}
