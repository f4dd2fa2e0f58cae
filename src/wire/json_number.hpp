// Reading event numbers out of JSON for the one event decoder (wire/decoder.cpp), which the
// consumers, GC replay and the tests share, so all of them skip the same entries. Header-only:
// only hsm_wire links simdjson for it. Two facts shape it:
//  - a number the event cannot hold (an index beyond 32 bits, seconds beyond int64_t, 2e191, 1e400)
//    is out of range, and the entry is skipped: converting it would wrap or be undefined behaviour;
//  - simdjson 3.0.1's ondemand get_number() returns 0.0 for a float with 19 or more significant
//    digits (9223372036854775808.0, 1234567890123456789.5): floats are read with get_double(),
//    which parses them correctly, after get_number_type() has said what the value is.
#pragma once

#include <cstdint>
#include <limits>

#include <simdjson.h>

namespace hsm::json {

enum class NumberRead { Ok, NotNumber, OutOfRange };

// A JSON number as simdjson reads it: an integer that fits int64_t, or a double. The one place the
// number type is asked and the simdjson 3.0.1 float workaround applied; the readers below add
// only their own ranges.
struct JsonNumber {
    bool is_integer = false;
    std::int64_t integer = 0;  // when is_integer
    double real = 0;           // otherwise
};

inline NumberRead read_number(simdjson::ondemand::value& v, JsonNumber& n) {
    namespace od = simdjson::ondemand;
    od::number_type type;
    if (v.get_number_type().get(type)) return NumberRead::NotNumber;
    switch (type) {
        case od::number_type::signed_integer:  // fails below INT64_MIN
            n.is_integer = true;
            return v.get_int64().get(n.integer) ? NumberRead::OutOfRange : NumberRead::Ok;
        case od::number_type::unsigned_integer: return NumberRead::OutOfRange;  // above INT64_MAX
        case od::number_type::floating_point_number:  // fails beyond double (1e400)
            n.is_integer = false;
            return v.get_double().get(n.real) ? NumberRead::OutOfRange : NumberRead::Ok;
    }
    return NumberRead::NotNumber;
}

// Unix seconds: an integer, or a float (another producer's time.time()) truncated toward zero.
// `out` is only written on Ok.
inline NumberRead read_seconds(simdjson::ondemand::value& v, std::int64_t& out) {
    JsonNumber n;
    if (const NumberRead r = read_number(v, n); r != NumberRead::Ok) return r;
    if (n.is_integer) {
        out = n.integer;
        return NumberRead::Ok;
    }
    // -2^63 is exact and fits; 2^63 is the first value above INT64_MAX. NaN fails both.
    if (!(n.real >= -9223372036854775808.0 && n.real < 9223372036854775808.0)) return NumberRead::OutOfRange;
    out = static_cast<std::int64_t>(n.real);
    return NumberRead::Ok;
}

// A record index: 32-bit unsigned, as in the kernel's llog record header. A negative or larger
// number is out of range; a float is not an index (NotNumber) unless it is out of range anyway.
inline NumberRead read_index(simdjson::ondemand::value& v, std::uint32_t& out) {
    constexpr auto kMax = std::numeric_limits<std::uint32_t>::max();
    JsonNumber n;
    if (const NumberRead r = read_number(v, n); r != NumberRead::Ok) return r;
    if (!n.is_integer) return n.real < 0 || n.real > kMax ? NumberRead::OutOfRange : NumberRead::NotNumber;
    if (n.integer < 0 || n.integer > kMax) return NumberRead::OutOfRange;
    out = static_cast<std::uint32_t>(n.integer);
    return NumberRead::Ok;
}

}  // namespace hsm::json
