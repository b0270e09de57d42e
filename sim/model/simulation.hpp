#pragma once
// One replicate of one scenario: the world, its event queue, its RNG stream
// and its recorder, and the handlers of MODEL.md §3. Each process lives in the
// file named after it (encounter.cpp, displacement.cpp, ...); this class only
// ties them together and dispatches events with a switch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/engine.hpp"
#include "core/event_queue.hpp"
#include "core/rng.hpp"
#include "model/interventions.hpp"
#include "model/parameters.hpp"
#include "model/recorder.hpp"
#include "model/results.hpp"
#include "model/world.hpp"

namespace harmsim::model {

enum class EventKind : std::uint16_t {
  Encounter,          // subject: worker; aux: generation
  ExploiterViolence,  // subject: worker; aux: generation
  Release,            // subject: worker; aux: generation (jail, detention or services end)
  Day,                // the start of a day: the sample of the day before, then the daily processes
  OperationDay,       // subject: operation index
  Recruit,            // subject: exploiter who lost a worker
  VenueHire,          // subject: venue hiring a replacement
  CustodyEnd,         // subject: exploiter released from custody
};

// Progress callback: called once per simulated day with (day, days in total).
using DayHook = void (*)(void* context, std::int64_t day, std::int64_t total_days);

// What a finished replicate leaves to the next one its thread runs: the
// world's arrays, the event queue and the working vectors, emptied but with
// their storage, and the result's buffers (keep). A replicate built on them
// allocates and first-touches little of what the last one already had, and
// computes the same bits as one built from nothing (tests/cpp, "a recycled
// replicate"). Build cost per replicate: docs/performance.md.
struct ReplicateStorage {
  World world;
  core::EventQueue queue;
  std::vector<double> patrol_heat, heat_today, tally;
  std::vector<std::uint32_t> scratch, tally_counts;
  std::vector<std::uint8_t> area_mask;
  std::vector<float> series;
  std::vector<double> stratum_totals;

  // Takes a finished result's buffers for the next run (after its data has
  // been used: they are overwritten).
  void keep(ReplicateResult&& result) {
    series = std::move(result.series);
    stratum_totals = std::move(result.stratum_totals);
  }
};

class Simulation {
 public:
  // A replicate built from nothing, or on the storage a finished one left
  // (take_storage): the same state either way.
  Simulation(const Params& params, const Interventions& interventions, std::uint64_t seed,
             ReplicateStorage&& storage = {});
  // The simulation keeps references to its parameters and interventions:
  // temporaries would dangle.
  Simulation(Params&&, const Interventions&, std::uint64_t, ReplicateStorage&& = {}) = delete;
  Simulation(const Params&, Interventions&&, std::uint64_t, ReplicateStorage&& = {}) = delete;
  Simulation(Params&&, Interventions&&, std::uint64_t, ReplicateStorage&& = {}) = delete;

  // Hands this replicate's storage on to the next (the simulation is spent).
  [[nodiscard]] ReplicateStorage take_storage();

  // Runs warm-up and horizon and returns the replicate's series.
  ReplicateResult run(DayHook hook = nullptr, void* hook_context = nullptr);

  // Event dispatch (called by core::run_until; compiled in simulation.cpp
  // and always inlined into the event loop there, so it can be called from
  // that file only: elsewhere its body is not available).
  [[gnu::always_inline]] inline void handle(const core::Event& e);
  // Starts loading the state an upcoming event will touch (core::run_until
  // calls it for nearly every event, some 10 to 20 events ahead): at a
  // million workers a worker's record is a miss to main memory, which this
  // overlaps with the events before it.
  // Only when the records outgrow the cache (prefetching()); the threshold
  // is set in build_world.
  [[nodiscard]] bool prefetching() const noexcept { return prefetching_; }
  void prefetch(const core::Event& e) const noexcept {
    if (e.kind == static_cast<std::uint16_t>(EventKind::Encounter) ||
        e.kind == static_cast<std::uint16_t>(EventKind::ExploiterViolence))
      __builtin_prefetch(&world_.workers.hot[e.subject], 1);
  }

  // --- Access for tests and the policy layer -------------------------------
  [[nodiscard]] World& world() { return world_; }
  [[nodiscard]] const World& world() const { return world_; }
  [[nodiscard]] const Params& params() const { return p_; }
  [[nodiscard]] core::Rng& rng() { return rng_; }
  [[nodiscard]] Recorder& recorder() { return recorder_; }
  [[nodiscard]] double now() const { return now_; }
  // Runs the event loop to absolute time `until` (tests step through time).
  std::uint64_t advance_to(double until);
  // Absolute simulation time of report day d.
  [[nodiscard]] double report_time(double day) const { return static_cast<double>(p_.warmup_days) + day; }

  // --- Model functions the processes share ---------------------------------
  // Police heat and buyers' perceived risk: levels set at some time that
  // halve every half_life_days (inline: an encounter reads them once
  // levels_raised_ is set; without operations they are zero).
  [[nodiscard]] double decayed(double level, double since, double t) const {
    return level == 0.0 ? 0.0 : level * std::exp(-heat_decay_rate_ * (t - since));
  }
  [[nodiscard]] double area_heat(std::uint32_t area, double t) const {
    return decayed(world_.areas.heat[area], world_.areas.heat_time[area], t);
  }
  void add_area_heat(std::uint32_t area, double amount, double t);
  [[nodiscard]] double online_heat(double t) const { return decayed(world_.online_heat, world_.online_heat_time, t); }
  void add_online_heat(double amount, double t);
  // Routine patrols' standing heat in an area (policing.patrol_heat scaled by
  // the area's policing): always there, operations add to it.
  [[nodiscard]] double patrol_heat(std::uint32_t area) const { return patrol_heat_[area]; }
  // Perceived enforcement risk of the buyers of an area (street and venue
  // segments) and of online buyers.
  [[nodiscard]] double area_buyer_risk(std::uint32_t area, double t) const {
    return decayed(world_.areas.buyer_risk[area], world_.areas.buyer_risk_time[area], t);
  }
  [[nodiscard]] double online_buyer_risk(double t) const {
    return decayed(world_.buyer_risk, world_.buyer_risk_time, t);
  }
  void add_area_buyer_risk(std::uint32_t area, double amount, double t);
  // Buyers who share an area's risk: those of its street and its venues.
  [[nodiscard]] double area_buyers(std::uint32_t area) const {
    const Buyers& b = world_.buyers;
    return static_cast<double>(b.segment_size[b.segment_of(Sector::Street, area)]) +
           static_cast<double>(b.segment_size[b.segment_of(Sector::Venue, area)]);
  }
  void add_online_buyer_risk(double amount, double t);
  // Heat a worker works under: her area's (patrols and operations), or the
  // online heat for online workers.
  [[nodiscard]] double worker_heat(std::uint32_t w, double t) const;
  // Negotiation time as a share of the unpoliced time, in (0, 1]: halved at
  // heat_halves_negotiation, a third at twice that, ... ("shorter
  // negotiation times" under heightened policing [seed 002]).
  [[nodiscard]] double negotiation_share(double heat) const { return 1.0 / (1.0 + heat * inv_heat_halves_); }
  // Incomes: a worker's gross 30-day income decays with a 30-day time
  // constant and rises by the price of each encounter. Her record holds it
  // scaled to the income epoch, income × exp((t - epoch) / 30) at the time t
  // it was set, so that her income at any later time is the stored value
  // times exp(-(t - epoch) / 30), a factor common to every worker: computed
  // once a day, and within the day from a short series (income_decay). The
  // daily loops then take no exponential per worker and an encounter none.
  // The epoch moves forward every two years (on_day) so that the stored
  // values stay far from the range of a float.
  [[nodiscard]] double income_decay(double t) const {
    const double dt = t - day_start_;
    if (dt >= 0.0 && dt <= 2.0) {
      // exp(y) for y in [-1/15, 0]: Taylor to degree 6, error below 1e-13
      // (multiplications by constant reciprocals: no division).
      const double y = dt * (-1.0 / 30.0);
      const double series =
          1.0 + y * (1.0 + y * (0.5 + y * (1.0 / 6 + y * (1.0 / 24 + y * (1.0 / 120 + y * (1.0 / 720))))));
      return day_decay_ * series;
    }
    return std::exp(-(t - income_epoch_) / 30.0);
  }
  [[nodiscard]] double income_now(const WorkerHot& h, double t) const {
    return static_cast<double>(h.income) * income_decay(t);
  }
  [[nodiscard]] double income_now(std::uint32_t w, double t) const { return income_now(world_.workers.hot[w], t); }
  // Sets her income at time t; set_income_decayed, given income_decay(t).
  static void set_income_decayed(WorkerHot& h, double income, double decay) {
    h.income = static_cast<float>(income / decay);
  }
  void set_income(WorkerHot& h, double income, double t) const { set_income_decayed(h, income, income_decay(t)); }
  [[nodiscard]] double net_income_now(std::uint32_t w, double t) const;
  // Share of her earnings a worker keeps: all when independent, less what a
  // pimp or her venue takes.
  // (From a table: whether she is controlled varies from one worker to the
  // next, and a branch on it would mispredict.)
  [[nodiscard]] double keep_share(const WorkerHot& h) const {
    const unsigned controlled = h.exploiter != kNone ? 1u : 0u;
    return keep_share_[controlled + (controlled & (h.venue != kNone ? 1u : 0u))];
  }
  // Exploiter violence per day against a controlled worker whose quota is met:
  // a venue operator's or a pimp's.
  [[nodiscard]] double exploiter_violence_base(const WorkerHot& h) const {
    return (h.venue != kNone ? p_.operator_violence_per_year : p_.violence_per_year) / 365.0;
  }
  // The most exploiter violence per day any controlled worker can face: the
  // rate of her violence chain, thinned to her own (exploiter_violence.cpp).
  [[nodiscard]] double exploiter_violence_ceiling() const {
    return std::max(p_.operator_violence_per_year, p_.violence_per_year) / 365.0 * p_.quota_violence_multiplier;
  }
  [[nodiscard]] bool engaged(std::uint32_t w, double t) const { return world_.workers.hot[w].engaged_until > t; }
  [[nodiscard]] bool decriminalized(double t) const { return t >= decriminalized_from(); }
  // Times the laws take effect (+inf for a law the scenario does not have).
  [[nodiscard]] double decriminalized_from() const;
  [[nodiscard]] double end_demand_from() const;
  [[nodiscard]] double stigma(double t) const;

  // Arrest of a worker and all its consequences (arrest.cpp); op is a
  // policy's operation or routine policing (routine_policing()).
  void arrest_worker(std::uint32_t w, const Operation& op, double t);
  // A citation: a fine, a record of police action and lost trust, no jail.
  void cite_worker(std::uint32_t w, double t);
  // A routine police contact and what follows from it (policing.cpp).
  void police_contact(std::uint32_t w, double t);
  // Police take her condoms: she works without them for condom_gap_days.
  void take_condoms(std::uint32_t w, double t);
  // A street worker moved away from where she works, mostly to an isolated
  // area (displacement.cpp); false when there was nowhere to go.
  bool displace(std::uint32_t w, double t);
  void lose_housing(std::uint32_t w);                            // housing.cpp
  void regain_housing(std::uint32_t w);                          // housing.cpp
  [[nodiscard]] const Operation& routine_policing() const { return routine_op_; }
  // Whether selling and buying are still policed as crimes at time t.
  [[nodiscard]] bool criminalized(double t) const { return !decriminalized(t); }
  [[nodiscard]] bool end_demand(double t) const { return t >= end_demand_from(); }
  void arrest_exploiter(std::uint32_t e, const Operation& op, double t);
  // A victim identified by any route goes to services (arrest.cpp).
  // by_operation: found by a special operation (operation_* metrics).
  void identify_victim(std::uint32_t w, Metric route, double t, bool by_operation);
  // Ends third-party control of a worker; her exploiter will recruit again.
  void release_from_exploiter(std::uint32_t w, double t);
  void place_under_control(std::uint32_t w, std::uint32_t e, double t);
  // Whether pimp e controls fewer workers than a pimp can (exploiter.pimp_capacity).
  [[nodiscard]] bool pimp_has_room(std::uint32_t e) const {
    return static_cast<double>(world_.exploiters.workers[e]) < p_.pimp_capacity;
  }
  // Removes a worker from the market for good (exit, deportation).
  void remove_worker(std::uint32_t w, Status why, double t);
  // Starts the event chains of an active worker (after entry, release, ...).
  void start_chains(std::uint32_t w, double t);
  void record_violence(std::uint32_t w, Perpetrator who, double t);
  // Marks a repressive police action against her (the exposure of Platt et
  // al. 2018: arrest, citation, displacement, condoms taken, police violence).
  void record_policed(std::uint32_t w, double t) { world_.workers.last_policed[w] = static_cast<float>(t); }

  // A daily process that each worker undergoes with her own probability, at
  // most `highest`, without a draw for every worker: f(i) is called for the
  // workers a trial of probability `highest` picks (only the gaps between
  // them are drawn, geometric), and f keeps worker i with probability
  // p / highest (kept_of(p, highest)): the same law as one trial of
  // probability p for everybody.
  template <class F>
  void for_each_candidate(double highest, F&& f) {
    const double log_miss = std::log1p(-highest);
    const std::uint64_t n = world_.workers.size();
    for (std::uint64_t w = rng_.geometric(log_miss); w < n; w += 1 + rng_.geometric(log_miss))
      f(static_cast<std::uint32_t>(w));
  }
  // True with probability p / highest (p <= highest); no draw when p = highest.
  [[nodiscard]] bool kept_of(double p, double highest) { return p >= highest || rng_.uniform() * highest < p; }

  // Recording by stratum.
  [[nodiscard]] std::size_t cell_of(std::uint32_t w) const {
    const WorkerHot& h = world_.workers.hot[w];
    return cell_stratum(static_cast<unsigned>(h.sector), (h.flags & worker_flag::kUndocumented) != 0,
                        (h.flags & worker_flag::kMinor) != 0, static_cast<unsigned>(world_.areas.kind[h.area]));
  }
  [[nodiscard]] std::size_t community_of(std::uint32_t w) const {
    return world_.areas.community[world_.workers.hot[w].area];
  }
  // Her (cell, community) pair, (cell - 1) × communities + community
  // (strata_of_pair gives its strata back): the
  // cell's area kind is its last term (cell_stratum), so the area's part,
  // kind × communities + community, comes from area_pair_ and the rest from
  // her cell in a central area.
  // (Her cell in a central area less 1 is (sector × 4 + undocumented × 2 +
  // minor) × 3, and minor and undocumented are flag bits 0 and 1.)
  [[nodiscard]] std::size_t pair_of(const WorkerHot& h) const {
    static_assert(worker_flag::kMinor == 1 && worker_flag::kUndocumented == 2 &&
                      cell_stratum(0, false, true, 0) - 1 == 1 * 3 && cell_stratum(0, true, false, 0) - 1 == 2 * 3 &&
                      cell_stratum(1, false, false, 0) - 1 == 4 * 3,
                  "pair_of reads the cell from the sector and the flags' two low bits");
    return (static_cast<std::size_t>(h.sector) * 4 + (h.flags & 3u)) * pair_stride_ + area_pair_[h.area];
  }
  void count(Metric m, std::uint32_t w, double v = 1.0) { recorder_.add(m, cell_of(w), community_of(w), v); }
  void count_global(Metric m, double v = 1.0) { recorder_.add_global(m, v); }

 private:
  // Sets a decaying level (heat or buyers' risk) to its value at t plus
  // `amount`, from t on; every add_* above goes through it, so that
  // levels_raised_ is set whenever a level is.
  void raise_level(double& level, double& since, double amount, double t);
  // Initialisation (initialisation.cpp).
  void build_world();
  void build_buyers();
  void init_worker(std::uint32_t w, Sector s, double t);
  // Gives a first worker a past consistent with the model's own steady state
  // under routine policing: incomes, housing, debt and the times since her
  // last violence, condomless act, arrest, displacement and police action
  // (docs/model.md, "Initialisation"); the warm-up corrects what this
  // analytic approximation misses.
  void draw_history(std::uint32_t w, double t);
  // An entrant's past: that of a worker of her sector already working.
  void inherit_history(std::uint32_t w, double t);
  std::uint32_t take_slot();  // a vacant worker slot, or a new one

  // Processes, one file each.
  inline void on_encounter(std::uint32_t w, double t);         // encounter.cpp (compiled in simulation.cpp)
  void on_exploiter_violence(std::uint32_t w, double t);       // exploiter_violence.cpp
  void displacement_step(double t);                            // displacement.cpp
  void economic_stress_step(double t);                         // economic_stress.cpp
  void on_recruit(std::uint32_t exploiter, double t);          // recruitment.cpp
  void on_venue_hire(std::uint32_t venue, double t);           // recruitment.cpp
  void entry_step(double t);                                   // recruitment.cpp
  void enter_worker(double t);                                 // recruitment.cpp
  void policing_step(double t);                                // policing.cpp
  void housing_step(double t);                                 // housing.cpp
  void bind_debt(std::uint32_t w);                             // recruitment.cpp
  void on_operation_day(std::uint32_t op, double t);           // operation.cpp
  void schedule_operation(std::uint32_t op, double after);     // operation.cpp
  void outreach_step(double t);                                // outreach.cpp
  void on_release(std::uint32_t w, double t);                  // release.cpp
  void on_custody_end(std::uint32_t e, double t);              // release.cpp
  void exit_step(double t);                                    // exit_entry.cpp
  void on_day(double t);                                       // simulation.cpp
  void start_income_day(double t);                             // simulation.cpp
  void sample_day(std::size_t report_day, double t);           // sampling.cpp
  void record_exposure(double t, ReplicateResult& out) const;  // sampling.cpp

  // Calls f(w) for every worker record in order: the daily passes over all
  // workers (sample_day, entry_step). Where the records outgrow the cache
  // (prefetching_), each step first starts loading the record
  // Workers::kPassAhead places ahead: the hardware's own prefetch of a
  // sequential stream starts afresh at each 4 KiB page, and at a million
  // workers such a pass waited on memory for most of its time
  // (docs/performance.md). In the cache, the look-ahead was a dozen
  // instructions a worker for nothing: 2 % of a run at 2,000 workers.
  template <class F>
  void pass_over_workers(F&& f) const {
    const auto n = static_cast<std::uint32_t>(world_.workers.size());
    std::uint32_t w = 0;
    if (prefetching_) {
      const WorkerHot* hot = world_.workers.hot.data();
      constexpr auto kAhead = static_cast<std::uint32_t>(Workers::kPassAhead);
      for (; w + kAhead < n; ++w) {
        __builtin_prefetch(hot + w + kAhead);
        f(w);
      }
    }
    for (; w < n; ++w) f(w);
  }

  const Params& p_;
  const Interventions& iv_;
  World world_;
  core::EventQueue queue_;
  core::Rng rng_;
  Recorder recorder_;
  std::uint64_t seed_;
  double now_ = 0;
  double condom_refusal_wins_ = 0;    // 1 - condom_insistence
  double heat_decay_rate_ = 0;        // ln 2 / half_life_days
  // Reciprocals of parameters the encounter divides by (a multiplication is
  // cheaper than a division in the hottest path).
  double inv_heat_halves_ = 0;        // 1 / heat_halves_negotiation
  double inv_income_need_ = 0;        // 1 / income_need_30d (0 when there is no need)
  double mean_gap_ = 0;               // 1 / rate_per_day: mean days between encounters at need
  double min_gap_factor_ = 0;         // 1 / max_rate_multiplier
  double keep_share_[3] = {};         // keep_share: independent, a pimp's, a venue's
  double income_epoch_ = 0;           // see income_decay
  double day_start_ = 0;              // time of the last Day event
  double day_decay_ = 1;              // exp(-(day_start_ - income_epoch_) / 30)
  double end_time_ = 0;
  double diversion_left_ = 0;         // diversion places left today
  Operation routine_op_;              // routine policing, as the operation its arrests belong to
  std::vector<double> patrol_heat_;   // standing heat of routine patrols, by area
  // Whether any area's or the online heat or buyers' risk has been raised
  // (raise_level, through add_area_heat and the others); until then every
  // such level is 0.
  bool levels_raised_ = false;
  double demand_index_ = 1;           // buyers' demand relative to no enforcement, smoothed over 30 days
  double independent_target_ = 0;     // independent (non-venue) workers the market holds without enforcement
  double violence_base_[3][3] = {};   // buyer-violence rate factor by sector and area kind (build_world)
  double violence_alone_[3] = {};     // the same for a street worker out of her peers' sight, by area kind
  std::uint64_t contacts_today_ = 0;  // buyer contacts today
  std::uint64_t deterred_today_ = 0;  // of which deterred by enforcement risk
  bool decrim_applied_ = false;
  bool building_ = true;               // inside build_world
  bool prefetching_ = false;           // whether the event loop prefetches worker records
  std::vector<std::uint32_t> scratch_;  // reused candidate lists (no allocation per event)
  std::vector<std::uint8_t> area_mask_;
  std::vector<double> heat_today_;
  std::vector<std::uint32_t> away_;       // workers displace() moved from home since the last displacement_step,
                                          // and those still away after it (some may be home by now)
  std::vector<std::uint32_t> away_next_;  // displacement_step's list of those still away
  // The daily sample's tally (sampling.cpp): kTallyFields fields and
  // kTallyLanes counts per (cell, community) pair.
  static constexpr std::size_t kTallyFields = 10;
  static constexpr std::size_t kTallyLanes = 9;
  static constexpr std::size_t kTallyCopies = 2;
  std::vector<std::uint32_t> area_pair_;  // by area: kind × communities + community (pair_of)
  std::size_t pair_stride_ = 0;           // 3 × communities: pairs from one cell's central area to the next's
  std::vector<double> tally_;
  std::vector<std::uint32_t> tally_counts_;
  std::vector<float> series_storage_;          // recycled buffers of ReplicateResult (run)
  std::vector<double> stratum_totals_storage_;
  ReplicateResult* out_ = nullptr;
};

}  // namespace harmsim::model
