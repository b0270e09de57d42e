#pragma once
// Random-number streams. Every (master seed, scenario, replicate) triple gets
// its own mt19937_64 engine, seeded by a documented hash:
//
//   stream_seed = splitmix64( splitmix64(master_seed)
//                             ^ splitmix64(fnv1a64(scenario_name) + 1)
//                             ^ splitmix64(replicate + 0x9E3779B97F4A7C15) )
//
// The seed depends only on those three values, never on which thread, rank or
// shard runs the replicate, or on the order of scenarios in a file; so results
// are bit-identical however the work is spread (docs/model.md, "Stochasticity").
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/poisson_distribution.hpp>

namespace harmsim::core {

__extension__ using uint128 = unsigned __int128;

[[nodiscard]] constexpr std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

[[nodiscard]] constexpr std::uint64_t fnv1a64(std::string_view s) noexcept {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

[[nodiscard]] constexpr std::uint64_t stream_seed(std::uint64_t master_seed,
                                                  std::string_view scenario,
                                                  std::uint64_t replicate) noexcept {
  return splitmix64(splitmix64(master_seed) ^ splitmix64(fnv1a64(scenario) + 1) ^
                    splitmix64(replicate + 0x9E3779B97F4A7C15ULL));
}

// mt19937_64 (Matsumoto & Nishimura 1998; the C++ standard's and Boost's
// mt19937_64, seeded the same way), producing its outputs 312 at a time: the
// twist of the whole state and the tempering of its 312 words run as loops
// that the compiler vectorises, into a buffer, and a draw is one load. Boost's
// engine twists the same way but tempers every output on its own, which cost
// about two thirds of a draw. The sequence is Boost's, bit for bit
// (tests/cpp/test_rng.cpp compares them), so no result depends on which of
// the two draws it.
class Mt19937_64 {
 public:
  using result_type = std::uint64_t;
  [[nodiscard]] static constexpr result_type min() noexcept { return 0; }
  [[nodiscard]] static constexpr result_type max() noexcept { return ~result_type{0}; }

  explicit Mt19937_64(std::uint64_t seed) noexcept {
    state_[0] = seed;
    for (std::size_t i = 1; i < kN; ++i) state_[i] = kSeedMultiplier * (state_[i - 1] ^ (state_[i - 1] >> 62)) + i;
    next_ = kN;
  }

  result_type operator()() noexcept {
    if (next_ == kN) [[unlikely]] refill();
    return out_[next_++];
  }

 private:
  static constexpr std::size_t kN = 312, kM = 156;
  static constexpr std::uint64_t kMatrix = 0xB5026F5AA96619E9ULL;
  static constexpr std::uint64_t kUpper = 0xFFFFFFFF80000000ULL, kLower = 0x7FFFFFFFULL;
  static constexpr std::uint64_t kSeedMultiplier = 6364136223846793005ULL;

  [[nodiscard]] static std::uint64_t twisted(std::uint64_t here, std::uint64_t next, std::uint64_t far) noexcept {
    const std::uint64_t y = (here & kUpper) | (next & kLower);
    return far ^ (y >> 1) ^ ((0 - (next & 1)) & kMatrix);
  }

  // The next 312 words of the state, tempered into out_. GCC also compiles
  // it for AVX2 (four words per instruction instead of two) and picks the
  // version the processor runs when the program starts; integer operations
  // only, so both give the same bits.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  [[gnu::noinline, gnu::target_clones("avx2", "default")]]
#else
  [[gnu::noinline]]
#endif
  void refill() noexcept {
    std::uint64_t* x = state_;
    for (std::size_t j = 0; j < kN - kM; ++j) x[j] = twisted(x[j], x[j + 1], x[j + kM]);
    for (std::size_t j = kN - kM; j < kN - 1; ++j) x[j] = twisted(x[j], x[j + 1], x[j + kM - kN]);
    x[kN - 1] = twisted(x[kN - 1], x[0], x[kM - 1]);
    for (std::size_t j = 0; j < kN; ++j) {
      std::uint64_t z = x[j];
      z ^= (z >> 29) & 0x5555555555555555ULL;
      z ^= (z << 17) & 0x71D67FFFEDA60000ULL;
      z ^= (z << 37) & 0xFFF7EEE000000000ULL;
      z ^= z >> 43;
      out_[j] = z;
    }
    next_ = 0;
  }

  std::uint64_t state_[kN];
  std::uint64_t out_[kN];
  std::size_t next_;
};

// One stream of random numbers. Cheap draws built on the raw 64-bit output of
// the engine: 53-bit uniforms, Boost.Random's ziggurat for exponentials (one
// engine draw and a table look-up in 98 % of draws, no logarithm), and
// Lemire's multiply-shift for bounded integers.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  [[nodiscard]] std::uint64_t next_u64() noexcept { return engine_(); }

  // Uniform on [0, 1).
  [[nodiscard]] double uniform() noexcept {
    return static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  }
  // Uniform on (0, 1]: safe to take the logarithm of.
  [[nodiscard]] double uniform_pos() noexcept {
    return static_cast<double>((engine_() >> 11) + 1) * 0x1.0p-53;
  }
  [[nodiscard]] bool bernoulli(double p) noexcept { return uniform() < p; }
  // Exponential waiting time with the given rate (events per unit time); a
  // rate of 0 waits for ever (+inf).
  [[nodiscard]] double exponential(double rate) noexcept { return unit_exponential() / rate; }
  // Exponential of rate 1 (mean 1): a waiting time of mean m is m times it,
  // without the division of exponential().
  [[nodiscard]] double unit_exponential() noexcept {
    return boost::random::exponential_distribution<double>()(engine_);
  }
  // Failures before the first success in Bernoulli trials of success
  // probability p, given log(1 - p) (negative; -inf when p = 1), by
  // inversion: floor(log(U) / log(1 - p)). Capped at 2^62, "never" for any
  // population.
  [[nodiscard]] std::uint64_t geometric(double log_1mp) noexcept {
    const double gap = std::log(uniform_pos()) / log_1mp;
    return gap < 0x1.0p62 ? static_cast<std::uint64_t>(gap) : std::uint64_t{1} << 62;
  }
  // Uniform integer in [0, n), n > 0. The bias of multiply-shift is below
  // n / 2^64, far under anything a replicate could detect.
  [[nodiscard]] std::uint32_t below(std::uint32_t n) noexcept {
    return static_cast<std::uint32_t>(
        (static_cast<uint128>(engine_()) * n) >> 64);
  }
  // A uniform integer in [0, n) and, from the same engine draw, a uniform on
  // [0, 1) for another purpose: r × n splits into the integer (its high 64
  // bits) and a remainder (its low 64 bits) that, whatever the integer, is
  // spread evenly over [0, 2^64) in steps of n (Lemire 2019, "Fast random
  // integer generation in an interval"), so it serves as an independent
  // uniform for any n far below 2^53.
  [[nodiscard]] std::uint32_t below(std::uint32_t n, double& spare_uniform) noexcept {
    const uint128 m = static_cast<uint128>(engine_()) * n;
    spare_uniform = static_cast<double>(static_cast<std::uint64_t>(m) >> 11) * 0x1.0p-53;
    return static_cast<std::uint32_t>(m >> 64);
  }
  // Poisson count: Knuth's product method for small means, Boost's
  // transformed rejection (PTRS) for larger ones, where the product would
  // underflow.
  [[nodiscard]] std::uint32_t poisson(double mean) noexcept {
    if (mean <= 0.0) return 0;
    if (mean > 30.0) return boost::random::poisson_distribution<std::uint32_t, double>(mean)(engine_);
    const double limit = std::exp(-mean);
    double product = uniform_pos();
    std::uint32_t k = 0;
    while (product > limit) {
      ++k;
      product *= uniform_pos();
    }
    return k;
  }

 private:
  Mt19937_64 engine_;
};

}  // namespace harmsim::core
