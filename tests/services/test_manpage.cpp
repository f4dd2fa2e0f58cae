// The man page renderer against a CLI11 app built here: positional arguments in SYNOPSIS and
// OPTIONS under their names (hsm-config-from-yaml's page showed neither: an unnamed "TEXT" entry
// and a synopsis without the YAML file), and a tool's own EXIT STATUS where the default (which
// speaks of Redis) is wrong for it.
#include <catch2/catch.hpp>

#include <string>

#include "services/manpage.hpp"

namespace {

struct App {
    CLI::App app{"Convert a thing"};
    std::string input, output;
    App() {
        app.add_option("yaml", input, "The YAML file");
        app.add_option("-o,--output", output, "Write here");
    }
};

}  // namespace

TEST_CASE("manpage: a positional argument is in SYNOPSIS and OPTIONS under its name", "[services][manpage]") {
    App a;
    const std::string page = hsm::manpage::render(a.app, {"hsm-demo-tool", {}, {}, {}, {}});
    INFO(page);
    CHECK(page.find(".SH SYNOPSIS\n.B hsm\\-demo\\-tool\n[\\fIOPTIONS\\fR] [\\fIyaml\\fR]\n") != std::string::npos);
    CHECK(page.find(".TP\n\\fIyaml\\fR\nThe YAML file\n") != std::string::npos);
    CHECK(page.find(".TP\n\\fB\\-o\\fR, \\fB\\-\\-output\\fR \\fITEXT\\fR\nWrite here\n") != std::string::npos);
    CHECK(page.find(".TP\n \\fI") == std::string::npos);  // no entry without a name
}

TEST_CASE("manpage: a required positional is shown without brackets", "[services][manpage]") {
    App a;
    std::string extra;
    a.app.add_option("target", extra, "Where")->required();
    const std::string page = hsm::manpage::render(a.app, {"t", {}, {}, {}, {}});
    INFO(page);
    CHECK(page.find("[\\fIOPTIONS\\fR] [\\fIyaml\\fR] \\fItarget\\fR\n") != std::string::npos);
}

TEST_CASE("manpage: EXIT STATUS is the tool's own when it gives one", "[services][manpage]") {
    App a;
    const std::string fallback = hsm::manpage::render(a.app, {"t", {}, {}, {}, {}});
    CHECK(fallback.find(".SH EXIT STATUS\n0 on success, 1 on a runtime failure (for example Redis unreachable)") !=
          std::string::npos);
    const std::string own = hsm::manpage::render(a.app, {"t", {}, {}, {}, "0 on success, 1 when the file cannot be read."});
    INFO(own);
    CHECK(own.find(".SH EXIT STATUS\n0 on success, 1 when the file cannot be read.\n") != std::string::npos);
    CHECK(own.find("Redis") == std::string::npos);
}
