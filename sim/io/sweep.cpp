// Sweep files: TOML (toml++) into a validated list of points (docs/sweeps.md).
#include "io/sweep.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "core/rng.hpp"
#include "io/toml_input.hpp"
#include "model/parameters.hpp"
#include "policy/policies.hpp"

namespace harmsim::io {

namespace {

using core::ParamSpec;
using core::ParamType;
using toml_input::describe;
using toml_input::FileParser;
using toml_input::in_file_order;
using toml_input::Position;
using toml_input::position_of;
using toml_input::range_text;

// More points than this is almost surely a mistake in a grid (and would not
// fit in memory as a design anyway).
constexpr std::size_t kMaxPoints = 10'000'000;
constexpr std::int64_t kMaxLhsPoints = 1'000'000;

std::string full_name(const ParamSpec& s) { return fmt::format("{}.{}", s.section, s.key); }

class SweepParser : public FileParser {
 public:
  SweepParser(std::string source, std::filesystem::path directory)
      : FileParser(std::move(source)), directory_(std::move(directory)) {}

  Sweep parse(std::string_view text) {
    const toml::table root = toml_input::parse(text, source());
    only_keys(root, {"base", "scenario", "replicates", "seed", "grid", "lhs", "points", "description"}, "",
              "a sweep key (base, scenario, replicates, seed, description, and [grid], [lhs] or [points])");
    Sweep sweep;
    sweep.source = source();
    load_base(root, sweep);

    if (const toml::node* d = root.get("description"); d != nullptr && !d->is_string())
      fail(d, "description", "a string", describe(*d));
    sweep.replicates = sweep.base.params.replicates;
    if (const toml::node* r = root.get("replicates")) {
      if (!r->is_integer() || *r->value<std::int64_t>() < 1 || *r->value<std::int64_t>() > 1000000)
        fail(r, "replicates", "an integer in [1, 1000000] (replicates per point)", describe(*r));
      sweep.replicates = *r->value<std::int64_t>();
    }
    sweep.base.params.replicates = sweep.replicates;
    if (const toml::node* s = root.get("seed")) {
      if (!s->is_integer() || *s->value<std::int64_t>() < 0)
        fail(s, "seed", "an integer >= 0 (the seed of the Latin hypercube's draws)", describe(*s));
      sweep.design_seed = static_cast<std::uint64_t>(*s->value<std::int64_t>());
    }

    const toml::node* grid = root.get("grid");
    const toml::node* lhs = root.get("lhs");
    const toml::node* list = root.get("points");
    if (grid != nullptr && lhs != nullptr)
      fail(lhs, "lhs", "either a [grid] or an [lhs] table", "both [grid] and [lhs]",
           "run them as two sweeps");
    if (list != nullptr && (grid != nullptr || lhs != nullptr))
      fail(list, "points", "one design: a [grid], an [lhs] or a [points] table",
           fmt::format("[points] and [{}]", grid != nullptr ? "grid" : "lhs"), "run them as two sweeps");
    if (grid == nullptr && lhs == nullptr && list == nullptr)
      fail(Position{}, "grid",
           "a [grid] table (every combination), an [lhs] table (Latin hypercube) or a [points] table (a list of "
           "points)",
           "neither");
    if (list != nullptr) {
      const toml::table* t = list->as_table();
      if (t == nullptr)
        fail(list, "points", "a table [points] of \"section.key\" = [values], one value per point", describe(*list));
      sweep.design = SweepDesign::Points;
      design_table_ = t;
      design_prefix_ = "points.";
      parse_points(*t, sweep);
    } else if (grid != nullptr) {
      const toml::table* t = grid->as_table();
      if (t == nullptr) fail(grid, "grid", "a table [grid] of \"section.key\" = [values]", describe(*grid));
      sweep.design = SweepDesign::Grid;
      design_table_ = t;
      design_prefix_ = "grid.";
      parse_grid(*t, sweep);
    } else {
      const toml::table* t = lhs->as_table();
      if (t == nullptr) fail(lhs, "lhs", "a table [lhs] with `points` and [lhs.ranges]", describe(*lhs));
      sweep.design = SweepDesign::LatinHypercube;
      design_prefix_ = "lhs.ranges.";
      parse_lhs(*t, sweep);
    }
    validate_points(sweep);
    sweep.sweep_id = sweep_hash(sweep.canonical_text());
    return sweep;
  }

 private:
  void load_base(const toml::table& root, Sweep& sweep) {
    const toml::node* base = root.get("base");
    if (base == nullptr)
      fail(Position{}, "base", "a key `base` naming the scenario file to vary (relative to the sweep file)",
           "none");
    if (!base->is_string()) fail(base, "base", "a scenario file name (a string)", describe(*base));
    sweep.base_file = *base->value<std::string>();
    const std::filesystem::path path = directory_ / sweep.base_file;
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
      fail(base, "base", "a scenario file (path relative to the sweep file)",
           fmt::format("\"{}\", which is not a readable file ({})", sweep.base_file, path.string()));
    std::vector<Scenario> scenarios = load_scenarios(path);  // its own errors name that file
    const toml::node* chosen = root.get("scenario");
    if (chosen == nullptr) {
      sweep.base = std::move(scenarios.front());
      return;
    }
    if (!chosen->is_string()) fail(chosen, "scenario", "a scenario name (a string)", describe(*chosen));
    const std::string name = *chosen->value<std::string>();
    std::vector<std::string_view> names;
    for (Scenario& s : scenarios) {
      if (s.name == name) {
        sweep.base = std::move(s);
        return;
      }
      names.push_back(s.name);
    }
    const std::string near = nearest(name, names);
    fail(chosen, "scenario", fmt::format("one of the scenarios of {}: {}", sweep.base_file, fmt::join(names, ", ")),
         fmt::format("\"{}\"", name), near.empty() ? "" : fmt::format("did you mean `{}`?", near));
  }

  // The declaration of a parameter name, or an error at `at`.
  SweptParameter resolve(const std::string& name, Position at, const Scenario& base) const {
    SweptParameter p;
    p.name = name;
    const std::string key = design_prefix_ + name;
    if (name.rfind("policy.", 0) == 0) {
      const std::string rest = name.substr(7);
      const std::size_t dot = rest.find('.');
      const std::string index_text = rest.substr(0, dot);
      std::vector<std::string> listing;
      for (std::size_t i = 0; i < base.policies.size(); ++i)
        listing.push_back(fmt::format("{} = {}", i, policy::info(base.policies[i]).type));
      const std::string expected =
          base.policies.empty()
              ? fmt::format("a model parameter (scenario `{}` has no policies to vary)", base.name)
              : fmt::format("policy.N.key with N the index of a policy of scenario `{}` ({})", base.name,
                            fmt::join(listing, ", "));
      const bool digits = !index_text.empty() && index_text.size() < 7 &&
                          std::all_of(index_text.begin(), index_text.end(), [](char c) { return c >= '0' && c <= '9'; });
      if (dot == std::string::npos || !digits) fail(at, key, expected, fmt::format("`{}`", name));
      const auto index = static_cast<std::size_t>(std::stoul(index_text));
      if (index >= base.policies.size())
        fail(at, key, expected, fmt::format("policy index {} in `{}`", index, name));
      const std::string policy_key = rest.substr(dot + 1);
      const policy::PolicyInfo& info = policy::info(base.policies[index]);
      std::vector<std::string_view> keys;
      bool found = false;
      for (const ParamSpec& spec : info.params) {
        keys.push_back(spec.key);
        if (spec.key == policy_key) {
          p.spec = spec;
          found = true;
        }
      }
      if (!found) {
        const std::string near = nearest(policy_key, keys);
        fail(at, key, fmt::format("a parameter of policy {} ({}) (see `harmsim params`)", index, info.type),
             fmt::format("unknown parameter `{}`", name),
             near.empty() ? "" : fmt::format("did you mean `policy.{}.{}`?", index, near));
      }
      p.policy = static_cast<std::ptrdiff_t>(index);
    } else {
      std::string near;
      const ParamSpec* spec = resolve_model_parameter(name, &near);
      if (spec == nullptr)
        fail(at, key, "a model parameter \"section.key\" (see `harmsim params`) or \"policy.N.key\"",
             fmt::format("unknown parameter `{}`", name), near.empty() ? "" : fmt::format("did you mean `{}`?", near));
      p.spec = *spec;
      if (name == "simulation.replicates")
        fail(at, key, "a parameter other than simulation.replicates", "`simulation.replicates`",
             "set `replicates = N` at the top of the sweep file");
    }
    if (p.spec.type == ParamType::List)
      fail(at, key, "a parameter that is an integer, a number or a boolean",
           fmt::format("`{}`, a list of integers", name));
    return p;
  }

  // One value of a parameter: type and range checked.
  double value_of(const SweptParameter& p, const toml::node& n, const std::string& key, bool in_list) const {
    const std::string range = range_text(p.spec);
    const std::string prefix = in_list ? "an element " : "";
    switch (p.spec.type) {
      case ParamType::Bool:
        if (!n.is_boolean()) fail(&n, key, "true or false", prefix + describe(n));
        return *n.value<bool>() ? 1.0 : 0.0;
      case ParamType::Int: {
        if (!n.is_integer()) fail(&n, key, "integers in " + range, prefix + describe(n));
        const auto v = static_cast<double>(*n.value<std::int64_t>());
        if (v < p.spec.min || v > p.spec.max) fail(&n, key, "integers in " + range, prefix + describe(n));
        return v;
      }
      case ParamType::Real: {
        if (!n.is_number()) fail(&n, key, "numbers in " + range, prefix + describe(n));
        const double v = n.is_integer() ? static_cast<double>(*n.value<std::int64_t>()) : *n.value<double>();
        if (!std::isfinite(v) || v < p.spec.min || v > p.spec.max)
          fail(&n, key, "numbers in " + range, prefix + describe(n));
        return v;
      }
      case ParamType::List: break;
    }
    fail(&n, key, "a value", describe(n));
  }

  void add_parameter(Sweep& sweep, SweptParameter p, Position at) {
    for (const SweptParameter& q : sweep.parameters)
      if (q.name == p.name) fail(at, design_prefix_ + p.name, "each parameter once", "it twice");
    positions_.push_back(at);
    sweep.parameters.push_back(std::move(p));
  }

  void parse_grid(const toml::table& t, Sweep& sweep) {
    if (t.empty()) fail(&t, "grid", "at least one parameter: \"section.key\" = [values]", "an empty [grid]");
    std::size_t points = 1;
    for (auto [k, v] : in_file_order(t)) {
      const Position at = position_of(k->source());
      SweptParameter p = resolve(std::string(k->str()), at, sweep.base);
      const std::string key = design_prefix_ + p.name;
      const toml::array* values = v->as_array();
      if (values == nullptr || values->empty())
        fail(v, key, "a non-empty list of values, e.g. [0.03, 0.05, 0.08]", describe(*v));
      for (const toml::node& e : *values) p.grid.push_back(value_of(p, e, key, true));
      if (points > kMaxPoints / p.grid.size())
        fail(v, key, fmt::format("a grid of at most {} points", kMaxPoints), "more (use an [lhs] design)");
      points *= p.grid.size();
      add_parameter(sweep, std::move(p), at);
    }
    // Every combination; the first parameter varies slowest (nested loops in
    // file order).
    const std::size_t n_params = sweep.parameters.size();
    sweep.values.assign(points, std::vector<double>(n_params));
    for (std::size_t point = 0; point < points; ++point) {
      std::size_t rest = point;
      for (std::size_t j = n_params; j-- > 0;) {
        const std::vector<double>& grid = sweep.parameters[j].grid;
        sweep.values[point][j] = grid[rest % grid.size()];
        rest /= grid.size();
      }
    }
  }

  void parse_lhs(const toml::table& t, Sweep& sweep) {
    only_keys(t, {"points", "ranges"}, "lhs.", "`points` and [lhs.ranges]");
    const toml::node* points_node = t.get("points");
    if (points_node == nullptr) fail(&t, "lhs.points", "the number of points, e.g. points = 50", "none");
    if (!points_node->is_integer() || *points_node->value<std::int64_t>() < 1 ||
        *points_node->value<std::int64_t>() > kMaxLhsPoints)
      fail(points_node, "lhs.points", fmt::format("an integer in [1, {}]", kMaxLhsPoints), describe(*points_node));
    const auto points = static_cast<std::size_t>(*points_node->value<std::int64_t>());
    const toml::node* ranges_node = t.get("ranges");
    const toml::table* ranges = ranges_node != nullptr ? ranges_node->as_table() : nullptr;
    if (ranges == nullptr || ranges->empty())
      fail(ranges_node != nullptr ? ranges_node : &t, "lhs.ranges",
           "a table [lhs.ranges] of \"section.key\" = [low, high]",
           ranges_node == nullptr ? std::string("none") : describe(*ranges_node));
    design_table_ = ranges;
    for (auto [k, v] : in_file_order(*ranges)) {
      const Position at = position_of(k->source());
      SweptParameter p = resolve(std::string(k->str()), at, sweep.base);
      const std::string key = design_prefix_ + p.name;
      if (p.spec.type == ParamType::Bool)
        fail(at, key, "an integer or number parameter (a Latin hypercube draws from a range)",
             fmt::format("`{}`, a boolean", p.name), "vary booleans in a [grid] sweep");
      const toml::array* pair = v->as_array();
      if (pair == nullptr || pair->size() != 2)
        fail(v, key, fmt::format("a range [low, high] within {}", range_text(p.spec)), describe(*v));
      p.low = value_of(p, *pair->get(0), key, true);
      p.high = value_of(p, *pair->get(1), key, true);
      if (p.low > p.high)
        fail(v, key, "a range [low, high] with low <= high", fmt::format("[{}, {}]", p.low, p.high));
      add_parameter(sweep, std::move(p), at);
    }
    sweep.values = latin_hypercube(sweep.parameters, points, sweep.design_seed);
  }

  // A list of points: every parameter's column of values, all of one length.
  void parse_points(const toml::table& t, Sweep& sweep) {
    if (t.empty())
      fail(&t, "points", "at least one parameter: \"section.key\" = [values], one value per point",
           "an empty [points]");
    std::size_t points = 0;
    std::string first;
    for (auto [k, v] : in_file_order(t)) {
      const Position at = position_of(k->source());
      SweptParameter p = resolve(std::string(k->str()), at, sweep.base);
      const std::string key = design_prefix_ + p.name;
      const toml::array* values = v->as_array();
      if (values == nullptr || values->empty())
        fail(v, key, "a non-empty list of values, one per point, e.g. [0.03, 0.05, 0.08]", describe(*v));
      if (values->size() > kMaxPoints)
        fail(v, key, fmt::format("at most {} points", kMaxPoints), fmt::format("{} values", values->size()));
      if (first.empty()) {
        first = p.name;
        points = values->size();
      } else if (values->size() != points) {
        fail(v, key, fmt::format("{} values, one per point, as `{}{}` has", points, design_prefix_, first),
             fmt::format("{} value{}", values->size(), values->size() == 1 ? "" : "s"));
      }
      for (const toml::node& e : *values) p.grid.push_back(value_of(p, e, key, true));
      add_parameter(sweep, std::move(p), at);
    }
    sweep.values.assign(points, std::vector<double>(sweep.parameters.size()));
    for (std::size_t k = 0; k < points; ++k)
      for (std::size_t j = 0; j < sweep.parameters.size(); ++j) sweep.values[k][j] = sweep.parameters[j].grid[k];
  }

  // Every point is checked as a scenario file would be (the rules across
  // keys, the policies' own checks) before anything runs.
  void validate_points(const Sweep& sweep) const {
    for (std::size_t k = 0; k < sweep.points(); ++k) {
      try {
        check_point(sweep, k);
      } catch (const ScenarioError& e) {
        Position at = design_table_ != nullptr ? position_of(design_table_->source()) : Position{};
        for (std::size_t j = 0; j < sweep.parameters.size(); ++j) {
          const SweptParameter& p = sweep.parameters[j];
          const std::string as_reported =
              p.policy < 0 ? p.name
                           : fmt::format("{}.{}", policy::info(sweep.base.policies[static_cast<std::size_t>(p.policy)]).type,
                                         p.spec.key);
          if (as_reported == e.key) at = positions_[j];
        }
        std::vector<std::string> settings;
        for (std::size_t j = 0; j < sweep.parameters.size(); ++j)
          settings.push_back(fmt::format("{} = {}", sweep.parameters[j].name, sweep.values[k][j]));
        fail(at, e.key, e.expected,
             fmt::format("{} at point p{} ({})", e.found, k, fmt::join(settings, ", ")), e.hint);
      }
    }
  }

  std::filesystem::path directory_;
  std::string design_prefix_;
  const toml::table* design_table_ = nullptr;
  std::vector<Position> positions_;  // of each parameter's key
};

template <class T>
void assign(T& field, double value) {
  if constexpr (std::is_same_v<T, bool>) field = value != 0.0;
  else if constexpr (std::is_same_v<T, std::int64_t>) field = static_cast<std::int64_t>(value);
  else if constexpr (std::is_same_v<T, double>) field = value;
  // Lists are refused by the parser.
}

}  // namespace

std::string Sweep::stream_name(std::size_t point) const {
  return fmt::format("{}/p{}", streams.empty() ? base.name : streams, point);
}

Scenario Sweep::point_scenario(std::size_t point) const {
  Scenario s = base;
  for (std::size_t j = 0; j < parameters.size(); ++j) set_parameter(s, parameters[j], values.at(point)[j]);
  s.name = stream_name(point);
  return s;
}

std::string Sweep::canonical_text() const {
  std::string text = "harmsim sweep definition 1\n";
  text += fmt::format("scenario = {}\nreplicates = {}\ndesign = {}\n", base.name, replicates, design_name(design));
  // (Only when set, so that the ids of sweeps of earlier versions stay.)
  if (!streams.empty()) text += fmt::format("streams = {}\n", streams);
  for (const SweptParameter& p : parameters) text += fmt::format("parameter = {}\n", p.name);
  for (std::size_t k = 0; k < values.size(); ++k) {
    text += fmt::format("p{} =", k);
    for (double v : values[k]) text += fmt::format(" {:a}", v);
    text += '\n';
  }
  text += "[base]\n";
  text += to_toml(base);
  return text;
}

void set_parameter(Scenario& s, const SweptParameter& p, double value) {
  if (p.policy < 0) {
    model::for_each_param(s.params, [&](const core::ParamSpec& spec, auto& field) {
      if (spec.section == p.spec.section && spec.key == p.spec.key) assign(field, value);
    });
  } else {
    policy::visit_params(s.policies.at(static_cast<std::size_t>(p.policy)),
                         [&](const core::ParamSpec& spec, auto& field) {
                           if (spec.key == p.spec.key) assign(field, value);
                         });
  }
}

Sweep make_sweep(Scenario base, std::vector<SweptParameter> parameters, std::vector<std::vector<double>> values,
                 SweepDesign design, std::uint64_t design_seed, std::string streams) {
  Sweep sweep;
  sweep.source = base.source;
  sweep.replicates = base.params.replicates;
  sweep.base = std::move(base);
  sweep.design = design;
  sweep.design_seed = design_seed;
  sweep.parameters = std::move(parameters);
  sweep.values = std::move(values);
  sweep.streams = std::move(streams);
  sweep.sweep_id = sweep_hash(sweep.canonical_text());
  return sweep;
}

void check_point(const Sweep& sweep, std::size_t point) {
  Scenario s = sweep.base;
  for (std::size_t j = 0; j < sweep.parameters.size(); ++j)
    set_parameter(s, sweep.parameters[j], sweep.values.at(point)[j]);
  (void)parse_scenarios(to_toml(s), fmt::format("{} point p{}", sweep.source, point));
}

std::vector<std::vector<double>> latin_hypercube(const std::vector<SweptParameter>& parameters, std::size_t points,
                                                 std::uint64_t seed) {
  // Each parameter's range is cut into `points` equal strata; a random
  // permutation gives each point one stratum, and a uniform draw the place
  // in it. An integer parameter takes the floor of a draw on [low, high + 1),
  // so each integer of the range is equally likely. Every parameter draws
  // from its own stream (seed, "lhs/<name>"), so adding a parameter leaves
  // the others' columns unchanged.
  std::vector<std::vector<double>> values(points, std::vector<double>(parameters.size()));
  for (std::size_t j = 0; j < parameters.size(); ++j) {
    const SweptParameter& p = parameters[j];
    core::Rng rng(core::stream_seed(seed, "lhs/" + p.name, 0));
    std::vector<std::uint32_t> stratum(points);
    std::iota(stratum.begin(), stratum.end(), 0u);
    for (std::size_t i = points; i-- > 1;)
      std::swap(stratum[i], stratum[rng.below(static_cast<std::uint32_t>(i + 1))]);
    const double n = static_cast<double>(points);
    for (std::size_t i = 0; i < points; ++i) {
      const double u = (static_cast<double>(stratum[i]) + rng.uniform()) / n;
      double v = 0;
      if (p.spec.type == ParamType::Int) {
        v = std::min(std::floor(p.low + u * (p.high - p.low + 1.0)), p.high);
      } else {
        v = std::clamp(p.low + u * (p.high - p.low), p.low, p.high);
      }
      values[i][j] = v;
    }
  }
  return values;
}

const ParamSpec* resolve_model_parameter(const std::string& name, std::string* nearest_name) {
  std::vector<std::string> names;
  for (const ParamSpec& s : model::kModelParamSpecs) {
    names.push_back(full_name(s));
    if (names.back() == name) return &s;
  }
  if (nearest_name != nullptr) {
    std::vector<std::string_view> views(names.begin(), names.end());
    std::string near = nearest(name, views);
    if (near.empty()) {  // a bare key, or a key under the wrong section
      const std::string last = name.substr(name.rfind('.') == std::string::npos ? 0 : name.rfind('.') + 1);
      for (const ParamSpec& s : model::kModelParamSpecs)
        if (s.key == last) near = full_name(s);
    }
    *nearest_name = near;
  }
  return nullptr;
}

std::string sweep_hash(std::string_view text) {
  // Two FNV-1a passes with different offset bases, each finished by
  // splitmix64: 128 bits, ample to tell sweeps apart.
  std::uint64_t a = 0xCBF29CE484222325ULL, b = 0x84222325CBF29CE4ULL;
  for (char c : text) {
    a = (a ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
    b = (b ^ static_cast<unsigned char>(c)) * 0x100000001B3ULL;
    b ^= b >> 29;
  }
  return fmt::format("{:016x}{:016x}", core::splitmix64(a ^ text.size()), core::splitmix64(b + text.size()));
}

Sweep parse_sweep(std::string_view text, std::string_view source, const std::filesystem::path& directory) {
  return SweepParser(std::string(source), directory).parse(text);
}

Sweep load_sweep(const std::filesystem::path& file) {
  const std::string text = toml_input::read_file(file, "sweep file");
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parse_sweep(text, file.string(), directory);
}

}  // namespace harmsim::io
