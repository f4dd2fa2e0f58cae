// The command lines for `lfs fid2path` and the reading of its answers, per client version
// (docs/lfs.md): bytes in, answers out, no I/O, so every version's output shape is tested
// by feeding bytes. Three forms, best first:
//   Print0Fid   `--print-fid --print0` (2.16+): `<fid as given> <path>\0` per link, unambiguous
//   PrintFid    `--print-fid` (2.15): `<fid as given> <path>\n` per link; a name holding a
//               newline continues on a line that does not start with a FID we asked for
//   OnePerCall  `--link 0`, one FID per call (2.12, 2.14): without --print-fid nothing says
//               which FID a line answers, so each call asks one FID for its first link only,
//               and the whole of stdout is that one path (newlines in the name included)
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace hsm::consume::tail {

enum class Fid2pathForm { Print0Fid, PrintFid, OnePerCall };

// "--print-fid --print0 (Lustre 2.16 and later)" and so on, for messages.
const char* describe(Fid2pathForm form);

// argv for one call: `lfs fid2path <options> <mountpoint> [fid]...`. FIDs are given normalized
// (see normalize_fid) and passed in brackets; OnePerCall takes exactly one.
std::vector<std::string> fid2path_argv(Fid2pathForm form, const std::string& lfs, const std::string& mountpoint,
                                       const std::vector<std::string>& fids);

struct Fid2pathAnswers {
    std::unordered_map<std::string, std::string> found;  // normalized FID -> its first path
    std::unordered_set<std::string> missing;             // FIDs lfs says do not exist
    std::vector<std::string> failures;  // other stderr lines, raw: not escaped, not trimmed
    bool unknown_option = false;        // lfs rejected an option of this form (a older client)
    std::size_t settled() const { return found.size() + missing.size(); }
};

// Reads what one call printed. `complete` is false for a call killed at its deadline: a last
// record without its terminator may be cut short and is dropped; every whole one is used.
// Only FIDs in `fids` are reported, so a line cannot answer for a FID that was not asked.
Fid2pathAnswers read_fid2path(Fid2pathForm form, const std::vector<std::string>& fids, std::string_view out,
                              std::string_view err, bool complete);

// `0x200000400:0x1:0x0`, with or without brackets: three hex numbers, nothing else.
bool valid_fid(std::string_view fid);
// Canonical key for a FID: brackets stripped, lower case.
std::string normalize_fid(std::string_view fid);

}  // namespace hsm::consume::tail
