// Scenario files: TOML (toml++) into validated Params and policies.
#include "io/scenario.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "embedded_scenarios.hpp"
#include "io/toml_input.hpp"
#include "model/metrics.hpp"

namespace harmsim::io {

// Control characters written as escapes: TOML allows them in quoted keys and
// strings ("a\nb" = 1), and a message must stay one line. So must it for
// readers that split lines the Unicode way (Python's str.splitlines, many
// log viewers): NEL (U+0085), LINE SEPARATOR (U+2028) and PARAGRAPH
// SEPARATOR (U+2029) are written \u0085, \u2028, \u2029.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    const auto next = [&](std::size_t k) { return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0u; };
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '\r') out += "\\r";
    else if (byte < 0x20 || byte == 0x7f) out += fmt::format("\\x{:02x}", byte);
    else if (byte == 0xc2 && next(1) == 0x85) {
      out += "\\u0085";
      i += 1;
    } else if (byte == 0xe2 && next(1) == 0x80 && (next(2) == 0xa8 || next(2) == 0xa9)) {
      out += next(2) == 0xa8 ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string shown(std::string_view raw, std::size_t at_most) {
  std::size_t cut = std::min(raw.size(), at_most);
  while (cut < raw.size() && cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) --cut;
  std::string valid;
  valid.reserve(cut);
  for (std::size_t i = 0; i < cut;) {
    const auto lead = static_cast<unsigned char>(raw[i]);
    std::size_t n = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    for (std::size_t j = 1; n > 1 && j < n; ++j)
      if (i + j >= cut || (static_cast<unsigned char>(raw[i + j]) & 0xC0) != 0x80) n = 0;
    if (n == 0) {
      valid += fmt::format("\\x{:02x}", lead);
      ++i;
    } else {
      valid.append(raw.substr(i, n));
      i += n;
    }
  }
  return printable(valid) + (cut < raw.size() ? "..." : "");
}

namespace {

using core::ParamSpec;
using core::ParamType;
using toml_input::describe;
using toml_input::range_text;

std::string format_message(const std::string& file, std::uint32_t line, std::uint32_t column, const std::string& key,
                           const std::string& expected, const std::string& found, const std::string& hint) {
  std::string where = line > 0 ? fmt::format("{}:{}:{}", file, line, column) : file;
  std::string msg;
  if (key.empty()) msg = fmt::format("{}: error: expected {}, found {}", where, expected, found);
  else msg = fmt::format("{}: error: key `{}`: expected {}, found {}", where, key, expected, found);
  if (!hint.empty()) msg += "; " + hint;
  return printable(msg);
}

class Parser : public toml_input::FileParser {
 public:
  explicit Parser(std::string source) : FileParser(std::move(source)) {}

  // Sets one parameter from a TOML value, checking type and range.
  template <class T>
  void set(const ParamSpec& spec, const toml::node& n, const std::string& key, T& field) const {
    const std::string range = range_text(spec);
    if constexpr (std::is_same_v<T, bool>) {
      if (!n.is_boolean()) fail(&n, key, "true or false", describe(n));
      field = *n.value<bool>();
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      if (!n.is_integer()) fail(&n, key, "an integer in " + range, describe(n));
      const std::int64_t v = *n.value<std::int64_t>();
      if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max)
        fail(&n, key, "an integer in " + range, describe(n));
      field = v;
    } else if constexpr (std::is_same_v<T, double>) {
      if (!n.is_number()) fail(&n, key, "a number in " + range, describe(n));
      const double v = n.is_integer() ? static_cast<double>(*n.value<std::int64_t>()) : *n.value<double>();
      if (!std::isfinite(v) || v < spec.min || v > spec.max) fail(&n, key, "a number in " + range, describe(n));
      field = v;
    } else {
      static_assert(std::is_same_v<T, core::IntList>);
      const toml::array* arr = n.as_array();
      if (arr == nullptr) fail(&n, key, "a list of integers in " + range, describe(n));
      core::IntList out;
      for (const toml::node& e : *arr) {
        if (!e.is_integer()) fail(&e, key, "a list of integers in " + range, "an element " + describe(e));
        const std::int64_t v = *e.value<std::int64_t>();
        if (static_cast<double>(v) < spec.min || static_cast<double>(v) > spec.max)
          fail(&e, key, "a list of integers in " + range, "an element " + describe(e));
        out.push_back(v);
      }
      field = std::move(out);
    }
  }

  // Applies a table of parameters (section `section`) to an object whose
  // visitor enumerates (spec, field). `skip` keys are handled by the caller.
  template <class Visit>
  void apply_table(const toml::table& table, std::string_view section, Visit&& visit,
                   const std::set<std::string_view>& skip = {}) const {
    for (auto&& [k, v] : table) {
      const std::string_view key = k.str();
      if (skip.count(key) != 0) continue;
      const toml::node& value = v;  // (clang before 16 cannot capture a structured binding)
      bool found = false;
      std::vector<std::string_view> names;
      visit([&](const ParamSpec& spec, auto& field) {
        if (spec.section != section) return;
        names.push_back(spec.key);
        if (spec.key == key) {
          found = true;
          set(spec, value, std::string(section) + "." + std::string(key), field);
        }
      });
      if (!found) {
        for (std::string_view s : skip) names.push_back(s);
        unknown(k, std::string(section) + "." + std::string(key),
                fmt::format("one of the keys of [{}] (see `harmsim params`)", section), names);
      }
    }
  }

  static std::vector<std::string_view> model_sections() {
    std::vector<std::string_view> out;
    for (const ParamSpec& s : model::kModelParamSpecs)
      if (std::find(out.begin(), out.end(), s.section) == out.end()) out.push_back(s.section);
    return out;
  }

  // Model sections and policies found in `table` (the file's top level or a
  // [[scenario]] entry) applied to `scenario`.
  void apply_scenario_table(const toml::table& table, Scenario& scenario, bool top_level) const {
    static const std::vector<std::string_view> sections = model_sections();
    for (auto&& [k, v] : table) {
      const std::string_view key = k.str();
      const std::string prefix = top_level ? "" : "scenario.";
      if (key == "name" || key == "description") {
        if (!v.is_string()) fail(&v, prefix + std::string(key), "a string", describe(v));
        if (key == "name") scenario.name = *v.value<std::string>();
        else scenario.description = *v.value<std::string>();
      } else if (key == "policy") {
        const toml::array* arr = v.as_array();
        if (arr == nullptr || !arr->is_array_of_tables())
          fail(&v, prefix + "policy", "a list of policy tables ([[policy]])", describe(v));
        for (const toml::node& p : *arr) scenario.policies.push_back(parse_policy(*p.as_table()));
      } else if (key == "target") {
        const toml::array* arr = v.as_array();
        if (arr == nullptr || !arr->is_array_of_tables())
          fail(&v, prefix + "target", "a list of target tables ([[target]])", describe(v));
        for (const toml::node& t : *arr) scenario.targets.push_back(parse_target(*t.as_table()));
      } else if (key == "scenario" && top_level) {
        continue;  // handled by the caller
      } else if (std::find(sections.begin(), sections.end(), key) != sections.end()) {
        const toml::table* t = v.as_table();
        if (t == nullptr) fail(&v, std::string(key), fmt::format("a table [{}]", key), describe(v));
        apply_table(*t, key, [&](auto&& f) { model::for_each_param(scenario.params, f); });
      } else {
        std::vector<std::string_view> names = sections;
        names.insert(names.end(), {"name", "description", "policy", "target"});
        if (top_level) names.push_back("scenario");
        unknown(k, prefix + std::string(key),
                "a scenario section (name, description, policy, target, " +
                    fmt::format("{}", fmt::join(sections, ", ")) + ")",
                names);
      }
    }
  }

  Target parse_target(const toml::table& t) const {
    Target target;
    bool has_metric = false, has_value = false;
    for (auto&& [k, v] : t) {
      const std::string_view key = k.str();
      const std::string name = "target." + std::string(key);
      if (key == "metric") {
        if (!v.is_string()) fail(&v, name, "a metric name", describe(v));
        target.metric = *v.value<std::string>();
        std::vector<std::string_view> metrics;
        for (const auto& m : model::kMetrics) metrics.push_back(m.name);
        for (const std::string& one : target.metrics()) {
          if (std::find(metrics.begin(), metrics.end(), one) != metrics.end()) continue;
          const std::string near = nearest(one, metrics);
          fail(&v, name, "a metric name of docs/output.md, or a sum of them joined by +", fmt::format("\"{}\"", one),
               near.empty() ? std::string() : fmt::format("did you mean `{}`?", near));
        }
        has_metric = true;
      } else if (key == "value" || key == "tolerance" || key == "tolerance_abs") {
        if (!v.is_number()) fail(&v, name, "a number", describe(v));
        const double x = v.is_integer() ? static_cast<double>(*v.value<std::int64_t>()) : *v.value<double>();
        if (!std::isfinite(x) || (key != "value" && x < 0)) fail(&v, name, "a finite number (>= 0 for tolerances)", describe(v));
        if (key == "value") {
          target.value = x;
          has_value = true;
        } else if (key == "tolerance") {
          target.tolerance = x;
        } else {
          target.tolerance_abs = x;
        }
      } else if (key == "source") {
        if (!v.is_string()) fail(&v, name, "a string", describe(v));
        target.source = *v.value<std::string>();
      } else {
        unknown(k, name, "one of metric, value, tolerance, tolerance_abs, source",
                {"metric", "value", "tolerance", "tolerance_abs", "source"});
      }
    }
    if (!has_metric || !has_value) fail(&t, "target", "both `metric` and `value`", "a target without them");
    return target;
  }

  policy::Policy parse_policy(const toml::table& t) const {
    const toml::node* type = t.get("type");
    if (type == nullptr) fail(&t, "policy.type", "a policy type such as \"street_sting\"", "no `type` key");
    if (!type->is_string()) fail(type, "policy.type", "a policy type name (a string)", describe(*type));
    const std::string name = *type->value<std::string>();
    policy::Policy p;
    if (!policy::make_policy(name, p)) {
      std::vector<std::string_view> types;
      for (const auto& info : policy::kPolicyTypes) types.push_back(info.type);
      const std::string near = nearest(name, types);
      fail(type, "policy.type", fmt::format("one of {}", fmt::join(types, ", ")), fmt::format("\"{}\"", name),
           near.empty() ? std::string() : fmt::format("did you mean `{}`?", near));
    }
    apply_table(t, name, [&](auto&& f) { policy::visit_params(p, f); }, {"type"});
    return p;
  }

  // Checks across keys, after every value is in range on its own. `where` is
  // the scenario's table, `root` the file's (the same table for a file of one
  // scenario); `inherited` is the file's top-level policy list when `where` is
  // a [[scenario]] entry: its policies come first in s.policies.
  void check(const Scenario& s, const toml::table& where, const toml::table& root,
             const toml::array* inherited = nullptr) const {
    const model::Params& p = s.params;
    auto problem = [&](std::string_view section, std::string_view key, const std::string& expected,
                       const std::string& found) {
      // At the key, in the scenario or, inherited, at the top of the file.
      const std::string path = fmt::format("{}.{}", section, key);
      const toml::node* n = where.at_path(path).node();
      if (n == nullptr) n = root.at_path(path).node();
      if (n == nullptr) n = &where;
      fail(n, fmt::format("{}.{}", section, key), expected, found,
           fmt::format("in scenario `{}`", s.name));
    };
    if (p.isolated_areas + p.peripheral_areas > p.areas)
      problem("population", "isolated_areas",
              fmt::format("isolated_areas + peripheral_areas at most areas = {}", p.areas),
              fmt::format("{} + {}", p.isolated_areas, p.peripheral_areas));
    if (p.share_street + p.share_venue > 1.0 + 1e-12)
      problem("population", "share_venue", "share_street + share_venue at most 1",
              fmt::format("{} + {}", p.share_street, p.share_venue));
    if (p.return_threshold > p.displacement_threshold)
      problem("heat", "return_threshold",
              fmt::format("at most heat.displacement_threshold = {}", p.displacement_threshold),
              fmt::format("{}", p.return_threshold));
    if (p.venues > p.exploiters)
      problem("population", "venues", fmt::format("at most population.exploiters = {} (each venue has an operator)",
                                                   p.exploiters),
              fmt::format("{}", p.venues));
    // Policies: their own checks, and no singleton twice.
    std::set<std::size_t> singletons;
    const toml::array* policies = where.get_as<toml::array>("policy");
    const std::size_t n_inherited = inherited != nullptr ? inherited->size() : 0;
    for (std::size_t i = 0; i < s.policies.size(); ++i) {
      const policy::Policy& pol = s.policies[i];
      const std::string_view type = policy::info(pol).type;
      const toml::array* list = i < n_inherited ? inherited : policies;
      const std::size_t j = i < n_inherited ? i : i - n_inherited;
      const toml::node* node = (list != nullptr && j < list->size()) ? list->get(j) : &where;
      if (std::holds_alternative<policy::PostArrestDiversion>(pol) ||
          std::holds_alternative<policy::Decriminalization>(pol) || std::holds_alternative<policy::EndDemand>(pol) ||
          std::holds_alternative<policy::Advocacy>(pol)) {
        if (!singletons.insert(pol.index()).second)
          fail(node, fmt::format("policy.type"), fmt::format("at most one `{}` policy per scenario", type),
               "a second one", fmt::format("in scenario `{}`; merge their settings", s.name));
      }
      for (const policy::PolicyProblem& pr : policy::validate(pol, p)) {
        const toml::table* table = node != nullptr ? node->as_table() : nullptr;
        const toml::node* n = table != nullptr ? table->get(pr.key) : nullptr;
        // A key the policy's table does not set holds its default: say so, not as if it were written.
        const bool by_default = table != nullptr && n == nullptr;
        fail(n != nullptr ? n : node, fmt::format("{}.{}", type, pr.key), pr.expected,
             by_default ? pr.found + " (the default)" : pr.found, fmt::format("in scenario `{}`", s.name));
      }
    }
  }

  std::vector<Scenario> parse(std::string_view text, std::string_view stem) {
    const toml::table root = toml_input::parse(text, source());
    Scenario base;
    base.source = source();
    base.name = std::string(stem);
    apply_scenario_table(root, base, true);
    std::vector<Scenario> out;
    std::vector<const toml::node*> name_nodes;  // where each scenario's name was written, for messages
    const toml::node* list = root.get("scenario");
    if (list == nullptr) {
      check(base, root, root);
      out.push_back(std::move(base));
      name_nodes.push_back(root.get("name") != nullptr ? root.get("name") : &root);
    } else {
      const toml::array* arr = list->as_array();
      if (arr == nullptr || !arr->is_array_of_tables() || arr->empty())
        fail(list, "scenario", "a list of scenario tables ([[scenario]])", describe(*list));
      for (const toml::node& entry : *arr) {
        const toml::table& t = *entry.as_table();
        Scenario s = base;
        s.name.clear();
        apply_scenario_table(t, s, false);
        if (s.name.empty()) fail(&t, "scenario.name", "a name for every [[scenario]]", "none");
        check(s, t, root, root.get_as<toml::array>("policy"));
        out.push_back(std::move(s));
        name_nodes.push_back(t.get("name"));
      }
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < out.size(); ++i) {
      const Scenario& s = out[i];
      const bool ok = !s.name.empty() && std::all_of(s.name.begin(), s.name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
      });
      if (!ok)
        fail(name_nodes[i], "name", "a scenario name of letters, digits, '_', '-' or '.'", fmt::format("\"{}\"", s.name));
      if (!names.insert(s.name).second)
        fail(name_nodes[i], "name", "scenario names that differ", fmt::format("`{}` twice", s.name));
    }
    return out;
  }

};

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out += c;
    }
  }
  return out + "\"";
}

template <class T>
std::string value_text(const T& v) {
  if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_same_v<T, core::IntList>) return fmt::format("[{}]", fmt::join(v, ", "));
  else return fmt::format("{}", v);
}

}  // namespace

ScenarioError::ScenarioError(std::string file_, std::uint32_t line_, std::uint32_t column_, std::string key_,
                             std::string expected_, std::string found_, std::string hint_)
    : std::runtime_error(format_message(file_, line_, column_, key_, expected_, found_, hint_)),
      file(std::move(file_)),
      key(std::move(key_)),
      expected(std::move(expected_)),
      found(std::move(found_)),
      hint(std::move(hint_)),
      line(line_),
      column(column_) {}

std::vector<std::string> Target::metrics() const {
  std::vector<std::string> out;
  std::string current;
  for (char c : metric + "+") {
    if (c == '+') {
      out.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  return out;
}

std::vector<Scenario> parse_scenarios(std::string_view text, std::string_view source) {
  std::string stem(std::filesystem::path(source).stem().string());
  std::replace_if(stem.begin(), stem.end(), [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'); }, '_');
  return Parser(std::string(source)).parse(text, stem);
}

std::vector<Scenario> load_scenarios(const std::filesystem::path& file) {
  return parse_scenarios(toml_input::read_file(file, "scenario file"), file.string());
}

std::string to_toml(const Scenario& s) {
  std::string out = "# Fully resolved scenario: every parameter, defaults included.\n";
  out += fmt::format("name = {}\ndescription = {}\n", quote(s.name), quote(s.description));
  std::string_view section;
  model::for_each_param(s.params, [&](const core::ParamSpec& spec, const auto& field) {
    if (spec.section != section) {
      section = spec.section;
      out += fmt::format("\n[{}]\n", section);
    }
    out += fmt::format("{} = {}\n", spec.key, value_text(field));
  });
  for (const Target& t : s.targets)
    out += fmt::format("\n[[target]]\nmetric = {}\nvalue = {}\ntolerance = {}\ntolerance_abs = {}\nsource = {}\n",
                       quote(t.metric), t.value, t.tolerance, t.tolerance_abs, quote(t.source));
  for (const policy::Policy& p : s.policies) {
    out += fmt::format("\n[[policy]]\ntype = {}\n", quote(policy::info(p).type));
    policy::visit_params(p, [&](const core::ParamSpec& spec, const auto& field) {
      out += fmt::format("{} = {}\n", spec.key, value_text(field));
    });
  }
  return out;
}

std::string_view default_comparison() { return kEmbeddedCompareToml; }

std::string nearest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (std::string_view c : candidates) {
    // Levenshtein distance, two rows.
    std::vector<std::size_t> prev(c.size() + 1), cur(c.size() + 1);
    for (std::size_t j = 0; j <= c.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= word.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= c.size(); ++j)
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (word[i - 1] == c[j - 1] ? 0u : 1u)});
      std::swap(prev, cur);
    }
    if (prev[c.size()] < best_distance) {
      best_distance = prev[c.size()];
      best = std::string(c);
    }
  }
  return best;
}

}  // namespace harmsim::io
