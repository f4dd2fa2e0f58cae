// Writing whole files that someone else may read at any moment (a report, the checkpoint, a
// simulated hsm/actions file) without ever replacing what is not a regular file of ours to
// replace. One implementation for every writer, so the rules below hold everywhere:
// - symlinks are followed: the link stays, its target gets the new content;
// - a regular file (or nothing) at the target is replaced atomically: the bytes go to a unique
//   temp file beside it (a random name created with O_EXCL, so two writers never share one),
//   then rename(2) over it; the replaced file's mode is kept (and its owner, when we may chown);
// - a path naming one of our own open descriptors (/dev/stdout, /dev/stderr, /dev/fd/N,
//   /proc/self/fd/N) is written through that descriptor, whatever it is: a pipe (`-o /dev/stdout |
//   cat`, Telegraf's exec input), a tty, a socket, a file the shell opened with `>>` (appended to,
//   not replaced);
// - anything else (a character or block device such as /dev/null, a FIFO) is opened and written
//   in place, never replaced; a directory, a socket path or another process's open file
//   (/proc/<pid>/fd/N of a regular file) is an error.
// The kernel's magic links (/proc/<pid>/fd/N reads "pipe:[4026]") are never followed by their
// text, which is a description, not a path.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

namespace hsm::files {

struct WriteOptions {
    // Mode of a file that did not exist yet; the process umask applies, as with open(2).
    mode_t new_file_mode = 0666;
    // fsync the data before the rename and the directory after it (a checkpoint must survive a
    // crash; a report or a fake file only needs readers to see it whole).
    bool durable = false;
    // Create missing parent directories of the target.
    bool create_parents = false;
    // Called, when set, at each step of a temp-file replacement: "written" (content written, not
    // synced), "synced" (synced and closed, not renamed), "renamed" (directory not synced yet).
    // For crash-consistency tests, which stop the process exactly there; unset otherwise.
    std::function<void(std::string_view step)> on_step;
    // Test seam, null otherwise: asked before the temp file's "fsync" and the "rename" over the
    // target; a non-zero errno fails that call with it (EIO from a failing device, a refused
    // rename), through the same error path as a real failure.
    std::function<int(std::string_view call)> fail_call;
};

// Produces the content: writes everything to `fd` (a temp file or the target itself). Returns
// false with `why` set on failure; nothing is then renamed over the target.
using ContentWriter = std::function<bool(int fd, std::string& why)>;

// Writes `path` by the rules above. Returns false with `why` naming the file and the failed step;
// a failed write never leaves a temp file behind nor touches the target. Thread-safe: concurrent
// calls, even for one path (two processes included), each use their own temp file; the last
// rename wins.
bool write_file(const std::filesystem::path& path, const ContentWriter& content,
                const WriteOptions& options, std::string& why);

// Convenience for content already in memory.
bool write_file(const std::filesystem::path& path, std::string_view content,
                const WriteOptions& options, std::string& why);

// write(2) until done, retrying on EINTR. False with `why` = "<what>: <strerror>".
bool write_all(int fd, const char* data, std::size_t size, std::string_view what, std::string& why);

// Follows symlinks from `path` (up to 40, like the kernel) and returns the path they lead to,
// which may not exist (a dangling link names the file to create). `path` itself when it is not a
// link. Stops at a magic link (/proc/self/fd/1, /dev/fd/1) and returns it: its text is no path.
// Empty, with `why`, on a loop or an unreadable link.
std::filesystem::path resolve_links(const std::filesystem::path& path, std::string& why);

}  // namespace hsm::files
