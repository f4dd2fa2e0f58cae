// fork/exec with two pipes (see child_process.hpp). The error message of a failed exec travels
// on the child's stderr, so it reaches the same reporting as lfs's own messages.
#include "child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hsm::consume::tail {

std::optional<ChildProcess> ChildProcess::spawn(const std::vector<std::string>& argv, std::string& error) {
    int out[2], err[2];
    if (::pipe2(out, O_CLOEXEC) != 0) {
        error = std::strerror(errno);
        return std::nullopt;
    }
    if (::pipe2(err, O_CLOEXEC) != 0) {
        error = std::strerror(errno);
        ::close(out[0]);
        ::close(out[1]);
        return std::nullopt;
    }
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        error = std::strerror(errno);
        for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
        return std::nullopt;
    }
    if (pid == 0) {
        const int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, 0);
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        ::execv(args[0], args.data());
        // Only async-signal-safe calls between fork and exec (the tail has threads):
        // strerrordesc_np reads a static table, unlike strerror, which may lock the locale.
        const char* why = ::strerrordesc_np(errno);
        if (!why) why = "cannot execute";
        (void)!::write(2, "cannot run ", 11);
        (void)!::write(2, args[0], std::strlen(args[0]));
        (void)!::write(2, ": ", 2);
        (void)!::write(2, why, std::strlen(why));
        (void)!::write(2, "\n", 1);
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    ::fcntl(out[0], F_SETFL, O_NONBLOCK);
    ::fcntl(err[0], F_SETFL, O_NONBLOCK);
    ChildProcess c;
    c.pid_ = pid;
    c.out_ = out[0];
    c.err_ = err[0];
    return c;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_), out_(o.out_), err_(o.err_) {
    o.pid_ = -1;
    o.out_ = o.err_ = -1;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        kill();
        wait();
    }
    if (out_ >= 0) ::close(out_);
    if (err_ >= 0) ::close(err_);
}

void ChildProcess::drain(int& fd, std::string& into) {
    char buf[65536];
    while (fd >= 0) {
        const ssize_t got = ::read(fd, buf, sizeof buf);
        if (got > 0) {
            into.append(buf, static_cast<std::size_t>(got));
            continue;
        }
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
        ::close(fd);  // EOF, or an error that EOF is the only sane reading of
        fd = -1;
    }
}

void ChildProcess::kill() {
    if (pid_ > 0) ::kill(pid_, SIGKILL);
}

int ChildProcess::wait() {
    if (pid_ <= 0) return -1;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (out_ >= 0) { ::close(out_); out_ = -1; }
    if (err_ >= 0) { ::close(err_); err_ = -1; }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace hsm::consume::tail
