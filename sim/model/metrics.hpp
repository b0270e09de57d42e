#pragma once
// The canonical metrics of MODEL.md §5 and the strata they are recorded by.
// Names here are the output contract (docs/output.md): never rename one
// without bumping kSchemaVersion in sim/io/results.hpp.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace harmsim::model {

// How a metric's daily value is formed, and how it is summarised over the
// horizon for the comparison table.
enum class MetricKind : std::uint8_t {
  Count,  // events per day; the table sums it over the reported horizon
  Level,  // a state sampled once a day; the table averages it over the horizon
  Share,  // a proportion sampled once a day; the table averages it
};

// X(name, kind, description), in the order of /metrics/name and of the
// comparison table: a metric that reads with another sits beside it
// (`share_displaced`, the people displaced, after `displacements`, the moves).
#define HARMSIM_METRICS(X)                                                                 \
  X(encounters, Count, "paid encounters")                                                  \
  X(condomless_acts, Count, "encounters without a condom")                                 \
  X(violence_buyer, Count, "violent incidents by buyers")                                  \
  X(violence_exploiter, Count, "violent incidents by exploiters (pimps, operators)")       \
  X(violence_police, Count, "violent or coercive incidents by police (arrests, routine contacts)")     \
  X(arrests_worker, Count, "workers arrested")                                             \
  X(arrests_minor, Count, "minors among the workers arrested")                             \
  X(arrests_buyer, Count, "buyers arrested")                                               \
  X(arrests_exploiter, Count, "exploiters arrested")                                       \
  X(referrals_post_arrest, Count, "arrested people referred to services (diversion)")     \
  X(outreach_contacts, Count, "low-barrier outreach contacts")                             \
  X(ice_referrals, Count, "arrested people handed to immigration detention")              \
  X(deportations, Count, "people deported at the end of detention")                        \
  X(detention_releases, Count, "people released from immigration detention")             \
  X(victims_identified, Count, "trafficking victims identified (any route)")              \
  X(victims_identified_police, Count, "victims identified by police screening at arrest") \
  X(victims_identified_services, Count, "victims identified through outreach")            \
  X(victims_identified_investigation, Count, "victims identified by investigations")      \
  X(minors_identified, Count, "minors among the victims identified")                       \
  X(victims_arrested_missed, Count, "victims arrested without being identified")          \
  X(housing_lost, Count, "people who lost housing after an arrest")                        \
  X(jail_days, Count, "days of jail imposed")                                              \
  X(fines_imposed, Count, "fines imposed (currency units)")                                \
  X(displacements, Count, "moves of street workers away from policed areas")             \
  X(share_displaced, Share, "active street workers working away from their usual area because of police") \
  X(controlled_new, Count, "independent workers who turned to a third party")             \
  X(exits, Count, "workers who left the market")                                           \
  X(exits_helped, Count, "exits with service support")                                     \
  X(entries, Count, "new workers entering the market")                                     \
  X(police_contacts, Count, "routine police contacts (patrols, stops, venue inspections)") \
  X(citations, Count, "citations: a fine without arrest")                                  \
  X(condoms_taken, Count, "police contacts that left a worker without condoms")           \
  X(operation_arrests, Count, "people arrested by special operations (workers, buyers, exploiters)") \
  X(operation_arrests_minor, Count, "minors among the workers arrested by special operations") \
  X(operation_referrals, Count, "referrals to services after arrests by special operations") \
  X(operation_victims_identified, Count, "victims identified by special operations")       \
  X(operation_minors_identified, Count, "minors identified by special operations")         \
  X(operation_ice_referrals, Count, "people handed to immigration by special operations") \
  X(housing_regained, Count, "unhoused workers who found housing")                         \
  X(debts_repaid, Count, "coerced workers who repaid their debt (free to leave the market)") \
  X(workers_active, Level, "active workers (not jailed, detained, deported or exited)")    \
  X(exploiters_active, Level, "exploiters not in custody")                                 \
  X(venues_open, Level, "venues open")                                                     \
  X(victims_exploited, Level, "active trafficking victims not yet identified")            \
  X(buyer_demand, Share, "share of buyer contacts not deterred by enforcement")           \
  X(share_controlled, Share, "active workers under third-party control")                   \
  X(share_isolated, Share, "active street workers working in isolated areas")             \
  X(share_unhoused, Share, "active workers without housing")                               \
  X(share_in_debt, Share, "active workers held by a debt to their exploiter")              \
  X(violence_12m, Share, "active workers with any violence in the last 365 days")         \
  X(income_mean, Level, "mean 30-day income of active workers")

enum class Metric : std::uint8_t {
#define HARMSIM_METRIC_ENUM(name, kind, desc) name,
  HARMSIM_METRICS(HARMSIM_METRIC_ENUM)
#undef HARMSIM_METRIC_ENUM
};

struct MetricInfo {
  std::string_view name;
  MetricKind kind;
  std::string_view description;
};

inline constexpr std::array kMetrics = {
#define HARMSIM_METRIC_INFO(name, kind, desc) MetricInfo{#name, MetricKind::kind, desc},
    HARMSIM_METRICS(HARMSIM_METRIC_INFO)
#undef HARMSIM_METRIC_INFO
};
inline constexpr std::size_t kMetricCount = kMetrics.size();

[[nodiscard]] constexpr std::size_t index(Metric m) noexcept {
  return static_cast<std::size_t>(m);
}

// Strata. Index 0 is the whole population ("all"); then every cell of
// sector × documentation × age × area kind (3 × 2 × 2 × 3 = 36); then one
// stratum per community. Metrics that belong to no worker (buyer arrests,
// venues open, ...) are recorded in "all" only.
inline constexpr std::size_t kCellStrata = 36;

[[nodiscard]] constexpr std::size_t cell_stratum(unsigned sector, bool undocumented, bool minor,
                                                 unsigned area_kind) noexcept {
  return 1 + ((sector * 2 + (undocumented ? 1u : 0u)) * 2 + (minor ? 1u : 0u)) * 3 + area_kind;
}

// The strata of a (cell, community) pair, numbered (cell - 1) ×
// communities + community as the recorder's encounter counts and the daily
// sample's tallies are: "all", the cell and the community.
[[nodiscard]] constexpr std::array<std::size_t, 3> strata_of_pair(std::size_t pair, std::size_t communities) noexcept {
  return {0, 1 + pair / communities, 1 + kCellStrata + pair % communities};
}

[[nodiscard]] inline std::size_t strata_count(std::size_t communities) noexcept {
  return 1 + kCellStrata + communities;
}

// Stratum names, e.g. "all", "street/undocumented/minor/isolated", "community/1".
[[nodiscard]] std::vector<std::string> strata_names(std::size_t communities);

}  // namespace harmsim::model
