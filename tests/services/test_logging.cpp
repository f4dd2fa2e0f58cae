// services/logging: every message of the installed logger has its control bytes escaped, so outside
// text in a log line (a stream field, a path, a Redis reply) cannot forge lines or drive the
// terminal of whoever reads the log (issue #12 item 1, log injection).
#include <catch2/catch.hpp>

#include <spdlog/spdlog.h>

#include "services/logging.hpp"
#include "fixtures.hpp"

using namespace hsm::test;

TEST_CASE("logging: control bytes in messages are escaped, one line per message", "[services][logging]") {
    TempDir dir;
    const auto file = dir / "tool.log";
    REQUIRE(hsm::setup_logging("info", file.string(), "test"));
    const std::string hostile = "unknown event_type: \x1b]0;TITLE\x07\x1b[2J\nforged line \xc2\x9b" "1m \xff";
    spdlog::warn("skipping entry: {}", hostile);
    spdlog::info("clean: r\xc3\xa9sum\xc3\xa9 stays");
    spdlog::default_logger()->flush();
    const std::string text = read_file(file);
    spdlog::set_default_logger(nullptr);  // release the file before TempDir goes

    CHECK(std::count(text.begin(), text.end(), '\n') == 2);
    CHECK(text.find('\x1b') == std::string::npos);
    CHECK(text.find('\x07') == std::string::npos);
    CHECK(text.find("\xc2\x9b") == std::string::npos);
    CHECK(text.find("\xff") == std::string::npos);
    CHECK_THAT(text, Catch::Contains(R"(\x1b]0;TITLE\x07\x1b[2J\nforged line \u009b1m \xff)"));
    CHECK_THAT(text, Catch::Contains("clean: r\xc3\xa9sum\xc3\xa9 stays"));
}
