#include "model/summary.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include <Eigen/Core>
#include <boost/math/distributions/students_t.hpp>

namespace harmsim::model {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The quantile levels of kSummaryStatistics[2..4].
constexpr std::array<double, 3> kQuantileLevels = {0.025, 0.5, 0.975};
static_assert(kSummaryStatistics.size() == 2 + kQuantileLevels.size());

// Two-sided 95 % intervals.
constexpr double kUpperTail = 0.975;

// numpy's "linear" quantile of an ascending sample without NaN: virtual index
// h = (n-1)q, and its _lerp, which interpolates from the upper neighbour when
// the fraction is at least one half (numpy/lib/function_base.py, 1.22+).
double sorted_linear_quantile(const double* sorted, std::size_t n, double q) {
  const double h = static_cast<double>(n - 1) * q;
  if (h >= static_cast<double>(n - 1)) return sorted[n - 1];
  if (h <= 0) return sorted[0];
  const double below = std::floor(h);
  const auto lower = static_cast<std::size_t>(below);
  const double a = sorted[lower];
  const double b = sorted[lower + 1];
  const double t = h - below;
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

double t_quantile(double degrees_of_freedom) {
  const boost::math::students_t distribution(degrees_of_freedom);
  return boost::math::quantile(distribution, kUpperTail);
}

void require_nonempty(std::size_t n, const char* what) {
  if (n == 0) throw std::invalid_argument(std::string(what) + ": empty sample");
}

}  // namespace

double linear_quantile(std::vector<double> values, double q) {
  require_nonempty(values.size(), "linear_quantile");
  if (!(q >= 0.0 && q <= 1.0)) {
    throw std::invalid_argument("linear_quantile: q = " + std::to_string(q) + " is outside [0, 1]");
  }
  if (std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); })) {
    return kNaN;
  }
  std::sort(values.begin(), values.end());
  return sorted_linear_quantile(values.data(), values.size(), q);
}

std::vector<double> summarize_series(const std::vector<ReplicateResult>& reps, Metric m) {
  require_nonempty(reps.size(), "summarize_series");
  const std::size_t days = reps.front().days;
  const std::size_t strata = reps.front().strata;
  for (const ReplicateResult& rep : reps) {
    if (rep.days != days || rep.strata != strata ||
        rep.series.size() != kMetricCount * days * strata) {
      throw std::invalid_argument(
          "summarize_series: replicate " + std::to_string(rep.replicate) + " has " +
          std::to_string(rep.days) + " days × " + std::to_string(rep.strata) + " strata (" +
          std::to_string(rep.series.size()) + " values), expected " + std::to_string(days) + " × " +
          std::to_string(strata) + " like replicate " + std::to_string(reps.front().replicate));
    }
  }

  const std::size_t n = reps.size();
  const auto rows = static_cast<Eigen::Index>(n);
  const auto cols = static_cast<Eigen::Index>(strata);
  std::vector<double> out(kSummaryStatistics.size() * days * strata);
  auto put = [&](std::size_t statistic, std::size_t day, Eigen::Index stratum, double v) {
    out[(statistic * days + day) * strata + static_cast<std::size_t>(stratum)] = v;
  };

  // One day at a time: replicates down the rows, strata across the columns,
  // so each column (one stratum's replicates) is contiguous for sorting and
  // memory stays at R × S whatever the horizon.
  Eigen::MatrixXd day_values(rows, cols);
  for (std::size_t day = 0; day < days; ++day) {
    for (Eigen::Index r = 0; r < rows; ++r) {
      const ReplicateResult& rep = reps[static_cast<std::size_t>(r)];
      for (Eigen::Index s = 0; s < cols; ++s) {
        day_values(r, s) = static_cast<double>(rep.at(m, day, static_cast<std::size_t>(s)));
      }
    }
    const Eigen::RowVectorXd mean = day_values.colwise().mean();
    Eigen::RowVectorXd sd = Eigen::RowVectorXd::Zero(cols);
    if (n > 1) {
      sd = ((day_values.rowwise() - mean).array().square().colwise().sum() /
            static_cast<double>(n - 1))
               .sqrt()
               .matrix();
    }
    for (Eigen::Index s = 0; s < cols; ++s) {
      auto column = day_values.col(s);
      if (column.hasNaN()) {
        for (std::size_t k = 0; k < kSummaryStatistics.size(); ++k) put(k, day, s, kNaN);
        continue;
      }
      put(0, day, s, mean(s));
      put(1, day, s, sd(s));
      std::sort(column.data(), column.data() + rows);
      for (std::size_t k = 0; k < kQuantileLevels.size(); ++k) {
        put(2 + k, day, s, sorted_linear_quantile(column.data(), n, kQuantileLevels[k]));
      }
    }
  }
  return out;
}

TotalSummary summarize_sample(const std::vector<double>& values) {
  require_nonempty(values.size(), "summarize_sample");
  const Eigen::Map<const Eigen::VectorXd> x(values.data(),
                                            static_cast<Eigen::Index>(values.size()));
  TotalSummary summary;
  summary.n = values.size();
  summary.mean = x.mean();
  summary.ci_low = summary.ci_high = summary.mean;
  if (summary.n > 1) {
    const double df = static_cast<double>(summary.n - 1);
    summary.sd = std::sqrt((x.array() - summary.mean).square().sum() / df);
    const double half_width =
        t_quantile(df) * summary.sd / std::sqrt(static_cast<double>(summary.n));
    summary.ci_low = summary.mean - half_width;
    summary.ci_high = summary.mean + half_width;
  }
  return summary;
}

TotalSummary summarize_totals(const std::vector<ReplicateResult>& reps, Metric m) {
  std::vector<double> totals;
  totals.reserve(reps.size());
  for (const ReplicateResult& rep : reps) totals.push_back(rep.totals[index(m)]);
  return summarize_sample(totals);
}

TotalSummary difference_of_means(const std::vector<double>& a, const std::vector<double>& b) {
  require_nonempty(a.size(), "difference_of_means (first sample)");
  require_nonempty(b.size(), "difference_of_means (second sample)");
  const TotalSummary sa = summarize_sample(a);
  const TotalSummary sb = summarize_sample(b);
  TotalSummary diff;
  diff.n = sa.n + sb.n;
  diff.mean = sa.mean - sb.mean;
  diff.ci_low = diff.ci_high = diff.mean;
  if (sa.n < 2 || sb.n < 2) return diff;

  // Welch: each sample's variance of the mean, and the Welch–Satterthwaite
  // degrees of freedom.
  const double va = sa.sd * sa.sd / static_cast<double>(sa.n);
  const double vb = sb.sd * sb.sd / static_cast<double>(sb.n);
  const double variance = va + vb;
  if (!(variance > 0)) return diff;  // no spread in either sample (or NaN)
  const double df =
      variance * variance /
      (va * va / static_cast<double>(sa.n - 1) + vb * vb / static_cast<double>(sb.n - 1));
  diff.sd = std::sqrt(variance);
  const double half_width = t_quantile(df) * diff.sd;
  diff.ci_low = diff.mean - half_width;
  diff.ci_high = diff.mean + half_width;
  return diff;
}

}  // namespace harmsim::model
