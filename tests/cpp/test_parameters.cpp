// The single parameter table drives docs/parameters.md: the committed file
// must be exactly what `harmsim params --markdown` generates.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "app/commands.hpp"
#include "model/parameters.hpp"
#include "policy/policies.hpp"

using namespace harmsim;

TEST_CASE("docs/parameters.md is generated from the parameter table and is up to date", "[parameters]") {
  std::ifstream in(std::string(HARMSIM_SOURCE_DIR) + "/docs/parameters.md");
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  INFO("regenerate with: build/release/harmsim params --markdown > docs/parameters.md");
  CHECK(text.str() == app::parameters_markdown());
}

TEST_CASE("every parameter has a unique name, a range containing its default, a unit and a source",
          "[parameters]") {
  std::set<std::string> names;
  auto check = [&](const core::ParamSpec& s) {
    INFO(s.section << "." << s.key);
    CHECK(names.insert(std::string(s.section) + "." + std::string(s.key)).second);
    CHECK(s.min <= s.max);
    CHECK(!s.source.empty());
    CHECK(!s.description.empty());
  };
  model::Params defaults;
  model::for_each_param(defaults, [&](const core::ParamSpec& s, const auto& v) {
    check(s);
    using T = std::decay_t<decltype(v)>;
    if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
      INFO(s.section << "." << s.key);
      CHECK(static_cast<double>(v) >= s.min);
      CHECK(static_cast<double>(v) <= s.max);
    }
  });
  for (const auto& info : policy::kPolicyTypes) {
    policy::Policy p;
    REQUIRE(policy::make_policy(info.type, p));
    policy::visit_params(p, [&](const core::ParamSpec& s, const auto& v) {
      check(s);
      CHECK(s.section == info.type);
      using T = std::decay_t<decltype(v)>;
      if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
        INFO(s.section << "." << s.key);
        CHECK(static_cast<double>(v) >= s.min);
        CHECK(static_cast<double>(v) <= s.max);
      }
    });
  }
}

TEST_CASE("at least 60 parameters of the model and the policies cite a seed article or a study", "[parameters]") {
  // A seed is "seed NNN"; a study is cited by its author and year.
  const std::regex cites(R"(seed [0-9]{3}|[A-Z][^ ;,()]*( et al\.)? [12][0-9]{3})");
  std::size_t citing = 0, total = 0;
  auto count = [&](const core::ParamSpec& s) {
    ++total;
    if (std::regex_search(std::string(s.source), cites)) ++citing;
  };
  model::Params defaults;
  model::for_each_param(defaults, [&](const core::ParamSpec& s, const auto&) { count(s); });
  for (const auto& info : policy::kPolicyTypes) {
    policy::Policy p;
    REQUIRE(policy::make_policy(info.type, p));
    policy::visit_params(p, [&](const core::ParamSpec& s, const auto&) { count(s); });
  }
  INFO(citing << " of " << total << " parameters cite a seed or a study");
  CHECK(citing >= 60);
}
