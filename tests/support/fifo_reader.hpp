// A FIFO made in a test's directory with a reader thread draining it, for tests of writers that
// must write into a FIFO in place (never replace it): the writer's open() blocks until this
// reader opens its end, so the reader runs from construction. Header-only; include where needed.
// Not thread-safe: one test thread constructs it, runs the writer, then calls received().
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>

namespace hsm::test {

class FifoReader {
public:
    explicit FifoReader(std::filesystem::path path) : path_(std::move(path)) {
        if (::mkfifo(path_.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path_.string() + " failed");
        thread_ = std::thread([this] {
            const int fd = ::open(path_.c_str(), O_RDONLY);
            if (fd < 0) return;
            char buf[4096];
            for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) received_.append(buf, static_cast<std::size_t>(n));
            ::close(fd);
        });
    }
    ~FifoReader() { finish(); }
    FifoReader(const FifoReader&) = delete;
    FifoReader& operator=(const FifoReader&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Call once the writer is done: returns everything it wrote. A writer that never opened the
    // FIFO (a failing test) cannot hang this: an open and close of the write end here releases a
    // reader still waiting in open(), which then reads end-of-file.
    const std::string& received() {
        finish();
        return received_;
    }

private:
    void finish() {
        if (!thread_.joinable()) return;
        if (const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK); fd >= 0) ::close(fd);
        thread_.join();
    }

    std::filesystem::path path_;
    std::string received_;
    std::thread thread_;
};

}  // namespace hsm::test
