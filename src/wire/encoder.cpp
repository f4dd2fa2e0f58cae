// The event JSON of docs/wire-format.md, written by hand into a reused buffer: it is the one
// per-event cost on the shipping path, and every string goes through json::append_string so any
// bytes in a line still give valid JSON.
#include "services/json.hpp"
#include "wire/wire.hpp"

namespace hsm::wire {

namespace {

void key_string(std::string& out, std::string_view name, std::string_view value) {
    out.push_back('"');
    out.append(name);
    out.append("\":");
    json::append_string(out, value);
}

void key_int(std::string& out, std::string_view name, std::int64_t value) {
    out.push_back('"');
    out.append(name);
    out.append("\":");
    json::append_int(out, value);
}

void append_hex(std::string& out, std::uint64_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[16];
    for (int i = 15; i >= 0; --i, v >>= 4) buf[i] = kHex[v & 0xF];
    out.append(buf, 16);
}

}  // namespace

void encode_event(const Event& e, std::string& out) {
    out.push_back('{');
    key_string(out, "event_type", event_type_name(e.type));
    out.push_back(',');
    key_string(out, "mdt", e.mdt);
    out.push_back(',');
    key_int(out, "cat_idx", e.key.cat_idx);
    out.push_back(',');
    key_int(out, "rec_idx", e.key.rec_idx);
    out.push_back(',');
    key_string(out, "fid", e.fid);
    out.push_back(',');
    key_string(out, "action", e.action);
    out.push_back(',');
    key_string(out, "status", e.type == EventType::Purged ? std::string_view("PURGED") : e.status);
    out.push_back(',');
    key_int(out, "timestamp", e.timestamp);
    out.append(",\"action_key\":\"");
    json::append_escaped(out, e.fid);
    out.push_back(':');
    json::append_escaped(out, e.action);
    out.push_back('"');
    if (e.type != EventType::Purged) {
        out.push_back(',');
        key_string(out, "raw", e.raw);
    }
    out.append(",\"hash\":\"");
    append_hex(out, e.hash);
    out.push_back('"');
    if (e.flags & kFromMaintenance) out.append(",\"source\":\"maintenance\"");
    if (e.flags & kRefresh) out.append(",\"refresh\":true");
    // When the record was first shipped, on every UPDATE: compaction deletes a record's older
    // entries (its NEW included), and this keeps the age of a live action right for readers.
    if (e.type != EventType::Purged && e.first_seen) {
        out.push_back(',');
        key_int(out, "first_seen", e.first_seen);
    }
    out.push_back('}');
}

}  // namespace hsm::wire
