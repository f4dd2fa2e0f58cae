// A program run directly (no shell, stdin from /dev/null) with its stdout and stderr on two
// non-blocking pipes, so the resolver can read several `lfs` calls at once and use each answer
// as it arrives. Not thread-safe; one owner. The destructor kills and reaps a child still running.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace hsm::consume::tail {

class ChildProcess {
public:
    // Starts argv[0] (an absolute path) with argv. nullopt when pipe or fork fail, with the
    // reason in `error`; a program that cannot be executed exits 127 with the reason on stderr.
    static std::optional<ChildProcess> spawn(const std::vector<std::string>& argv, std::string& error);

    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&&) = delete;
    ChildProcess(const ChildProcess&) = delete;
    ~ChildProcess();

    int out_fd() const { return out_; }  // -1 once at EOF
    int err_fd() const { return err_; }
    // Appends what is readable on stdout/stderr now; closes the pipe at EOF.
    void read_out(std::string& into) { drain(out_, into); }
    void read_err(std::string& into) { drain(err_, into); }
    bool at_eof() const { return out_ < 0 && err_ < 0; }

    void kill();  // SIGKILL (the call is abandoned; lfs holds no state worth a clean exit)
    // Reaps the child: its exit code, or 128 + signal number.
    int wait();

private:
    ChildProcess() = default;
    static void drain(int& fd, std::string& into);
    pid_t pid_ = -1;
    int out_ = -1;
    int err_ = -1;
};

}  // namespace hsm::consume::tail
