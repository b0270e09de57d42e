#pragma once
// The files of a calibration (docs/calibration.md, docs/output.md
// "Calibration files"):
// - OUT.work/problem.h5: what the fit step (analysis/harmsim_analysis/
//   calibrate.py) needs to know of the calibration: parameters, ranges,
//   targets, their scales, the settings.
// - OUT.work/wave<k>/simulated.h5: the design of wave k and every fitted
//   target's value and Monte-Carlo variance at every point (app/evaluate.hpp
//   on the wave's sweeps).
// - OUT.work/wave<k>/fit.h5: written by the fit step: implausibilities, the
//   emulators' diagnostics, the share of the prior box kept, the next wave's
//   design, the accepted sets so far. Read here.
// - OUT: the calibration file, assembled from them.
// Each is written under a temporary name and renamed once complete (root
// attribute complete = 1 written last), like results files.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "io/calibration.hpp"

namespace harmsim::io {

// docs/output.md "Calibration files". Bump with any change to the layout.
inline constexpr std::int64_t kCalibrationSchemaVersion = 1;

// One wave's simulations, evaluated.
struct WaveSimulation {
  std::int64_t wave = 0;  // 1-based
  std::size_t points = 0, parameters = 0, targets = 0;
  std::vector<double> design;    // [points × parameters]
  std::vector<double> values;    // [points × targets]: each fitted target's model value (NaN: none)
  std::vector<double> variance;  // [points × targets]: its Monte-Carlo variance, se² (NaN: none)
  double seconds = 0;            // wall time of the simulations (not part of the result)
};

// What the fit step concluded after wave k (fit.h5).
struct WaveFit {
  std::int64_t wave = 0;
  double kept_share = 0;          // estimated share of the prior box not implausible after this wave
  bool stop = false;              // no further wave
  std::string stop_reason;        // "waves", "empty", "converged"
  std::int64_t candidates = 0, non_implausible = 0;  // candidate points drawn, and how many were kept
  double seconds = 0;             // wall time of the fit (not part of the result)
  std::vector<double> implausibility;         // [points]: of each simulated point of this wave, max over targets
  std::vector<double> target_implausibility;  // [points × targets]
  std::vector<double> emulator_r2;            // [targets]: leave-one-out R² of this wave's emulators
  std::vector<std::int64_t> emulator_points;  // [targets]: points each emulator was trained on
  std::vector<double> target_kept_share;      // [targets]: share of the candidates each target alone keeps
  std::vector<std::string> kernels;           // [targets]: the fitted kernels, as text
  std::size_t next_points = 0;
  std::vector<double> next_design;            // [next_points × parameters]
  // The accepted sets among the points simulated so far (all waves).
  std::vector<std::int64_t> accepted_wave, accepted_index;
  std::vector<std::uint8_t> accepted_within;
  std::vector<double> accepted_implausibility;
  std::int64_t best_wave = -1, best_index = -1;  // -1: no point has every value
  bool best_accepted = false, best_within = false;
  double best_implausibility = 0;
};

void write_problem(const std::filesystem::path& path, const Calibration& c);
void write_wave_simulation(const std::filesystem::path& path, const WaveSimulation& w);
// IoError if the file is missing, unfinished or not of this shape.
[[nodiscard]] WaveSimulation read_wave_simulation(const std::filesystem::path& path, std::size_t parameters,
                                                  std::size_t targets);
[[nodiscard]] WaveFit read_wave_fit(const std::filesystem::path& path, std::size_t wave_points,
                                    std::size_t parameters, std::size_t targets);
// A finished file (complete = 1) is there.
[[nodiscard]] bool complete_file(const std::filesystem::path& path);

struct CalibrationRunInfo {
  std::string command_line, started_at;
  double wall_seconds = 0;
};

// The calibration file OUT (written as OUT.partial, renamed once complete).
void write_calibration(const std::filesystem::path& path, const Calibration& c,
                       const std::vector<WaveSimulation>& waves, const std::vector<WaveFit>& fits,
                       const CalibrationRunInfo& info);

// What an existing OUT is: a finished calibration file and its id.
struct CalibrationFileStatus {
  bool calibration = false, complete = false;
  std::string calibration_id;
};
[[nodiscard]] CalibrationFileStatus inspect_calibration_file(const std::filesystem::path& path);

// The accepted parameter sets of a finished calibration file (/accepted/points,
// columns /parameters/names): what `harmsim run --posterior` draws from.
struct AcceptedSets {
  std::string calibration_id;
  std::vector<std::string> parameters;  // "section.key", in the file's order
  std::size_t sets = 0;
  std::vector<double> points;           // [sets × parameters]
};
// IoError naming the file if it is not a finished calibration file of this
// schema version, or its accepted sets are not of that shape or not finite.
[[nodiscard]] AcceptedSets read_accepted_sets(const std::filesystem::path& path);

}  // namespace harmsim::io
