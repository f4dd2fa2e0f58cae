// FileOpener: plain POSIX reads (see byte_source.hpp).
#include "byte_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hsm::ingest {

namespace {

class FileSource final : public ByteSource {
public:
    explicit FileSource(int fd) : fd_(fd) {}
    ~FileSource() override { ::close(fd_); }
    long read(char* buffer, std::size_t capacity, std::string& error) override {
        while (true) {
            const ssize_t n = ::read(fd_, buffer, capacity);
            if (n >= 0) return static_cast<long>(n);
            if (errno == EINTR) continue;
            error = std::strerror(errno);
            return -1;
        }
    }

private:
    int fd_;
};

}  // namespace

std::unique_ptr<ByteSource> FileOpener::open(const std::filesystem::path& path, std::string& error) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = std::strerror(errno);
        return nullptr;
    }
    return std::make_unique<FileSource>(fd);
}

}  // namespace hsm::ingest
