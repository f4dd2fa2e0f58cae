// Fuzz target: the TOML config loader (services/config.hpp) with the shipper's key table and the
// tools' shared one. Any input either loads or raises ConfigError; nothing else may escape. An
// error names the file first, and holds no control bytes (it is printed to the admin's terminal).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "tools/common/tool_options.hpp"
#include "services/config.hpp"
#include "scratch_dir.hpp"
#include "shipper/shipper.hpp"

namespace {

void load(std::span<const hsm::config::KeySpec> schema, const std::filesystem::path& path) {
    try {
        const hsm::config::Config cfg = hsm::config::load(schema, path, true);
        for (const auto& k : schema) {
            // A loaded string key that must not be empty is not empty.
            if (k.type == hsm::config::Type::String && k.min >= 1 && cfg.has(k.name) && cfg.str(k.name).empty())
                std::abort();
        }
    } catch (const hsm::config::ConfigError& e) {
        const std::string what = e.what();
        if (what.rfind(path.string(), 0) != 0) std::abort();
        for (const char c : what)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const auto tool_schema = hsm::consume::cli::schema_with({});
    const auto path = hsm::fuzz::scratch_dir() / "config.toml";
    hsm::fuzz::write_bytes(path, std::string(reinterpret_cast<const char*>(data), size));
    load(hsm::shipper::config_schema(), path);
    load(tool_schema, path);
    return 0;
}
