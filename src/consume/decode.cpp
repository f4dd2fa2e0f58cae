// The event decoder (see decode.hpp). Keys are matched on their raw bytes: every key we read is
// plain ASCII, and a key written with escapes is simply an unknown key, which JSON allows.
#include "consume/decode.hpp"

#include <cstring>
#include <limits>
#include <utility>

#include <simdjson.h>

#include "core/json_number.hpp"

namespace hsm::consume::detail {

namespace od = simdjson::ondemand;

static_assert(kJsonPadding == simdjson::SIMDJSON_PADDING, "keep kJsonPadding in step with simdjson");

std::string_view to_string(DecodeStatus status) {
    switch (status) {
        case DecodeStatus::Ok: return "ok";
        case DecodeStatus::NotJson: return "not valid JSON";
        case DecodeStatus::NotObject: return "not a JSON object";
        case DecodeStatus::MissingKey: return "missing key";
        case DecodeStatus::BadType: return "wrong type for key";
        case DecodeStatus::UnknownEventType: return "unknown event_type";
        case DecodeStatus::OutOfRange: return "number out of range for key";
    }
    return "?";
}

struct Decoder::Impl {
    od::parser parser;
};

Decoder::Decoder() : impl_(std::make_unique<Impl>()) {}
Decoder::~Decoder() = default;

namespace {

// The keys we read; anything else is skipped unread.
enum class Key { Other, EventType, Mdt, CatIdx, RecIdx, Fid, Action, Status, ActionKey, Source,
                 Timestamp, FirstSeen, Refresh };

// The raw key runs from `raw` to the next quote (an escaped quote only occurs in keys we do not
// read, and then the prefix we compare cannot match a whole key of ours).
Key classify(const char* raw) {
    std::size_t n = 0;  // keys are short: a loop beats memchr's call overhead
    while (n < 16 && raw[n] != '"') ++n;
    const std::string_view k(raw, n);
    switch (k.size()) {
        case 3: return k == "mdt" ? Key::Mdt : k == "fid" ? Key::Fid : Key::Other;
        case 6: return k == "action" ? Key::Action : k == "status" ? Key::Status
                     : k == "source" ? Key::Source : Key::Other;
        case 7: return k == "cat_idx" ? Key::CatIdx : k == "rec_idx" ? Key::RecIdx
                     : k == "refresh" ? Key::Refresh : Key::Other;
        case 9: return k == "timestamp" ? Key::Timestamp : Key::Other;
        case 10: return k == "event_type" ? Key::EventType : k == "action_key" ? Key::ActionKey
                      : k == "first_seen" ? Key::FirstSeen : Key::Other;
        default: return Key::Other;
    }
}

// Copies a decoded string next to the others; capacity was reserved by the caller, so earlier
// views into `strings` are not invalidated.
std::string_view keep(std::string& strings, std::string_view s) {
    const std::size_t at = strings.size();
    strings.append(s);
    return std::string_view(strings.data() + at, s.size());
}

bool read_string(od::value v, std::string& strings, std::string_view& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out = keep(strings, s);
    return true;
}

bool parse_event_type(std::string_view s, EventType& out) {
    if (s == "NEW") out = EventType::New;
    else if (s == "UPDATE") out = EventType::Update;
    else if (s == "PURGED") out = EventType::Purged;
    else return false;
    return true;
}

struct Seen {
    bool event_type = false, mdt = false, cat = false, rec = false;
};

DecodeResult bad(DecodeStatus s, std::string_view what) { return {s, what}; }

// A document that is not an object: valid JSON (an array, a string, 42...) or garbage whose
// first letter merely looks like a literal ("this is..." starts like `true`)?
bool is_json_non_object(od::document& doc) {
    od::json_type type;
    if (doc.type().get(type) != simdjson::SUCCESS) return false;
    switch (type) {
        case od::json_type::array: return true;
        case od::json_type::string: { std::string_view s; return doc.get_string().get(s) == simdjson::SUCCESS; }
        case od::json_type::number: { double d; return doc.get_double().get(d) == simdjson::SUCCESS; }
        case od::json_type::boolean: { bool b; return doc.get_bool().get(b) == simdjson::SUCCESS; }
        case od::json_type::null: { bool n = false; return doc.is_null().get(n) == simdjson::SUCCESS && n; }
        default: return false;
    }
}

using json::NumberRead;

// A required index: a wrong type and a number it cannot hold both reject the entry.
DecodeResult index_field(NumberRead r, std::string_view key) {
    if (r == NumberRead::NotNumber) return bad(DecodeStatus::BadType, key);
    if (r == NumberRead::OutOfRange) return bad(DecodeStatus::OutOfRange, key);
    return {};
}

// Optional times: a wrong type is ignored (treated as absent), a number out of range rejects
// the entry. A float is truncated rather than rejected, since nothing but display depends on it.
DecodeResult seconds_field(od::value& v, std::int64_t& out, std::string_view key) {
    if (json::read_seconds(v, out) == NumberRead::OutOfRange) return bad(DecodeStatus::OutOfRange, key);
    return {};
}

// Reads one field into `out`; optional fields of the wrong type are ignored (treated as absent),
// required ones reject the entry (the indices are optional when `require_index` is false).
DecodeResult read_field(Key key, od::value v, std::string& strings, Event& out, Seen& seen,
                        bool require_index) {
    std::string_view s;
    switch (key) {
        case Key::EventType:
            if (!read_string(v, strings, s)) return bad(DecodeStatus::BadType, "event_type");
            if (!parse_event_type(s, out.type)) return bad(DecodeStatus::UnknownEventType, s);
            seen.event_type = true;
            break;
        case Key::Mdt:
            if (!read_string(v, strings, out.mdt)) return bad(DecodeStatus::BadType, "mdt");
            seen.mdt = true;
            break;
        case Key::CatIdx:
            if (auto r = index_field(json::read_index(v, out.cat_idx), "cat_idx"); r.ok()) seen.cat = true;
            else if (require_index) return r;
            break;
        case Key::RecIdx:
            if (auto r = index_field(json::read_index(v, out.rec_idx), "rec_idx"); r.ok()) seen.rec = true;
            else if (require_index) return r;
            break;
        case Key::Fid: read_string(v, strings, out.fid); break;
        case Key::Action: read_string(v, strings, out.action); break;
        case Key::Status: read_string(v, strings, out.status); break;
        case Key::ActionKey: read_string(v, strings, out.action_key); break;
        case Key::Source: read_string(v, strings, out.source); break;
        case Key::Timestamp: return seconds_field(v, out.timestamp, "timestamp");
        case Key::FirstSeen: return seconds_field(v, out.first_seen, "first_seen");
        case Key::Refresh: {
            bool b = false;
            if (!v.get_bool().get(b)) out.refresh = b;
            break;
        }
        case Key::Other: break;
    }
    return {};
}

// The rules of docs/wire-format.md: event_type and mdt always; the record indices, except on a
// Python maintenance PURGED, which names the action by action_key instead, and except for
// readers that only display events (require_index false), which need no record identity.
DecodeResult check_required(const Event& e, const Seen& seen, bool require_index) {
    if (!seen.event_type) return bad(DecodeStatus::MissingKey, "event_type");
    if (!seen.mdt) return bad(DecodeStatus::MissingKey, "mdt");
    if (!require_index) return {};
    if (seen.cat != seen.rec) return bad(DecodeStatus::MissingKey, seen.cat ? "rec_idx" : "cat_idx");
    if (!seen.cat && !(e.type == EventType::Purged && !e.action_key.empty()))
        return bad(DecodeStatus::MissingKey, "cat_idx");
    return {};
}

}  // namespace

DecodeResult Decoder::decode(const char* json, std::size_t len, std::string& strings, Event& out,
                              bool require_index) {
    const EntryId keep_id = out.id;
    const std::string_view keep_stream = out.stream;
    out = Event{};
    out.id = keep_id;
    out.stream = keep_stream;
    out.data = std::string_view(json, len);

    od::document doc;
    if (auto err = impl_->parser.iterate(json, len, len + kJsonPadding).get(doc))
        return bad(DecodeStatus::NotJson, simdjson::error_message(err));
    od::object obj;
    if (auto err = doc.get_object().get(obj)) {
        if (err == simdjson::INCORRECT_TYPE && is_json_non_object(doc)) return bad(DecodeStatus::NotObject, "");
        return bad(DecodeStatus::NotJson, err == simdjson::INCORRECT_TYPE ? "" : simdjson::error_message(err));
    }
    Seen seen;
    for (auto field_result : obj) {
        od::field field;
        if (auto err = std::move(field_result).get(field)) return bad(DecodeStatus::NotJson, simdjson::error_message(err));
        const Key key = classify(field.key().raw());
        if (key == Key::Other) continue;
        if (auto r = read_field(key, field.value(), strings, out, seen, require_index); !r.ok()) return r;
    }
    // Anything after the object (current_location() says OUT_OF_BOUNDS at the very end) makes
    // the entry invalid, as it would be for Python's json.loads.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS)
        return bad(DecodeStatus::NotJson, "trailing content after the object");
    out.has_index = seen.cat && seen.rec;
    return check_required(out, seen, require_index);
}

}  // namespace hsm::consume::detail
