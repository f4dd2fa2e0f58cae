// Decoding of one entry's `data` JSON into an Event: bytes in, Event out, no I/O, so tests and
// benchmarks feed it any bytes (broken ones included). One simdjson on-demand pass over the keys;
// values we do not read (notably the long `raw` line) are skipped, never unescaped.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "hsm/consume/event.hpp"

namespace hsm::consume::detail {

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
    // tools need no record identity (ReaderOptions::require_index).
    DecodeResult decode(const char* json, std::size_t len, std::string& strings, Event& out,
                        bool require_index = true);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace hsm::consume::detail
