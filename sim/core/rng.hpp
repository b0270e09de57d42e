#pragma once
// Random-number streams. Every (master seed, scenario, replicate) triple gets
// its own Boost.Random mt19937_64 engine, seeded by a documented hash:
//
//   stream_seed = splitmix64( splitmix64(master_seed)
//                             ^ splitmix64(fnv1a64(scenario_name) + 1)
//                             ^ splitmix64(replicate + 0x9E3779B97F4A7C15) )
//
// The seed depends only on those three values, never on which thread, rank or
// shard runs the replicate, or on the order of scenarios in a file; so results
// are bit-identical however the work is spread (docs/model.md, "Stochasticity").
#include <cmath>
#include <cstdint>
#include <string_view>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
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
  [[nodiscard]] double exponential(double rate) noexcept {
    return boost::random::exponential_distribution<double>()(engine_) / rate;
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
  boost::random::mt19937_64 engine_;
};

}  // namespace harmsim::core
