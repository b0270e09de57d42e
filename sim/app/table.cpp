#include "app/table.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "model/summary.hpp"

namespace harmsim::app {

std::string number(double v) {
  const double a = std::abs(v);
  if (a != 0 && a < 0.01) return fmt::format("{:.4f}", v);
  if (a < 10) return fmt::format("{:.3f}", v);
  if (a < 1000) return fmt::format("{:.1f}", v);
  return fmt::format("{:.0f}", v);
}

namespace {
std::string signed_number(double v) { return fmt::format("{}{}", v >= 0 ? "+" : "", number(v)); }

double quantile(std::vector<double> sorted, double q) {  // sorted ascending, not empty
  const double at = q * static_cast<double>(sorted.size() - 1);
  const auto below = static_cast<std::size_t>(std::floor(at));
  const std::size_t above = std::min(below + 1, sorted.size() - 1);
  return sorted[below] + (at - static_cast<double>(below)) * (sorted[above] - sorted[below]);
}

std::vector<double> per_draw_means(const std::vector<double>& values, std::size_t per_draw) {
  std::vector<double> means(values.size() / per_draw, 0.0);
  for (std::size_t r = 0; r < means.size() * per_draw; ++r) means[r / per_draw] += values[r];
  for (double& m : means) m /= static_cast<double>(per_draw);
  return means;
}
}  // namespace

PairedDifference paired_by_draw(const std::vector<double>& values, const std::vector<double>& base,
                                std::size_t per_draw) {
  const std::vector<double> a = per_draw_means(values, per_draw), b = per_draw_means(base, per_draw);
  std::vector<double> d(std::min(a.size(), b.size()));
  PairedDifference out;
  if (d.empty()) return out;
  double lower = 0;
  for (std::size_t k = 0; k < d.size(); ++k) {
    d[k] = a[k] - b[k];
    out.mean += d[k];
    lower += d[k] < 0 ? 1.0 : d[k] == 0 ? 0.5 : 0.0;
  }
  out.mean /= static_cast<double>(d.size());
  out.p_lower = lower / static_cast<double>(d.size());
  std::sort(d.begin(), d.end());
  out.low = quantile(d, 0.025);
  out.high = quantile(d, 0.975);
  return out;
}

std::string comparison_table(const std::vector<ScenarioTotals>& scenarios, std::size_t reported_days) {
  std::size_t name_width = 8;
  for (const auto& s : scenarios) name_width = std::max(name_width, s.name.size());
  const std::size_t per_draw = scenarios.empty() ? 0 : scenarios.front().replicates_per_draw;
  const bool draws = per_draw > 0 && std::all_of(scenarios.begin(), scenarios.end(), [&](const ScenarioTotals& s) {
    return s.replicates_per_draw == per_draw;
  });
  std::string out = fmt::format(
      "Comparison over {} reported days: counts are totals over the horizon, levels and shares are daily means.\n",
      reported_days);
  if (draws)
    out += fmt::format(
        "Mean across all replicates with its 95% interval; difference to `{}` paired by parameter draw: the mean of "
        "the per-draw differences,\nthe 2.5-97.5% quantiles of them over draws (parameter uncertainty and Monte Carlo "
        "noise), and P(lower): the share of draws where the value is lower.\n",
        scenarios.front().name);
  else
    out += fmt::format(
        "Mean across replicates with its 95% interval; difference to `{}` with its 95% (Welch) "
        "interval.\nThe intervals are the Monte Carlo noise of the replicates at the scenario's "
        "parameters only: `harmsim run --posterior`\nadds the parameters' uncertainty.\n",
        scenarios.empty() ? "" : scenarios.front().name);
  // No metric is negative: a mean's interval is shown from 0 where Student's t
  // would take it below (a count that is 0 in most replicates).
  out += "A mean's interval starts at 0 at the lowest, as no metric is negative.\n\n";
  std::size_t metric_width = 6;
  for (const model::MetricInfo& info : model::kMetrics)
    metric_width = std::max(metric_width, std::string_view(info.name).size());
  out += fmt::format("{:<{}} {:<{}} {:>11} {:>25} {:>11} {:>25}{}\n", "metric", metric_width, "scenario", name_width,
                     "mean", "95% interval", "vs baseline", draws ? "draws 2.5-97.5%" : "95% interval",
                     draws ? fmt::format(" {:>8}", "P(lower)") : "");
  for (std::size_t m = 0; m < model::kMetricCount; ++m) {
    const auto metric = static_cast<model::Metric>(m);
    std::vector<double> base;
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const auto& reps = *scenarios[i].replicates;
      std::vector<double> values;
      values.reserve(reps.size());
      for (const auto& r : reps) values.push_back(r.totals[m]);
      const model::TotalSummary t = model::summarize_totals(reps, metric);
      std::string row = fmt::format("{:<{}} {:<{}} {:>11} {:>25}", i == 0 ? model::kMetrics[m].name : "", metric_width,
                                    scenarios[i].name, name_width, number(t.mean),
                                    fmt::format("[{}, {}]", number(std::max(0.0, t.ci_low)), number(t.ci_high)));
      if (i == 0) {
        base = std::move(values);
      } else if (draws) {
        const PairedDifference d = paired_by_draw(values, base, per_draw);
        row += fmt::format(" {:>11} {:>25} {:>8.2f}", signed_number(d.mean),
                           fmt::format("[{}, {}]", signed_number(d.low), signed_number(d.high)), d.p_lower);
      } else {
        const model::TotalSummary d = model::difference_of_means(values, base);
        row += fmt::format(" {:>11} {:>25}", signed_number(d.mean),
                           fmt::format("[{}, {}]", signed_number(d.ci_low), signed_number(d.ci_high)));
      }
      out += row + "\n";
    }
  }
  return out;
}

std::string targets_table(const std::vector<io::Scenario>& scenarios,
                          const std::vector<std::vector<model::ReplicateResult>>& results, bool& all_met) {
  all_met = true;
  std::string out;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    for (const io::Target& t : scenarios[i].targets) {
      if (out.empty())
        out = fmt::format("\nReproduced figures: the article's value beside the model's mean over replicates\n\n"
                          "{:<24} {:<26} {:>9} {:>9} {:>21} {:>10}  {}\n",
                          "scenario", "metric", "article", "model", "95% interval", "within", "source");
      // Per-replicate totals of the metric (or of the sum of metrics).
      std::vector<double> values(results[i].size(), 0.0);
      for (const std::string& name : t.metrics()) {
        const auto m = static_cast<std::size_t>(
            std::find_if(model::kMetrics.begin(), model::kMetrics.end(),
                         [&](const model::MetricInfo& info) { return info.name == name; }) -
            model::kMetrics.begin());
        for (std::size_t r = 0; r < values.size(); ++r) values[r] += results[i][r].totals[m];
      }
      const model::TotalSummary s = model::summarize_sample(values);
      const bool met = t.met_by(s.mean);
      all_met = all_met && met;
      const double allowed = std::max(t.tolerance * std::abs(t.value), t.tolerance_abs);
      out += fmt::format("{:<24} {:<26} {:>9} {:>9} {:>21} {:>10}  {}\n", scenarios[i].name, t.metric,
                         number(t.value), number(s.mean), fmt::format("[{}, {}]", number(s.ci_low), number(s.ci_high)),
                         fmt::format("{} ±{}", met ? "yes" : "NO", number(allowed)), t.source);
    }
  }
  return out;
}

}  // namespace harmsim::app
