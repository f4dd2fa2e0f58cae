// A tmux server of our own (tmux -L <unique socket>) for driving terminal programs in tests:
// start a session, read the screen, send keys. The server is killed with the object.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "fixtures.hpp"

namespace hsm::test {

class Tmux {
public:
    Tmux() : socket_("hsm-tools-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++)) {}
    ~Tmux() { cmd({"kill-server"}); }
    Tmux(const Tmux&) = delete;
    Tmux& operator=(const Tmux&) = delete;

    ProcessResult cmd(std::vector<std::string> args) const {
        args.insert(args.begin(), {"/usr/bin/tmux", "-L", socket_});
        return run(args, std::chrono::seconds(10));
    }
    // Starts `command` (a shell command line) in session "top" of the given size.
    bool start(const std::string& command, int width = 100, int height = 30) const {
        return cmd({"new-session", "-d", "-s", "top", "-x", std::to_string(width), "-y", std::to_string(height),
                    command}).exit_code == 0;
    }
    std::string screen(bool escapes = false) const {
        return escapes ? cmd({"capture-pane", "-p", "-e", "-t", "top"}).out : cmd({"capture-pane", "-p", "-t", "top"}).out;
    }
    bool alive() const { return cmd({"has-session", "-t", "top"}).exit_code == 0; }

private:
    static std::atomic<int>& counter() {
        static std::atomic<int> n{0};
        return n;
    }
    std::string socket_;
};

}  // namespace hsm::test
