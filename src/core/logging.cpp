// spdlog set-up shared by the tools (see logging.hpp).
#include "logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "core/escape.hpp"

namespace hsm {

namespace {

// Log messages carry outside text (paths, stream names and fields, Redis replies): a newline in
// one would forge a log line and an ESC would reach whoever reads the log on a terminal. Every
// message is escaped here, once, rather than at each call site; clean messages (nearly all) are
// only scanned.
class EscapingFormatter final : public spdlog::formatter {
public:
    explicit EscapingFormatter(std::unique_ptr<spdlog::formatter> inner) : inner_(std::move(inner)) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string_view text(msg.payload.data(), msg.payload.size());
        bool clean = true;
        for (const char c : text) {
            const auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u >= 0x7f) { clean = false; break; }
        }
        if (clean) return inner_->format(msg, dest);
        const std::string escaped = escape_control(text);
        spdlog::details::log_msg copy = msg;
        copy.payload = spdlog::string_view_t(escaped.data(), escaped.size());
        inner_->format(copy, dest);
    }

    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<EscapingFormatter>(inner_->clone());
    }

private:
    std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

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
        logger->set_formatter(std::make_unique<EscapingFormatter>(
            std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v")));
        spdlog::set_default_logger(logger);
    } catch (const spdlog::spdlog_ex& e) {
        spdlog::error("cannot open log_file '{}': {}", log_file, e.what());
        return false;
    }
    return true;
}

}  // namespace hsm
