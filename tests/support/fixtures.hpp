// Shared test fixtures: a private redis-server on a free loopback port, temporary directories,
// running the built executables as a user would, and waiting on conditions with a deadline.
// Every integration test uses these instead of writing its own, so there is one way to do each.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

namespace hsm::test {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Where the built tools live (build/bin, or CMAKE_RUNTIME_OUTPUT_DIRECTORY).
fs::path bin(const std::string& tool);

// A directory removed with its contents when the fixture goes out of scope.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool wait_until(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = 10s,
                std::chrono::milliseconds poll = 10ms);

// Writes `content` to `path` atomically (temp file + rename), as the simulator and kernel-like
// writers do, creating parent directories.
void write_file(const fs::path& path, const std::string& content);
std::string read_file(const fs::path& path);

// A redis-server of our own: free loopback port, its own temp dir, no persistence unless asked.
// stop()/start() keep the port, so clients see a real outage and a real comeback.
class RedisServer {
public:
    explicit RedisServer(bool persistence = false);
    ~RedisServer();
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    int port() const { return port_; }
    // Its unix socket (always open beside the TCP port), for a witness that must attach first.
    fs::path unix_socket() const { return dir_ / "redis.sock"; }
    // When set, start() opens the server on its unix socket only, calls this (a witness such as
    // the fault suite's MONITOR attaches there and returns once attached), and only then opens
    // the TCP port the clients use: no command after a restart escapes the witness.
    std::function<void()> before_listening;
    // Whether a client of the server is in MONITOR mode (CLIENT LIST over the unix socket).
    bool monitor_attached() const;
    void start();
    void stop();  // SIGTERM and wait; data is lost unless persistence is on
    bool running() const { return pid_ > 0; }
    // Sends `sig` to the server (SIGSTOP/SIGCONT: a hung Redis that comes back).
    void signal(int sig) const;

    // Runs one command on a fresh connection (db 1 unless told) and returns the reply;
    // the caller owns it. Throws std::runtime_error when the server cannot be reached.
    struct ReplyDeleter { void operator()(redisReply* r) const { freeReplyObject(r); } };
    using Reply = std::unique_ptr<redisReply, ReplyDeleter>;
    Reply command(const std::vector<std::string>& argv, int db = 1) const;
    long long integer(const std::vector<std::string>& argv, int db = 1) const;
    long long xlen(const std::string& key, int db = 1) const;
    // All entries of a stream as (id, data-field) pairs, oldest first.
    std::vector<std::pair<std::string, std::string>> xrange(const std::string& key, int db = 1) const;

private:
    int port_;
    bool persistence_;
    pid_t pid_ = -1;
    TempDir dir_;
};

// How many times `redis` refused `command` (lower case, as ACL LOG names it) to `user`, from its
// ACL LOG (Redis counts repeats of one refusal in one entry).
long long acl_denials(const RedisServer& redis, const std::string& user, const std::string& command);

struct ProcessResult {
    int exit_code = -1;  // exit status, or 128+signal when killed
    std::string out;
    std::string err;
};

// Runs a built tool to completion (killing it after `timeout`), capturing stdout and stderr.
ProcessResult run(const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout = 60s,
                  const std::map<std::string, std::string>& extra_env = {});

// A long-running child (the daemon), its output going to files so the test can read it while
// it runs. The destructor kills it if the test did not stop it.
class Process {
public:
    explicit Process(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& extra_env = {});
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const;
    // Waits for exit up to `timeout`; returns the exit code (128+signal when killed), or
    // nullopt when still running.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    std::string out() const;
    std::string err() const;

private:
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    TempDir dir_;
};

// A free TCP port on 127.0.0.1 (bound then released; good enough for a private server).
int free_port();

}  // namespace hsm::test
