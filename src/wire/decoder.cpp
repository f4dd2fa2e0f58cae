// The event decoder (see decode.hpp). Keys are matched on their raw bytes: every key we read is
// plain ASCII, and a key written with escapes is simply an unknown key, which JSON allows.
#include "wire/decoder.hpp"

#include <cstring>
#include <limits>
#include <utility>

#include <simdjson.h>

#include "wire/json_number.hpp"

namespace hsm::wire {

using consume::Event;  // in this file, the decoded event

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

// The keys we read (Raw, Hash and Host only when asked to keep them); anything else is skipped unread.
enum class Key { Other, EventType, Mdt, CatIdx, RecIdx, Fid, Action, Status, ActionKey, Source,
                 Timestamp, FirstSeen, Refresh, Raw, Hash, Host };

// The Field bit of a key (Key and Field list the same keys, Key with Other first).
std::uint32_t bit(Key k) { return 1u << (static_cast<unsigned>(k) - 1); }
static_assert(static_cast<unsigned>(Key::Host) - 1 == static_cast<unsigned>(Field::Host));

// The raw key runs from `raw` to the next quote (an escaped quote only occurs in keys we do not
// read, and then the prefix we compare cannot match a whole key of ours).
Key classify(const char* raw) {
    std::size_t n = 0;  // keys are short: a loop beats memchr's call overhead
    while (n < 16 && raw[n] != '"') ++n;
    const std::string_view k(raw, n);
    switch (k.size()) {
        case 3: return k == "mdt" ? Key::Mdt : k == "fid" ? Key::Fid : k == "raw" ? Key::Raw : Key::Other;
        case 4: return k == "hash" ? Key::Hash : k == "host" ? Key::Host : Key::Other;
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
std::string_view store(std::string& strings, std::string_view s) {
    const std::size_t at = strings.size();
    strings.append(s);
    return std::string_view(strings.data() + at, s.size());
}

bool read_string(od::value v, std::string& strings, std::string_view& out) {
    std::string_view s;
    if (v.get_string().get(s)) return false;
    out = store(strings, s);
    return true;
}

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
DecodeResult seconds_field(od::value& v, std::int64_t& out, std::string_view key, bool& present) {
    const NumberRead r = json::read_seconds(v, out);
    if (r == NumberRead::OutOfRange) return bad(DecodeStatus::OutOfRange, key);
    present = r == NumberRead::Ok;
    return {};
}

// Reads one field into `out` (or `keep`: raw, hash), setting its bit in `seen` when it was
// present with its type. Optional fields of the wrong type are ignored (treated as absent),
// required ones reject the entry (the indices are optional when `require_index` is false).
// Instantiated twice so that readers which keep nothing (the consumers' hot path) pay nothing
// for the Raw/Hash cases.
template <bool Keep>
DecodeResult read_field(Key key, od::value v, std::string& strings, Event& out, std::uint32_t& seen,
                        bool require_index, Kept* keep) {
    std::string_view s;
    bool ok = false;
    switch (key) {
        case Key::EventType:
            if (!read_string(v, strings, s)) return bad(DecodeStatus::BadType, "event_type");
            if (!parse_event_type(s, out.type)) return bad(DecodeStatus::UnknownEventType, s);
            seen |= bit(Key::EventType);
            break;
        case Key::Mdt:
            if (!read_string(v, strings, out.mdt)) return bad(DecodeStatus::BadType, "mdt");
            seen |= bit(Key::Mdt);
            break;
        case Key::CatIdx:
            if (auto r = index_field(json::read_index(v, out.cat_idx), "cat_idx"); r.ok()) seen |= bit(Key::CatIdx);
            else if (require_index) return r;
            break;
        case Key::RecIdx:
            if (auto r = index_field(json::read_index(v, out.rec_idx), "rec_idx"); r.ok()) seen |= bit(Key::RecIdx);
            else if (require_index) return r;
            break;
        case Key::Fid: ok = read_string(v, strings, out.fid); break;
        case Key::Action: ok = read_string(v, strings, out.action); break;
        case Key::Status: ok = read_string(v, strings, out.status); break;
        case Key::ActionKey: ok = read_string(v, strings, out.action_key); break;
        case Key::Source: ok = read_string(v, strings, out.source); break;
        case Key::Timestamp:
            if (auto r = seconds_field(v, out.timestamp, "timestamp", ok); !r.ok()) return r;
            break;
        case Key::FirstSeen:
            if (auto r = seconds_field(v, out.first_seen, "first_seen", ok); !r.ok()) return r;
            break;
        case Key::Refresh: {
            bool b = false;
            if (!v.get_bool().get(b)) { out.refresh = b; ok = true; }
            break;
        }
        case Key::Raw:
            if constexpr (Keep) ok = read_string(v, strings, keep->raw);
            break;
        case Key::Hash:
            if constexpr (Keep) ok = read_string(v, strings, keep->hash);
            break;
        case Key::Host:
            if constexpr (Keep) ok = read_string(v, strings, keep->host);
            break;
        case Key::Other: break;
    }
    // Optional fields' presence only matters to those who keep (the lean path drops `ok`).
    if constexpr (Keep)
        if (ok) seen |= bit(key);
    return {};
}

// The rules of docs/wire-format.md: event_type and mdt always; the record indices, except on a
// Python maintenance PURGED, which names the action by action_key instead, and except for
// readers that only display events (require_index false), which need no record identity.
DecodeResult check_required(const Event& e, std::uint32_t seen, bool require_index) {
    const bool cat = seen & bit(Key::CatIdx), rec = seen & bit(Key::RecIdx);
    if (!(seen & bit(Key::EventType))) return bad(DecodeStatus::MissingKey, "event_type");
    if (!(seen & bit(Key::Mdt))) return bad(DecodeStatus::MissingKey, "mdt");
    if (!require_index) return {};
    if (cat != rec) return bad(DecodeStatus::MissingKey, cat ? "rec_idx" : "cat_idx");
    if (!cat && !(e.type == EventType::Purged && !e.action_key.empty()))
        return bad(DecodeStatus::MissingKey, "cat_idx");
    return {};
}

// One pass over the object's fields (see read_field for Keep).
template <bool Keep>
DecodeResult read_fields(od::object& obj, std::string& strings, Event& out, std::uint32_t& seen,
                         bool require_index, Kept* keep) {
    for (auto field_result : obj) {
        od::field field;
        if (auto err = std::move(field_result).get(field)) return bad(DecodeStatus::NotJson, simdjson::error_message(err));
        const Key key = classify(field.key().raw());
        if (key == Key::Other) continue;
        if constexpr (!Keep)
            if (key == Key::Raw || key == Key::Hash || key == Key::Host) continue;
        if (auto r = read_field<Keep>(key, field.value(), strings, out, seen, require_index, keep); !r.ok()) return r;
    }
    return {};
}

}  // namespace

DecodeResult Decoder::decode(const char* json, std::size_t len, std::string& strings, Event& out,
                              bool require_index, Kept* keep) {
    const StreamId keep_id = out.id;
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
    if (keep) *keep = Kept{};
    std::uint32_t seen = 0;  // bit(key) for every field read with its type
    const DecodeResult fields = keep ? read_fields<true>(obj, strings, out, seen, require_index, keep)
                                     : read_fields<false>(obj, strings, out, seen, require_index, nullptr);
    if (keep) keep->present = seen;
    if (!fields.ok()) return fields;
    // Anything after the object (current_location() says OUT_OF_BOUNDS at the very end) makes
    // the entry invalid, as it would be for Python's json.loads.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == simdjson::SUCCESS)
        return bad(DecodeStatus::NotJson, "trailing content after the object");
    out.has_index = (seen & bit(Key::CatIdx)) && (seen & bit(Key::RecIdx));
    return check_required(out, seen, require_index);
}

}  // namespace hsm::wire
