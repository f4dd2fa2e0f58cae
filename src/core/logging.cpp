// spdlog set-up shared by the tools (see logging.hpp).
#include "logging.hpp"

#include <mutex>

#include <spdlog/sinks/ansicolor_sink.h>
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

void keep_library_logs_off_stdout() {
    static std::mutex mu;  // two readers constructed at once must not both swap the logger
    std::lock_guard lock(mu);
    {
        const auto current = spdlog::default_logger();
        // spdlog's built-in default: unnamed, one colour sink on stdout.
        if (!current || !current->name().empty() || current->sinks().size() != 1 ||
            !std::dynamic_pointer_cast<spdlog::sinks::ansicolor_stdout_sink_mt>(current->sinks()[0]))
            return;
        auto logger = std::make_shared<spdlog::logger>("", std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>());
        logger->set_level(current->level());
        spdlog::set_default_logger(logger);
    }
}

}  // namespace hsm
