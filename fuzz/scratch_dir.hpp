// A private scratch directory for the fuzz targets whose parser reads a file (checkpoint, config):
// created once per process, removed at exit, so parallel fuzzing jobs never share files.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace hsm::fuzz {

inline const std::filesystem::path& scratch_dir() {
    static const std::filesystem::path dir = [] {
        std::string t = (std::filesystem::temp_directory_path() / "hsm-fuzz-XXXXXX").string();
        if (!::mkdtemp(t.data())) std::abort();
        std::atexit([] { std::error_code ec; std::filesystem::remove_all(scratch_dir(), ec); });
        return std::filesystem::path(t);
    }();
    return dir;
}

inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) std::abort();
}

inline std::string read_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace hsm::fuzz
