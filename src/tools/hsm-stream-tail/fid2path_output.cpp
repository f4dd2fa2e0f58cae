// Reading `lfs fid2path` output per form (see fid2path_output.hpp and docs/lfs.md).
#include "fid2path_output.hpp"

#include <algorithm>
#include <cctype>

namespace hsm::consume::tail {

namespace {

bool hex_number(std::string_view s) {
    if (s.size() < 3 || s.size() > 18 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    return std::all_of(s.begin() + 2, s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Splits `text` at `sep`; the part after the last separator is returned in `tail`.
std::vector<std::string_view> split(std::string_view text, char sep, std::string_view& tail) {
    std::vector<std::string_view> parts;
    std::size_t at = 0;
    for (std::size_t next; (next = text.find(sep, at)) != std::string_view::npos; at = next + 1)
        parts.push_back(text.substr(at, next - at));
    tail = text.substr(at);
    return parts;
}

// A record `[fid] path` for a FID we asked: the FID's key and the path, else false.
bool fid_record(std::string_view record, const std::unordered_set<std::string>& asked, std::string& key,
                std::string_view& path) {
    const auto space = record.find(' ');
    if (space == std::string_view::npos || space + 1 >= record.size()) return false;
    const std::string_view fid = record.substr(0, space);
    if (!valid_fid(fid)) return false;
    key = normalize_fid(fid);
    if (!asked.count(key)) return false;
    path = record.substr(space + 1);
    return true;
}

// The FID an error line is about: the first bracketed token that is a FID we asked (lfs quotes
// the FID as given, and we give it in brackets), else empty.
std::string fid_in(std::string_view line, const std::unordered_set<std::string>& asked) {
    for (std::size_t open = line.find('['); open != std::string_view::npos; open = line.find('[', open + 1)) {
        const auto close = line.find(']', open);
        if (close == std::string_view::npos) break;
        const std::string_view token = line.substr(open, close - open + 1);
        if (valid_fid(token))
            if (std::string key = normalize_fid(token); asked.count(key)) return key;
    }
    return {};
}

bool ends_with(std::string_view s, std::string_view end) {
    return s.size() >= end.size() && s.substr(s.size() - end.size()) == end;
}

}  // namespace

const char* describe(Fid2pathForm form) {
    switch (form) {
        case Fid2pathForm::Print0Fid: return "--print-fid --print0, many FIDs per call (Lustre 2.16 and later)";
        case Fid2pathForm::PrintFid: return "--print-fid, many FIDs per call (Lustre 2.15)";
        case Fid2pathForm::OnePerCall: return "--link 0, one FID per call (Lustre 2.12 to 2.14)";
    }
    return "?";
}

std::vector<std::string> fid2path_argv(Fid2pathForm form, const std::string& lfs, const std::string& mountpoint,
                                       const std::vector<std::string>& fids) {
    std::vector<std::string> argv = {lfs, "fid2path"};
    switch (form) {
        case Fid2pathForm::Print0Fid: argv.insert(argv.end(), {"--print-fid", "--print0"}); break;
        case Fid2pathForm::PrintFid: argv.push_back("--print-fid"); break;
        case Fid2pathForm::OnePerCall: argv.insert(argv.end(), {"--link", "0"}); break;
    }
    argv.push_back(mountpoint);
    for (const auto& f : fids) argv.push_back("[" + f + "]");
    return argv;
}

Fid2pathAnswers read_fid2path(Fid2pathForm form, const std::vector<std::string>& fids, std::string_view out,
                              std::string_view err, bool complete) {
    Fid2pathAnswers a;
    const std::unordered_set<std::string> asked(fids.begin(), fids.end());
    std::string_view rest;
    for (std::string_view line : split(err, '\n', rest)) {
        if (line.find("unrecognized option") != std::string_view::npos ||
            line.find("invalid option") != std::string_view::npos)
            a.unknown_option = true;
        // strerror(ENOENT) after a FID we asked: that FID does not exist (anything else,
        // even about one FID, such as "Permission denied", is a failure worth reporting).
        if (const std::string key = fid_in(line, asked); !key.empty() && ends_with(line, "No such file or directory"))
            a.missing.insert(key);
        else if (!line.empty())
            a.failures.emplace_back(line);
    }
    if (!rest.empty()) a.failures.emplace_back(rest);

    switch (form) {
        case Fid2pathForm::Print0Fid: {
            for (std::string_view record : split(out, '\0', rest)) {
                std::string key;
                std::string_view path;
                if (fid_record(record, asked, key, path)) a.found.try_emplace(key, path);  // first link wins
            }
            std::string key;
            std::string_view path;
            if (complete && fid_record(rest, asked, key, path)) a.found.try_emplace(key, path);
            break;
        }
        case Fid2pathForm::PrintFid: {
            auto lines = split(out, '\n', rest);
            if (complete && !rest.empty()) lines.push_back(rest);
            std::string* continued = nullptr;  // the path a line without a FID belongs to
            for (std::string_view line : lines) {
                std::string key;
                std::string_view path;
                if (fid_record(line, asked, key, path)) {
                    auto [it, first] = a.found.try_emplace(key, path);
                    continued = first ? &it->second : nullptr;  // later links are not shown
                } else if (continued) {
                    continued->append("\n").append(line);
                }
            }
            break;
        }
        case Fid2pathForm::OnePerCall: {
            if (!complete || fids.size() != 1 || out.empty() || a.unknown_option) break;
            if (out.back() == '\n') out.remove_suffix(1);
            if (!out.empty()) a.found.try_emplace(fids[0], out);
            break;
        }
    }
    for (const auto& [key, path] : a.found) a.missing.erase(key);
    return a;
}

std::string normalize_fid(std::string_view fid) {
    if (fid.size() >= 2 && fid.front() == '[' && fid.back() == ']') fid = fid.substr(1, fid.size() - 2);
    std::string out(fid);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

bool valid_fid(std::string_view fid) {
    if (fid.size() >= 2 && fid.front() == '[' && fid.back() == ']') fid = fid.substr(1, fid.size() - 2);
    const auto a = fid.find(':');
    const auto b = a == std::string_view::npos ? a : fid.find(':', a + 1);
    if (b == std::string_view::npos) return false;
    return hex_number(fid.substr(0, a)) && hex_number(fid.substr(a + 1, b - a - 1)) &&
           hex_number(fid.substr(b + 1));
}

}  // namespace hsm::consume::tail
