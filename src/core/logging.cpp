// spdlog set-up shared by the tools (see logging.hpp).
#include "logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace hsm {

bool setup_logging(const std::string& level, const std::string& log_file, const std::string& name) {
    const std::string lvl = level == "warning" ? "warn" : level;
    const auto parsed = spdlog::level::from_str(lvl);
    if (parsed == spdlog::level::off && lvl != "off") {
        spdlog::error("unknown log_level '{}'", level);
        return false;
    }
    try {
        std::shared_ptr<spdlog::logger> logger;
        if (log_file.empty())
            logger = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
        else
            logger = std::make_shared<spdlog::logger>(
                name, std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file));
        logger->set_level(parsed);
        logger->flush_on(spdlog::level::info);
        logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v");
        spdlog::set_default_logger(logger);
    } catch (const spdlog::spdlog_ex& e) {
        spdlog::error("cannot open log_file '{}': {}", log_file, e.what());
        return false;
    }
    return true;
}

}  // namespace hsm
