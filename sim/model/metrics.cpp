#include "model/metrics.hpp"

#include <array>
#include <string_view>

namespace harmsim::model {

std::vector<std::string> strata_names(std::size_t communities) {
  // Axis labels in the index order of cell_stratum's arguments.
  constexpr std::array<std::string_view, 3> sectors = {"street", "venue", "online"};
  constexpr std::array<std::string_view, 2> documentation = {"documented", "undocumented"};
  constexpr std::array<std::string_view, 2> ages = {"adult", "minor"};
  constexpr std::array<std::string_view, 3> area_kinds = {"central", "peripheral", "isolated"};
  static_assert(sectors.size() * documentation.size() * ages.size() * area_kinds.size() ==
                kCellStrata);

  std::vector<std::string> names(strata_count(communities));
  names[0] = "all";
  for (unsigned sector = 0; sector < sectors.size(); ++sector) {
    for (unsigned doc = 0; doc < documentation.size(); ++doc) {
      for (unsigned age = 0; age < ages.size(); ++age) {
        for (unsigned area = 0; area < area_kinds.size(); ++area) {
          std::string& name = names[cell_stratum(sector, doc == 1, age == 1, area)];
          name.append(sectors[sector]).append("/").append(documentation[doc]);
          name.append("/").append(ages[age]).append("/").append(area_kinds[area]);
        }
      }
    }
  }
  for (std::size_t k = 0; k < communities; ++k) {
    names[1 + kCellStrata + k] = "community/" + std::to_string(k);
  }
  return names;
}

}  // namespace harmsim::model
