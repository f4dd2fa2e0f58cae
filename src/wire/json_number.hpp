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

// Unix seconds: an integer, or a float (another producer's time.time()) truncated toward zero.
// `out` is only written on Ok.
inline NumberRead read_seconds(simdjson::ondemand::value& v, std::int64_t& out) {
    namespace od = simdjson::ondemand;
    od::number_type type;
    if (v.get_number_type().get(type)) return NumberRead::NotNumber;
    switch (type) {
        case od::number_type::signed_integer: {
            std::int64_t i = 0;
            if (v.get_int64().get(i)) return NumberRead::OutOfRange;  // below INT64_MIN
            out = i;
            return NumberRead::Ok;
        }
        case od::number_type::unsigned_integer: return NumberRead::OutOfRange;  // above INT64_MAX
        case od::number_type::floating_point_number: {
            double d = 0;
            if (v.get_double().get(d)) return NumberRead::OutOfRange;  // beyond double (1e400)
            // -2^63 is exact and fits; 2^63 is the first value above INT64_MAX. NaN fails both.
            if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return NumberRead::OutOfRange;
            out = static_cast<std::int64_t>(d);
            return NumberRead::Ok;
        }
    }
    return NumberRead::NotNumber;
}

// A record index: 32-bit unsigned, as in the kernel's llog record header. A negative or larger
// integer is out of range; a float is not an index (NotNumber) unless it is out of range anyway.
inline NumberRead read_index(simdjson::ondemand::value& v, std::uint32_t& out) {
    namespace od = simdjson::ondemand;
    od::number_type type;
    if (v.get_number_type().get(type)) return NumberRead::NotNumber;
    switch (type) {
        case od::number_type::signed_integer: {
            std::int64_t i = 0;
            if (v.get_int64().get(i) || i < 0 || i > std::numeric_limits<std::uint32_t>::max())
                return NumberRead::OutOfRange;
            out = static_cast<std::uint32_t>(i);
            return NumberRead::Ok;
        }
        case od::number_type::unsigned_integer: return NumberRead::OutOfRange;
        case od::number_type::floating_point_number: {
            double d = 0;
            if (v.get_double().get(d) || d < 0 || d > std::numeric_limits<std::uint32_t>::max())
                return NumberRead::OutOfRange;
            return NumberRead::NotNumber;
        }
    }
    return NumberRead::NotNumber;
}

}  // namespace hsm::json
