#pragma once
// Targets files (TOML): every published figure the model should reproduce,
// with its value, its interval, its source, and whether calibration uses it
// or validation keeps it back (docs/targets.md). Each target names a
// quantity of the model's results: a level or a rate of a metric in a group
// of strata, a horizon total, an odds ratio or a share of workers exposed or
// with an outcome from the exposure tables, in a scenario of a scenario file;
// or the ratio of two such quantities.
// app/evaluate.hpp computes them; `harmsim targets` runs and prints them.
//
// Errors are ScenarioErrors in the style of scenario files: file, line,
// column, key, expected, found and the nearest valid name (docs/errors.md).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/scenario.hpp"
#include "model/metrics.hpp"

namespace harmsim::io {

// Calibration fits the model to a target, validation keeps it back; a seed
// case's figure is met through the inputs of its case file (MODEL.md §6).
enum class TargetUse : std::uint8_t { Calibration, Validation, Case };
enum class QuantityKind : std::uint8_t { Level, Rate, Total, OddsRatio, Share };
enum class Comparison : std::uint8_t { None, Ratio, Change };
enum class RateUnit : std::uint8_t { WorkerYear, ThousandWorkerDays };
enum class OddsAdjustment : std::uint8_t { None, Sector };

[[nodiscard]] std::string_view use_name(TargetUse u) noexcept;
[[nodiscard]] std::string_view kind_name(QuantityKind k) noexcept;

// One number of the model's results.
struct Quantity {
  std::size_t scenario = 0;  // index into TargetsFile::scenarios
  QuantityKind kind = QuantityKind::Level;
  // level, rate, total
  model::Metric metric{};
  std::string stratum = "all";      // the group as written
  std::vector<std::size_t> strata;  // its strata (indices of model::strata_names)
  RateUnit per = RateUnit::WorkerYear;  // rate
  bool per_year = false;                // total
  // odds_ratio: indices into model::kExposures and kOutcomes, and the sectors
  // (model::kExposureStrata) whose tables it uses: all three, or the one of
  // `stratum = "sector/NAME"`.
  std::size_t exposure = 0, outcome = 0;
  OddsAdjustment adjust = OddsAdjustment::Sector;
  std::vector<std::size_t> sectors;
  // share: the share of workers active on the last day who were exposed
  // (of_exposure) or had the outcome, in `sectors`, from the same tables.
  bool of_exposure = false;
};

struct PublishedTarget {
  std::string id, description, source, note;
  TargetUse use = TargetUse::Calibration;
  std::optional<double> value;  // the published figure; none for a bound such as [1, inf]
  double low = 0, high = 0;     // its interval; either end may be infinite
  Quantity quantity;            // A
  Comparison compare = Comparison::None;
  Quantity over;                // B, when compare is Ratio (A / B) or Change (A / B - 1)
  std::uint32_t line = 0;       // where the [[target]] begins
};

// A scenario some target needs.
struct TargetScenario {
  std::string file;  // the scenario file as the targets file names it (relative to it)
  std::filesystem::path path;  // where it was read
  Scenario scenario;
};

struct TargetsFile {
  std::string source;       // the targets file, for messages
  std::string description;  // free text
  std::vector<TargetScenario> scenarios;  // in the order targets first need them
  std::vector<PublishedTarget> targets;            // in file order
};

// Reads a targets file and the scenario files it names (relative to it).
TargetsFile load_targets(const std::filesystem::path& file);
// The same from text; `directory` resolves the scenario files.
TargetsFile parse_targets(std::string_view text, std::string_view source, const std::filesystem::path& directory);

// Groups of strata a level, rate or total can be taken over: `all`,
// `sector/street|venue|online`, `documented`, `undocumented`, `adult`,
// `minor`, `area/central|peripheral|isolated`, `community/K` (K below
// `communities`), and every cell name ("street/undocumented/adult/central").
[[nodiscard]] std::vector<std::string> stratum_group_names(std::size_t communities);
// The strata of a group (indices of model::strata_names(communities)), or
// none if the name is not a group.
[[nodiscard]] std::optional<std::vector<std::size_t>> stratum_group(std::string_view name, std::size_t communities);

// A quantity in words, e.g. "violence_12m in sector/street, baseline" or
// "OR policed_180d -> violence_180d, sector-adjusted, street_stings".
[[nodiscard]] std::string describe_quantity(const TargetsFile& file, const Quantity& q);
// The target's quantity in words, with the comparison ("A / B", "A / B - 1").
[[nodiscard]] std::string describe_target(const TargetsFile& file, const PublishedTarget& t);

}  // namespace harmsim::io
