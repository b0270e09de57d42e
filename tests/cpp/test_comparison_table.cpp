// The comparison table's difference paired by parameter draw (run
// --posterior): per-draw means, their differences, quantiles over draws and
// the share of draws where the scenario is lower, as harmsim_analysis.effects
// computes them. And durations as the progress lines show them.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/table.hpp"
#include "model/summary.hpp"

using harmsim::app::paired_by_draw;

TEST_CASE("a difference paired by draw compares each draw's means and counts the draws where it is lower",
          "[table][posterior]") {
  // Two replicates a draw, four draws. Per-draw means: base 10, 20, 30, 40;
  // values 9, 21, 27, 40 -> differences -1, +1, -3, 0.
  const std::vector<double> base = {9, 11, 19, 21, 29, 31, 39, 41};
  const std::vector<double> values = {8, 10, 20, 22, 26, 28, 40, 40};
  const auto d = paired_by_draw(values, base, 2);
  CHECK(d.mean == Approx(-0.75));
  CHECK(d.p_lower == Approx(0.625));  // two lower, one tie (half), one higher
  // Sorted differences -3, -1, 0, 1: numpy's linear quantiles.
  CHECK(d.low == Approx(-3 + 0.075 * 2));
  CHECK(d.high == Approx(0 + 0.925 * 1));
}

TEST_CASE("pairing by draw removes what the draws share: a policy that lowers every draw a little is lower in all",
          "[table][posterior]") {
  // The draws move the baseline a lot (parameter uncertainty); the policy is
  // 1 below it in every draw. Pooled, the difference would be lost in the
  // spread; paired, every draw shows it.
  std::vector<double> base, values;
  for (int k = 0; k < 50; ++k)
    for (int r = 0; r < 3; ++r) {
      base.push_back(100.0 * k + r);
      values.push_back(100.0 * k + r - 1.0);
    }
  const auto d = paired_by_draw(values, base, 3);
  CHECK(d.mean == Approx(-1.0));
  CHECK(d.low == Approx(-1.0));
  CHECK(d.high == Approx(-1.0));
  CHECK(d.p_lower == 1.0);
}

TEST_CASE("the comparison table says what its intervals cover, with or without draws", "[table][posterior]") {
  harmsim::model::ReplicateResult r{};
  const std::vector<harmsim::model::ReplicateResult> reps(4, r);
  const std::string plain = harmsim::app::comparison_table({{"baseline", &reps}, {"policy", &reps}}, 10);
  CHECK(plain.find("(Welch) interval") != std::string::npos);
  CHECK(plain.find("P(lower)") == std::string::npos);
  const std::string drawn = harmsim::app::comparison_table({{"baseline", &reps, 2}, {"policy", &reps, 2}}, 10);
  CHECK(drawn.find("paired by parameter draw") != std::string::npos);
  CHECK(drawn.find("P(lower)") != std::string::npos);
}

TEST_CASE("the comparison table starts a mean's interval at 0 and gives every metric name its own column", "[table]") {
  // Deportations 1 in one replicate of four, 0 in the others: Student's t
  // interval of the mean goes below 0, which no count can.
  using harmsim::model::Metric;
  std::vector<harmsim::model::ReplicateResult> reps(4);
  reps[0].totals[harmsim::model::index(Metric::deportations)] = 1.0;
  const harmsim::model::TotalSummary t = harmsim::model::summarize_totals(reps, Metric::deportations);
  REQUIRE(t.ci_low < 0.0);
  const std::string table = harmsim::app::comparison_table({{"baseline", &reps}}, 10);
  const auto line_of = [&](std::string_view metric) {
    std::string needle = "\n";
    needle.append(metric).push_back(' ');
    const std::size_t at = table.find(needle);
    REQUIRE(at != std::string::npos);
    return table.substr(at + 1, table.find('\n', at + 1) - at - 1);
  };
  CHECK(line_of("deportations").find("[0.000, ") != std::string::npos);
  CHECK(table.find("Monte Carlo noise") != std::string::npos);
  // The longest name, and the scenario after it in the same column as after a short one.
  const std::string longest = line_of("victims_identified_investigation"), short_name = line_of("exits");
  CHECK(longest.find("baseline") == short_name.find("baseline"));
}

TEST_CASE("a duration is shown in tenths below ten seconds then in seconds minutes and hours", "[table]") {
  using harmsim::app::duration_text;
  CHECK(duration_text(0.0) == "0.0s");
  CHECK(duration_text(4.24) == "4.2s");
  CHECK(duration_text(9.96) == "10s");  // not "10.0s"
  CHECK(duration_text(42.4) == "42s");
  CHECK(duration_text(59.6) == "1m00s");
  CHECK(duration_text(88.0) == "1m28s");
  CHECK(duration_text(7500.0) == "2h05m");
  // Unknown: no rate yet, or a rate so low that the estimate means nothing.
  CHECK(duration_text(-1.0) == "?");
  CHECK(duration_text(std::nan("")) == "?");
  CHECK(duration_text(1e9) == "?");
}
