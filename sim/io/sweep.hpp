#pragma once
// Sweep files (TOML): a base scenario and a design (a grid, or a Latin
// hypercube) over any of its parameters, resolved into a list of points, each
// a fully validated scenario (docs/sweeps.md). Errors are ScenarioErrors in the
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

enum class SweepDesign : std::uint8_t { Grid, LatinHypercube };

[[nodiscard]] constexpr std::string_view design_name(SweepDesign d) noexcept {
  return d == SweepDesign::Grid ? "grid" : "lhs";
}

// One parameter the sweep varies.
struct SweptParameter {
  std::string name;           // "encounter.rate_per_day", or "policy.0.officers"
  core::ParamSpec spec{};     // its declaration: type, range, unit
  std::ptrdiff_t policy = -1; // index into the scenario's policies; -1: a model parameter
  std::vector<double> grid;   // the grid's values (Grid)
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

  [[nodiscard]] std::size_t points() const noexcept { return values.size(); }
  [[nodiscard]] std::size_t units() const noexcept {
    return values.size() * static_cast<std::size_t>(replicates);
  }
  // The name of point k's RNG streams, "<scenario>/p<k>" (core::stream_seed):
  // the same whichever thread, rank or shard runs it.
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

// Sets one parameter of `s` ("section.key" or "policy.N.key", as checked by
// the parser) to `value` (an integer parameter gets the integer, a boolean
// value != 0).
void set_parameter(Scenario& s, const SweptParameter& p, double value);

// 32 hex digits of a 128-bit FNV-1a-based hash of `text`.
[[nodiscard]] std::string sweep_hash(std::string_view text);

}  // namespace harmsim::io
