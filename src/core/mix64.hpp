// MurmurHash3's 64-bit finalizer, for the project's open-addressing tables (the state's record
// index, the diff's events in flight). Their keys are packed record keys, two small counters,
// so every output bit must depend on all input bits: the low bits pick the home slot.
#pragma once

#include <cstdint>

namespace hsm {

constexpr std::uint64_t mix64(std::uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

}  // namespace hsm
