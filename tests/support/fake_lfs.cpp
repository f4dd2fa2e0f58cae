// A stand-in for `lfs fid2path` as the Lustre 2.12, 2.14, 2.15 and 2.16 clients answer it (see
// docs/lfs.md), for the tests of hsm-stream-tail: no Lustre runs here. It parses its options
// with getopt_long and the option table of the chosen version, so unknown options fail exactly
// as the real tool does (glibc's message, usage, exit 4). Set up through the environment:
//   FAKE_LFS_VERSION   2.12, 2.14, 2.15 or 2.16 (default 2.16)
//   FAKE_LFS_MOUNT     the one Lustre mount point (default /lustre); any other: exit 19
//   FAKE_LFS_TREE      a file of `<fid>\t<path below the mount>` lines, one per hard link, in
//                      link order; `\n` and `\\` in a path stand for a newline and a backslash;
//                      `<fid>\t!<message>` makes that FID fail with the message (e.g.
//                      `!Permission denied`); `<fid>\t~` makes lfs hang on that FID (an RPC
//                      that never returns)
//   FAKE_LFS_PATTERN   for FIDs not in the tree, the path `<pattern><fid>` (e.g. data/file-);
//                      FIDs whose object id is 0xdead are never found
//   FAKE_LFS_DELAY_MS  time taken per FID (an MDS round trip); each answer is flushed as it comes
//   FAKE_LFS_LOG       each call appends its arguments, space-separated, as one line
#include <getopt.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kExitUsage = 4;    // what lfs returns for a bad command line
constexpr int kExitNoDev = 19;   // ENODEV: not a Lustre mount point
constexpr int kExitNoEnt = 2;    // ENOENT
constexpr int kExitOther = 1;

std::string env(const char* name, const char* fallback = "") {
    const char* v = std::getenv(name);
    return v ? v : fallback;
}

std::string normalize(std::string fid) {
    if (fid.size() >= 2 && fid.front() == '[' && fid.back() == ']') fid = fid.substr(1, fid.size() - 2);
    std::transform(fid.begin(), fid.end(), fid.begin(), [](unsigned char c) { return std::tolower(c); });
    return fid;
}

std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            ++i;
            out += s[i] == 'n' ? '\n' : s[i];
        } else {
            out += s[i];
        }
    }
    return out;
}

struct Entry {
    std::vector<std::string> links;
    std::string error;  // non-empty: this FID fails with this message
    bool hang = false;
};

std::map<std::string, Entry> load_tree() {
    std::map<std::string, Entry> tree;
    const std::string path = env("FAKE_LFS_TREE");
    if (path.empty()) return tree;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        Entry& e = tree[normalize(line.substr(0, tab))];
        const std::string rest = line.substr(tab + 1);
        if (!rest.empty() && rest[0] == '!') e.error = rest.substr(1);
        else if (rest == "~") e.hang = true;
        else e.links.push_back(unescape(rest));
    }
    return tree;
}

void usage(const std::string& version) {
    std::fprintf(stderr, "fid2path: resolve the full path(s) for given FID(s). For a specific hardlink "
                         "specify link number <linkno>.\n");
    if (version == "2.16")
        std::fprintf(stderr, "usage: fid2path [--print0|-0] [--print-fid|-f] [--link|-l <linkno>] "
                             "<fsname|root> <fid>...\n");
    else if (version == "2.15")
        std::fprintf(stderr, "usage: fid2path [--print-fid|-f] [--link|-l <linkno>] <fsname|root> <fid>...\n");
    else
        std::fprintf(stderr, "usage: fid2path [--link <linkno>] <fsname|root> <fid>...\n");
}

}  // namespace

int main(int argc, char** argv) {
    {
        const std::string log = env("FAKE_LFS_LOG");
        if (!log.empty()) {
            std::ofstream out(log, std::ios::app);
            for (int i = 1; i < argc; ++i) out << (i > 1 ? " " : "") << argv[i];
            out << '\n';
        }
    }
    const std::string version = env("FAKE_LFS_VERSION", "2.16");
    if (version != "2.12" && version != "2.14" && version != "2.15" && version != "2.16") {
        std::fprintf(stderr, "fake lfs: FAKE_LFS_VERSION=%s is not one of 2.12 2.14 2.15 2.16\n", version.c_str());
        return 99;
    }
    if (argc < 2 || std::strcmp(argv[1], "fid2path") != 0) {
        std::fprintf(stderr, "fake lfs: only 'fid2path' is simulated\n");
        return 99;
    }

    // The option tables of lustre/utils/lfs.c, per version.
    const bool has_fid = version == "2.15" || version == "2.16", has_print0 = version == "2.16";
    std::vector<option> longopts = {{"cur", no_argument, nullptr, 'c'},
                                    {"link", required_argument, nullptr, 'l'},
                                    {"rec", required_argument, nullptr, 'r'}};
    std::string shortopts = "cl:r:";
    if (has_fid) {
        longopts.push_back({"print-fid", no_argument, nullptr, 'f'});
        shortopts = "f" + shortopts;
    }
    if (has_print0) {
        longopts.push_back({"print0", no_argument, nullptr, '0'});
        shortopts = "0" + shortopts;
    }
    longopts.push_back({nullptr, 0, nullptr, 0});

    std::vector<char*> args(argv + 1, argv + argc);  // lfs runs each command with its own argv
    std::string progname = "fid2path";
    args[0] = progname.data();
    args.push_back(nullptr);
    bool print_fid = false, print0 = false;
    long linkno = -1;
    optind = 1;
    opterr = 1;
    int c;
    while ((c = getopt_long(static_cast<int>(args.size() - 1), args.data(), shortopts.c_str(), longopts.data(),
                            nullptr)) != -1) {
        switch (c) {
            case 'f': print_fid = true; break;
            case '0': print0 = true; break;
            case 'l': linkno = std::strtol(optarg, nullptr, 0); break;
            case 'c': case 'r': break;
            default: usage(version); return kExitUsage;
        }
    }
    const int nargs = static_cast<int>(args.size() - 1);
    if (nargs - optind < 2) {
        usage(version);
        return kExitUsage;
    }
    const std::string device = args[optind++];
    const std::string mount = env("FAKE_LFS_MOUNT", "/lustre");
    if (device != mount) {
        std::fprintf(stderr, "lfs fid2path: cannot resolve mount point for '%s': No such device\n", device.c_str());
        return kExitNoDev;
    }

    const auto tree = load_tree();
    const std::string pattern = env("FAKE_LFS_PATTERN");
    const auto delay = std::chrono::milliseconds(std::atol(env("FAKE_LFS_DELAY_MS", "0").c_str()));
    int rc = 0;
    for (int i = optind; i < nargs; ++i) {
        const std::string given = args[i];
        const std::string key = normalize(given);
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        Entry found;
        if (auto it = tree.find(key); it != tree.end()) found = it->second;
        else if (!pattern.empty() && key.find(":0xdead:") == std::string::npos) found.links = {pattern + key};
        if (found.hang) std::this_thread::sleep_for(std::chrono::hours(1));
        if (found.links.empty() && found.error.empty()) found.error = std::strerror(ENOENT);
        if (linkno >= 0 && found.error.empty()) {
            if (static_cast<std::size_t>(linkno) >= found.links.size()) found.error = std::strerror(ENOENT);
            else found.links = {found.links[static_cast<std::size_t>(linkno)]};
        }
        if (!found.error.empty()) {
            if (has_fid)
                std::fprintf(stderr, "lfs fid2path: cannot find %s %s: %s\n", device.c_str(), given.c_str(),
                             found.error.c_str());
            else
                std::fprintf(stderr, "lfs fid2path: cannot find '%s': %s\n", given.c_str(), found.error.c_str());
            if (rc == 0) rc = found.error == std::strerror(ENOENT) ? kExitNoEnt : kExitOther;
            continue;
        }
        for (const auto& link : found.links) {
            if (print_fid) std::printf("%s ", given.c_str());
            std::printf("%s/%s", mount.c_str(), link.c_str());
            std::putchar(print0 ? '\0' : '\n');
        }
        std::fflush(stdout);  // lines reach the reader as each FID is resolved
    }
    return rc;
}
