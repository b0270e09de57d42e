#pragma once
// Calibration files (TOML): which uncertain model parameters `harmsim
// calibrate` fits, over which prior ranges, to the calibration targets of a
// targets file, and how (docs/calibration.md). Errors are ScenarioErrors in
// the style of scenario files: file, line, column, key, expected, found and
// the nearest valid name (docs/errors.md).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "io/sweep.hpp"
#include "io/targets.hpp"

namespace harmsim::io {

// The scale on which calibration compares a target with the model: odds
// ratios and ratios (compare = "ratio") on the log scale, where their
// intervals are symmetric, a change (compare = "change", A / B - 1) as the
// log of the ratio, log(1 + value) ("log1p"); everything else as it is.
enum class TargetScale : std::uint8_t { Identity, Log, Log1p };
[[nodiscard]] std::string_view scale_name(TargetScale s) noexcept;
[[nodiscard]] TargetScale target_scale(const PublishedTarget& t) noexcept;

struct Calibration {
  std::string source;        // the calibration file, for messages
  std::string description;   // free text
  std::string targets_file;  // `targets` as written (relative to the calibration file)
  TargetsFile targets;
  std::string method = "history_matching";
  std::int64_t waves = 4;       // at most
  std::int64_t points = 200;    // simulated parameter sets per wave
  std::int64_t replicates = 4;  // per point and scenario
  std::uint64_t seed = 1;       // of the designs and the emulators
  double cutoff = 3.0;          // implausibility cut-off
  // The fitted parameters in file order: name, declaration and the uniform
  // prior range [low, high] (SweptParameter::low, high).
  std::vector<SweptParameter> parameters;
  // Indices into targets.targets of the targets with use = "calibration",
  // in file order.
  std::vector<std::size_t> fitted;
  // Indices into targets.scenarios of the scenarios those targets need, in
  // the order of targets.scenarios; each is run at every point of a wave.
  std::vector<std::size_t> scenarios;
  std::string calibration_id;  // 32 hex digits: hash of canonical_text()

  // Scenario targets.scenarios[i] as every wave's sweep varies it: the
  // calibration's replicates.
  [[nodiscard]] Scenario base_scenario(std::size_t i) const;
  // Everything that determines the result, as text: the settings, the
  // parameters and their ranges, every fitted target (its interval, value
  // and quantity) and every scenario they need, resolved (to_toml). Paths
  // and the validation targets are not in it.
  [[nodiscard]] std::string canonical_text() const;
};

// Reads a calibration file, its targets file and the scenario files that
// one names. Throws ScenarioError naming the file at fault.
Calibration load_calibration(const std::filesystem::path& file);
// The same from text; `directory` resolves `targets`.
Calibration parse_calibration(std::string_view text, std::string_view source, const std::filesystem::path& directory);

}  // namespace harmsim::io
