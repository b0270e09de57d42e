// `harmsim run` and `harmsim validate`.
#include "app/commands.hpp"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "app/runner.hpp"
#include "app/table.hpp"
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

}  // namespace

int validate_command(const std::vector<std::string>& files) {
  try {
    const auto scenarios = load_all(files);
    for (const auto& s : scenarios)
      std::printf("%s: scenario `%s` is valid (%zu policies)\n", s.source.c_str(), s.name.c_str(), s.policies.size());
    return kExitOk;
  } catch (const io::ScenarioError& e) {
    print_error(e.what());
    return kExitBadInput;
  }
}

int run_command(const RunCommand& cmd) {
  std::vector<io::Scenario> scenarios;
  try {
    scenarios = load_all(cmd.files);
  } catch (const io::ScenarioError& e) {
    print_error(e.what());
    return kExitBadInput;
  }
  const unsigned threads = cmd.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : cmd.threads;
  std::string too_big;
  for (const auto& s : scenarios) {
    if (const std::string msg = check_fits(s, threads); !msg.empty() && too_big.empty()) too_big = msg;
    if (s.params.communities != scenarios.front().params.communities) {
      print_error(fmt::format("scenario `{}` has population.communities = {} but `{}` has {}; scenarios written to "
                              "one file share their strata",
                              s.name, s.params.communities, scenarios.front().name,
                              scenarios.front().params.communities));
      return kExitBadInput;
    }
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
  if (!too_big.empty()) {
    print_error(too_big);
    return kExitBadInput;
  }
  if (cmd.dry_run) return kExitOk;

  const std::filesystem::path out(cmd.output);
  if (std::filesystem::exists(out) && !cmd.force) {
    print_error(fmt::format("{} exists; choose another name with -o or pass --force to replace it", cmd.output));
    return kExitBadInput;
  }
  install_interrupt_handlers();
  try {
    io::RunInfo info{HARMSIM_VERSION, HARMSIM_GIT_COMMIT, cmd.command_line, io::iso8601_utc_now()};
    io::ResultsWriter writer(out, info, static_cast<std::size_t>(scenarios.front().params.communities));
    RunOptions opts;
    opts.threads = threads;
    opts.progress = !cmd.quiet && isatty(STDERR_FILENO) != 0;
    std::vector<std::vector<model::ReplicateResult>> results;
    results.reserve(scenarios.size());
    for (std::size_t i = 0; i < scenarios.size(); ++i) {
      const io::Scenario& s = scenarios[i];
      const std::string label = fmt::format("[{}/{}] {}", i + 1, scenarios.size(), s.name);
      if (!cmd.quiet && !opts.progress) std::fprintf(stderr, "%s: %lld replicates\n", label.c_str(),
                                                     static_cast<long long>(s.params.replicates));
      results.push_back(run_scenario(s, opts, label));
      io::ScenarioOutput so;
      so.name = s.name;
      so.description = s.description;
      so.config_toml = io::to_toml(s);
      so.seed = static_cast<std::uint64_t>(s.params.seed);
      so.warmup_days = s.params.warmup_days;
      so.replicates = results.back();
      writer.write_scenario(so);
    }
    writer.finish();
    std::vector<ScenarioTotals> table;
    for (std::size_t i = 0; i < scenarios.size(); ++i) table.push_back({scenarios[i].name, &results[i]});
    const std::string text = comparison_table(table, static_cast<std::size_t>(scenarios.front().params.days));
    std::fwrite(text.data(), 1, text.size(), stdout);
    bool all_met = true;
    const std::string targets = targets_table(scenarios, results, all_met);
    std::fwrite(targets.data(), 1, targets.size(), stdout);
    std::printf("\nResults written to %s\n", cmd.output.c_str());
    return kExitOk;
  } catch (const Interrupted&) {
    print_error(fmt::format("interrupted by signal {}; the scenarios finished so far are in {}.partial, which is "
                            "marked incomplete; rerun the command to start again",
                            interrupt_signal(), cmd.output));
    return kExitInterrupted;
  } catch (const io::IoError& e) {
    print_error(e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
}

}  // namespace harmsim::app
