// Implementation of the shared fixtures: fork/exec, pipes to files, a private redis-server.
#include "fixtures.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace hsm::test {

fs::path bin(const std::string& tool) { return fs::path(HSM_BIN_DIR) / tool; }

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "hsm-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (condition()) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll);
    }
}

void write_file(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    const fs::path tmp = path.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << content;
    }
    fs::rename(tmp, path);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

namespace {

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
    std::vector<char*> out;
    for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
    out.push_back(nullptr);
    return out;
}

// fork+exec with stdout/stderr redirected to the given files; environment extended.
pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
            const fs::path& out, const fs::path& err) {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        ::setpgid(0, 0);
        int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = ::open("/dev/null", O_RDONLY);
        ::dup2(n, 0);
        ::dup2(o, 1);
        ::dup2(e, 2);
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        auto args = c_argv(argv);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
    std::optional<int> code;
    wait_until(
        [&] {
            int status = 0;
            pid_t r = ::waitpid(pid, &status, WNOHANG);
            if (r == pid) code = decode_status(status);
            return code.has_value() || r < 0;
        },
        timeout, 5ms);
    return code;
}

}  // namespace

ProcessResult run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                  const std::map<std::string, std::string>& extra_env) {
    Process p(argv, extra_env);
    ProcessResult r;
    auto code = p.wait(timeout);
    if (!code) {
        p.signal(SIGKILL);
        code = p.wait(5s);
    }
    r.exit_code = code.value_or(-1);
    r.out = p.out();
    r.err = p.err();
    return r;
}

Process::Process(const std::vector<std::string>& argv,
                 const std::map<std::string, std::string>& extra_env) {
    pid_ = spawn(argv, extra_env, dir_ / "stdout", dir_ / "stderr");
}

Process::~Process() {
    if (!exit_code_) {
        ::kill(pid_, SIGKILL);
        wait_pid(pid_, 5s);
    }
}

void Process::signal(int sig) const { ::kill(pid_, sig); }

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
    if (!exit_code_) exit_code_ = wait_pid(pid_, timeout);
    return exit_code_;
}

std::string Process::out() const { return read_file(dir_ / "stdout"); }
std::string Process::err() const { return read_file(dir_ / "stderr"); }

RedisServer::RedisServer(bool persistence) : port_(free_port()), persistence_(persistence) {
    start();
}

RedisServer::~RedisServer() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_pid(pid_, 5s);
    }
}

namespace {

// One command over a unix socket; nullptr when the server cannot be reached there.
RedisServer::Reply unix_command(const fs::path& socket, const std::vector<std::string>& argv) {
    redisContext* c = redisConnectUnix(socket.c_str());
    if (!c || c->err) {
        if (c) redisFree(c);
        return nullptr;
    }
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    RedisServer::Reply r(static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data())));
    redisFree(c);
    return r;
}

}  // namespace

bool RedisServer::monitor_attached() const {
    const auto r = unix_command(unix_socket(), {"CLIENT", "LIST"});
    return r && r->type == REDIS_REPLY_STRING && std::string(r->str, r->len).find("cmd=monitor") != std::string::npos;
}

void RedisServer::start() {
    const bool gated = static_cast<bool>(before_listening);
    std::vector<std::string> argv = {"/usr/bin/redis-server", "--port", gated ? "0" : std::to_string(port_),
                                     "--bind", "127.0.0.1", "--dir", dir_.path().string(),
                                     "--unixsocket", unix_socket().string(), "--unixsocketperm", "700",
                                     "--daemonize", "no", "--save", "", "--appendonly",
                                     persistence_ ? "yes" : "no", "--logfile",
                                     (dir_ / "redis.log").string()};
    pid_ = spawn(argv, {}, dir_ / "redis.out", dir_ / "redis.err");
    if (gated) {
        const bool on_socket = wait_until(
            [&] {
                const auto r = unix_command(unix_socket(), {"PING"});
                return r && r->type == REDIS_REPLY_STATUS;
            },
            10s);
        if (!on_socket) throw std::runtime_error("redis-server did not come up on " + unix_socket().string());
        before_listening();
        const auto r = unix_command(unix_socket(), {"CONFIG", "SET", "port", std::to_string(port_)});
        if (!r || r->type != REDIS_REPLY_STATUS)
            throw std::runtime_error("redis-server could not open port " + std::to_string(port_));
    }
    const bool up = wait_until(
        [&] {
            redisContext* c = redisConnect("127.0.0.1", port_);
            bool ok = c && !c->err;
            if (ok) {
                auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
                ok = r && r->type == REDIS_REPLY_STATUS;
                if (r) freeReplyObject(r);
            }
            if (c) redisFree(c);
            return ok;
        },
        10s);
    if (!up) throw std::runtime_error("redis-server did not come up on port " + std::to_string(port_));
}

void RedisServer::signal(int sig) const {
    if (pid_ > 0) ::kill(pid_, sig);
}

void RedisServer::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    if (!wait_pid(pid_, 10s)) {
        ::kill(pid_, SIGKILL);
        wait_pid(pid_, 5s);
    }
    pid_ = -1;
}

RedisServer::Reply RedisServer::command(const std::vector<std::string>& argv, int db) const {
    redisContext* c = redisConnect("127.0.0.1", port_);
    if (!c || c->err) {
        if (c) redisFree(c);
        throw std::runtime_error("cannot connect to test redis");
    }
    freeReplyObject(redisCommand(c, "SELECT %d", db));
    std::vector<const char*> args;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
        args.push_back(a.data());
        lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(args.size()), args.data(), lens.data()));
    redisFree(c);
    if (!r) throw std::runtime_error("redis command failed");
    return Reply(r);
}

long long RedisServer::integer(const std::vector<std::string>& argv, int db) const {
    auto r = command(argv, db);
    if (r->type != REDIS_REPLY_INTEGER) throw std::runtime_error("expected an integer reply");
    return r->integer;
}

long long RedisServer::xlen(const std::string& key, int db) const {
    return integer({"XLEN", key}, db);
}

std::vector<std::pair<std::string, std::string>> RedisServer::xrange(const std::string& key,
                                                                      int db) const {
    auto r = command({"XRANGE", key, "-", "+"}, db);
    std::vector<std::pair<std::string, std::string>> out;
    if (r->type != REDIS_REPLY_ARRAY) return out;
    for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* entry = r->element[i];
        const redisReply* fields = entry->element[1];
        std::string data;
        for (size_t f = 0; f + 1 < fields->elements; f += 2)
            if (std::string(fields->element[f]->str) == "data") data = fields->element[f + 1]->str;
        out.emplace_back(entry->element[0]->str, data);
    }
    return out;
}

long long acl_denials(const RedisServer& redis, const std::string& user, const std::string& command) {
    auto r = redis.command({"ACL", "LOG"});
    long long total = 0;
    for (std::size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        std::map<std::string, const redisReply*> fields;
        for (std::size_t k = 0; k + 1 < e->elements; k += 2)
            fields[std::string(e->element[k]->str, e->element[k]->len)] = e->element[k + 1];
        const auto text = [&](const char* k) {
            return fields.count(k) ? std::string(fields[k]->str, fields[k]->len) : std::string();
        };
        if (text("username") == user && text("object") == command && fields.count("count"))
            total += fields["count"]->integer;
    }
    return total;
}

}  // namespace hsm::test
