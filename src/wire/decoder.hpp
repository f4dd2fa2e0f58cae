// The one decoder of the wire format: one entry's `data` JSON into the consumer API's Event.
// Bytes in, Event out, no I/O, so tests and benchmarks feed it any bytes (broken ones included).
// Used by the consumer API (StreamReader), GC replay (which keeps `raw` to fingerprint it) and
// the tests' fixture, so the three agree on which entries are events. One simdjson on-demand pass
// over the keys; values nobody asked for (notably the long `raw` line) are skipped, never
// unescaped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "hsm/consume/event.hpp"

namespace hsm::wire {

// simdjson reads up to this many bytes past the end of a document (SIMDJSON_PADDING); they
// must be readable but may hold anything, e.g. the next document of the batch.
constexpr std::size_t kJsonPadding = 64;

// OutOfRange: a number the event cannot hold (an index beyond 32 bits, a time beyond 64-bit
// seconds, e.g. `2e191`): the entry is skipped like any other broken one, never wrapped or cast.
enum class DecodeStatus { Ok, NotJson, NotObject, MissingKey, BadType, UnknownEventType, OutOfRange };

struct DecodeResult {
    DecodeStatus status = DecodeStatus::Ok;
    std::string_view what;  // the key at fault, or simdjson's message
    bool ok() const { return status == DecodeStatus::Ok; }
};

std::string_view to_string(DecodeStatus status);

// What readers skip unread, kept on request (GC replay, tests): the line, its fingerprint and
// its writer's host, and which fields were present with their type (bit 1 << Field).
enum class Field : std::uint8_t { EventType, Mdt, CatIdx, RecIdx, Fid, Action, Status, ActionKey, Source,
                                  Timestamp, FirstSeen, Refresh, Raw, Hash, Host };
struct Kept {
    std::string_view raw;   // unescaped, like the other strings; empty when absent
    std::string_view hash;  // 16 hex digits from us, 32 (MD5) from Python 0.3; empty when absent
    std::string_view host;  // the shipper that wrote it (ours only); empty when absent
    std::uint32_t present = 0;
    bool has(Field f) const { return present & (1u << static_cast<unsigned>(f)); }
};

class Decoder {
public:
    Decoder();
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // Decodes `len` bytes at `json` (readable up to json + len + kJsonPadding). Unescaped
    // strings are appended to `strings`, whose spare capacity must be at least `len` so that
    // views taken earlier stay valid; the event's views point into `strings` and `json`.
    // Fills every field of `out` except `stream` and `id`. With `require_index` false, an
    // UPDATE or NEW without cat_idx/rec_idx is accepted too (has_index stays false): display
    // tools need no record identity (ReaderOptions::require_index). With `keep` non-null, `raw`
    // and `hash` are decoded into it too (their views also point into `strings`), and which
    // fields were present; `*keep` is reset first. Not thread-safe: one Decoder per thread.
    DecodeResult decode(const char* json, std::size_t len, std::string& strings, consume::Event& out,
                        bool require_index = true, Kept* keep = nullptr);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hsm::wire
