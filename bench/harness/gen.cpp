// hsm-bench-gen: writes the end-to-end harness's MDT tree, <root>/<fsname>-MDT<i>/hsm/actions
// with N real-format lines each (hsm_bench_input, i.e. hsm_sim when built), or rewrites those
// files with 1 status in K changed. Atomic (unique temp file + rename) so a running shipper never sees a mix.
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>

#include <CLI/CLI.hpp>

#include "services/file_output.hpp"
#include "input.hpp"

namespace {

// The suite's one whole-file writer (services/file_output.hpp): unique temp file, links followed.
void write_atomic(const std::filesystem::path& file, const std::string& content) {
    hsm::files::WriteOptions options;
    options.new_file_mode = 0644;
    options.create_parents = true;
    std::string why;
    if (!hsm::files::write_file(file, content, options, why)) throw std::runtime_error(why);
}

}  // namespace

int main(int argc, char** argv) {
    std::string root, fsname = "bench";
    unsigned mdts = 1;
    std::size_t lines = 350'000, change_every = 0;
    std::uint64_t seed = 1;
    CLI::App app{"Writes benchmark hsm/actions files of real kernel format."};
    app.add_option("--root", root, "Directory to hold <fsname>-MDT000N/hsm/actions")->required();
    app.add_option("--fsname", fsname, "File system name")->capture_default_str();
    app.add_option("--mdts", mdts, "Number of MDTs")->check(CLI::Range(1u, 64u))->capture_default_str();
    app.add_option("--lines", lines, "Live records per MDT")->capture_default_str();
    app.add_option("--seed", seed, "Same seed, same files")->capture_default_str();
    app.add_option("--change-every", change_every,
                   "Also change the status of one line in N (100: 1%); 0: none")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        for (unsigned i = 0; i < mdts; ++i) {
            char mdt[64];
            std::snprintf(mdt, sizeof mdt, "%s-MDT%04x", fsname.c_str(), i);
            std::string content = hsm::bench::render_actions(lines, i, seed);
            if (change_every) content = hsm::bench::change_statuses(content, change_every);
            write_atomic(std::filesystem::path(root) / mdt / "hsm" / "actions", content);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "hsm-bench-gen: %s\n", e.what());
        return 1;
    }
    std::printf("%u MDT(s) x %zu lines (%s) under %s\n", mdts, lines, hsm::bench::input_source(),
                root.c_str());
    return 0;
}
