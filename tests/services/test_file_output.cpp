// services/file_output: the one way the suite writes whole files (stats -o, the checkpoint, the
// simulator). Real files, symlinks, a FIFO and a character device under a temp dir: a regular file
// is replaced atomically with its mode kept, a link is followed, anything else is written in place
// and stays what it was, and concurrent writers never share a temp file.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include <atomic>
#include <thread>

#include "services/file_output.hpp"
#include "fifo_reader.hpp"
#include "fixtures.hpp"

using hsm::test::read_file;
using hsm::test::TempDir;
namespace files = hsm::files;
namespace fs = std::filesystem;

namespace {

struct stat stat_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st;
}

// Everything in `dir` but the names given: leftovers such as temp files.
std::vector<std::string> others_in(const fs::path& dir, std::initializer_list<std::string> expected) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (std::find(expected.begin(), expected.end(), name) == expected.end()) out.push_back(name);
    }
    return out;
}

bool write(const fs::path& p, std::string_view text, std::string& why, files::WriteOptions o = {}) {
    return files::write_file(p, text, o, why);
}

}  // namespace

TEST_CASE("file_output: a regular file is replaced atomically with its mode kept", "[services][files]") {
    TempDir dir;
    const auto path = dir / "report.prom";
    hsm::test::write_file(path, "old\n");
    REQUIRE(::chmod(path.c_str(), 0640) == 0);
    const ino_t old_inode = stat_of(path).st_ino;
    std::string why;
    REQUIRE(write(path, "new\n", why));
    CHECK(read_file(path) == "new\n");
    const auto st = stat_of(path);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0640);
    CHECK(st.st_ino != old_inode);  // a new file renamed over the old: readers never see a mix
    CHECK(others_in(dir.path(), {"report.prom"}).empty());
}

TEST_CASE("file_output: a new file gets the requested mode under the umask", "[services][files]") {
    TempDir dir;
    const mode_t old_umask = ::umask(027);
    std::string why;
    files::WriteOptions o;
    o.new_file_mode = 0666;
    const bool ok = write(dir / "fresh", "x", why, o);
    ::umask(old_umask);
    REQUIRE(ok);
    CHECK((stat_of(dir / "fresh").st_mode & 07777) == 0640);
}

TEST_CASE("file_output: a symlink is followed, not replaced", "[services][files]") {
    TempDir dir;
    fs::create_directories(dir / "real");
    hsm::test::write_file(dir / "real" / "target", "old");
    fs::create_symlink("real/target", dir / "link");  // relative, resolved from the link's dir
    fs::create_symlink(dir / "link", dir / "link2");  // a chain
    std::string why;
    REQUIRE(write(dir / "link2", "new", why));
    CHECK(fs::is_symlink(dir / "link"));
    CHECK(fs::is_symlink(dir / "link2"));
    CHECK(read_file(dir / "real" / "target") == "new");
    CHECK(others_in(dir / "real", {"target"}).empty());

    SECTION("a dangling link creates its target") {
        fs::create_symlink("real/absent", dir / "dangling");
        REQUIRE(write(dir / "dangling", "made", why));
        CHECK(fs::is_symlink(dir / "dangling"));
        CHECK(read_file(dir / "real" / "absent") == "made");
    }
    SECTION("a link loop is an error, not a hang") {
        fs::create_symlink("loop_b", dir / "loop_a");
        fs::create_symlink("loop_a", dir / "loop_b");
        CHECK_FALSE(write(dir / "loop_a", "x", why));
        CHECK_THAT(why, Catch::Contains("loop_a"));
    }
}

TEST_CASE("file_output: a character device is written in place, never replaced", "[services][files]") {
    TempDir dir;
    fs::path dev = dir / "null";
    // The same device as /dev/null, made under the temp dir so a regression cannot replace the
    // machine's own; without CAP_MKNOD, the real /dev/null (written in place, which is harmless).
    if (::mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) dev = "/dev/null";
    const auto before = stat_of(dev);
    std::string why;
    REQUIRE(write(dev, "report\n", why));
    const auto after = stat_of(dev);
    CHECK(S_ISCHR(after.st_mode));
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_rdev == before.st_rdev);
    if (dev.parent_path() == dir.path()) CHECK(others_in(dir.path(), {"null"}).empty());

    SECTION("also through a symlink") {
        fs::create_symlink(dev, dir / "to-null");
        REQUIRE(write(dir / "to-null", "again\n", why));
        CHECK(S_ISCHR(stat_of(dev).st_mode));
        CHECK(fs::is_symlink(dir / "to-null"));
    }
}

TEST_CASE("file_output: a FIFO is written in place for its reader", "[services][files]") {
    TempDir dir;
    const auto fifo = dir / "pipe";
    hsm::test::FifoReader reader(fifo);
    std::string why;
    const bool ok = write(fifo, "through the pipe\n", why);
    CHECK(ok);
    CHECK(reader.received() == "through the pipe\n");
    CHECK(S_ISFIFO(stat_of(fifo).st_mode));
    CHECK(others_in(dir.path(), {"pipe"}).empty());
}

// `hsm-stream-stats -o /dev/stdout | cat`: /proc/self/fd/N reads "pipe:[4026]", which names no
// file. Each spelling of "my descriptor N" must reach the pipe itself; the descriptor is a pipe
// made here, so the check is what arrives at its other end.
TEST_CASE("file_output: a path naming our own pipe descriptor writes into the pipe", "[services][files]") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);  // a write that went elsewhere fails the read, never hangs it
    const std::string n = std::to_string(fds[1]);
    TempDir dir;
    fs::create_symlink("/proc/self/fd/" + n, dir / "stdout");  // what /dev/stdout is for fd 1
    for (const fs::path& p : {fs::path("/proc/self/fd/" + n), fs::path("/dev/fd/" + n),
                             fs::path("/proc/" + std::to_string(::getpid()) + "/fd/" + n), dir / "stdout"}) {
        INFO(p);
        std::string why;
        CHECK(write(p, "via " + p.string() + "\n", why));
        INFO(why);
        char buf[512];
        const ssize_t got = ::read(fds[0], buf, sizeof buf);
        REQUIRE(got > 0);
        CHECK(std::string(buf, static_cast<std::size_t>(got)) == "via " + p.string() + "\n");
    }
    CHECK(others_in(dir.path(), {"stdout"}).empty());  // no temp file beside the link either
    ::close(fds[0]);
    ::close(fds[1]);
}

// `-o /dev/stdout >> log`: the shell opened the log to append; writing through the descriptor
// appends, where an atomic replacement would throw away what the log held.
TEST_CASE("file_output: our own descriptor on a regular file is written through, not replaced", "[services][files]") {
    TempDir dir;
    const auto log = dir / "log";
    hsm::test::write_file(log, "earlier run\n");
    const auto before = stat_of(log);
    const int fd = ::open(log.c_str(), O_WRONLY | O_APPEND);
    REQUIRE(fd >= 0);
    std::string why;
    CHECK(write("/dev/fd/" + std::to_string(fd), "this run\n", why));
    ::close(fd);
    CHECK(read_file(log) == "earlier run\nthis run\n");
    CHECK(stat_of(log).st_ino == before.st_ino);
    CHECK(others_in(dir.path(), {"log"}).empty());
}

// Another process's descriptor (/proc/<pid>/fd/N): a pipe is opened and written like a FIFO; a
// file it holds that has been deleted reads "<path> (deleted)", which names nothing of ours to
// rename over, so it is a clear error, not a temp file created beside that name.
TEST_CASE("file_output: another process's pipe is written, its deleted file is an error", "[services][files]") {
    TempDir dir;
    hsm::test::write_file(dir / "held", "theirs\n");
    int ready[2], theirs_pipe[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe2(theirs_pipe, O_NONBLOCK) == 0);  // a failed write fails the read, never hangs it
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // holds the file on fd 100, the pipe's write end on fd 101, until killed
        ::dup2(theirs_pipe[1], 101);  // numbers no pipe() above can have returned
        ::dup2(::open((dir / "held").c_str(), O_WRONLY), 100);
        (void)!::write(ready[1], "r", 1);
        for (;;) ::pause();
    }
    struct Reaper {
        pid_t pid;
        ~Reaper() {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reaper{child};
    char c;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    const std::string fds = "/proc/" + std::to_string(child) + "/fd/";
    std::string why;
    CHECK(write(fds + "101", "into their pipe\n", why));
    INFO(why);
    char buf[64];
    const ssize_t got = ::read(theirs_pipe[0], buf, sizeof buf);
    REQUIRE(got > 0);
    CHECK(std::string(buf, static_cast<std::size_t>(got)) == "into their pipe\n");

    fs::remove(dir / "held");
    CHECK_FALSE(write(fds + "100", "mine\n", why));
    CHECK_THAT(why, Catch::Contains(fds + "100") && Catch::Contains("another process"));
    CHECK(others_in(dir.path(), {}).empty());
    for (int fd : {ready[0], ready[1], theirs_pipe[0], theirs_pipe[1]}) ::close(fd);
}

TEST_CASE("file_output: a directory is an error naming it", "[services][files]") {
    TempDir dir;
    fs::create_directories(dir / "taken");
    std::string why;
    CHECK_FALSE(write(dir / "taken", "x", why));
    CHECK_THAT(why, Catch::Contains((dir / "taken").string()));
    CHECK(fs::is_directory(dir / "taken"));
}

TEST_CASE("file_output: a failed write leaves the target and no temp file", "[services][files]") {
    TempDir dir;
    const auto path = dir / "state.bin";
    hsm::test::write_file(path, "previous");
    std::string why;
    const bool ok = files::write_file(
        path,
        [](int fd, std::string& w) {
            (void)!::write(fd, "half", 4);
            w = "content failed";
            return false;
        },
        {}, why);
    CHECK_FALSE(ok);
    CHECK(why == "content failed");
    CHECK(read_file(path) == "previous");
    CHECK(others_in(dir.path(), {"state.bin"}).empty());
}

TEST_CASE("file_output: concurrent writers of one path never share a temp file", "[services][files]") {
    TempDir dir;
    const auto path = dir / "out.json";
    // Two writers of distinct, recognisable content; with one shared temp name, one would rename
    // the other's half-written file or fail on a vanished one.
    const std::string a(200000, 'a'), b(300000, 'b');
    std::atomic<int> failures{0};
    auto writer = [&](const std::string& text) {
        for (int i = 0; i < 50; ++i) {
            std::string why;
            if (!files::write_file(path, text, {}, why)) ++failures;
        }
    };
    std::thread ta(writer, std::cref(a)), tb(writer, std::cref(b));
    ta.join();
    tb.join();
    CHECK(failures == 0);
    const std::string last = read_file(path);
    CHECK((last == a || last == b));
    CHECK(others_in(dir.path(), {"out.json"}).empty());
}
