// Random-number streams (sim/core/rng.hpp): reproducibility, independence of
// streams, the documented seed hash, and the distributions of the cheap draws.
// Statistical checks use fixed seeds and bounds of about five standard errors
// (or a chi-square tail of 1e-6), so they pass every time when the draw is
// right and fail with near certainty when it is wrong.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/random/exponential_distribution.hpp>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/poisson_distribution.hpp>

#include "core/rng.hpp"

using harmsim::core::Rng;
using harmsim::core::stream_seed;

namespace {

std::vector<std::uint64_t> raw_draws(std::uint64_t seed, std::size_t n) {
  Rng rng(seed);
  std::vector<std::uint64_t> out(n);
  for (auto& v : out) v = rng.next_u64();
  return out;
}

// Pearson's statistic for `counts` against equal expected counts.
double chi_square_uniform(const std::vector<std::uint64_t>& counts, std::uint64_t draws) {
  const double expected = static_cast<double>(draws) / static_cast<double>(counts.size());
  double chi2 = 0.0;
  for (std::uint64_t c : counts) {
    const double d = static_cast<double>(c) - expected;
    chi2 += d * d / expected;
  }
  return chi2;
}

}  // namespace

TEST_CASE("the same seed gives the same sequence of every kind of draw", "[rng]") {
  const std::uint64_t seed = stream_seed(20181121, "baseline", 3);
  Rng a(seed);
  Rng b(seed);
  for (int i = 0; i < 10000; ++i) {
    REQUIRE(a.next_u64() == b.next_u64());
    REQUIRE(a.uniform() == b.uniform());
    REQUIRE(a.exponential(0.7) == b.exponential(0.7));
    REQUIRE(a.below(1000) == b.below(1000));
    REQUIRE(a.poisson(2.5) == b.poisson(2.5));
    REQUIRE(a.bernoulli(0.3) == b.bernoulli(0.3));
  }
}

TEST_CASE("a stream is the documented mt19937_64 seeded with its stream seed", "[rng]") {
  // The C++ standard fixes the 10000th output of mt19937_64 with its default
  // seed 5489; Boost's engine must give the same.
  Rng rng(5489);
  std::uint64_t v = 0;
  for (int i = 0; i < 10000; ++i) v = rng.next_u64();
  CHECK(v == 9981545732273789042ULL);

  const std::uint64_t seed = stream_seed(1, "end_demand", 9);
  Rng ours(seed);
  std::mt19937_64 reference(seed);
  for (int i = 0; i < 1000; ++i) REQUIRE(ours.next_u64() == reference());
}

TEST_CASE("the block generator is Boost's mt19937_64, and so are the draws built on it", "[rng]") {
  // Rng's engine produces 312 outputs at a time (core::Mt19937_64); the
  // sequence, and so every result, must be that of Boost's engine, which the
  // model was calibrated with. Long runs cross hundreds of refills.
  for (const std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{1}, stream_seed(20181121, "baseline", 3),
                                   ~std::uint64_t{0}}) {
    harmsim::core::Mt19937_64 ours(seed);
    boost::random::mt19937_64 boost_engine(seed);
    for (int i = 0; i < 200000; ++i) REQUIRE(ours() == boost_engine());
  }
  // Boost's distributions on either engine (they ask it for min() and max()
  // as well as draws): the same values.
  harmsim::core::Mt19937_64 ours(stream_seed(7, "street_stings", 0));
  boost::random::mt19937_64 boost_engine(stream_seed(7, "street_stings", 0));
  for (int i = 0; i < 20000; ++i) {
    REQUIRE(boost::random::exponential_distribution<double>()(ours) ==
            boost::random::exponential_distribution<double>()(boost_engine));
    REQUIRE(boost::random::poisson_distribution<std::uint32_t, double>(45.5)(ours) ==
            boost::random::poisson_distribution<std::uint32_t, double>(45.5)(boost_engine));
  }
}

TEST_CASE("different replicates and different scenario names get different streams", "[rng]") {
  const std::uint64_t master = 20181121;
  const std::uint64_t base = stream_seed(master, "baseline", 0);
  CHECK(stream_seed(master, "baseline", 1) != base);
  CHECK(stream_seed(master, "baseline_", 0) != base);
  CHECK(stream_seed(master, "Baseline", 0) != base);
  CHECK(stream_seed(master + 1, "baseline", 0) != base);
  // Swapping replicate and master seed must not collide either.
  CHECK(stream_seed(0, "x", 1) != stream_seed(1, "x", 0));

  // No two of 1000 replicates of 10 scenarios share a seed.
  std::vector<std::uint64_t> seeds;
  const std::array<std::string_view, 10> names = {"baseline", "street_stings", "venue_raids_ice", "end_demand",
                                                  "low_barrier_services", "victim_centered", "decriminalization",
                                                  "a", "b", ""};
  for (std::string_view name : names)
    for (std::uint64_t r = 0; r < 1000; ++r) seeds.push_back(stream_seed(master, name, r));
  std::sort(seeds.begin(), seeds.end());
  CHECK(std::adjacent_find(seeds.begin(), seeds.end()) == seeds.end());

  // And the streams themselves differ from the first draw on.
  const auto r0 = raw_draws(stream_seed(master, "baseline", 0), 64);
  const auto r1 = raw_draws(stream_seed(master, "baseline", 1), 64);
  const auto other = raw_draws(stream_seed(master, "street_stings", 0), 64);
  std::size_t same01 = 0, same_other = 0;
  for (std::size_t i = 0; i < r0.size(); ++i) {
    same01 += r0[i] == r1[i];
    same_other += r0[i] == other[i];
  }
  CHECK(same01 == 0);
  CHECK(same_other == 0);
}

TEST_CASE("stream_seed is the documented hash of master seed, scenario name and replicate", "[rng]") {
  // Reference values computed independently from the formula in rng.hpp
  // (splitmix64 and FNV-1a 64). If one of these changes, every published
  // result changes: update docs/model.md and say so in the changelog.
  STATIC_REQUIRE(harmsim::core::splitmix64(0) == 0xE220A8397B1DCDAFULL);
  STATIC_REQUIRE(harmsim::core::fnv1a64("") == 0xCBF29CE484222325ULL);
  STATIC_REQUIRE(stream_seed(20181121, "baseline", 0) == 0x055974484BAE7417ULL);
  STATIC_REQUIRE(stream_seed(20181121, "baseline", 1) == 0x05E0F963058E1376ULL);
  STATIC_REQUIRE(stream_seed(42, "street_stings", 7) == 0xC7D36F3ECAD6D090ULL);
  STATIC_REQUIRE(stream_seed(0, "", 0) == 0x1270D485C7EAB17FULL);

  // A pure function: the same at run time, whatever was computed in between.
  volatile std::uint64_t master = 42;
  std::string name = "street_";
  name += "stings";
  (void)stream_seed(1, "something else", 99);
  CHECK(stream_seed(master, name, 7) == 0xC7D36F3ECAD6D090ULL);
}

TEST_CASE("uniform draws are the top 53 bits of the engine, from 0 up to but excluding 1, with mean one half", "[rng]") {
  const std::uint64_t seed = stream_seed(5, "uniform", 0);
  Rng a(seed);
  Rng b(seed);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(a.uniform() == static_cast<double>(b.next_u64() >> 11) * 0x1.0p-53);
    REQUIRE(a.uniform_pos() == static_cast<double>((b.next_u64() >> 11) + 1) * 0x1.0p-53);
  }

  Rng rng(stream_seed(5, "uniform", 1));
  constexpr int kN = 1000000;
  double sum = 0.0;
  double lo = 1.0, hi = 0.0;
  for (int i = 0; i < kN; ++i) {
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    const double p = rng.uniform_pos();
    REQUIRE(p > 0.0);
    REQUIRE(p <= 1.0);
    sum += u;
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  const double se = std::sqrt(1.0 / 12.0 / kN);
  CHECK(std::abs(sum / kN - 0.5) < 5 * se);
  CHECK(lo < 1e-4);
  CHECK(hi > 1 - 1e-4);
}

TEST_CASE("exponential draws have mean 1/rate and the exponential tail", "[rng]") {
  for (const double rate : {0.05, 1.0, 2.5, 40.0}) {
    Rng rng(stream_seed(11, "exponential", static_cast<std::uint64_t>(rate * 100)));
    constexpr int kN = 400000;
    double sum = 0.0;
    int above_mean = 0;
    for (int i = 0; i < kN; ++i) {
      const double x = rng.exponential(rate);
      REQUIRE(x >= 0.0);
      REQUIRE(std::isfinite(x));
      sum += x;
      above_mean += x > 1.0 / rate;
    }
    const double mean = 1.0 / rate;
    // The standard deviation of an exponential equals its mean.
    INFO("rate " << rate);
    CHECK(std::abs(sum / kN - mean) < 5 * mean / std::sqrt(kN));
    // P(X > mean) = e^-1: distinguishes the exponential from other shapes with the same mean.
    const double p = std::exp(-1.0);
    CHECK(std::abs(above_mean / double(kN) - p) < 5 * std::sqrt(p * (1 - p) / kN));
  }
}

TEST_CASE("below(n) is uniform on 0..n-1", "[rng]") {
  SECTION("small n: every value, chi-square") {
    Rng rng(stream_seed(3, "below", 0));
    for (const std::uint32_t n : {2u, 7u, 10u}) {
      constexpr std::uint64_t kN = 700000;
      std::vector<std::uint64_t> counts(n, 0);
      for (std::uint64_t i = 0; i < kN; ++i) {
        const std::uint32_t v = rng.below(n);
        REQUIRE(v < n);
        ++counts[v];
      }
      INFO("n = " << n);
      // Upper 1e-6 tail of chi-square with n-1 degrees of freedom (n <= 10): below 46.
      CHECK(chi_square_uniform(counts, kN) < 46.0);
    }
  }
  SECTION("n = 1000: chi-square with 999 degrees of freedom") {
    Rng rng(stream_seed(3, "below", 1));
    constexpr std::uint32_t n = 1000;
    constexpr std::uint64_t kN = 2000000;
    std::vector<std::uint64_t> counts(n, 0);
    for (std::uint64_t i = 0; i < kN; ++i) ++counts[rng.below(n)];
    CHECK(chi_square_uniform(counts, kN) < 1226.0);  // upper 1e-6 tail
    CHECK(counts.front() > 0);
    CHECK(counts.back() > 0);
  }
  SECTION("large n: the whole range is reached evenly") {
    Rng rng(stream_seed(3, "below", 2));
    constexpr std::uint32_t n = 3000000000u;
    constexpr std::uint64_t kN = 600000;
    std::vector<std::uint64_t> counts(6, 0);
    for (std::uint64_t i = 0; i < kN; ++i) {
      const std::uint32_t v = rng.below(n);
      REQUIRE(v < n);
      ++counts[v / (n / 6)];
    }
    CHECK(chi_square_uniform(counts, kN) < 40.0);  // 5 degrees of freedom
  }
  SECTION("n = 1 always gives 0") {
    Rng rng(1);
    for (int i = 0; i < 1000; ++i) REQUIRE(rng.below(1) == 0);
  }
}

TEST_CASE("poisson draws have the right mean, variance and zero class", "[rng]") {
  for (const double mean : {0.3, 3.7, 25.0}) {
    Rng rng(stream_seed(17, "poisson", static_cast<std::uint64_t>(mean * 10)));
    constexpr int kN = 200000;
    double sum = 0.0, sum_sq = 0.0;
    int zeros = 0;
    for (int i = 0; i < kN; ++i) {
      const double k = rng.poisson(mean);
      sum += k;
      sum_sq += k * k;
      zeros += k == 0.0;
    }
    const double m = sum / kN;
    const double var = sum_sq / kN - m * m;
    INFO("mean " << mean);
    CHECK(std::abs(m - mean) < 5 * std::sqrt(mean / kN));
    // Var of the sample variance of a Poisson is about (mean + 2 mean^2) / N.
    CHECK(std::abs(var - mean) < 5 * std::sqrt((mean + 2 * mean * mean) / kN));
    const double p0 = std::exp(-mean);
    CHECK(std::abs(zeros / double(kN) - p0) < 5 * std::sqrt(p0 * (1 - p0) / kN) + 1e-9);
  }
  Rng rng(1);
  CHECK(rng.poisson(0.0) == 0);
  CHECK(rng.poisson(-3.0) == 0);
}

TEST_CASE("bernoulli draws succeed with probability p", "[rng]") {
  Rng rng(stream_seed(23, "bernoulli", 0));
  constexpr int kN = 400000;
  int hits = 0;
  for (int i = 0; i < kN; ++i) hits += rng.bernoulli(0.2);
  CHECK(std::abs(hits / double(kN) - 0.2) < 5 * std::sqrt(0.2 * 0.8 / kN));
  for (int i = 0; i < 1000; ++i) {
    REQUIRE_FALSE(rng.bernoulli(0.0));
    REQUIRE(rng.bernoulli(1.0));
  }
}
