// Whole-file writes by the rules of file_output.hpp. Plain POSIX calls: rename(2), open(O_EXCL) and
// fchmod/fchown are what make "atomic, unique, mode kept" true, and std::filesystem hides them.
#include "services/file_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace hsm::files {

namespace {

// The kernel's own limit on symlinks followed in one path resolution (MAXSYMLINKS).
constexpr int kMaxLinks = 40;

std::string failure(std::string_view step, const std::string& file, int err) {
    return std::string(step) + " " + file + ": " + std::strerror(err);
}

// A temp file of our own beside the target: O_EXCL on a random name, retried on a collision. Not
// mkstemp: that creates 0600, and learning the umask to compute a new file's mode would mean
// calling umask(2), which changes it for every thread of the process for a moment.
int create_temp(const std::filesystem::path& target, mode_t mode, std::string& tmp) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    thread_local std::mt19937_64 rng{std::random_device{}() ^ (static_cast<std::uint64_t>(::getpid()) << 32)};
    const std::string base =
        (target.parent_path() / ("." + target.filename().string() + ".")).string();
    for (int attempt = 0; attempt < 100; ++attempt) {
        tmp = base;
        for (int i = 0; i < 8; ++i) tmp += kAlphabet[rng() % (sizeof kAlphabet - 1)];
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

// The descriptor N when `p` names one this process holds open (/dev/fd/N, /proc/self/fd/N,
// /proc/thread-self/fd/N, /proc/<our pid>/fd/N; /dev/stdout and /dev/stderr are links to them) and
// the path opens the very object the descriptor has; -1 otherwise. Such a path is what the shell
// set up with `>`, `>>` or `|`: written through the descriptor, whatever it is (a pipe, a tty, a
// socket, a file appended to), never replaced.
int own_descriptor(const std::filesystem::path& p) {
    const std::string dir = p.parent_path().string();
    if (dir != "/dev/fd" && dir != "/proc/self/fd" && dir != "/proc/thread-self/fd" &&
        dir != "/proc/" + std::to_string(::getpid()) + "/fd")
        return -1;
    const std::string name = p.filename().string();
    if (name.empty() || name.size() > 9 || name.find_first_not_of("0123456789") != std::string::npos) return -1;
    const int fd = std::stoi(name);
    struct stat by_fd, by_path;
    if (::fstat(fd, &by_fd) != 0 || ::stat(p.c_str(), &by_path) != 0) return -1;
    return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino ? fd : -1;
}

// Whether the link `link` opens what its text `next` names. False for the kernel's magic links
// (/proc/<pid>/fd/N, /proc/<pid>/exe...), whose text ("pipe:[4026]", "/var/log/x (deleted)") is
// a description, not a path: following it would create a file beside a name that means nothing.
// True for a dangling link, whose text names the file to create.
bool same_object(const std::filesystem::path& link, const std::filesystem::path& next) {
    struct stat via_link, via_text;
    if (::stat(link.c_str(), &via_link) != 0) return true;
    if (::stat(next.c_str(), &via_text) != 0) return false;
    return via_link.st_dev == via_text.st_dev && via_link.st_ino == via_text.st_ino;
}

void sync_directory(const std::filesystem::path& dir) {
    const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

// Devices and FIFOs: opened without O_CREAT/O_TRUNC (truncating a device means nothing, and a
// FIFO blocks until a reader comes, as with the shell's `>`).
bool write_in_place(const std::filesystem::path& target, const ContentWriter& content, std::string& why) {
    const int fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        why = failure("cannot open", target.string(), errno);
        return false;
    }
    const bool ok = content(fd, why);
    if (::close(fd) != 0 && ok) {
        why = failure("cannot close", target.string(), errno);
        return false;
    }
    return ok;
}

bool replace_regular(const std::filesystem::path& target, const struct stat* old,
                     const ContentWriter& content, const WriteOptions& options, std::string& why) {
    // Beside the target (same file system, so rename is atomic), hidden, unique per call. A new
    // file gets new_file_mode under the umask (open applies it); a replacement gets the mode of
    // the file it replaces, and its owner when we are allowed to (root rewriting a file another
    // user reads).
    const std::filesystem::path dir = target.parent_path();
    std::string tmp;
    const int fd = create_temp(target, old ? (old->st_mode & 07777) : options.new_file_mode, tmp);
    if (fd < 0) {
        why = failure("cannot create a temp file in", dir.empty() ? "." : dir.string(), errno);
        return false;
    }
    bool ok = true;
    if (old && ::fchmod(fd, old->st_mode & 07777) != 0) {  // open's mode was cut by the umask
        why = failure("cannot chmod", tmp, errno);
        ok = false;
    }
    if (ok && old && (old->st_uid != ::geteuid() || old->st_gid != ::getegid()))
        (void)!::fchown(fd, old->st_uid, old->st_gid);  // best effort: not permitted is fine
    ok = ok && content(fd, why);
    if (ok && options.on_step) options.on_step("written");
    const auto failed = [&](std::string_view call) {
        if (!options.fail_call) return false;
        if (const int e = options.fail_call(call)) return errno = e, true;
        return false;
    };
    if (ok && options.durable && (failed("fsync") || ::fsync(fd) != 0)) {
        why = failure("cannot fsync", tmp, errno);
        ok = false;
    }
    if (::close(fd) != 0 && ok) {
        why = failure("cannot close", tmp, errno);
        ok = false;
    }
    if (ok && options.on_step) options.on_step("synced");
    if (ok && (failed("rename") || ::rename(tmp.c_str(), target.c_str()) != 0)) {
        why = "cannot rename " + tmp + " to " + target.string() + ": " + std::strerror(errno);
        ok = false;
    }
    if (!ok) {
        ::unlink(tmp.c_str());
        return false;
    }
    if (options.on_step) options.on_step("renamed");
    if (options.durable) sync_directory(dir);  // the rename is durable once the entry is
    return true;
}

}  // namespace

std::filesystem::path resolve_links(const std::filesystem::path& path, std::string& why) {
    std::filesystem::path p = path;
    for (int hops = 0; hops <= kMaxLinks; ++hops) {
        struct stat st;
        if (::lstat(p.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return p;
        if (own_descriptor(p) >= 0) return p;  // /dev/stdout: the descriptor, whatever it leads to
        std::string buf(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 255) + 1, '\0');
        const ssize_t n = ::readlink(p.c_str(), buf.data(), buf.size());
        if (n < 0) {
            why = failure("cannot read the link", p.string(), errno);
            return {};
        }
        buf.resize(static_cast<std::size_t>(n));
        const std::filesystem::path link_text(buf);
        const std::filesystem::path next = link_text.is_absolute() ? link_text : p.parent_path() / link_text;
        if (!same_object(p, next)) return p;  // a /proc link ("pipe:[..]"): its text names nothing
        p = next;
    }
    why = failure("cannot follow", path.string(), ELOOP);
    return {};
}

bool write_all(int fd, const char* data, std::size_t size, std::string_view what, std::string& why) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            why = failure("cannot write", std::string(what), errno);
            return false;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

bool write_file(const std::filesystem::path& path, const ContentWriter& content,
                const WriteOptions& options, std::string& why) {
    const std::filesystem::path target = resolve_links(path, why);
    if (target.empty()) return false;
    if (const int fd = own_descriptor(target); fd >= 0) return content(fd, why);
    if (options.create_parents && target.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(target.parent_path(), ec);
        if (ec) {
            why = "cannot create " + target.parent_path().string() + ": " + ec.message();
            return false;
        }
    }
    struct stat st;
    if (::stat(target.c_str(), &st) != 0) {
        if (errno != ENOENT) {
            why = failure("cannot stat", target.string(), errno);
            return false;
        }
        return replace_regular(target, nullptr, content, options, why);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode))
        return write_in_place(target, content, why);
    struct stat link;
    const bool magic = ::lstat(target.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
    if (S_ISREG(st.st_mode) && !magic) return replace_regular(target, &st, content, options, why);
    // Another process's open file (/proc/<pid>/fd/N) has no directory entry of ours to rename
    // over; a directory or a socket cannot hold a file's content.
    why = target.string() + (S_ISDIR(st.st_mode) ? " is a directory"
                             : magic             ? " names another process's open file, not a path"
                                                 : " is not a file we can write");
    return false;
}

bool write_file(const std::filesystem::path& path, std::string_view content,
                const WriteOptions& options, std::string& why) {
    return write_file(
        path,
        [&](int fd, std::string& w) { return write_all(fd, content.data(), content.size(), path.string(), w); },
        options, why);
}

}  // namespace hsm::files
