#include "app/table.hpp"

#include <algorithm>
#include <cmath>

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
}  // namespace

std::string comparison_table(const std::vector<ScenarioTotals>& scenarios, std::size_t reported_days) {
  std::size_t name_width = 8;
  for (const auto& s : scenarios) name_width = std::max(name_width, s.name.size());
  std::string out = fmt::format(
      "Comparison over {} reported days: counts are totals over the horizon, levels and shares are daily means.\n"
      "Mean across replicates with its 95% interval; difference to `{}` with its 95% (Welch) interval.\n\n",
      reported_days, scenarios.empty() ? "" : scenarios.front().name);
  out += fmt::format("{:<24} {:<{}} {:>11} {:>25} {:>11} {:>25}\n", "metric", "scenario", name_width, "mean",
                     "95% interval", "vs baseline", "95% interval");
  for (std::size_t m = 0; m < model::kMetricCount; ++m) {
    const auto metric = static_cast<model::Metric>(m);
    std::vector<double> base;
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const auto& reps = *scenarios[i].replicates;
      std::vector<double> values;
      values.reserve(reps.size());
      for (const auto& r : reps) values.push_back(r.totals[m]);
      const model::TotalSummary t = model::summarize_totals(reps, metric);
      std::string row = fmt::format("{:<24} {:<{}} {:>11} {:>25}", i == 0 ? model::kMetrics[m].name : "",
                                    scenarios[i].name, name_width, number(t.mean),
                                    fmt::format("[{}, {}]", number(t.ci_low), number(t.ci_high)));
      if (i == 0) {
        base = std::move(values);
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
