// ShipperFixture and stream events read back (see shipper_fixture.hpp) through the project's one
// wire decoder (wire/decoder.hpp): a field of the wrong JSON type counts as missing, as it would
// for a Python consumer.
#include "shipper_fixture.hpp"

#include <cstdio>
#include <sstream>

#include "wire/decoder.hpp"
#include "wire/wire.hpp"

namespace hsm::test {

std::string kernel_line(std::uint32_t cat, std::uint32_t rec, const std::string& fid,
                        const std::string& action, const std::string& status, std::uint64_t cookie) {
    char cookie_hex[32];
    std::snprintf(cookie_hex, sizeof cookie_hex, "%#llx", static_cast<unsigned long long>(cookie));
    std::ostringstream os;
    os << "lrh=[type=10680000 len=192 idx=" << cat << "/" << rec << "] fid=[" << fid << "] dfid=["
       << fid << "] compound/cookie=0x0/" << cookie_hex << " action=" << action
       << " archive#=1 flags=0x0 extent=0x0-0xffffffffffffffff gid=0x0 datalen=50 status=" << status
       << " data=[7461673D6D]";
    return os.str();
}

std::string short_line(std::uint32_t cat, std::uint32_t rec, const std::string& fid,
                       const std::string& action, const std::string& status) {
    return "idx=[" + std::to_string(cat) + "/" + std::to_string(rec) + "] action=" + action +
           " fid=[" + fid + "] status=" + status;
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) {
        out += l;
        out += '\n';
    }
    return out;
}

std::string toml_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

StreamEvent parse_event(std::string_view json) {
    StreamEvent ev;
    ev.json = std::string(json);
    // The project's one decoder, told to keep `raw` and `hash` and to accept entries without
    // indices (so `missing` can name them); a field of the wrong type counts as absent.
    static thread_local wire::Decoder decoder;
    std::string padded(json);
    padded.append(wire::kJsonPadding, ' ');
    std::string strings;
    strings.reserve(json.size());
    consume::Event e;
    wire::Kept kept;
    const wire::DecodeResult r = decoder.decode(padded.data(), json.size(), strings, e, false, &kept);
    if (r.status == wire::DecodeStatus::NotJson || r.status == wire::DecodeStatus::NotObject) return ev;
    ev.valid = true;
    using wire::Field;
    const auto str = [&](Field f, std::string_view v, std::string& out) {
        if (kept.has(f)) out = std::string(v);
        return kept.has(f);
    };
    const auto num = [&](Field f, std::int64_t v, std::int64_t& out) {
        if (kept.has(f)) out = v;
        return kept.has(f);
    };
    const auto need = [&](bool present, const char* key) {
        if (!present) ev.missing.emplace_back(key);
    };
    need(kept.has(Field::EventType), "event_type");
    if (kept.has(Field::EventType)) ev.event_type = std::string(to_string(e.type));
    need(str(Field::Mdt, e.mdt, ev.mdt), "mdt");
    need(num(Field::CatIdx, e.cat_idx, ev.cat_idx), "cat_idx");
    need(num(Field::RecIdx, e.rec_idx, ev.rec_idx), "rec_idx");
    need(str(Field::Fid, e.fid, ev.fid), "fid");
    need(str(Field::Action, e.action, ev.action), "action");
    need(str(Field::Status, e.status, ev.status), "status");
    need(num(Field::Timestamp, e.timestamp, ev.timestamp), "timestamp");
    need(str(Field::ActionKey, e.action_key, ev.action_key), "action_key");
    const bool has_raw = str(Field::Raw, kept.raw, ev.raw);
    const bool has_hash = str(Field::Hash, kept.hash, ev.hash);
    if (ev.event_type == "PURGED")
        need(has_hash, "hash");
    else
        need(has_raw, "raw");
    str(Field::Source, e.source, ev.source);
    num(Field::FirstSeen, e.first_seen, ev.first_seen);
    ev.refresh = e.refresh;
    ev.complete = ev.missing.empty();
    return ev;
}

std::vector<StreamEvent> stream_events(const RedisServer& redis, const std::string& key, int db) {
    std::vector<StreamEvent> out;
    for (const auto& [id, data] : redis.xrange(key, db)) {
        out.push_back(parse_event(data));
        out.back().id = id;
    }
    return out;
}

ShipperFixture::ShipperFixture(int redis_port) {
    set("redis_host", std::string("127.0.0.1"));
    set("redis_port", static_cast<std::int64_t>(redis_port));
    set("redis_db", std::int64_t{1});
    set("mdt_watch_glob", (mdt_root() / "*" / "hsm" / "actions").string());
    set("cache_path", (root() / "cache" / "state.bin").string());
    set("poll_interval", 0.2);
    set("log_level", std::string("info"));
}

fs::path ShipperFixture::cache_path() const {
    // The setting is a TOML string literal; tests only ever store plain paths there.
    const std::string& lit = settings_.at("cache_path");
    return fs::path(lit.substr(1, lit.size() - 2));
}

std::string ShipperFixture::prefix() const {
    auto it = settings_.find("redis_stream_prefix");
    if (it == settings_.end()) return "hsm:actions";
    return it->second.substr(1, it->second.size() - 2);
}

std::string ShipperFixture::stream(const std::string& mdt) const { return wire::stream_key(prefix(), mdt); }

void ShipperFixture::write_actions(const std::string& mdt, const std::vector<std::string>& lines) {
    write_file(actions_path(mdt), join_lines(lines));
}

void ShipperFixture::write_actions_raw(const std::string& mdt, const std::string& bytes) {
    write_file(actions_path(mdt), bytes);
}

void ShipperFixture::remove_mdt(const std::string& mdt) { fs::remove_all(mdt_root() / mdt); }

void ShipperFixture::set(const std::string& key, std::int64_t value) {
    settings_[key] = std::to_string(value);
}

void ShipperFixture::set(const std::string& key, double value) {
    std::ostringstream os;
    os.precision(17);
    os << value;
    std::string s = os.str();
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    settings_[key] = s;
}

void ShipperFixture::set(const std::string& key, bool value) { settings_[key] = value ? "true" : "false"; }

void ShipperFixture::set(const std::string& key, const std::string& value) {
    settings_[key] = toml_string(value);
}

void ShipperFixture::set_raw(const std::string& key, const std::string& toml_literal) {
    settings_[key] = toml_literal;
}

void ShipperFixture::unset(const std::string& key) { settings_.erase(key); }

fs::path ShipperFixture::write_config() const {
    std::string text = "# written by ShipperFixture\n";
    for (const auto& [k, v] : settings_) text += k + " = " + v + "\n";
    write_file(config_path(), text);
    return config_path();
}

ProcessResult ShipperFixture::run(const std::vector<std::string>& args,
                                  std::chrono::milliseconds timeout) const {
    std::vector<std::string> argv = {bin("hsm-action-shipper").string(), "-c", write_config().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return hsm::test::run(argv, timeout);
}

std::unique_ptr<Process> ShipperFixture::start_daemon(const std::vector<std::string>& extra_args) const {
    std::vector<std::string> argv = {bin("hsm-action-shipper").string(), "-c", write_config().string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    return std::make_unique<Process>(argv);
}

}  // namespace hsm::test
