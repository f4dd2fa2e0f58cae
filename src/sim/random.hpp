// Private to hsm_sim: the simulator's random source. Our own xoshiro256** and conversions rather
// than <random> distributions, whose output differs between standard libraries: a seed must give
// the same files on every build.
#pragma once

#include <cmath>
#include <cstdint>

namespace hsm::sim::detail {

class Rng {
public:
    // `stream` separates generators sharing a seed (one per MDT).
    Rng(std::uint64_t seed, std::uint64_t stream) {
        std::uint64_t x = seed ^ (stream * kGolden);
        for (auto& s : s_) s = splitmix(x);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // [0, 1) with the 53 bits a double holds.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    bool chance(double p) { return uniform() < p; }
    // Exponential with the given mean; uniform() < 1 keeps log1p finite.
    double exponential(double mean) { return -mean * std::log1p(-uniform()); }
    // [0, n); the modulo bias is below 2^-40 for the small n used here.
    std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

private:
    static constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ull;  // 2^64 / golden ratio

    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t& x) {  // the seeding xoshiro's authors advise
        std::uint64_t z = (x += kGolden);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    std::uint64_t s_[4];
};

}  // namespace hsm::sim::detail
