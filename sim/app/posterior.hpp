#pragma once
// `harmsim run --posterior CALIB.h5 --draws N`: every scenario run over N
// parameter sets drawn from a calibration's accepted sets, replicates inside
// each draw (docs/output.md "Parameter draws").
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "io/scenario.hpp"
#include "io/sweep.hpp"

namespace harmsim::app {

// --draws without a value; and the most a run takes (each draw is a full set
// of replicates of every scenario: thousands are a day's work on a cluster,
// not a typo's worth).
inline constexpr std::int64_t kDefaultDraws = 50;
inline constexpr std::int64_t kMaxDraws = 100000;

struct PosteriorDraws {
  std::string calibration;     // the calibration file as given
  std::string calibration_id;  // its id
  std::vector<io::SweptParameter> parameters;  // the drawn parameters, in the calibration file's order
  std::size_t accepted = 0;    // accepted sets in the file
  bool with_replacement = false;  // more draws than accepted sets
  std::vector<std::size_t> sets;            // [draw]: the accepted set it is (row of /accepted/points)
  std::vector<std::vector<double>> points;  // [draw][parameter]

  [[nodiscard]] std::size_t draws() const noexcept { return sets.size(); }
  [[nodiscard]] std::vector<std::string> names() const;
  // The draws as text for the checkpoints' run identity: a resumed run must
  // have drawn the same sets.
  [[nodiscard]] std::string identity_text() const;
  // [draws × parameters], row-major (/posterior/points).
  [[nodiscard]] std::vector<double> flat_points() const;
};

// Reads the accepted sets of the calibration file `path` and draws `draws`
// of them from the stream stream_seed(seed, "posterior", 0): without
// replacement (a partial Fisher–Yates shuffle) when the file has at least
// that many, else with replacement. Throws io::IoError naming the file (a
// damaged or wrong file, no accepted sets, a parameter this harmsim does not
// have).
[[nodiscard]] PosteriorDraws draw_posterior(const std::string& path, std::size_t draws, std::uint64_t seed);

// Scenario s under draw k: the drawn values set on its parameters, as a
// sweep sets a point's (io::set_parameter); its name and seed are s's. A
// value the scenario's own rules refuse (its range, rules across keys, a
// policy's checks) throws an io::IoError naming the calibration file, the
// draw and the check.
[[nodiscard]] io::Scenario draw_scenario(const io::Scenario& s, const PosteriorDraws& p, std::size_t k);

}  // namespace harmsim::app
