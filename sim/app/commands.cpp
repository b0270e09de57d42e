// `harmsim run` and `harmsim validate`.
#include "app/commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "app/distribute.hpp"
#include "app/runner.hpp"
#include "app/table.hpp"
#include "core/rng.hpp"
#include "io/build_info.hpp"
#include "io/checkpoint.hpp"
#include "io/hdf5_file.hpp"
#include "io/hdf5_writer.hpp"
#include "io/scenario.hpp"
#include "model/world.hpp"

namespace harmsim::app {

namespace {

// Scenarios of every file, or the embedded default comparison.
std::vector<io::Scenario> load_all(const std::vector<std::string>& files) {
  std::vector<io::Scenario> all;
  if (files.empty()) return io::parse_scenarios(io::default_comparison(), "compare.toml (embedded default)");
  for (const std::string& f : files) {
    auto more = io::load_scenarios(f);
    for (auto& s : more) {
      for (const auto& existing : all)
        if (existing.name == s.name)
          throw io::ScenarioError(f, 0, 0, "name", "scenario names that differ across files",
                                  fmt::format("`{}` in both {} and {}", s.name, existing.source, f));
      all.push_back(std::move(s));
    }
  }
  return all;
}

std::size_t unit_bytes(const model::Params& p) {
  const std::size_t strata = model::strata_count(static_cast<std::size_t>(p.communities));
  return io::CheckpointDir::unit_bytes(static_cast<std::uint64_t>(p.days), strata, strata);
}

// Replicate r of scenario k as kept in `checkpoints`, checked (run, indices,
// size, checksum, and the replicate's own seed); nullopt if it is not there
// (no file of the expected size: `problem` empty) or damaged (the reason in
// `problem`).
std::optional<model::ReplicateResult> read_kept(const io::Scenario& s, std::size_t k, std::size_t r,
                                                const io::CheckpointDir& checkpoints, std::string& problem) {
  std::optional<io::UnitRecord> record;
  if (checkpoints.has(k, r, unit_bytes(s.params))) record = checkpoints.read(k, r, &problem);
  if (record && record->seed != core::stream_seed(static_cast<std::uint64_t>(s.params.seed), s.name, r)) {
    problem = checkpoints.unit_path(k, r).string() + ": holds another replicate";
    record.reset();
  }
  if (!record) return std::nullopt;
  return io::to_replicate_result(std::move(*record));
}

// Lists the units of the replicates of scenario k that are not kept in
// `checkpoints` in `pending`; returns how many are kept. Each kept one is
// read and checked (and then let go: the results file reads it again), so
// that a damaged unit file is reported and run again with the others.
std::size_t take_finished(const io::Scenario& s, std::size_t k, std::uint64_t first_unit,
                          const io::CheckpointDir& checkpoints, bool quiet, std::vector<std::uint64_t>& pending) {
  const auto replicates = static_cast<std::size_t>(s.params.replicates);
  std::size_t kept = 0;
  for (std::size_t r = 0; r < replicates; ++r) {
    std::string problem;
    if (read_kept(s, k, r, checkpoints, problem)) {
      ++kept;
    } else {
      if (!problem.empty() && !quiet) print_error(fmt::format("{}; running it again", problem));
      pending.push_back(first_unit + r);
    }
  }
  return kept;
}

// What `harmsim run` keeps of a replicate once its scenario is in the
// results file: everything but the series (the comparison and targets
// tables read totals, stratum_totals and exposure). Its series' memory is
// given back.
void drop_series(model::ReplicateResult& rep) { std::vector<float>().swap(rep.series); }

// A message if the filesystem of `output` has less room than the checkpoints
// of the replicates still to run need; empty if they fit or it cannot tell.
std::string check_disk_space(const std::vector<io::Scenario>& scenarios, const io::CheckpointDir& checkpoints,
                             const std::filesystem::path& output) {
  double need = 0;
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    const std::size_t bytes = unit_bytes(scenarios[k].params);
    for (std::int64_t r = 0; r < scenarios[k].params.replicates; ++r)
      if (!checkpoints.has(k, static_cast<std::uint64_t>(r), bytes))
        need += static_cast<double>(io::CheckpointDir::expected_bytes(bytes));
  }
  return check_disk_room(need, checkpoints.directory(), output, "the replicates still to run");
}

// The scenario as its `config` records it: with --posterior, as the file gave
// it (simulation.replicates per draw; the drawn parameters are in /posterior).
std::string written_config(const io::Scenario& s, const PosteriorRun* posterior) {
  if (posterior == nullptr) return io::to_toml(s);
  io::Scenario per_draw = s;
  per_draw.params.replicates /= static_cast<std::int64_t>(posterior->draws.draws());
  return io::to_toml(per_draw);
}

// True if `path` is a finished results file of exactly these scenarios (the
// same names in the same order, replicates and resolved configurations) by
// this program: what this same command would have written.
bool written_by_this_run(const std::filesystem::path& path, const std::vector<io::Scenario>& scenarios,
                         const PosteriorRun* posterior) {
  try {
    io::h5::Reader reader;
    reader.open(path);
    if (!reader.has_attribute("/", "complete") || reader.attribute_int64("/", "complete") != 1 ||
        reader.attribute_string("/", "harmsim_version") != HARMSIM_VERSION ||
        reader.attribute_string("/", "git_commit") != io::git_commit())
      return false;
    const std::vector<std::string> names = reader.strings("/scenario_names");
    if (names.size() != scenarios.size()) return false;
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      const io::Scenario& s = scenarios[k];
      const std::string group = "/scenarios/" + s.name;
      if (names[k] != s.name || reader.attribute_int64(group, "replicates") != s.params.replicates ||
          reader.string_scalar(group + "/config") != written_config(s, posterior))
        return false;
    }
    if (posterior == nullptr) return !reader.exists("/posterior");
    return reader.exists("/posterior/points") &&
           reader.attribute_string("/posterior", "calibration_id") == posterior->draws.calibration_id &&
           reader.doubles("/posterior/points") == posterior->draws.flat_points();
  } catch (const io::IoError&) {
    return false;
  }
}

}  // namespace

void print_error(const std::string& message) { std::fprintf(stderr, "harmsim: %s\n", message.c_str()); }

std::string duration_text(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?";
  if (seconds < 9.95) return fmt::format("{:.1f}s", seconds);
  const auto s = static_cast<long long>(seconds + 0.5);
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}h{:02}m", s / 3600, (s / 60) % 60);
}

int validate_command(const std::vector<std::string>& files) {
  try {
    const auto scenarios = load_all(files);
    for (const auto& s : scenarios)
      std::printf("%s: scenario `%s` is valid (%zu %s)\n", s.source.c_str(), s.name.c_str(), s.policies.size(),
                  s.policies.size() == 1 ? "policy" : "policies");
    return kExitOk;
  } catch (const io::ScenarioError& e) {
    print_error(e.what());
    return kExitBadInput;
  }
}

std::int64_t run_replicates(const std::vector<io::Scenario>& scenarios) {
  std::int64_t replicates = 0;
  for (const io::Scenario& s : scenarios) replicates += s.params.replicates;
  return replicates;
}

RunInputProblems check_run_inputs(const std::vector<io::Scenario>& scenarios, unsigned threads, int ranks) {
  RunInputProblems problems;
  const std::int64_t replicates = run_replicates(scenarios);
  for (const auto& s : scenarios) {
    if (const std::string msg = check_fits(s, threads, replicates, ranks); !msg.empty() && problems.too_big.empty())
      problems.too_big = msg;
    if (s.params.communities != scenarios.front().params.communities) {
      problems.communities = fmt::format(
          "scenario `{}` has population.communities = {} but `{}` has {}; scenarios written to one file share "
          "their strata",
          s.name, s.params.communities, scenarios.front().name, scenarios.front().params.communities);
      break;
    }
  }
  return problems;
}

namespace {

// `harmsim run` on one rank (every process when there is no MPI): each rank
// reads the scenarios and draws the posterior itself; only rank 0 speaks.
int run_on_rank(const RunCommand& cmd, const MpiSession& session) {
  const bool root = session.root();
  auto refuse = [&](const std::string& message) {
    if (root) print_error(message);
    return kExitBadInput;
  };
  if (const std::string why = without_mpi_refusal(session, "run it without mpirun (-j threads)"); !why.empty())
    return refuse(why);
  std::vector<io::Scenario> scenarios;
  try {
    scenarios = load_all(cmd.files);
  } catch (const io::ScenarioError& e) {
    return refuse(e.what());
  }
  std::optional<PosteriorRun> posterior;
  if (!cmd.posterior.empty()) {
    if (cmd.draws < 1 || cmd.draws > kMaxDraws)
      return refuse(fmt::format("--draws: expected a number of parameter draws from 1 to {}, found {}", kMaxDraws,
                                cmd.draws));
    posterior.emplace();
    try {
      // The first scenario's seed (the baseline's): every scenario runs the same draws.
      posterior->draws = draw_posterior(cmd.posterior, static_cast<std::size_t>(cmd.draws),
                                        static_cast<std::uint64_t>(scenarios.front().params.seed));
      for (io::Scenario& s : scenarios) {
        std::vector<io::Scenario> drawn;
        for (std::size_t k = 0; k < posterior->draws.draws(); ++k)
          drawn.push_back(draw_scenario(s, posterior->draws, k));
        posterior->scenarios.push_back(std::move(drawn));
        s.params.replicates *= cmd.draws;  // replicate r runs draw r / (its replicates per draw)
      }
    } catch (const io::IoError& e) {
      return refuse(e.what());
    } catch (const io::ScenarioError& e) {
      return refuse(e.what());
    }
  }
  // One thread per rank under MPI, as for sweeps (one rank per core is the usual layout).
  const unsigned threads = cmd.threads != 0 ? cmd.threads
                           : session.active ? 1u
                                            : std::max(1u, std::thread::hardware_concurrency());
  const RunInputProblems problems = check_run_inputs(scenarios, threads, session.node_ranks);
  if (!problems.communities.empty()) return refuse(problems.communities);
  if (cmd.dry_run && root) {
    std::printf("%-28s %10s %10s %6s %10s %14s\n", "scenario", "workers", "buyers", "days", "replicates",
                "memory (MiB)");
    for (const auto& s : scenarios)
      std::printf("%-28s %10lld %10lld %6lld %10lld %14.1f\n", s.name.c_str(),
                  static_cast<long long>(s.params.workers), static_cast<long long>(s.params.buyers),
                  static_cast<long long>(s.params.days), static_cast<long long>(s.params.replicates),
                  static_cast<double>(memory_needed(s, threads, run_replicates(scenarios), session.node_ranks)) / 1048576.0);
    std::printf("state per worker: %zu bytes; this machine has %.1f GiB\n", model::Workers::bytes_per_worker(),
                static_cast<double>(physical_memory()) / 1073741824.0);
  }
  // Each rank checks its own machine's memory; they refuse together.
  if (const std::string too_big = mpi_agreed_refusal(session, problems.too_big); !too_big.empty())
    return refuse(too_big);
  if (cmd.dry_run) return kExitOk;

  RunToFile run;
  const int status = run_to_file(scenarios, cmd, threads, run, posterior ? &*posterior : nullptr, session);
  if (!root || status != kExitOk || run.already_complete) return status;
  if (posterior) {
    const PosteriorDraws& p = posterior->draws;
    std::printf("Over %zu parameter draws from %s (%zu accepted sets, drawn %s replacement), replicates inside "
                "each draw\n",
                p.draws(), p.calibration.c_str(), p.accepted, p.with_replacement ? "with" : "without");
  }
  std::vector<ScenarioTotals> table;
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    const std::size_t per_draw =
        posterior ? static_cast<std::size_t>(scenarios[i].params.replicates) / posterior->draws.draws() : 0;
    table.push_back({scenarios[i].name, &run.results[i], per_draw});
  }
  const std::string text = comparison_table(table, static_cast<std::size_t>(scenarios.front().params.days));
  std::fwrite(text.data(), 1, text.size(), stdout);
  bool all_met = true;
  const std::string targets = targets_table(scenarios, run.results, all_met);
  std::fwrite(targets.data(), 1, targets.size(), stdout);
  std::printf("\nResults written to %s\n", cmd.output.c_str());
  if (run.resumed > 0)
    std::printf("(%zu replicates run now, %zu taken from the interrupted run)\n", run.simulated, run.resumed);
  // The table lists every metric; the report leads with the answer.
  if (scenarios.size() > 1)
    std::printf(
        "Each policy's effect on the key harms, with the probability that it lowers them: %s report %s "
        "-o report.html\n",
        cmd.program.c_str(), cmd.output.c_str());
  return kExitOk;
}

// The units of a run: unit u is replicate u - first[k] of scenario k, for
// the k with first[k] <= u < first[k + 1] (scenario order, then replicate
// order, as the units are handed out).
struct RunUnits {
  std::vector<std::uint64_t> first;  // [scenario], then the number of units

  explicit RunUnits(const std::vector<io::Scenario>& scenarios) {
    first.push_back(0);
    for (const io::Scenario& s : scenarios)
      first.push_back(first.back() + static_cast<std::uint64_t>(s.params.replicates));
  }
  [[nodiscard]] std::pair<std::size_t, std::size_t> locate(std::uint64_t unit) const {
    const auto k = static_cast<std::size_t>(std::upper_bound(first.begin(), first.end(), unit) - first.begin() - 1);
    return {k, static_cast<std::size_t>(unit - first[k])};
  }
};

// What every thread of every rank needs to run a unit of a run.
struct RunPlan {
  RunPlan(const std::vector<io::Scenario>& s, const PosteriorRun* p, const io::CheckpointDir& c)
      : scenarios(s), posterior(p), checkpoints(c), units(s) {}

  const std::vector<io::Scenario>& scenarios;
  const PosteriorRun* posterior;
  const io::CheckpointDir& checkpoints;
  RunUnits units;
  FirstFailure failure;  // this rank's, said by report_stop
};

// A thread's worker: runs units, each written to its own unit file
// (written, synced and renamed: durable once run() returns, so sync() has
// nothing to do), and keeps nothing of them on any rank: the results file
// is assembled from the unit files, so memory holds one replicate per
// thread however many have run. The policies are compiled for the parameter
// set of the unit (a scenario's, or one of its posterior draws), and kept
// while the next unit has the same set, as consecutive units mostly do.
class RunWorker final : public UnitWorker {
 public:
  explicit RunWorker(RunPlan& plan) : plan_(plan) {}

  int run(std::uint64_t unit) override { return run_unit(unit, nullptr); }
  int sync() override { return kExitOk; }

  // run(), and with `full` the replicate handed over there (assemble_run,
  // for a unit file it could not read) rather than kept for the next.
  int run_unit(std::uint64_t unit, model::ReplicateResult* full) {
    const auto [k, r] = plan_.units.locate(unit);
    const io::Scenario& s = plan_.scenarios[k];
    try {
      std::size_t draw = 0;
      const io::Scenario* drawn = &s;
      if (plan_.posterior != nullptr) {
        const std::vector<io::Scenario>& draws = plan_.posterior->scenarios[k];
        draw = r / (static_cast<std::size_t>(s.params.replicates) / draws.size());
        drawn = &draws[draw];
      }
      if (!compiled_ || compiled_scenario_ != k || compiled_draw_ != draw) {
        compiled_.reset();  // (not left for the wrong set if compile throws)
        compiled_ = policy::compile(drawn->policies, drawn->params);
        compiled_scenario_ = k;
        compiled_draw_ = draw;
      }
      model::ReplicateResult rep = run_replicate(s, drawn->params, *compiled_, r, &storage_);
      plan_.checkpoints.write(io::make_unit_record(k, rep, true));
      if (full != nullptr)
        *full = std::move(rep);
      else
        storage_.keep(std::move(rep));  // written: its buffers serve the next replicate
      return kExitOk;
    } catch (const Interrupted&) {
      return kExitInterrupted;
    } catch (const io::IoError& e) {
      plan_.failure.set(e.what(), true);
      return kExitFailure;
    } catch (const std::exception& e) {
      plan_.failure.set(fmt::format("internal error: {}", e.what()), false);
      return kExitFailure;
    }
  }

 private:
  RunPlan& plan_;
  std::optional<model::Interventions> compiled_;
  std::size_t compiled_scenario_ = 0, compiled_draw_ = 0;
  model::ReplicateStorage storage_;  // what this thread's last replicate left (run_replicate)
};

// Says in one line, on rank 0, why a run stopped before its results file was
// complete: an interrupt, or the first failure of any rank (in rank order),
// named by its rank when it was not rank 0's own. Every rank calls it when
// MPI is active (it gathers the failures).
void report_stop(int status, const RunPlan& plan, const MpiSession& session, const std::string& output) {
  const std::string work = plan.checkpoints.directory().string();
  const std::string mine =
      plan.failure.text.empty() || !plan.failure.keeps
          ? plan.failure.text
          : fmt::format("{}; the finished replicates are kept in {}; rerun the same command to resume",
                        plan.failure.text, work);
  const RankMessage first = mpi_first_message(session, mine);
  if (!session.root()) return;
  if (status == kExitInterrupted) {
    if (!first.text.empty()) print_error(first.said(session));  // a replicate failed before the interrupt came
    print_error(fmt::format("interrupted{}; the finished replicates are kept in {} and {}.partial is incomplete; "
                            "rerun the same command to resume",
                            interrupt_signal() != 0 ? fmt::format(" by signal {}", interrupt_signal()) : "", work,
                            output));
  } else if (first.text.empty()) {  // a failure that said nothing itself
    print_error(fmt::format("stopped by a failure; the finished replicates are kept in {}; rerun the same command "
                            "to resume",
                            work));
  } else {
    print_error(first.said(session));
  }
}

// Rank 0 before anything runs: the lock, the output, the checkpoint
// directory, the room they need, the results file (created first, so that
// an unwritable path fails before anything else is made) and the replicates
// an earlier, interrupted run of this command finished. Returns kProceed or
// an exit status (kExitOk: the output was already complete). `finished`:
// how many replicates of each scenario were.
int prepare_run(const std::vector<io::Scenario>& scenarios, const RunCommand& cmd, const PosteriorRun* posterior,
                const io::CheckpointDir& checkpoints, OutputLock& lock, std::optional<io::ResultsWriter>& writer,
                RunToFile& run, std::vector<std::size_t>& finished, std::vector<std::uint64_t>& pending) {
  // Not even --force may take the output from a harmsim still writing it.
  if (const std::string busy = lock.acquire(); !busy.empty()) {
    print_error(busy);
    return kExitBadInput;
  }
  const std::filesystem::path out(cmd.output);
  std::error_code error;
  if (std::filesystem::exists(out, error) && !cmd.force) {
    // This run's checkpoints beside this run's finished results file: the run
    // was stopped after the file was complete, before it removed them.
    if (std::filesystem::exists(checkpoints.directory(), error) && written_by_this_run(out, scenarios, posterior)) {
      try {
        checkpoints.open_or_create(scenarios.size());  // CheckpointMismatch unless they are this run's
        if (!cmd.quiet) std::printf("%s is already complete: nothing to do\n", cmd.output.c_str());
        if (const std::string warning = remove_checkpoints_of_complete(checkpoints, cmd.output); !warning.empty())
          print_error(warning);
        run.already_complete = true;
        return kExitOk;
      } catch (const io::CheckpointMismatch&) {
      } catch (const io::IoError&) {
      }
    }
    print_error(fmt::format("{} exists; choose another name with -o or pass --force to replace it", cmd.output));
    return kExitBadInput;
  }
  if (std::filesystem::exists(checkpoints.directory(), error)) {
    try {
      checkpoints.open_or_create(scenarios.size());
    } catch (const io::CheckpointMismatch& e) {
      if (!cmd.force) {
        print_error(e.what());
        return kExitBadInput;
      }
      try {
        checkpoints.remove();
      } catch (const io::IoError& removal) {
        print_error(removal.what());
        return kExitFailure;
      }
    } catch (const io::IoError& e) {
      print_error(e.what());
      return kExitFailure;
    }
  }
  if (const std::string no_room = check_disk_space(scenarios, checkpoints, out); !no_room.empty()) {
    print_error(no_room);
    return kExitBadInput;
  }
  try {
    io::RunInfo info{HARMSIM_VERSION, io::git_commit(), cmd.command_line, io::iso8601_utc_now()};
    writer.emplace(out, info, static_cast<std::size_t>(scenarios.front().params.communities));
    checkpoints.open_or_create(scenarios.size());
  } catch (const io::IoError& e) {
    print_error(e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  // The replicates an earlier, interrupted run of this command finished.
  const RunUnits units(scenarios);
  finished.assign(scenarios.size(), 0);
  for (std::size_t k = 0; k < scenarios.size(); ++k) {
    finished[k] = take_finished(scenarios[k], k, units.first[k], checkpoints, cmd.quiet, pending);
    run.resumed += finished[k];
  }
  if (run.resumed > 0 && !cmd.quiet)
    print_error(fmt::format("resuming: {} of {} replicates already finished in {}", run.resumed, units.first.back(),
                            checkpoints.directory().string()));
  return kProceed;
}

// The replicates of scenario k read back from their unit files, `threads`
// at a time (inflating a unit costs about 2 % of running it); found[r] = 0
// and the reason in problems[r] (empty: no file) for one that cannot be
// read. Throws what reading threw (std::bad_alloc).
std::vector<model::ReplicateResult> read_scenario(const io::Scenario& s, std::size_t k,
                                                  const io::CheckpointDir& checkpoints, unsigned threads,
                                                  std::vector<std::uint8_t>& found,
                                                  std::vector<std::string>& problems) {
  const auto replicates = static_cast<std::size_t>(s.params.replicates);
  std::vector<model::ReplicateResult> reps(replicates);
  found.assign(replicates, 0);
  problems.assign(replicates, {});
  std::vector<std::exception_ptr> failures(std::clamp<std::size_t>(threads, 1, std::max<std::size_t>(replicates, 1)));
  auto read_every = [&](std::size_t first, std::size_t step) {
    try {
      for (std::size_t r = first; r < replicates; r += step) {
        if (std::optional<model::ReplicateResult> rep = read_kept(s, k, r, checkpoints, problems[r])) {
          reps[r] = std::move(*rep);
          found[r] = 1;
        }
      }
    } catch (...) {
      failures[first] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (std::size_t t = 1; t < failures.size(); ++t) helpers.emplace_back(read_every, t, failures.size());
  read_every(0, failures.size());
  for (std::thread& helper : helpers) helper.join();
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
  return reps;
}

// Rank 0 once every unit has run: the results file, one scenario at a time
// in scenario and replicate order, each read back from the unit files of
// whichever rank or thread ran it (one that cannot be read is run again
// here), written, and kept without its series (run.results), so that memory
// holds the series of one scenario at a time (docs/errors.md "Memory that
// does not fit").
int assemble_run(const std::vector<io::Scenario>& scenarios, const RunCommand& cmd, const PosteriorRun* posterior,
                 const MpiSession& session, unsigned threads, RunPlan& plan, io::ResultsWriter& writer,
                 RunToFile& run) {
  const std::string work = plan.checkpoints.directory().string();
  try {
    std::size_t redone = 0;
    run.results.assign(scenarios.size(), {});
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      const io::Scenario& s = scenarios[k];
      std::vector<std::uint8_t> found;
      std::vector<std::string> problems;
      std::vector<model::ReplicateResult> reps = read_scenario(s, k, plan.checkpoints, threads, found, problems);
      for (std::size_t r = 0; r < reps.size(); ++r) {
        if (found[r] != 0) continue;
        if (redone++ == 0)
          print_error(fmt::format("{}; running it again{}",
                                  problems[r].empty() ? plan.checkpoints.unit_path(k, r).string() + ": missing"
                                                      : problems[r],
                                  session.active ? " (is the output on a filesystem every rank shares?)" : ""));
        RunWorker worker(plan);
        if (const int status = worker.run_unit(plan.units.first[k] + r, &reps[r]); status != kExitOk) {
          report_stop(status, plan, MpiSession{}, cmd.output);  // rank 0 alone
          return status;
        }
      }
      io::ScenarioOutput so;
      so.name = s.name;
      so.description = s.description;
      so.config_toml = written_config(s, posterior);
      if (posterior != nullptr) {
        const auto per_draw = static_cast<std::size_t>(s.params.replicates) / posterior->draws.draws();
        for (std::size_t r = 0; r < reps.size(); ++r)
          so.replicate_draw.push_back(static_cast<std::int64_t>(r / per_draw));
      }
      so.seed = static_cast<std::uint64_t>(s.params.seed);
      so.warmup_days = s.params.warmup_days;
      so.replicates = std::move(reps);
      writer.write_scenario(so);
      for (model::ReplicateResult& rep : so.replicates) drop_series(rep);
      run.results[k] = std::move(so.replicates);
    }
    if (redone > 1) print_error(fmt::format("{} replicates were run again", redone));
    if (posterior != nullptr)
      writer.write_posterior({posterior->draws.calibration, posterior->draws.calibration_id,
                              posterior->draws.names(), posterior->draws.flat_points()});
    writer.finish();
  } catch (const io::IoError& e) {
    std::string message = e.what();
    if (out_of_room(message) && message.rfind(cmd.output + ".partial", 0) == 0) {
      std::vector<io::ScenarioSize> sizes;
      for (const io::Scenario& s : scenarios)
        sizes.push_back({static_cast<std::uint64_t>(s.params.replicates), static_cast<std::uint64_t>(s.params.days),
                         io::to_toml(s).size()});
      const auto bound = static_cast<double>(io::results_file_bytes_at_most(
          sizes, static_cast<std::size_t>(scenarios.front().params.communities)));
      message += fmt::format("; writing {} needs up to {}, {}.partial included", cmd.output, size_text(bound),
                             cmd.output);
    }
    print_error(fmt::format("{}; the finished replicates are kept in {}; rerun the same command to resume", message,
                            work));
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  if (const std::string warning = remove_checkpoints_of_complete(plan.checkpoints, cmd.output); !warning.empty())
    print_error(warning);
  return kExitOk;
}

}  // namespace

int run_command(const RunCommand& cmd) {
  const MpiSession session = mpi_start();
  const int status = run_on_rank(cmd, session);
  mpi_stop(session);
  return status;
}

int run_to_file(const std::vector<io::Scenario>& scenarios, const RunCommand& cmd, unsigned threads, RunToFile& run,
                const PosteriorRun* posterior, const MpiSession& session) {
  const bool root = session.root();
  // Finished replicates are kept in OUTPUT.work/ (io/checkpoint.hpp) until
  // results.h5 is complete, so the same command resumes a killed run. A
  // directory left by another run is refused before anything is written.
  const io::RunIdentity identity = io::run_identity(scenarios, HARMSIM_VERSION, io::git_commit(),
                                                    posterior != nullptr ? posterior->draws.identity_text() : "");
  const io::CheckpointDir checkpoints(cmd.output + ".work", identity.id, identity.manifest, "run");

  // Rank 0 holds the output from here to the end; the other ranks only add
  // unit files to the checkpoint directory it has prepared.
  OutputLock lock(cmd.output);
  std::optional<io::ResultsWriter> writer;
  std::vector<std::size_t> finished;    // [scenario]: replicates finished before
  std::vector<std::uint64_t> pending;   // the units still to run
  int status =
      root ? prepare_run(scenarios, cmd, posterior, checkpoints, lock, writer, run, finished, pending) : kProceed;
  status = mpi_broadcast(session, status);
  if (status != kProceed) return root ? status : kExitOk;

  install_interrupt_handlers();
  RunPlan plan(scenarios, posterior, checkpoints);
  const bool progress = root && !cmd.quiet && isatty(STDERR_FILENO) != 0;
  if (root && !cmd.quiet && !progress) {
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      const std::size_t before = finished[k];
      std::fprintf(stderr, "[%zu/%zu] %s: %lld replicates%s\n", k + 1, scenarios.size(), scenarios[k].name.c_str(),
                   static_cast<long long>(scenarios[k].params.replicates),
                   before > 0 ? fmt::format(", {} finished before", before).c_str() : "");
    }
  }
  ProgressLine line(fmt::format("{} scenario{}", scenarios.size(), scenarios.size() == 1 ? "" : "s"),
                    static_cast<std::size_t>(plan.units.first.back()),
                    static_cast<std::size_t>(plan.units.first.back()) - pending.size(), progress);
  status = distribute(
      session, pending, threads, [&] { return std::make_unique<RunWorker>(plan); },
      [&](std::uint64_t) { line.unit_done(); }, [] { return interrupted(); });
  if (root && status == kExitOk && interrupted()) status = kExitInterrupted;  // after the last unit
  status = mpi_broadcast(session, status);  // rank 0's: the first failure of any rank
  if (status != kExitOk) {
    report_stop(status, plan, session, cmd.output);
    return status;
  }
  if (!root) return kExitOk;
  run.simulated = pending.size();
  return assemble_run(scenarios, cmd, posterior, session, threads, plan, *writer, run);
}

}  // namespace harmsim::app
