#pragma once
// The description of one parameter: declared once (in an X-macro list next to
// the struct it fills) and used by TOML parsing, validation messages,
// `harmsim params` and docs/parameters.md. The core knows nothing of which
// parameters exist.
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <vector>

namespace harmsim::core {

using IntList = std::vector<std::int64_t>;

enum class ParamType : std::uint8_t { Int, Real, Bool, List };

[[nodiscard]] constexpr std::string_view type_name(ParamType t) noexcept {
  switch (t) {
    case ParamType::Int: return "integer";
    case ParamType::Real: return "number";
    case ParamType::Bool: return "boolean";
    case ParamType::List: return "list of integers";
  }
  return "?";
}

template <class T>
constexpr ParamType param_type_of() {
  if constexpr (std::is_same_v<T, bool>) return ParamType::Bool;
  else if constexpr (std::is_same_v<T, std::int64_t>) return ParamType::Int;
  else if constexpr (std::is_same_v<T, double>) return ParamType::Real;
  else {
    static_assert(std::is_same_v<T, IntList>, "unsupported parameter type");
    return ParamType::List;
  }
}

struct ParamSpec {
  std::string_view section;       // TOML table, e.g. "encounter" or a policy type
  std::string_view key;           // key inside it
  ParamType type;
  std::string_view default_text;  // the default as written in the declaration
  double min;                     // allowed range (each element, for lists)
  double max;
  std::string_view unit;
  std::string_view source;        // "seed 002", "Deering et al. 2014", "assumed", ...
  std::string_view description;
};

}  // namespace harmsim::core

// Helpers for X-macro parameter lists. A list is written
//   #define MY_PARAMS(X) X(section, key, type, default, min, max, unit, source, description) ...
// and expanded into struct fields, a spec table and a visitor.
#define HARMSIM_PARAM_FIELD(sec, key, type, def, lo, hi, unit, src, desc) type key = def;
#define HARMSIM_PARAM_SPEC(sec, key, type, def, lo, hi, unit, src, desc)                     \
  ::harmsim::core::ParamSpec{#sec, #key, ::harmsim::core::param_type_of<type>(), #def, lo, hi, \
                             unit, src, desc},
#define HARMSIM_PARAM_VISIT(sec, key, type, def, lo, hi, unit, src, desc) f(specs[i++], obj.key);

// Declares a plain struct whose fields, spec table (kSpecs) and visitor
// (visit) all come from one X-macro parameter list.
#define HARMSIM_PARAM_STRUCT(Name, LIST)                                           \
  struct Name {                                                                   \
    LIST(HARMSIM_PARAM_FIELD)                                                     \
    static constexpr ::harmsim::core::ParamSpec kSpecs[] = {LIST(HARMSIM_PARAM_SPEC)}; \
    template <class Obj, class F>                                                 \
    static void visit(Obj& obj, F&& f) {                                          \
      const auto& specs = kSpecs;                                                 \
      std::size_t i = 0;                                                          \
      LIST(HARMSIM_PARAM_VISIT)                                                   \
    }                                                                             \
  }
