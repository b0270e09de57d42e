#include "app/posterior.hpp"

#include <numeric>
#include <utility>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "io/calibration_output.hpp"
#include "io/hdf5_writer.hpp"

namespace harmsim::app {

std::vector<std::string> PosteriorDraws::names() const {
  std::vector<std::string> out;
  for (const io::SweptParameter& p : parameters) out.push_back(p.name);
  return out;
}

std::string PosteriorDraws::identity_text() const {
  std::string text = fmt::format("posterior = {}, {} draws of {} sets\n", calibration_id, draws(), accepted);
  for (const std::string& name : names()) text += fmt::format("posterior parameter = {}\n", name);
  for (std::size_t k = 0; k < draws(); ++k) {
    text += fmt::format("draw {} = set {}:", k, sets[k]);
    for (double v : points[k]) text += fmt::format(" {:a}", v);
    text += '\n';
  }
  return text;
}

std::vector<double> PosteriorDraws::flat_points() const {
  std::vector<double> flat;
  for (const auto& row : points) flat.insert(flat.end(), row.begin(), row.end());
  return flat;
}

PosteriorDraws draw_posterior(const std::string& path, std::size_t draws, std::uint64_t seed) {
  const io::AcceptedSets accepted = io::read_accepted_sets(path);
  PosteriorDraws p;
  p.calibration = path;
  p.calibration_id = accepted.calibration_id;
  p.accepted = accepted.sets;
  if (accepted.sets > UINT32_MAX) throw io::IoError(fmt::format("{}: more accepted sets than harmsim draws from", path));
  if (accepted.sets == 0)
    throw io::IoError(fmt::format("{}: no accepted parameter sets (the calibration found none); nothing to draw from",
                                  path));
  for (const std::string& name : accepted.parameters) {
    std::string near;
    const core::ParamSpec* spec = io::resolve_model_parameter(name, &near);
    if (spec == nullptr)
      throw io::IoError(fmt::format("{}: parameter `{}` is not a model parameter of this harmsim", path, name));
    io::SweptParameter swept;
    swept.name = name;
    swept.spec = *spec;
    p.parameters.push_back(std::move(swept));
  }
  // Whatever the layout of the run, the draws depend on the seed and the
  // file only.
  core::Rng rng(core::stream_seed(seed, "posterior", 0));
  p.with_replacement = draws > accepted.sets;
  if (p.with_replacement) {
    for (std::size_t k = 0; k < draws; ++k) p.sets.push_back(rng.below(static_cast<std::uint32_t>(accepted.sets)));
  } else {
    std::vector<std::size_t> order(accepted.sets);
    std::iota(order.begin(), order.end(), std::size_t{0});
    for (std::size_t k = 0; k < draws; ++k) {
      const std::size_t j = k + rng.below(static_cast<std::uint32_t>(accepted.sets - k));
      std::swap(order[k], order[j]);
      p.sets.push_back(order[k]);
    }
  }
  const std::size_t columns = accepted.parameters.size();
  for (std::size_t set : p.sets)
    p.points.emplace_back(accepted.points.begin() + static_cast<std::ptrdiff_t>(set * columns),
                          accepted.points.begin() + static_cast<std::ptrdiff_t>((set + 1) * columns));
  return p;
}

io::Scenario draw_scenario(const io::Scenario& s, const PosteriorDraws& p, std::size_t k) {
  io::Scenario drawn = s;
  for (std::size_t j = 0; j < p.parameters.size(); ++j) io::set_parameter(drawn, p.parameters[j], p.points.at(k)[j]);
  try {
    (void)io::parse_scenarios(io::to_toml(drawn), s.source);
  } catch (const io::ScenarioError& e) {
    // Named by the calibration file and the draw: the line of the generated
    // TOML would point nowhere a user can look.
    throw io::IoError(fmt::format("{}: draw {} (accepted set {}) gives scenario `{}` ({}) a value it refuses: key "
                                  "`{}`: expected {}, found {}{}",
                                  p.calibration, k, p.sets.at(k), s.name, s.source, e.key, e.expected, e.found,
                                  e.hint.empty() ? "" : "; " + e.hint));
  }
  return drawn;
}

}  // namespace harmsim::app
