// Targets files: TOML (toml++) into validated targets (docs/targets.md).
#include "io/targets.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>

#include "io/toml_input.hpp"
#include "model/results.hpp"

namespace harmsim::io {

namespace {

using toml_input::describe;
using toml_input::FileParser;
using toml_input::in_file_order;
using toml_input::Position;

// The keys a [[target]] may have besides those of its quantity.
constexpr std::array<std::string_view, 9> kTargetKeys = {"id",       "description", "source", "use",  "value",
                                                         "interval", "note",        "compare", "over"};
// The keys of a quantity, and the kinds each one belongs to.
struct QuantityKey {
  std::string_view key;
  std::array<bool, 5> kinds;  // level, rate, total, odds_ratio, share
};
constexpr std::array<QuantityKey, 10> kQuantityKeys = {{
    {"file", {true, true, true, true, true}},
    {"scenario", {true, true, true, true, true}},
    {"kind", {true, true, true, true, true}},
    {"metric", {true, true, true, false, false}},
    {"stratum", {true, true, true, true, true}},
    {"per", {false, true, false, false, false}},
    {"per_year", {false, false, true, false, false}},
    {"exposure", {false, false, false, true, true}},
    {"outcome", {false, false, false, true, true}},
    {"adjust", {false, false, false, true, false}},
}};
constexpr std::array<std::string_view, 5> kKindNames = {"level", "rate", "total", "odds_ratio", "share"};

// Metrics recorded in stratum "all" only: they belong to no worker
// (docs/output.md, sim/model's count_global and the levels of the market).
constexpr std::array<model::Metric, 5> kRecordedInAllOnly = {
    model::Metric::arrests_buyer, model::Metric::arrests_exploiter, model::Metric::exploiters_active,
    model::Metric::venues_open, model::Metric::buyer_demand};

const QuantityKey* quantity_key(std::string_view key) {
  for (const QuantityKey& q : kQuantityKeys)
    if (q.key == key) return &q;
  return nullptr;
}

std::string kind_keys(QuantityKind kind) {
  std::vector<std::string_view> keys;
  for (const QuantityKey& q : kQuantityKeys)
    if (q.kinds[static_cast<std::size_t>(kind)]) keys.push_back(q.key);
  return fmt::format("{}", fmt::join(keys, ", "));
}

std::string_view metric_kind_name(model::MetricKind k) {
  switch (k) {
    case model::MetricKind::Count: return "a count";
    case model::MetricKind::Level: return "a level";
    case model::MetricKind::Share: return "a share";
  }
  return "?";
}

template <std::size_t N>
std::vector<std::string_view> views(const std::array<std::string_view, N>& names) {
  return {names.begin(), names.end()};
}

std::string quoted_list(const std::vector<std::string_view>& names) {
  std::vector<std::string> out;
  for (std::string_view n : names) out.push_back(fmt::format("\"{}\"", n));
  return fmt::format("{}", fmt::join(out, ", "));
}

// The nodes of a quantity's keys (those written in the target, then those
// of `over`) and the key each is reported as.
struct QuantityNodes {
  std::map<std::string, const toml::node*, std::less<>> nodes;
  std::map<std::string, std::string, std::less<>> names;  // "target.metric", "target.over.metric"
  [[nodiscard]] const toml::node* get(std::string_view key) const {
    const auto it = nodes.find(key);
    return it == nodes.end() ? nullptr : it->second;
  }
  [[nodiscard]] std::string name(std::string_view key) const {
    const auto it = names.find(key);
    return it == names.end() ? "target." + std::string(key) : it->second;
  }
};

class TargetsParser : public FileParser {
 public:
  TargetsParser(std::string source, std::filesystem::path directory)
      : FileParser(std::move(source)), directory_(std::move(directory)) {}

  TargetsFile parse(std::string_view text) {
    const toml::table root = toml_input::parse(text, source());
    TargetsFile out;
    out.source = source();
    const toml::node* list = nullptr;
    for (auto [k, v] : in_file_order(root)) {
      const std::string_view key = k->str();
      if (key == "scenarios") {
        if (!v->is_string())
          fail(v, "scenarios", "the default scenario file of the targets (a string, relative to this file)",
               describe(*v));
        default_file_ = *v->value<std::string>();
        default_node_ = v;
      } else if (key == "description") {
        if (!v->is_string()) fail(v, "description", "a string", describe(*v));
        out.description = *v->value<std::string>();
      } else if (key == "target") {
        list = v;
      } else {
        unknown(*k, std::string(key), "a targets-file key (scenarios, description, and [[target]] entries)",
                {"scenarios", "description", "target"});
      }
    }
    const toml::array* targets = list != nullptr ? list->as_array() : nullptr;
    if (list == nullptr) fail(Position{}, "target", "at least one [[target]]", "none");
    if (targets == nullptr || !targets->is_array_of_tables() || targets->empty())
      fail(list, "target", "a list of target tables ([[target]])", describe(*list));
    for (const toml::node& t : *targets) out.targets.push_back(parse_target(*t.as_table(), out));
    return out;
  }

 private:
  PublishedTarget parse_target(const toml::table& t, TargetsFile& out) {
    PublishedTarget target;
    target.line = t.source().begin.line;
    const toml::node* id = t.get("id");
    if (id == nullptr) fail(&t, "target.id", "an `id` for every [[target]]", "none");
    if (!id->is_string()) fail(id, "target.id", "an id (a string)", describe(*id));
    target.id = *id->value<std::string>();
    const bool id_ok = !target.id.empty() && std::all_of(target.id.begin(), target.id.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    if (!id_ok) fail(id, "target.id", "an id of letters, digits, '_', '-' or '.'", describe(*id));
    for (const PublishedTarget& other : out.targets)
      if (other.id == target.id)
        fail(id, "target.id", "ids that differ", fmt::format("`{}` twice", target.id),
             fmt::format("the first at line {}", other.line));
    context_ = fmt::format("in target `{}`", target.id);

    QuantityNodes a;
    const toml::node *use = nullptr, *interval = nullptr, *source = nullptr, *compare = nullptr, *over = nullptr,
                     *value = nullptr;
    for (auto [k, v] : in_file_order(t)) {
      const std::string_view key = k->str();
      const std::string name = "target." + std::string(key);
      if (key == "id") continue;
      if (key == "description" || key == "source" || key == "note") {
        if (!v->is_string()) fail(v, name, "a string", describe(*v), context_);
        std::string text = *v->value<std::string>();
        if (key == "source") {
          if (text.empty()) fail(v, name, "the published source (authors, year)", "an empty string", context_);
          target.source = std::move(text);
          source = v;
        } else {
          (key == "note" ? target.note : target.description) = std::move(text);
        }
      } else if (key == "use") {
        use = v;
      } else if (key == "value") {
        value = v;
      } else if (key == "interval") {
        interval = v;
      } else if (key == "compare") {
        compare = v;
      } else if (key == "over") {
        over = v;
      } else if (quantity_key(key) != nullptr) {
        a.nodes.emplace(std::string(key), v);
        a.names.emplace(std::string(key), name);
      } else {
        std::vector<std::string_view> names = views(kTargetKeys);
        for (const QuantityKey& q : kQuantityKeys) names.push_back(q.key);
        unknown(*k, name,
                "a key of a target (id, description, source, use, value, interval, note, compare, over) or of its "
                "quantity (file, scenario, kind, metric, stratum, per, per_year, exposure, outcome, adjust)",
                names, context_);
      }
    }
    if (source == nullptr)
      fail(&t, "target.source", "the published source of the figure (authors, year)", "none", context_);
    if (use == nullptr)
      fail(&t, "target.use", "`use = \"calibration\"`, \"validation\" or \"case\"", "none", context_);
    const std::string use_text = use->is_string() ? *use->value<std::string>() : std::string();
    if (use_text == "calibration") target.use = TargetUse::Calibration;
    else if (use_text == "validation") target.use = TargetUse::Validation;
    else if (use_text == "case") target.use = TargetUse::Case;
    else
      fail(use, "target.use", "\"calibration\", \"validation\" or \"case\"", describe(*use),
           hint_nearest(use_text, {"calibration", "validation", "case"}));
    parse_interval(interval, &t, target);
    if (value != nullptr) {
      if (!value->is_number() || !std::isfinite(number(*value)))
        fail(value, "target.value", "a finite number (the published figure)", describe(*value), context_);
      target.value = number(*value);
      if (*target.value < target.low || *target.value > target.high)
        fail(value, "target.value", fmt::format("a value within the interval [{}, {}]", target.low, target.high),
             describe(*value), context_);
    }

    target.quantity = build_quantity(a, t, out);
    if (compare != nullptr || over != nullptr) {
      if (compare == nullptr)
        fail(over, "target.compare", "`compare = \"ratio\"` or \"change\" beside `over`", "none", context_);
      const std::string how = compare->is_string() ? *compare->value<std::string>() : std::string();
      if (how == "ratio") target.compare = Comparison::Ratio;
      else if (how == "change") target.compare = Comparison::Change;
      else
        fail(compare, "target.compare", "\"ratio\" (A / B) or \"change\" (A / B - 1)", describe(*compare),
             hint_nearest(how, {"ratio", "change"}));
      if (over == nullptr)
        fail(compare, "target.over",
             "a table `over = { ... }` of the keys in which B differs from A (scenario, stratum, ...)", "none",
             context_);
      const toml::table* table = over->as_table();
      if (table == nullptr) fail(over, "target.over", "a table `over = { ... }`", describe(*over), context_);
      QuantityNodes b = a;
      const toml::node* new_kind = table->get("kind");
      if (new_kind != nullptr && new_kind->is_string() && a.get("kind") != nullptr &&
          a.get("kind")->is_string() && *new_kind->value<std::string>() != *a.get("kind")->value<std::string>()) {
        // Another kind: only what every kind has is inherited.
        for (const QuantityKey& q : kQuantityKeys)
          if (!(q.kinds[0] && q.kinds[1] && q.kinds[2] && q.kinds[3]) && q.key != "metric") {
            b.nodes.erase(std::string(q.key));
            b.names.erase(std::string(q.key));
          }
      }
      for (auto [k, v] : in_file_order(*table)) {
        const std::string name = "target.over." + std::string(k->str());
        if (quantity_key(k->str()) == nullptr) {
          std::vector<std::string_view> names;
          for (const QuantityKey& q : kQuantityKeys) names.push_back(q.key);
          unknown(*k, name,
                  "a key of a quantity (file, scenario, kind, metric, stratum, per, per_year, exposure, outcome, "
                  "adjust)",
                  names, context_);
        }
        b.nodes[std::string(k->str())] = v;
        b.names[std::string(k->str())] = name;
      }
      target.over = build_quantity(b, *table, out);
      for (const Quantity* q : {&target.quantity, &target.over})
        if (q->kind == QuantityKind::OddsRatio)
          fail(compare, "target.compare", "a comparison of levels, rates or totals",
               "a comparison of odds ratios", context_);
    }
    if (target.description.empty()) target.description = target.id;
    return target;
  }

  static double number(const toml::node& n) {
    return n.is_integer() ? static_cast<double>(*n.value<std::int64_t>()) : *n.value<double>();
  }

  std::string hint_nearest(std::string_view word, const std::vector<std::string_view>& names) const {
    const std::string near = nearest(word, names);
    return near.empty() ? context_ : fmt::format("{}; did you mean `{}`?", context_, near);
  }

  void parse_interval(const toml::node* n, const toml::table* t, PublishedTarget& target) const {
    const std::string expected = "an interval [low, high] of numbers, low <= high (inf for no bound)";
    if (n == nullptr) fail(t, "target.interval", expected, "none", context_);
    const toml::array* pair = n->as_array();
    if (pair == nullptr || pair->size() != 2) fail(n, "target.interval", expected, describe(*n), context_);
    for (const toml::node& e : *pair)
      if (!e.is_number() || std::isnan(number(e)))
        fail(&e, "target.interval", expected, "an element " + describe(e), context_);
    target.low = number(*pair->get(0));
    target.high = number(*pair->get(1));
    if (target.low > target.high || target.low == HUGE_VAL || target.high == -HUGE_VAL)
      fail(n, "target.interval", expected, fmt::format("[{}, {}]", target.low, target.high), context_);
  }

  // The string value of a quantity key, or an error.
  std::string text(const QuantityNodes& q, std::string_view key, const std::string& expected) const {
    const toml::node* n = q.get(key);
    if (!n->is_string()) fail(n, q.name(key), expected, describe(*n), context_);
    return *n->value<std::string>();
  }

  Quantity build_quantity(const QuantityNodes& q, const toml::table& where, TargetsFile& out) {
    Quantity quantity;
    // Which scenario.
    std::string file = default_file_;
    const toml::node* file_node = q.get("file");
    if (file_node != nullptr) file = text(q, "file", "a scenario file (a string, relative to the targets file)");
    else if (default_node_ == nullptr)
      fail(&where, q.name("file"),
           "the scenario file of the target, or a top-level `scenarios = \"FILE\"` naming the default one", "none",
           context_);
    const std::vector<Scenario>& scenarios =
        load(file, file_node != nullptr ? file_node : default_node_,
             file_node != nullptr ? q.name("file") : std::string("scenarios"));
    const toml::node* scenario_node = q.get("scenario");
    std::string scenario_name;
    if (scenario_node == nullptr) {
      if (scenarios.size() != 1)
        fail(&where, q.name("scenario"), fmt::format("the name of a scenario of {}", file), "none", context_);
      scenario_name = scenarios.front().name;
    } else {
      scenario_name = text(q, "scenario", "a scenario name (a string)");
    }
    const Scenario* chosen = nullptr;
    std::vector<std::string_view> names;
    for (const Scenario& s : scenarios) {
      names.push_back(s.name);
      if (s.name == scenario_name) chosen = &s;
    }
    if (chosen == nullptr)
      fail(scenario_node, q.name("scenario"),
           fmt::format("one of the scenarios of {}: {}", file, fmt::join(names, ", ")),
           fmt::format("\"{}\"", scenario_name), hint_nearest(scenario_name, names));
    quantity.scenario = scenario_index(file, *chosen, scenario_node != nullptr ? scenario_node : &where,
                                       q.name("scenario"), out);
    const auto communities = static_cast<std::size_t>(chosen->params.communities);

    // What of it.
    const toml::node* kind_node = q.get("kind");
    if (kind_node == nullptr)
      fail(&where, q.name("kind"), fmt::format("the kind of quantity: {}", quoted_list(views(kKindNames))), "none",
           context_);
    const std::string kind = text(q, "kind", "the kind of quantity (a string)");
    const auto kind_it = std::find(kKindNames.begin(), kKindNames.end(), kind);
    if (kind_it == kKindNames.end())
      fail(kind_node, q.name("kind"), fmt::format("one of {}", quoted_list(views(kKindNames))), describe(*kind_node),
           hint_nearest(kind, views(kKindNames)));
    quantity.kind = static_cast<QuantityKind>(kind_it - kKindNames.begin());
    for (const auto& [key, node] : q.nodes)
      if (!quantity_key(key)->kinds[static_cast<std::size_t>(quantity.kind)])
        fail(node, q.name(key), fmt::format("a key of a `{}` quantity ({})", kind, kind_keys(quantity.kind)),
             fmt::format("`{}`", key), context_);

    const toml::node* stratum_node = q.get("stratum");
    if (stratum_node != nullptr) quantity.stratum = text(q, "stratum", "a stratum group (a string)");
    if (quantity.kind == QuantityKind::OddsRatio) {
      odds_ratio(q, quantity, stratum_node, where);
      return quantity;
    }
    if (quantity.kind == QuantityKind::Share) {
      share(q, quantity, stratum_node, where);
      return quantity;
    }

    const toml::node* metric_node = q.get("metric");
    if (metric_node == nullptr) fail(&where, q.name("metric"), "a metric name (see docs/output.md)", "none", context_);
    const std::string metric = text(q, "metric", "a metric name (a string)");
    std::vector<std::string_view> metrics;
    const model::MetricInfo* info = nullptr;
    for (const model::MetricInfo& m : model::kMetrics) {
      metrics.push_back(m.name);
      if (m.name == metric) info = &m;
    }
    if (info == nullptr)
      fail(metric_node, q.name("metric"), "a metric name of docs/output.md", fmt::format("\"{}\"", metric),
           hint_nearest(metric, metrics));
    quantity.metric = static_cast<model::Metric>(info - model::kMetrics.data());
    const bool wants_count = quantity.kind != QuantityKind::Level;
    if (wants_count != (info->kind == model::MetricKind::Count))
      fail(metric_node, q.name("metric"),
           wants_count ? fmt::format("a count metric for a `{}` quantity", kind)
                       : "a level or share metric for a `level` quantity (counts are a `rate` or a `total`)",
           fmt::format("`{}`, {}", metric, metric_kind_name(info->kind)), context_);

    std::optional<std::vector<std::size_t>> strata = stratum_group(quantity.stratum, communities);
    if (!strata) {
      const std::vector<std::string> groups = stratum_group_names(communities);
      const std::vector<std::string_view> group_views(groups.begin(), groups.end());
      fail(stratum_node, q.name("stratum"),
           fmt::format("a stratum group: all, sector/NAME, documented, undocumented, adult, minor, area/KIND, "
                       "community/K (K < {}) or a cell name such as street/documented/adult/central",
                       communities),
           fmt::format("\"{}\"", quantity.stratum), hint_nearest(quantity.stratum, group_views));
    }
    quantity.strata = std::move(*strata);
    if (quantity.stratum != "all" &&
        std::find(kRecordedInAllOnly.begin(), kRecordedInAllOnly.end(), quantity.metric) != kRecordedInAllOnly.end())
      fail(stratum_node, q.name("stratum"),
           fmt::format("\"all\" for `{}`, which belongs to no worker and is recorded in stratum all only", metric),
           fmt::format("\"{}\"", quantity.stratum), context_);

    if (const toml::node* per = q.get("per")) {
      const std::string unit = text(q, "per", "\"worker-year\" or \"1000 worker-days\"");
      if (unit == "worker-year") quantity.per = RateUnit::WorkerYear;
      else if (unit == "1000 worker-days") quantity.per = RateUnit::ThousandWorkerDays;
      else
        fail(per, q.name("per"), "\"worker-year\" or \"1000 worker-days\"", describe(*per),
             hint_nearest(unit, {"worker-year", "1000 worker-days"}));
    }
    if (const toml::node* per_year = q.get("per_year")) {
      if (!per_year->is_boolean()) fail(per_year, q.name("per_year"), "true or false", describe(*per_year), context_);
      quantity.per_year = *per_year->value<bool>();
    }
    return quantity;
  }

  void odds_ratio(const QuantityNodes& q, Quantity& quantity, const toml::node* stratum_node,
                  const toml::table& where) const {
    auto pick = [&](std::string_view key, const auto& names, std::size_t& index) {
      const toml::node* n = q.get(key);
      const std::vector<std::string_view> list = views(names);
      const std::string expected = fmt::format("one of {}", quoted_list(list));
      if (n == nullptr) fail(&where, q.name(key), expected, "none", context_);
      const std::string name = text(q, key, expected);
      const auto it = std::find(list.begin(), list.end(), name);
      if (it == list.end()) fail(n, q.name(key), expected, describe(*n), hint_nearest(name, list));
      index = static_cast<std::size_t>(it - list.begin());
    };
    pick("exposure", model::kExposures, quantity.exposure);
    pick("outcome", model::kOutcomes, quantity.outcome);
    if (const toml::node* adjust = q.get("adjust")) {
      const std::string how = text(q, "adjust", "\"sector\" or \"none\"");
      if (how == "sector") quantity.adjust = OddsAdjustment::Sector;
      else if (how == "none") quantity.adjust = OddsAdjustment::None;
      else
        fail(adjust, q.name("adjust"), "\"sector\" (Mantel-Haenszel over the sectors) or \"none\" (crude)",
             describe(*adjust), hint_nearest(how, {"sector", "none"}));
    }
    std::vector<std::string> sectors = {"all"};
    for (std::string_view s : model::kExposureStrata) sectors.push_back(fmt::format("sector/{}", s));
    const auto it = std::find(sectors.begin(), sectors.end(), quantity.stratum);
    if (it == sectors.end()) {
      const std::vector<std::string_view> list(sectors.begin(), sectors.end());
      fail(stratum_node, q.name("stratum"),
           "\"all\" or \"sector/NAME\" for an odds ratio (its tables are by sector)",
           fmt::format("\"{}\"", quantity.stratum), hint_nearest(quantity.stratum, list));
    }
    if (it == sectors.begin()) {
      for (std::size_t k = 0; k < model::kExposureStrata.size(); ++k) quantity.sectors.push_back(k);
    } else {
      quantity.sectors.push_back(static_cast<std::size_t>(it - sectors.begin() - 1));
      if (quantity.adjust == OddsAdjustment::Sector)
        fail(q.get("adjust") != nullptr ? q.get("adjust") : stratum_node, q.name("adjust"),
             "adjust = \"none\" in one sector (one table: nothing to adjust over)",
             q.get("adjust") != nullptr ? describe(*q.get("adjust")) : "\"sector\" (the default)", context_);
    }
  }

  // A share of workers from the exposure tables: exactly one of `exposure`
  // and `outcome`, in all sectors or one.
  void share(const QuantityNodes& q, Quantity& quantity, const toml::node* stratum_node,
             const toml::table& where) const {
    const toml::node* exposure = q.get("exposure");
    const toml::node* outcome = q.get("outcome");
    if ((exposure == nullptr) == (outcome == nullptr))
      fail(exposure != nullptr ? exposure : &where, q.name(exposure != nullptr ? "outcome" : "exposure"),
           "exactly one of `exposure` and `outcome` for a `share` quantity",
           exposure != nullptr ? "both" : "neither", context_);
    quantity.of_exposure = exposure != nullptr;
    const std::string_view key = quantity.of_exposure ? "exposure" : "outcome";
    const std::vector<std::string_view> list =
        quantity.of_exposure ? views(model::kExposures) : views(model::kOutcomes);
    const std::string expected = fmt::format("one of {}", quoted_list(list));
    const std::string name = text(q, key, expected);
    const auto it = std::find(list.begin(), list.end(), name);
    if (it == list.end()) fail(q.get(key), q.name(key), expected, describe(*q.get(key)), hint_nearest(name, list));
    (quantity.of_exposure ? quantity.exposure : quantity.outcome) = static_cast<std::size_t>(it - list.begin());
    std::vector<std::string> sectors = {"all"};
    for (std::string_view s : model::kExposureStrata) sectors.push_back(fmt::format("sector/{}", s));
    const auto sector = std::find(sectors.begin(), sectors.end(), quantity.stratum);
    if (sector == sectors.end()) {
      const std::vector<std::string_view> names(sectors.begin(), sectors.end());
      fail(stratum_node, q.name("stratum"), "\"all\" or \"sector/NAME\" for a share (its tables are by sector)",
           fmt::format("\"{}\"", quantity.stratum), hint_nearest(quantity.stratum, names));
    }
    if (sector == sectors.begin())
      for (std::size_t k = 0; k < model::kExposureStrata.size(); ++k) quantity.sectors.push_back(k);
    else
      quantity.sectors.push_back(static_cast<std::size_t>(sector - sectors.begin() - 1));
  }

  // The scenarios of a file, read once.
  const std::vector<Scenario>& load(const std::string& file, const toml::node* node, const std::string& key) {
    const std::filesystem::path path = directory_ / file;
    const std::string id = path.lexically_normal().string();
    if (const auto it = files_.find(id); it != files_.end()) return it->second;
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
      fail(node, key, "a scenario file (path relative to the targets file)",
           fmt::format("\"{}\", which is not a readable file ({})", file, path.string()), context_);
    return files_.emplace(id, load_scenarios(path)).first->second;  // its own errors name that file
  }

  std::size_t scenario_index(const std::string& file, const Scenario& s, const toml::node* node,
                             const std::string& key, TargetsFile& out) const {
    const std::filesystem::path path = (directory_ / file).lexically_normal();
    for (std::size_t i = 0; i < out.scenarios.size(); ++i) {
      const TargetScenario& known = out.scenarios[i];
      if (known.scenario.name != s.name) continue;
      if (known.path == path) return i;
      fail(node, key, "scenario names that differ across the scenario files of a targets file",
           fmt::format("`{}` in both {} and {}", s.name, known.file, file), context_);
    }
    out.scenarios.push_back({file, path, s});
    return out.scenarios.size() - 1;
  }

  std::filesystem::path directory_;
  std::string default_file_;
  const toml::node* default_node_ = nullptr;
  std::string context_;  // "in target `ID`"
  std::map<std::string, std::vector<Scenario>> files_;
};

}  // namespace

std::string_view use_name(TargetUse u) noexcept {
  switch (u) {
    case TargetUse::Calibration: return "calibration";
    case TargetUse::Validation: return "validation";
    case TargetUse::Case: return "case";
  }
  return "?";
}

std::string_view kind_name(QuantityKind k) noexcept { return kKindNames[static_cast<std::size_t>(k)]; }

std::vector<std::string> stratum_group_names(std::size_t communities) {
  std::vector<std::string> names = {"all"};
  for (std::string_view s : {"street", "venue", "online"}) names.push_back(fmt::format("sector/{}", s));
  for (std::string_view s : {"documented", "undocumented", "adult", "minor"}) names.emplace_back(s);
  for (std::string_view s : {"central", "peripheral", "isolated"}) names.push_back(fmt::format("area/{}", s));
  const std::vector<std::string> strata = model::strata_names(communities);
  names.insert(names.end(), strata.begin() + 1, strata.end());  // the cells, then community/K
  return names;
}

std::optional<std::vector<std::size_t>> stratum_group(std::string_view name, std::size_t communities) {
  const std::vector<std::string> strata = model::strata_names(communities);
  if (name == "all") return std::vector<std::size_t>{0};
  for (std::size_t s = 1; s < strata.size(); ++s)
    if (strata[s] == name) return std::vector<std::size_t>{s};
  // A component of the cell names "SECTOR/DOC/AGE/AREAKIND": which part, and
  // what it must be.
  std::size_t part = 0;
  std::string_view want;
  if (name.starts_with("sector/")) {
    part = 0;
    want = name.substr(7);
  } else if (name == "documented" || name == "undocumented") {
    part = 1;
    want = name;
  } else if (name == "adult" || name == "minor") {
    part = 2;
    want = name;
  } else if (name.starts_with("area/")) {
    part = 3;
    want = name.substr(5);
  } else {
    return std::nullopt;
  }
  std::vector<std::size_t> out;
  for (std::size_t s = 1; s <= model::kCellStrata; ++s) {
    std::string_view rest = strata[s];
    for (std::size_t i = 0; i < part; ++i) rest.remove_prefix(rest.find('/') + 1);
    if (rest.substr(0, rest.find('/')) == want) out.push_back(s);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

std::string describe_quantity(const TargetsFile& file, const Quantity& q) {
  const std::string& scenario = file.scenarios.at(q.scenario).scenario.name;
  switch (q.kind) {
    case QuantityKind::Level:
      return fmt::format("{} in {}, {}", model::kMetrics[model::index(q.metric)].name, q.stratum, scenario);
    case QuantityKind::Rate:
      return fmt::format("{} per {} in {}, {}", model::kMetrics[model::index(q.metric)].name,
                         q.per == RateUnit::WorkerYear ? "worker-year" : "1000 worker-days", q.stratum, scenario);
    case QuantityKind::Total:
      return fmt::format("{}{} in {}, {}", model::kMetrics[model::index(q.metric)].name,
                         q.per_year ? " per year" : " over the horizon", q.stratum, scenario);
    case QuantityKind::OddsRatio:
      return fmt::format("OR {} -> {}, {}{}, {}", model::kExposures[q.exposure], model::kOutcomes[q.outcome],
                         q.adjust == OddsAdjustment::Sector ? "sector-adjusted" : "crude",
                         q.stratum == "all" ? "" : " in " + q.stratum, scenario);
    case QuantityKind::Share:
      return fmt::format("share {} in {}, {}",
                         q.of_exposure ? model::kExposures[q.exposure] : model::kOutcomes[q.outcome], q.stratum,
                         scenario);
  }
  return {};
}

std::string describe_target(const TargetsFile& file, const PublishedTarget& t) {
  const std::string a = describe_quantity(file, t.quantity);
  switch (t.compare) {
    case Comparison::None: return a;
    case Comparison::Ratio: return fmt::format("{} / {}", a, describe_quantity(file, t.over));
    case Comparison::Change: return fmt::format("{} / {} - 1", a, describe_quantity(file, t.over));
  }
  return a;
}

TargetsFile parse_targets(std::string_view text, std::string_view source, const std::filesystem::path& directory) {
  return TargetsParser(std::string(source), directory).parse(text);
}

TargetsFile load_targets(const std::filesystem::path& file) {
  const std::string text = toml_input::read_file(file, "targets file");
  const std::filesystem::path directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  return parse_targets(text, file.string(), directory);
}

}  // namespace harmsim::io
