// `harmsim run` and `harmsim validate`.
#include "app/commands.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "app/runner.hpp"
#include "app/table.hpp"
#include "core/rng.hpp"
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

void print_error(const std::string& message) { std::fprintf(stderr, "harmsim: %s\n", message.c_str()); }

std::size_t unit_bytes(const model::Params& p) {
  const std::size_t strata = model::strata_count(static_cast<std::size_t>(p.communities));
  return io::CheckpointDir::unit_bytes(static_cast<std::uint64_t>(p.days), strata, strata);
}

// Fills `results` (one slot per replicate of scenario k) with the replicates
// kept in `checkpoints` and lists the others in `pending`; returns how many
// were kept. A damaged unit file is reported and run again.
std::size_t take_finished(const io::Scenario& s, std::size_t k, const io::CheckpointDir& checkpoints, bool quiet,
                          std::vector<model::ReplicateResult>& results, std::vector<std::size_t>& pending) {
  const auto replicates = static_cast<std::size_t>(s.params.replicates);
  const std::size_t bytes = unit_bytes(s.params);
  results.resize(replicates);
  std::size_t kept = 0;
  for (std::size_t r = 0; r < replicates; ++r) {
    std::string problem;
    std::optional<io::UnitRecord> record;
    if (checkpoints.has(k, r, bytes)) record = checkpoints.read(k, r, &problem);
    if (record && record->seed != core::stream_seed(static_cast<std::uint64_t>(s.params.seed), s.name, r)) {
      problem = checkpoints.unit_path(k, r).string() + ": holds another replicate";
      record.reset();
    }
    if (record) {
      results[r] = io::to_replicate_result(std::move(*record));
      ++kept;
    } else {
      if (!problem.empty() && !quiet) print_error(fmt::format("{}; running it again", problem));
      pending.push_back(r);
    }
  }
  return kept;
}

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
        reader.attribute_string("/", "git_commit") != HARMSIM_GIT_COMMIT)
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

RunInputProblems check_run_inputs(const std::vector<io::Scenario>& scenarios, unsigned threads) {
  RunInputProblems problems;
  for (const auto& s : scenarios) {
    if (const std::string msg = check_fits(s, threads); !msg.empty() && problems.too_big.empty())
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

int run_command(const RunCommand& cmd) {
  std::vector<io::Scenario> scenarios;
  try {
    scenarios = load_all(cmd.files);
  } catch (const io::ScenarioError& e) {
    print_error(e.what());
    return kExitBadInput;
  }
  std::optional<PosteriorRun> posterior;
  if (!cmd.posterior.empty()) {
    if (cmd.draws < 1 || cmd.draws > kMaxDraws) {
      print_error(fmt::format("--draws: expected a number of parameter draws from 1 to {}, found {}", kMaxDraws,
                              cmd.draws));
      return kExitBadInput;
    }
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
      print_error(e.what());
      return kExitBadInput;
    } catch (const io::ScenarioError& e) {
      print_error(e.what());
      return kExitBadInput;
    }
  }
  const unsigned threads = cmd.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : cmd.threads;
  const RunInputProblems problems = check_run_inputs(scenarios, threads);
  if (!problems.communities.empty()) {
    print_error(problems.communities);
    return kExitBadInput;
  }
  if (cmd.dry_run) {
    std::printf("%-28s %10s %10s %6s %10s %14s\n", "scenario", "workers", "buyers", "days", "replicates",
                "memory (MiB)");
    for (const auto& s : scenarios)
      std::printf("%-28s %10lld %10lld %6lld %10lld %14.1f\n", s.name.c_str(),
                  static_cast<long long>(s.params.workers), static_cast<long long>(s.params.buyers),
                  static_cast<long long>(s.params.days), static_cast<long long>(s.params.replicates),
                  static_cast<double>(memory_needed(s, threads)) / 1048576.0);
    std::printf("state per worker: %zu bytes; this machine has %.1f GiB\n", model::Workers::bytes_per_worker(),
                static_cast<double>(physical_memory()) / 1073741824.0);
  }
  if (!problems.too_big.empty()) {
    print_error(problems.too_big);
    return kExitBadInput;
  }
  if (cmd.dry_run) return kExitOk;

  RunToFile run;
  const int status = run_to_file(scenarios, cmd, threads, run, posterior ? &*posterior : nullptr);
  if (status != kExitOk || run.already_complete) return status;
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
  return kExitOk;
}

int run_to_file(const std::vector<io::Scenario>& scenarios, const RunCommand& cmd, unsigned threads, RunToFile& run,
                const PosteriorRun* posterior) {
  std::vector<std::vector<model::ReplicateResult>>& results = run.results;
  // Not even --force may take the output from a harmsim still writing it.
  OutputLock lock(cmd.output);
  if (const std::string busy = lock.acquire(); !busy.empty()) {
    print_error(busy);
    return kExitBadInput;
  }
  // Finished replicates are kept in OUTPUT.work/ (io/checkpoint.hpp) until
  // results.h5 is complete, so the same command resumes a killed run. A
  // directory left by another run is refused before anything is written.
  const io::RunIdentity identity = io::run_identity(scenarios, HARMSIM_VERSION, HARMSIM_GIT_COMMIT,
                                                    posterior != nullptr ? posterior->draws.identity_text() : "");
  const io::CheckpointDir checkpoints(cmd.output + ".work", identity.id, identity.manifest, "run");
  const std::string work = checkpoints.directory().string();
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
  install_interrupt_handlers();
  bool keeping = false;  // finished replicates are being kept in `work`
  try {
    io::RunInfo info{HARMSIM_VERSION, HARMSIM_GIT_COMMIT, cmd.command_line, io::iso8601_utc_now()};
    // Created first, so an unwritable path fails before anything else is made.
    io::ResultsWriter writer(out, info, static_cast<std::size_t>(scenarios.front().params.communities));
    checkpoints.open_or_create(scenarios.size());
    keeping = true;

    // The replicates an earlier, interrupted run of this command finished.
    results.assign(scenarios.size(), {});
    std::vector<std::vector<std::size_t>> pending(scenarios.size());
    std::size_t total = 0;
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      run.resumed += take_finished(scenarios[k], k, checkpoints, cmd.quiet, results[k], pending[k]);
      total += results[k].size();
    }
    if (run.resumed > 0 && !cmd.quiet)
      print_error(fmt::format("resuming: {} of {} replicates already finished in {}", run.resumed, total, work));

    std::atomic<std::size_t> simulated{0};  // replicates run by this command
    RunOptions opts;
    opts.threads = threads;
    opts.progress = !cmd.quiet && isatty(STDERR_FILENO) != 0;
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      const io::Scenario& s = scenarios[k];
      const std::string label = fmt::format("[{}/{}] {}", k + 1, scenarios.size(), s.name);
      const std::size_t finished_before = results[k].size() - pending[k].size();
      if (!cmd.quiet && !opts.progress)
        std::fprintf(stderr, "%s: %lld replicates%s\n", label.c_str(), static_cast<long long>(s.params.replicates),
                     finished_before > 0 ? fmt::format(", {} finished before", finished_before).c_str() : "");
      static const std::vector<io::Scenario> kNoDraws;
      run_replicates(
          s, pending[k], opts, label, results[k],
          [&](const model::ReplicateResult& rep) {
            checkpoints.write(io::make_unit_record(k, rep, true));
            ++simulated;
          },
          posterior != nullptr ? posterior->scenarios[k] : kNoDraws);
      io::ScenarioOutput so;
      so.name = s.name;
      so.description = s.description;
      so.config_toml = written_config(s, posterior);
      if (posterior != nullptr) {
        const auto per_draw = static_cast<std::size_t>(s.params.replicates) / posterior->draws.draws();
        for (std::size_t r = 0; r < results[k].size(); ++r)
          so.replicate_draw.push_back(static_cast<std::int64_t>(r / per_draw));
      }
      so.seed = static_cast<std::uint64_t>(s.params.seed);
      so.warmup_days = s.params.warmup_days;
      so.replicates = results[k];
      writer.write_scenario(so);
    }
    if (posterior != nullptr)
      writer.write_posterior({posterior->draws.calibration, posterior->draws.calibration_id,
                              posterior->draws.names(), posterior->draws.flat_points()});
    writer.finish();
    keeping = false;
    run.simulated = simulated.load();
    if (const std::string warning = remove_checkpoints_of_complete(checkpoints, cmd.output); !warning.empty())
      print_error(warning);
    return kExitOk;
  } catch (const Interrupted&) {
    print_error(fmt::format("interrupted by signal {}; the finished replicates are kept in {} and {}.partial is "
                            "incomplete; rerun the same command to resume",
                            interrupt_signal(), work, cmd.output));
    return kExitInterrupted;
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
    if (keeping)
      print_error(fmt::format("{}; the finished replicates are kept in {}; rerun the same command to resume",
                              message, work));
    else
      print_error(message);
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
}

}  // namespace harmsim::app
