// Packaging test helpers (see install_support.hpp).
#include "install_support.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>

namespace hsm::test {

void install_into(const fs::path& root) {
    auto r = run({"/usr/bin/cmake", "--install", HSM_BUILD_DIR, "--prefix", "/usr"}, 300s,
                 {{"DESTDIR", root.string()}});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
}

std::vector<SpecFile> spec_files(const std::string& libdir) {
    std::ifstream in(std::string(HSM_SOURCE_DIR) + "/packaging/lustre-hsm-action-stream.spec.in");
    REQUIRE(in);
    const std::vector<std::pair<std::string, std::string>> macros = {
        {"%{_bindir}", "/usr/bin"}, {"%{_sbindir}", "/usr/sbin"}, {"%{_sysconfdir}", "/etc"},
        {"%{name}", "lustre-hsm-action-stream"}, {"%{_unitdir}", "/usr/lib/systemd/system"},
        {"%{_localstatedir}", "/var"}, {"%{_mandir}", "/usr/share/man"}, {"%{_docdir}", "/usr/share/doc"},
        {"%{_includedir}", "/usr/include"}, {"%{_libdir}", "/usr/" + libdir}};
    std::vector<SpecFile> files;
    std::string package;  // empty when outside %files
    bool in_files = false, skipping = false;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("%if", 0) == 0 && line.find("python") != std::string::npos) skipping = true;
        if (line.rfind("%endif", 0) == 0) {
            skipping = false;
            continue;
        }
        if (skipping) continue;
        if (line.rfind("%files", 0) == 0) {
            in_files = true;
            package = line == "%files" ? "" : line.substr(line.find_last_of(' ') + 1);
            continue;
        }
        if (line.rfind("%changelog", 0) == 0 || line.rfind("%if", 0) == 0) in_files = false;
        if (!in_files || line.empty() || line[0] == '#') continue;
        SpecFile f;
        f.package = package;
        std::smatch m;
        static const std::regex attr("%attr\\([^)]*\\) *"), config("%config\\(noreplace\\) *"), dir("%dir *"),
            license("%license *");
        if (std::regex_search(line, m, config)) f.config = true;
        if (std::regex_search(line, m, dir)) f.dir = true;
        line = std::regex_replace(line, attr, "");
        line = std::regex_replace(line, config, "");
        line = std::regex_replace(line, dir, "");
        line = std::regex_replace(line, license, "");
        for (const auto& [macro, value] : macros)
            for (std::size_t at; (at = line.find(macro)) != std::string::npos;) line.replace(at, macro.size(), value);
        INFO(line);
        REQUIRE(line.find('%') == std::string::npos);  // a macro this test does not know
        f.path = line;
        files.push_back(f);
    }
    REQUIRE(files.size() > 10);
    return files;
}

bool exists_glob(const fs::path& root, const std::string& pattern) {
    std::string p = pattern;
    if (!p.empty() && p.back() == '/') p.pop_back();
    const fs::path full = root / fs::path(p).relative_path();
    const std::string name = full.filename().string();
    if (name.find('*') == std::string::npos) return fs::exists(full);
    std::string re;
    for (char c : name) re += c == '*' ? std::string(".*") : (std::isalnum(static_cast<unsigned char>(c)) ? std::string(1, c) : std::string("\\") + c);
    const std::regex rx(re);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(full.parent_path(), ec))
        if (std::regex_match(e.path().filename().string(), rx)) return true;
    return false;
}

const std::vector<ToolConfig>& tool_configs() {
    static const std::vector<ToolConfig> t = {
        {"hsm-action-shipper", "sbin", "hsm_action_shipper.toml"},
        {"hsm-stream-stats", "bin", "hsm_stream_stats.toml"},
        {"hsm-stream-tail", "bin", "hsm_stream_tail.toml"},
        {"hsm-action-top", "bin", "hsm_action_top.toml"},
    };
    return t;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

}  // namespace hsm::test
