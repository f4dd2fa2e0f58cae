// The kernel hsm/actions line as a regular expression, field by field
// (docs/lustre-actions.md), shared by the library and executable tests so both hold the output
// to the same definition.
#pragma once

#include <regex>

namespace hsm::sim::test {

// Groups: 1 len, 2 C, 3 R, 4 fid, 5 dfid, 6 cookie, 7 action, 8 archive#, 9 datalen, 10 status,
// 11 data.
inline const std::regex& kernel_line() {
    static const std::regex re(
        R"(lrh=\[type=10680000 len=(\d+) idx=(\d+)/(\d+)\])"
        R"( fid=\[(0x2[0-9a-f]{8}:0x[1-9a-f][0-9a-f]*:0x0)\])"
        R"( dfid=\[(0x2[0-9a-f]{8}:0x[1-9a-f][0-9a-f]*:0x0)\])"
        R"( compound/cookie=0x0/(0x[1-9a-f][0-9a-f]*))"
        R"( action=(ARCHIVE|RESTORE|REMOVE|CANCEL) archive#=([12]) flags=0x0)"
        R"( extent=0x0-0xffffffffffffffff gid=0x0 datalen=(\d+))"
        R"( status=(WAITING|STARTED|SUCCEED|FAILED|CANCELED) data=\[([0-9A-F]{10})\])");
    return re;
}

// idx=[C/R] action=... fid=[...] status=...
inline const std::regex& short_line() {
    static const std::regex re(
        R"(idx=\[(\d+)/(\d+)\] action=(ARCHIVE|RESTORE|REMOVE|CANCEL))"
        R"( fid=\[0x2[0-9a-f]{8}:0x[0-9a-f]+:0x0\])"
        R"( status=(WAITING|STARTED|SUCCEED|FAILED|CANCELED))");
    return re;
}

}  // namespace hsm::sim::test
