// The systemd watchdog, end to end: the built daemon run as systemd runs a Type=notify unit with
// WatchdogSec= (NOTIFY_SOCKET + WATCHDOG_USEC in its environment), and a datagram socket of our
// own standing in for systemd's. The coordinator must send READY=1, then WATCHDOG=1 after every
// cycle and while idle; a cycle that hangs (an hsm/actions read that blocks) must starve it, so
// systemd would restart the daemon; feeding resumes when the cycle finishes.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "shipper_fixture.hpp"

using namespace hsm::test;
using Clock = std::chrono::steady_clock;

namespace {

// systemd's side of sd_notify(): an AF_UNIX datagram socket; every datagram is one message.
class NotifyListener {
public:
    explicit NotifyListener(const fs::path& path) : path_(path) {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        REQUIRE(path.string().size() < sizeof addr.sun_path);
        std::strcpy(addr.sun_path, path.c_str());
        REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    }
    ~NotifyListener() { ::close(fd_); }

    // Reads what has arrived; returns how many messages contained `what` in total so far.
    std::size_t count(std::string_view what) {
        drain();
        std::size_t n = 0;
        for (const auto& m : messages_)
            if (m.text.find(what) != std::string::npos) ++n;
        return n;
    }
    // Time of the last message containing `what` (epoch when none).
    Clock::time_point last(std::string_view what) {
        drain();
        for (auto it = messages_.rbegin(); it != messages_.rend(); ++it)
            if (it->text.find(what) != std::string::npos) return it->at;
        return {};
    }

private:
    struct Message {
        std::string text;
        Clock::time_point at;
    };
    void drain() {
        char buf[4096];
        for (;;) {
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return;
            messages_.push_back({std::string(buf, static_cast<std::size_t>(n)), Clock::now()});
        }
    }
    fs::path path_;
    int fd_ = -1;
    std::vector<Message> messages_;
};

}  // namespace

TEST_CASE("watchdog: fed after every cycle and while idle, starved by a hung cycle", "[shipper][watchdog]") {
    RedisServer redis;
    ShipperFixture f(redis.port());
    f.write_actions("elm-MDT0000", {kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "STARTED")});
    f.set("poll_interval", 1.0);
    TempDir sock_dir;
    NotifyListener systemd(sock_dir / "notify");
    // WatchdogSec=300ms: the daemon should feed at least every 150 ms.
    Process daemon({bin("hsm-action-shipper").string(), "-c", f.write_config().string()},
                   {{"NOTIFY_SOCKET", (sock_dir / "notify").string()}, {"WATCHDOG_USEC", "300000"}});

    REQUIRE(wait_until([&] { return systemd.count("READY=1") == 1; }, 20s));
    // Idle feeding: a one-second poll interval gives at most 4 cycles in the next 3 s, yet the
    // watchdog must be fed far more often than that (every 150 ms).
    REQUIRE(wait_until([&] { return systemd.count("WATCHDOG=1") >= 8; }, 3s));
    INFO(daemon.err());
    REQUIRE(redis.xlen(f.stream("elm-MDT0000")) == 1);

    // Hang the next cycle: the hsm/actions file becomes a FIFO nobody writes, so the reader
    // blocks in open(), as a wedged debugfs read would.
    const fs::path fifo = f.root() / "actions.fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    fs::rename(fifo, f.actions_path("elm-MDT0000"));
    // Starved: no WATCHDOG=1 for 1.5 s (five watchdog periods) while the daemon still runs.
    REQUIRE(wait_until([&] { return Clock::now() - systemd.last("WATCHDOG=1") > 1500ms; }, 10s, 50ms));
    CHECK_FALSE(daemon.wait(0ms).has_value());
    const std::size_t starved_at = systemd.count("WATCHDOG=1");

    // Unblock it: a writer gives the reader one line and EOF; the cycle finishes and feeds again.
    const int w = ::open(f.actions_path("elm-MDT0000").c_str(), O_WRONLY | O_NONBLOCK);
    REQUIRE(w >= 0);  // the reader is waiting in open(), so a writer can connect
    const std::string line = kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "SUCCEED") + "\n";
    REQUIRE(::write(w, line.data(), line.size()) == static_cast<ssize_t>(line.size()));
    ::close(w);
    // A regular file again, so the next cycle does not block in the FIFO once more.
    f.write_actions("elm-MDT0000", {kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "SUCCEED")});
    CHECK(wait_until([&] { return systemd.count("WATCHDOG=1") > starved_at; }, 10s));
    CHECK(wait_until([&] { return redis.xlen(f.stream("elm-MDT0000")) == 2; }, 10s));

    daemon.signal(SIGTERM);
    CHECK(daemon.wait(15s) == 0);
    CHECK(systemd.count("STOPPING=1") == 1);
}

TEST_CASE("watchdog: not fed, and not required, without WATCHDOG_USEC", "[shipper][watchdog]") {
    RedisServer redis;
    ShipperFixture f(redis.port());
    f.write_actions("elm-MDT0000", {kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "STARTED")});
    f.set("poll_interval", 0.2);
    TempDir sock_dir;
    NotifyListener systemd(sock_dir / "notify");
    Process daemon({bin("hsm-action-shipper").string(), "-c", f.write_config().string()},
                   {{"NOTIFY_SOCKET", (sock_dir / "notify").string()}});
    REQUIRE(wait_until([&] { return systemd.count("READY=1") == 1; }, 20s));
    REQUIRE(wait_until([&] { return redis.xlen(f.stream("elm-MDT0000")) == 1; }, 10s));
    // Several cycles (0.2 s apart) have run by the time the event is in Redis and a second more.
    f.write_actions("elm-MDT0000", {kernel_line(1, 1, "0x200000400:0x1:0x0", "ARCHIVE", "SUCCEED")});
    REQUIRE(wait_until([&] { return redis.xlen(f.stream("elm-MDT0000")) == 2; }, 10s));
    CHECK(systemd.count("WATCHDOG=1") == 0);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait(15s) == 0);
}
