// Calibration files: TOML (toml++) into a validated Calibration
// (docs/calibration.md).
#include "io/calibration.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

#include "io/toml_input.hpp"

namespace harmsim::io {

namespace {

using core::ParamSpec;
using core::ParamType;
using toml_input::describe;
using toml_input::FileParser;
using toml_input::in_file_order;
using toml_input::Position;
using toml_input::position_of;

constexpr std::array<std::string_view, 9> kKeys = {"targets", "method",     "waves",      "points", "replicates",
                                                   "seed",    "cutoff",     "parameters", "description"};
constexpr std::string_view kKeyList =
    "a calibration key (targets, method, waves, points, replicates, seed, cutoff, description, and [parameters])";
constexpr std::array<std::string_view, 1> kMethods = {"history_matching"};

std::string number_text(double v) { return std::abs(v) >= 1e15 ? fmt::format("{:g}", v) : fmt::format("{}", v); }

class CalibrationParser : public FileParser {
 public:
  CalibrationParser(std::string source, std::filesystem::path directory)
      : FileParser(std::move(source)), directory_(std::move(directory)) {}

  Calibration parse(std::string_view text) {
    const toml::table root = toml_input::parse(text, source());
    Calibration c;
    c.source = source();
    only_keys(root, {kKeys.begin(), kKeys.end()}, "", std::string(kKeyList));
    if (const toml::node* d = root.get("description")) {
      if (!d->is_string()) fail(d, "description", "a string", describe(*d));
      c.description = *d->value<std::string>();
    }
    load_targets_file(root, c);
    if (const toml::node* m = root.get("method")) {
      const std::string method = m->is_string() ? *m->value<std::string>() : std::string();
      if (std::find(kMethods.begin(), kMethods.end(), method) == kMethods.end()) {
        const std::string near = nearest(method, {kMethods.begin(), kMethods.end()});
        fail(m, "method", "\"history_matching\" (Bayesian history matching with Gaussian-process emulators)",
             describe(*m), near.empty() || near == method ? "" : fmt::format("did you mean `{}`?", near));
      }
      c.method = method;
    }
    c.waves = integer(root, "waves", c.waves, 1, 50, "an integer in [1, 50] (waves of history matching, at most)");
    c.points = integer(root, "points", c.points, 10, 1'000'000,
                       "an integer in [10, 1000000] (simulated parameter sets per wave)");
    c.replicates = integer(root, "replicates", c.replicates, 2, 100'000,
                           "an integer in [2, 100000] (replicates per point and scenario; two at least, for the "
                           "Monte-Carlo variance)");
    c.seed = static_cast<std::uint64_t>(integer(root, "seed", static_cast<std::int64_t>(c.seed), 0,
                                                9007199254740991LL,
                                                "an integer in [0, 9007199254740991] (the seed of the designs)"));
    if (const toml::node* n = root.get("cutoff")) {
      const double v = n->is_integer()  ? static_cast<double>(*n->value<std::int64_t>())
                       : n->is_number() ? *n->value<double>()
                                        : std::nan("");
      if (!(v > 0 && v <= 100))
        fail(n, "cutoff", "a number in (0, 100] (the implausibility cut-off; 3 is usual)", describe(*n));
      c.cutoff = v;
    }
    parse_parameters(root, c);
    for (std::size_t k = 0; k < c.targets.scenarios.size(); ++k) {
      const bool needed = std::any_of(c.fitted.begin(), c.fitted.end(), [&](std::size_t t) {
        const PublishedTarget& target = c.targets.targets[t];
        return target.quantity.scenario == k || (target.compare != Comparison::None && target.over.scenario == k);
      });
      if (needed) c.scenarios.push_back(k);
    }
    check_corners(c);
    c.calibration_id = sweep_hash(c.canonical_text());
    return c;
  }

 private:
  std::int64_t integer(const toml::table& root, const char* key, std::int64_t fallback, std::int64_t low,
                       std::int64_t high, const std::string& expected) const {
    const toml::node* n = root.get(key);
    if (n == nullptr) return fallback;
    if (!n->is_integer() || *n->value<std::int64_t>() < low || *n->value<std::int64_t>() > high)
      fail(n, key, expected, describe(*n));
    return *n->value<std::int64_t>();
  }

  void load_targets_file(const toml::table& root, Calibration& c) {
    const toml::node* t = root.get("targets");
    if (t == nullptr)
      fail(Position{}, "targets",
           "a key `targets` naming the targets file whose calibration targets are fitted (relative to the "
           "calibration file)",
           "none");
    if (!t->is_string()) fail(t, "targets", "a targets file name (a string)", describe(*t));
    c.targets_file = *t->value<std::string>();
    const std::filesystem::path path = directory_ / c.targets_file;
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
      fail(t, "targets", "a targets file (path relative to the calibration file)",
           fmt::format("\"{}\", which is not a readable file ({})", c.targets_file, path.string()));
    c.targets = load_targets(path);  // its own errors name that file
    for (std::size_t i = 0; i < c.targets.targets.size(); ++i)
      if (c.targets.targets[i].use == TargetUse::Calibration) c.fitted.push_back(i);
    if (c.fitted.empty())
      fail(t, "targets", "a targets file with at least one target of use = \"calibration\"",
           fmt::format("none in {}", c.targets_file));
  }

  void parse_parameters(const toml::table& root, Calibration& c) {
    const toml::node* node = root.get("parameters");
    const toml::table* table = node != nullptr ? node->as_table() : nullptr;
    if (node == nullptr)
      fail(Position{}, "parameters",
           "a table [parameters] of the fitted model parameters, \"section.key\" = [low, high]", "none");
    if (table == nullptr || table->empty())
      fail(node, "parameters", "a table [parameters] of \"section.key\" = [low, high] (the uniform prior ranges)",
           table == nullptr ? describe(*node) : std::string("an empty [parameters]"));
    for (auto [k, v] : in_file_order(*table)) {
      const Position at = position_of(k->source());
      const std::string name(k->str());
      const std::string key = "parameters." + name;
      SweptParameter p;
      p.name = name;
      if (name.rfind("policy.", 0) == 0)
        fail(at, key, "a model parameter \"section.key\" (see `harmsim params`)",
             fmt::format("`{}`, a policy's parameter", name),
             "calibration fits the model's parameters, which every scenario shares");
      std::string near;
      const ParamSpec* spec = resolve_model_parameter(name, &near);
      if (spec == nullptr)
        fail(at, key, "a model parameter \"section.key\" (see `harmsim params`)",
             fmt::format("unknown parameter `{}`", name),
             near.empty() ? "" : fmt::format("did you mean `{}`?", near));
      p.spec = *spec;
      if (spec->type != ParamType::Real)
        fail(at, key, "a parameter that is a number (calibration fits continuous parameters)",
             fmt::format("`{}`, {} {}", name, spec->type == ParamType::Int ? "an" : "a", core::type_name(spec->type)));
      const std::string range = fmt::format("[{}, {}]", number_text(spec->min), number_text(spec->max));
      const toml::array* pair = v->as_array();
      auto number = [&](const toml::node* n) {
        if (n == nullptr || !n->is_number())
          fail(n, key, fmt::format("a prior range [low, high] of numbers within {}", range),
               fmt::format("an element {}", n != nullptr ? describe(*n) : std::string("nothing")));
        const double x = n->is_integer() ? static_cast<double>(*n->value<std::int64_t>()) : *n->value<double>();
        if (!std::isfinite(x) || x < spec->min || x > spec->max)
          fail(n, key, fmt::format("a prior range [low, high] within {}, the parameter's range", range),
               fmt::format("an element {}", describe(*n)));
        return x;
      };
      if (pair == nullptr || pair->size() != 2)
        fail(v, key, fmt::format("a prior range [low, high] of numbers within {}", range), describe(*v));
      p.low = number(pair->get(0));
      p.high = number(pair->get(1));
      if (!(p.low < p.high))
        fail(v, key, "a prior range [low, high] with low < high",
             fmt::format("[{}, {}]", number_text(p.low), number_text(p.high)));
      positions_.push_back(at);
      c.parameters.push_back(std::move(p));
    }
  }

  // Every scenario is checked at the corners of the prior box that matter
  // most (all low, all high) and at its centre, as scenario files are
  // checked, before anything runs; each design point is checked again
  // before its wave runs.
  void check_corners(const Calibration& c) const {
    const std::size_t n = c.parameters.size();
    const std::array<const char*, 3> where = {"all low", "all high", "centre"};
    for (std::size_t corner = 0; corner < where.size(); ++corner) {
      std::vector<double> point(n);
      for (std::size_t j = 0; j < n; ++j) {
        const SweptParameter& p = c.parameters[j];
        point[j] = corner == 0 ? p.low : corner == 1 ? p.high : 0.5 * (p.low + p.high);
      }
      for (std::size_t s : c.scenarios) {
        const Sweep sweep = make_sweep(c.base_scenario(s), c.parameters, {point}, SweepDesign::Points, c.seed);
        try {
          check_point(sweep, 0);
        } catch (const ScenarioError& e) {
          Position at{};
          for (std::size_t j = 0; j < n; ++j)
            if (c.parameters[j].name == e.key) at = positions_[j];
          std::vector<std::string> settings;
          for (std::size_t j = 0; j < n; ++j)
            settings.push_back(fmt::format("{} = {}", c.parameters[j].name, number_text(point[j])));
          fail(at, e.key, e.expected,
               fmt::format("{} with the prior ranges' {} ({})", e.found, where[corner], fmt::join(settings, ", ")),
               e.hint);
        }
      }
    }
  }

  std::filesystem::path directory_;
  std::vector<Position> positions_;  // of each parameter's key
};

}  // namespace

std::string_view scale_name(TargetScale s) noexcept {
  switch (s) {
    case TargetScale::Identity: return "identity";
    case TargetScale::Log: return "log";
    case TargetScale::Log1p: return "log1p";
  }
  return "?";
}

TargetScale target_scale(const PublishedTarget& t) noexcept {
  if (t.compare == Comparison::Change) return TargetScale::Log1p;
  if (t.quantity.kind == QuantityKind::OddsRatio || t.compare == Comparison::Ratio) return TargetScale::Log;
  return TargetScale::Identity;
}

Scenario Calibration::base_scenario(std::size_t i) const {
  Scenario s = targets.scenarios.at(i).scenario;
  s.params.replicates = replicates;
  s.source = source;
  return s;
}

std::string Calibration::canonical_text() const {
  std::string text = "harmsim calibration definition 1\n";
  text += fmt::format("method = {}\nwaves = {}\npoints = {}\nreplicates = {}\nseed = {}\ncutoff = {:a}\n", method,
                      waves, points, replicates, seed, cutoff);
  for (const SweptParameter& p : parameters)
    text += fmt::format("parameter = {} {:a} {:a}\n", p.name, p.low, p.high);
  for (std::size_t t : fitted) {
    const PublishedTarget& target = targets.targets[t];
    text += fmt::format("target = {} {} value {:a} interval {:a} {:a} scale {}: {}\n", target.id,
                        kind_name(target.quantity.kind), target.value.value_or(std::nan("")), target.low, target.high,
                        scale_name(target_scale(target)), describe_target(targets, target));
  }
  for (std::size_t s : scenarios) {
    text += fmt::format("[scenario {}]\n", targets.scenarios[s].scenario.name);
    text += to_toml(base_scenario(s));
  }
  return text;
}

Calibration parse_calibration(std::string_view text, std::string_view source, const std::filesystem::path& directory) {
  return CalibrationParser(std::string(source), directory).parse(text);
}

Calibration load_calibration(const std::filesystem::path& file) {
  const std::string text = toml_input::read_file(file, "calibration file");
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parse_calibration(text, file.string(), directory);
}

}  // namespace harmsim::io
