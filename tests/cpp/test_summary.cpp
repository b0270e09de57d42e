// Across-replicate statistics (sim/model/summary.hpp). Reference values were
// computed with numpy 1.24 / scipy 1.10:
//   np.quantile(x, [0.025, 0.5, 0.975]), x.mean(), x.std(ddof=1),
//   scipy.stats.t.ppf(0.975, df).
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "model/summary.hpp"

using harmsim::model::difference_of_means;
using harmsim::model::kMetricCount;
using harmsim::model::linear_quantile;
using harmsim::model::Metric;
using harmsim::model::ReplicateResult;
using harmsim::model::summarize_sample;
using harmsim::model::summarize_series;
using harmsim::model::summarize_totals;

namespace {

constexpr std::size_t kSummaryDays = 2;
constexpr std::size_t kSummaryStrata = 3;

// R replicates of a tiny 2-day, 3-stratum run, all zero.
std::vector<ReplicateResult> zero_replicates(std::size_t r) {
  std::vector<ReplicateResult> reps(r);
  for (std::size_t i = 0; i < r; ++i) {
    reps[i].replicate = i;
    reps[i].days = kSummaryDays;
    reps[i].strata = kSummaryStrata;
    reps[i].series.assign(kMetricCount * kSummaryDays * kSummaryStrata, 0.0f);
  }
  return reps;
}

double stat(const std::vector<double>& summary, std::size_t statistic, std::size_t day,
            std::size_t stratum) {
  return summary.at((statistic * kSummaryDays + day) * kSummaryStrata + stratum);
}

}  // namespace

TEST_CASE("quantiles interpolate linearly between order statistics as numpy does") {
  // Exact equality: the implementation follows numpy's formula bit for bit.
  const std::vector<double> x = {3, 1, 4, 1, 5};
  CHECK(linear_quantile(x, 0.025) == 1.0);
  CHECK(linear_quantile(x, 0.5) == 3.0);
  CHECK(linear_quantile(x, 0.975) == 4.9);

  const std::vector<double> y = {10, -2, 7.5, 0.5, 3};
  CHECK(linear_quantile(y, 0.025) == -1.75);
  CHECK(linear_quantile(y, 0.5) == 3.0);
  CHECK(linear_quantile(y, 0.975) == 9.75);

  const std::vector<double> two = {2, 8};
  CHECK(linear_quantile(two, 0.025) == 2.15);
  CHECK(linear_quantile(two, 0.5) == 5.0);
  CHECK(linear_quantile(two, 0.975) == 7.85);

  std::vector<double> forty;  // 40, 39, ..., 1
  for (int v = 40; v >= 1; --v) forty.push_back(v);
  CHECK(linear_quantile(forty, 0.025) == 1.975);
  CHECK(linear_quantile(forty, 0.5) == 20.5);
  CHECK(linear_quantile(forty, 0.975) == 39.025);

  CHECK(linear_quantile(x, 0.0) == 1.0);
  CHECK(linear_quantile(x, 1.0) == 5.0);
}

TEST_CASE("a quantile of one value is that value, and a NaN makes the quantile NaN") {
  CHECK(linear_quantile({7.5}, 0.025) == 7.5);
  CHECK(linear_quantile({7.5}, 0.975) == 7.5);
  CHECK(std::isnan(linear_quantile({1, std::numeric_limits<double>::quiet_NaN(), 3}, 0.5)));
}

TEST_CASE("a quantile of nothing or outside [0, 1] is refused") {
  CHECK_THROWS_AS(linear_quantile({}, 0.5), std::invalid_argument);
  CHECK_THROWS_AS(linear_quantile({1, 2}, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(linear_quantile({1, 2}, -0.1), std::invalid_argument);
}

TEST_CASE("series summaries give mean, sample sd and quantiles per day and stratum") {
  auto reps = zero_replicates(5);
  const std::vector<float> x = {3, 1, 4, 1, 5};
  for (std::size_t r = 0; r < reps.size(); ++r) {
    reps[r].at(Metric::arrests_worker, 1, 2) = x[r];
    reps[r].at(Metric::arrests_worker, 0, 1) = 6.0f;  // no spread
    reps[r].at(Metric::encounters, 1, 2) = 100.0f;    // another metric, ignored
  }
  const auto summary = summarize_series(reps, Metric::arrests_worker);
  REQUIRE(summary.size() == 5 * kSummaryDays * kSummaryStrata);

  CHECK(stat(summary, 0, 1, 2) == Approx(2.8).epsilon(1e-14));
  CHECK(stat(summary, 1, 1, 2) == Approx(1.7888543819998317).epsilon(1e-14));
  CHECK(stat(summary, 2, 1, 2) == 1.0);
  CHECK(stat(summary, 3, 1, 2) == 3.0);
  CHECK(stat(summary, 4, 1, 2) == 4.9);

  CHECK(stat(summary, 0, 0, 1) == 6.0);
  CHECK(stat(summary, 1, 0, 1) == 0.0);
  CHECK(stat(summary, 2, 0, 1) == 6.0);
  CHECK(stat(summary, 4, 0, 1) == 6.0);

  for (std::size_t k = 0; k < 5; ++k) CHECK(stat(summary, k, 0, 0) == 0.0);
}

TEST_CASE("a single replicate summarises to its own values with sd 0") {
  auto reps = zero_replicates(1);
  reps[0].at(Metric::workers_active, 0, 0) = 42.0f;
  const auto summary = summarize_series(reps, Metric::workers_active);
  CHECK(stat(summary, 0, 0, 0) == 42.0);
  CHECK(stat(summary, 1, 0, 0) == 0.0);
  CHECK(stat(summary, 2, 0, 0) == 42.0);
  CHECK(stat(summary, 3, 0, 0) == 42.0);
  CHECK(stat(summary, 4, 0, 0) == 42.0);
}

TEST_CASE("a NaN in any replicate makes every statistic of that cell NaN, and only that cell") {
  auto reps = zero_replicates(3);
  reps[1].at(Metric::share_controlled, 0, 1) = std::numeric_limits<float>::quiet_NaN();
  const auto summary = summarize_series(reps, Metric::share_controlled);
  for (std::size_t k = 0; k < 5; ++k) {
    CHECK(std::isnan(stat(summary, k, 0, 1)));
    CHECK(stat(summary, k, 0, 0) == 0.0);
  }
}

TEST_CASE("series summaries refuse replicates of different shapes or none at all") {
  CHECK_THROWS_AS(summarize_series({}, Metric::encounters), std::invalid_argument);
  auto reps = zero_replicates(2);
  reps[1].days = 3;
  CHECK_THROWS_AS(summarize_series(reps, Metric::encounters), std::invalid_argument);
}

TEST_CASE("horizon totals get a Student t interval of the mean") {
  auto reps = zero_replicates(5);
  const std::vector<double> totals = {2, 4, 4, 5, 7};
  for (std::size_t r = 0; r < reps.size(); ++r) {
    reps[r].totals[harmsim::model::index(Metric::violence_buyer)] = totals[r];
  }
  const auto s = summarize_totals(reps, Metric::violence_buyer);
  CHECK(s.n == 5);
  CHECK(s.mean == Approx(4.4).epsilon(1e-14));
  CHECK(s.sd == Approx(1.816590212458495).epsilon(1e-13));
  // 4.4 ∓ t(0.975, 4) · sd / √5 with t(0.975, 4) = 2.7764451051977987
  CHECK(s.ci_low == Approx(2.144405333700956).epsilon(1e-12));
  CHECK(s.ci_high == Approx(6.655594666299045).epsilon(1e-12));
}

TEST_CASE("one replicate's interval is the point itself") {
  const auto s = summarize_sample({3.5});
  CHECK(s.n == 1);
  CHECK(s.mean == 3.5);
  CHECK(s.sd == 0.0);
  CHECK(s.ci_low == 3.5);
  CHECK(s.ci_high == 3.5);
  CHECK_THROWS_AS(summarize_sample({}), std::invalid_argument);
}

TEST_CASE("a difference of means gets Welch's interval") {
  // Welch–Satterthwaite df = 4.749414519906324, t(0.975, df) = 2.6119160893032536
  const auto d = difference_of_means({1, 2, 3, 4, 5}, {2, 4, 6, 8});
  CHECK(d.n == 9);
  CHECK(d.mean == Approx(-2.0).epsilon(1e-14));
  CHECK(d.sd == Approx(1.4719601443879746).epsilon(1e-13));
  CHECK(d.ci_low == Approx(-5.844636383940092).epsilon(1e-12));
  CHECK(d.ci_high == Approx(1.8446363839400912).epsilon(1e-12));
}

TEST_CASE("a difference of means without spread or with a single replicate has a point interval") {
  const auto flat = difference_of_means({3, 3, 3}, {1, 1});
  CHECK(flat.mean == 2.0);
  CHECK(flat.ci_low == 2.0);
  CHECK(flat.ci_high == 2.0);
  const auto single = difference_of_means({5}, {1, 2, 3});
  CHECK(single.mean == 3.0);
  CHECK(single.ci_low == 3.0);
  CHECK(single.ci_high == 3.0);
  CHECK_THROWS_AS(difference_of_means({}, {1.0}), std::invalid_argument);
}
