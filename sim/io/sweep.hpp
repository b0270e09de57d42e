#pragma once
// Sweep files (TOML): a base scenario and a design (a grid, a Latin
// hypercube, or an explicit list of points) over any of its parameters,
// resolved into a list of points, each a fully validated scenario
// (docs/sweeps.md). Calibration (io/calibration.hpp) builds its sweeps with
// make_sweep, on the same Latin hypercube and the same checks. Errors are ScenarioErrors in the
// style of scenario files: file, line, column, key, expected, found and the
// nearest valid name.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/param_spec.hpp"
#include "io/scenario.hpp"

namespace harmsim::io {

enum class SweepDesign : std::uint8_t { Grid, LatinHypercube, Points };

[[nodiscard]] constexpr std::string_view design_name(SweepDesign d) noexcept {
  switch (d) {
    case SweepDesign::Grid: return "grid";
    case SweepDesign::LatinHypercube: return "lhs";
    case SweepDesign::Points: return "points";
  }
  return "?";
}

// One parameter the sweep varies.
struct SweptParameter {
  std::string name;           // "encounter.rate_per_day", or "policy.0.officers"
  core::ParamSpec spec{};     // its declaration: type, range, unit
  std::ptrdiff_t policy = -1; // index into the scenario's policies; -1: a model parameter
  std::vector<double> grid;   // the grid's values (Grid), or the parameter's column of values (Points)
  double low = 0, high = 0;   // the range (LatinHypercube)
};

struct Sweep {
  std::string source;           // the sweep file, for messages
  std::string base_file;        // `base` as written in the sweep file
  Scenario base;                // the chosen scenario, replicates set to the sweep's
  SweepDesign design = SweepDesign::Grid;
  std::uint64_t design_seed = 1;  // `seed`: the Latin hypercube's draws
  std::int64_t replicates = 0;
  std::vector<SweptParameter> parameters;   // in file order
  std::vector<std::vector<double>> values;  // [point][parameter]; booleans as 0/1
  std::string sweep_id;         // 32 hex digits: hash of canonical_text()
  // The prefix of the points' RNG stream names; empty: the base scenario's
  // name. Calibration gives each wave streams of its own ("baseline/w2").
  std::string streams;

  [[nodiscard]] std::size_t points() const noexcept { return values.size(); }
  [[nodiscard]] std::size_t units() const noexcept {
    return values.size() * static_cast<std::size_t>(replicates);
  }
  // The name of point k's RNG streams, "<scenario>/p<k>" (core::stream_seed;
  // "<streams>/p<k>" when `streams` is set): the same whichever thread, rank
  // or shard runs it.
  [[nodiscard]] std::string stream_name(std::size_t point) const;
  // The base scenario with point k's values; its name is stream_name(k).
  [[nodiscard]] Scenario point_scenario(std::size_t point) const;
  // Everything that determines the results, as text: the resolved base
  // scenario, the replicates and every point's values (as hexadecimal
  // floats). sweep_id is its hash; the paths of the files are not in it.
  [[nodiscard]] std::string canonical_text() const;
};

// Reads a sweep file and the scenario file it names (relative to the sweep
// file). Throws ScenarioError, naming the sweep file or the base file.
Sweep load_sweep(const std::filesystem::path& file);
// The same from text; `directory` resolves `base`.
Sweep parse_sweep(std::string_view text, std::string_view source, const std::filesystem::path& directory);

// A sweep over `values` ([point][parameter], each within its parameter's
// declared range and of its type) of `parameters` (resolved with
// resolve_model_parameter or by a sweep file) on `base`, whose
// params.replicates gives the replicates per point; sweep_id computed.
// Nothing is checked here: check_point does it point by point.
[[nodiscard]] Sweep make_sweep(Scenario base, std::vector<SweptParameter> parameters,
                               std::vector<std::vector<double>> values, SweepDesign design,
                               std::uint64_t design_seed, std::string streams = {});

// Point k of `sweep` checked as a scenario file would be (the rules across
// keys, the policies' own checks); throws the ScenarioError of that check,
// whose source is "SOURCE point p<k>".
void check_point(const Sweep& sweep, std::size_t point);

// The Latin hypercube of docs/sweeps.md: `points` points over the ranges
// [low, high] of `parameters`, parameter j drawn from the stream
// stream_seed(seed, "lhs/<name>", 0). [point][parameter].
[[nodiscard]] std::vector<std::vector<double>> latin_hypercube(const std::vector<SweptParameter>& parameters,
                                                               std::size_t points, std::uint64_t seed);

// The declaration of a model parameter "section.key", or null with the
// nearest valid name (possibly empty) in `nearest_name`.
[[nodiscard]] const core::ParamSpec* resolve_model_parameter(const std::string& name, std::string* nearest_name);

// Sets one parameter of `s` ("section.key" or "policy.N.key", as checked by
// the parser) to `value` (an integer parameter gets the integer, a boolean
// value != 0).
void set_parameter(Scenario& s, const SweptParameter& p, double value);

// 32 hex digits of a 128-bit FNV-1a-based hash of `text`.
[[nodiscard]] std::string sweep_hash(std::string_view text);

}  // namespace harmsim::io
