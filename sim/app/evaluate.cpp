#include "app/evaluate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include <boost/math/distributions/students_t.hpp>
#include <fmt/format.h>

#include "model/summary.hpp"

namespace harmsim::app {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kDaysPerYear = 365.0;
// The 97.5 % quantile of the standard normal distribution: the intervals of
// odds ratios are normal on the log scale.
constexpr double kZ975 = 1.959963984540054;

using Replicates = std::vector<model::ReplicateResult>;

double t975(double degrees_of_freedom) {
  return boost::math::quantile(boost::math::students_t(degrees_of_freedom), 0.975);
}

// Shares, and means such as income_mean, combine over strata as worker-
// weighted means; other levels (people, venues) add up.
bool mean_like(model::Metric m) {
  const model::MetricInfo& info = model::kMetrics[model::index(m)];
  return info.kind == model::MetricKind::Share || info.name.ends_with("_mean");
}

const Replicates& replicates_of(const io::Quantity& q, const std::vector<const Replicates*>& results) {
  if (q.scenario >= results.size() || results[q.scenario] == nullptr || results[q.scenario]->empty())
    throw std::invalid_argument(fmt::format("evaluate_targets: no replicates for scenario {}", q.scenario));
  const Replicates& reps = *results[q.scenario];
  for (const model::ReplicateResult& r : reps) {
    if (r.days != reps.front().days || r.totals_strata() != reps.front().totals_strata() ||
        r.stratum_totals.size() != model::kMetricCount * r.totals_strata())
      throw std::invalid_argument(
          fmt::format("evaluate_targets: replicate {} of scenario {} differs in days or strata from replicate {}",
                      r.replicate, q.scenario, reps.front().replicate));
    for (std::size_t s : q.strata)
      if (s >= r.totals_strata())
        throw std::invalid_argument(fmt::format("evaluate_targets: stratum {} of `{}` beyond the {} strata of "
                                                "scenario {}",
                                                s, q.stratum, r.totals_strata(), q.scenario));
  }
  return reps;
}

// The share of workers exposed, or with the outcome, in one replicate's tables.
// Every exposure × outcome table counts the same workers; a share of an
// outcome reads the first exposure's table that has anyone in it.
double share_value(const io::Quantity& q, const model::ReplicateResult& r) {
  for (std::size_t e = 0; e < model::kExposures.size(); ++e) {
    const std::size_t exposure = q.of_exposure ? q.exposure : e;
    double with = 0, all = 0;
    for (std::size_t k : q.sectors)
      for (std::size_t c = 0; c < 4; ++c) {
        // Cells: exposed with outcome, exposed without, unexposed with, unexposed without.
        const double n = static_cast<double>(r.exposure[model::exposure_index(k, exposure, q.outcome, c)]);
        all += n;
        if (q.of_exposure ? c < 2 : c % 2 == 0) with += n;
      }
    if (all > 0 || q.of_exposure) return all > 0 ? with / all : kNaN;
  }
  return kNaN;
}

// A level, rate, total or share in one replicate.
double replicate_value(const io::Quantity& q, const model::ReplicateResult& r) {
  if (q.kind == io::QuantityKind::Share) return share_value(q, r);
  double sum = 0, workers = 0, weighted = 0;
  for (std::size_t s : q.strata) {
    const double v = r.stratum_total(q.metric, s);
    const double w = r.stratum_total(model::Metric::workers_active, s);
    sum += v;
    workers += w;
    weighted += v * w;
  }
  const auto days = static_cast<double>(r.days);
  switch (q.kind) {
    case io::QuantityKind::Level:
      if (!mean_like(q.metric) || q.strata.size() == 1) return sum;
      return workers > 0 ? weighted / workers : kNaN;
    case io::QuantityKind::Rate:
      if (!(workers * days > 0)) return kNaN;
      return q.per == io::RateUnit::WorkerYear ? sum / (workers * days / kDaysPerYear) : 1000.0 * sum / (workers * days);
    case io::QuantityKind::Total: return q.per_year ? sum * kDaysPerYear / days : sum;
    case io::QuantityKind::OddsRatio:
    case io::QuantityKind::Share: break;
  }
  return kNaN;
}

std::vector<double> replicate_values(const io::Quantity& q, const Replicates& reps) {
  std::vector<double> out;
  out.reserve(reps.size());
  for (const model::ReplicateResult& r : reps) out.push_back(replicate_value(q, r));
  return out;
}

// The 2×2 cells (a, b, c, d) of sector k's table of one replicate.
std::array<double, 4> cells(const model::ExposureTable& t, std::size_t k, const io::Quantity& q) {
  std::array<double, 4> out{};
  for (std::size_t c = 0; c < 4; ++c)
    out[c] = static_cast<double>(t[model::exposure_index(k, q.exposure, q.outcome, c)]);
  return out;
}

OddsRatio odds_ratio_of(const io::Quantity& q, const std::vector<const model::ExposureTable*>& tables) {
  std::vector<std::array<double, 4>> by_sector;
  for (std::size_t k : q.sectors) {
    std::array<double, 4> sum{};
    for (const model::ExposureTable* t : tables) {
      const std::array<double, 4> one = cells(*t, k, q);
      for (std::size_t c = 0; c < 4; ++c) sum[c] += one[c];
    }
    by_sector.push_back(sum);
  }
  if (q.adjust == io::OddsAdjustment::Sector) return mantel_haenszel(by_sector);
  std::array<double, 4> crude{};
  for (const auto& one : by_sector)
    for (std::size_t c = 0; c < 4; ++c) crude[c] += one[c];
  return woolf(crude);
}

TargetValue odds_ratio_value(const io::Quantity& q, const Replicates& reps) {
  TargetValue out;
  out.replicates = reps.size();
  std::vector<const model::ExposureTable*> all;
  for (const model::ReplicateResult& r : reps) {
    all.push_back(&r.exposure);
    out.per_replicate.push_back(odds_ratio_of(q, {&r.exposure}).ratio);
  }
  const OddsRatio pooled = odds_ratio_of(q, all);
  out.value = pooled.ratio;
  if (std::isnan(pooled.ratio)) {
    out.problem = q.adjust == io::OddsAdjustment::Sector
                      ? "not estimable: no sector has both an exposed worker with the outcome and an unexposed one "
                        "without it (or the reverse)"
                      : "not estimable: nobody exposed, unexposed, with or without the outcome";
    return out;
  }
  out.se = pooled.ratio * pooled.log_se;
  out.low = pooled.ratio * std::exp(-kZ975 * pooled.log_se);
  out.high = pooled.ratio * std::exp(kZ975 * pooled.log_se);
  return out;
}

TargetValue mean_value(const std::vector<double>& values) {
  TargetValue out;
  out.replicates = values.size();
  out.per_replicate = values;
  const auto undefined = std::find_if(values.begin(), values.end(), [](double v) { return std::isnan(v); });
  if (undefined != values.end()) {
    out.problem = fmt::format("undefined in replicate {}: nobody active in the group",
                              undefined - values.begin());
    return out;
  }
  const model::TotalSummary s = model::summarize_sample(values);
  out.value = s.mean;
  out.low = s.ci_low;
  out.high = s.ci_high;
  out.se = s.n > 1 ? s.sd / std::sqrt(static_cast<double>(s.n)) : 0.0;
  return out;
}

// mean(a) / mean(b) with the delta-method interval on the log scale.
TargetValue ratio_value(const std::vector<double>& a, const std::vector<double>& b, bool paired) {
  TargetValue out;
  out.replicates = a.size();
  const TargetValue ma = mean_value(a), mb = mean_value(b);
  if (!ma.problem.empty() || !mb.problem.empty()) {
    out.problem = !ma.problem.empty() ? "A " + ma.problem : "B " + mb.problem;
    return out;
  }
  if (paired)
    for (std::size_t r = 0; r < a.size(); ++r) out.per_replicate.push_back(b[r] != 0 ? a[r] / b[r] : kNaN);
  if (mb.value == 0) {
    out.problem = "B is 0 in every replicate: no ratio";
    return out;
  }
  out.value = ma.value / mb.value;
  if (!(ma.value > 0 && mb.value > 0)) {
    out.problem = "no interval: A or B is not positive (the interval is formed on the log scale)";
    return out;
  }
  const auto na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  if (a.size() < 2 || b.size() < 2) {
    out.low = out.high = out.value;
    out.se = 0;
    return out;
  }
  auto moment = [](const std::vector<double>& x, double mx, const std::vector<double>& y, double my) {
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) sum += (x[i] - mx) * (y[i] - my);
    return sum / static_cast<double>(x.size() - 1);
  };
  // Variances of the logs of the two means.
  const double va = moment(a, ma.value, a, ma.value) / (na * ma.value * ma.value);
  const double vb = moment(b, mb.value, b, mb.value) / (nb * mb.value * mb.value);
  double variance = va + vb, df = 0;
  if (paired) {
    variance -= 2.0 * moment(a, ma.value, b, mb.value) / (na * ma.value * mb.value);
    df = na - 1;
  } else {
    df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
  }
  if (!(variance > 0)) {
    out.low = out.high = out.value;
    out.se = 0;
    return out;
  }
  const double log_se = std::sqrt(variance);
  out.se = out.value * log_se;
  out.low = out.value * std::exp(-t975(df) * log_se);
  out.high = out.value * std::exp(t975(df) * log_se);
  return out;
}

}  // namespace

OddsRatio mantel_haenszel(const std::vector<std::array<double, 4>>& strata) {
  double sum_r = 0, sum_s = 0, pr = 0, ps_qr = 0, qs = 0;
  for (const auto& [a, b, c, d] : strata) {
    const double n = a + b + c + d;
    if (!(n > 0)) continue;
    const double p = (a + d) / n, q = (b + c) / n, r = a * d / n, s = b * c / n;
    sum_r += r;
    sum_s += s;
    pr += p * r;
    ps_qr += p * s + q * r;
    qs += q * s;
  }
  if (!(sum_r > 0 && sum_s > 0)) return {};
  const double variance =
      pr / (2 * sum_r * sum_r) + ps_qr / (2 * sum_r * sum_s) + qs / (2 * sum_s * sum_s);
  return {sum_r / sum_s, std::sqrt(variance)};
}

OddsRatio woolf(std::array<double, 4> cells) {
  auto& [a, b, c, d] = cells;
  if (!(a + b > 0 && c + d > 0 && a + c > 0 && b + d > 0)) return {};
  if (std::min({a, b, c, d}) == 0)
    for (double& x : cells) x += 0.5;
  return {a * d / (b * c), std::sqrt(1 / a + 1 / b + 1 / c + 1 / d)};
}

TargetValue evaluate_target(const io::PublishedTarget& target, const std::vector<const Replicates*>& results) {
  const io::Quantity& a = target.quantity;
  TargetValue out;
  if (a.kind == io::QuantityKind::OddsRatio) {
    out = odds_ratio_value(a, replicates_of(a, results));
  } else if (target.compare == io::Comparison::None) {
    out = mean_value(replicate_values(a, replicates_of(a, results)));
  } else {
    const io::Quantity& b = target.over;
    out = ratio_value(replicate_values(a, replicates_of(a, results)), replicate_values(b, replicates_of(b, results)),
                      a.scenario == b.scenario);
    if (target.compare == io::Comparison::Change) {
      out.value -= 1;
      out.low -= 1;
      out.high -= 1;
      for (double& v : out.per_replicate) v -= 1;
    }
  }
  out.within = !std::isnan(out.value) && out.value >= target.low && out.value <= target.high;
  return out;
}

std::vector<TargetValue> evaluate_targets(const io::TargetsFile& targets, const std::vector<const Replicates*>& results) {
  if (results.size() != targets.scenarios.size())
    throw std::invalid_argument(fmt::format("evaluate_targets: {} sets of replicates for {} scenarios",
                                            results.size(), targets.scenarios.size()));
  std::vector<TargetValue> out;
  out.reserve(targets.targets.size());
  for (const io::PublishedTarget& t : targets.targets) out.push_back(evaluate_target(t, results));
  return out;
}

}  // namespace harmsim::app
