// spdlog set-up shared by the tools (see logging.hpp).
#include "logging.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>

#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "services/escape.hpp"

namespace hsm {

namespace {

// kLogLevels -> spdlog's level; nullopt for an unknown name.
std::optional<spdlog::level::level_enum> parse_level(std::string level) {
    std::transform(level.begin(), level.end(), level.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (level == "trace") return spdlog::level::trace;
    if (level == "debug") return spdlog::level::debug;
    if (level == "info") return spdlog::level::info;
    if (level == "warning" || level == "warn") return spdlog::level::warn;
    if (level == "error") return spdlog::level::err;
    if (level == "critical" || level == "fatal") return spdlog::level::critical;
    if (level == "off") return spdlog::level::off;
    return std::nullopt;
}

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
    // Before a logger exists spdlog's default one writes to stdout, which may be a report: errors
    // here go to stderr by hand.
    const auto parsed = parse_level(level);
    if (!parsed) {
        std::fprintf(stderr, "%s: unknown log level '%s' (trace, debug, info, warning, error, critical or off)\n",
                     name.c_str(), level.c_str());
        return false;
    }
    try {
        std::shared_ptr<spdlog::logger> logger;
        if (log_file.empty())
            logger = std::make_shared<spdlog::logger>(name, std::make_shared<spdlog::sinks::stderr_sink_mt>());
        else
            logger = std::make_shared<spdlog::logger>(
                name, std::make_shared<spdlog::sinks::basic_file_sink_mt>(log_file));
        logger->set_level(*parsed);
        logger->flush_on(spdlog::level::info);
        logger->set_formatter(std::make_unique<EscapingFormatter>(
            std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e %^%l%$ [%n] %v")));
        spdlog::set_default_logger(logger);
    } catch (const spdlog::spdlog_ex& e) {
        std::fprintf(stderr, "%s: cannot open log_file '%s': %s\n", name.c_str(), log_file.c_str(), e.what());
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
