// `harmsim targets FILE`: runs the scenarios a targets file needs, through
// the runner `harmsim run` uses (the same streams: the same results), and
// prints every published figure beside the model's value; with --markdown,
// docs/validation.md.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/evaluate.hpp"
#include "app/runner.hpp"
#include "io/build_info.hpp"
#include "io/targets.hpp"

namespace harmsim::app {

namespace {

// A published figure as written: 0.45, 2.99, inf.
std::string published(double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{:g}", v);
}

// A model value to three significant digits (whole numbers from 1000).
std::string modelled(double v, std::string_view none) {
  if (std::isnan(v)) return std::string(none);
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::abs(v) >= 1000) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string interval(double low, double high, std::string (*format)(double)) {
  return fmt::format("[{}, {}]", format(low), format(high));
}

struct Row {
  const io::PublishedTarget* target;
  const TargetValue* value;
};

// Where the model's value falls against the target's interval.
std::string verdict(const io::PublishedTarget& t, const TargetValue& v) {
  if (std::isnan(v.value)) return "cannot be computed: " + v.problem;
  if (v.value < t.low) return "below the interval";
  if (v.value > t.high) return "above the interval";
  return "within the interval";
}

std::string section_title(io::TargetUse use) {
  switch (use) {
    case io::TargetUse::Calibration: return "Calibration targets (used to fit the model)";
    case io::TargetUse::Validation: return "Validation targets (kept back from calibration)";
    case io::TargetUse::Case: return "Seed cases (each operation's own figures, met through its case file's inputs)";
  }
  return {};
}

// Rows by use: calibration, validation, seed cases.
using RowsByUse = std::array<std::vector<Row>, 3>;

std::size_t count_within(const std::vector<Row>& rows) {
  return static_cast<std::size_t>(std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.value->within; }));
}

std::vector<std::string> cells(const Row& r, bool markdown) {
  const io::PublishedTarget& t = *r.target;
  const TargetValue& v = *r.value;
  const std::string_view none = markdown ? "—" : "-";
  auto model = [&](double x) { return modelled(x, none); };
  return {markdown ? fmt::format("`{}`", t.id) : t.id,
          t.source,
          std::string(io::use_name(t.use)),
          t.value ? published(*t.value) : std::string(none),
          interval(t.low, t.high, published),
          model(v.value),
          std::isnan(v.low) ? std::string(none) : fmt::format("[{}, {}]", model(v.low), model(v.high)),
          v.within ? "yes" : (markdown ? "**no**" : "NO")};
}

const std::vector<std::string> kColumns = {"target", "source", "use", "value", "interval", "model",
                                           "model 95% interval", "within"};

// Characters of UTF-8 text (sources have accents: Socías).
std::size_t characters(std::string_view text) {
  return static_cast<std::size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// Text columns left-aligned, numbers right-aligned, two spaces apart.
std::string text_table(const std::vector<Row>& rows) {
  std::vector<std::vector<std::string>> lines = {kColumns};
  for (const Row& r : rows) lines.push_back(cells(r, false));
  std::vector<std::size_t> width(kColumns.size(), 0);
  for (const auto& line : lines)
    for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], characters(line[c]));
  std::string out;
  for (const auto& line : lines) {
    std::string text;
    for (std::size_t c = 0; c < line.size(); ++c) {
      const std::string pad(width[c] - characters(line[c]), ' ');
      const bool left = c < 3 || c + 1 == line.size();
      text += left ? line[c] + pad : pad + line[c];
      if (c + 1 < line.size()) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

// A table cell: a `|` in free text (a source) would end it.
std::string markdown_cell(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '|') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

std::string markdown_table(const std::vector<Row>& rows) {
  std::string out = fmt::format("| {} |\n", fmt::join(kColumns, " | "));
  out += "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n";
  for (const Row& r : rows) {
    std::vector<std::string> row = cells(r, true);
    for (std::string& cell : row) cell = markdown_cell(cell);
    out += fmt::format("| {} |\n", fmt::join(row, " | "));
  }
  return out;
}

std::string scenario_list(const io::TargetsFile& targets) {
  std::vector<std::string> parts;
  for (const io::TargetScenario& s : targets.scenarios)
    parts.push_back(fmt::format("{} ({}, {} replicates)", s.scenario.name, s.file, s.scenario.params.replicates));
  return fmt::format("{}", fmt::join(parts, ", "));
}

constexpr std::string_view kHowToRead =
    "The model's value is the mean over replicates of a level, rate or total, with its 95% t interval; an odds "
    "ratio comes from the exposure tables pooled over replicates (Mantel-Haenszel over sectors with the "
    "Robins-Breslow-Greenland interval, or crude with the Woolf interval); a ratio of two quantities is the "
    "ratio of their means, with a delta-method interval. A target is within when the model's value lies in the "
    "target's interval.";

std::string text_report(const TargetsCommand& cmd, const io::TargetsFile& targets, const RowsByUse& by_use,
                        double seconds, unsigned threads) {
  const std::vector<Row>& by_use_0 = by_use[0];
  const std::vector<Row>& by_use_1 = by_use[1];
  std::string out = fmt::format("Targets of {}: {} for calibration, {} kept back for validation\n", cmd.file,
                                by_use_0.size(), by_use_1.size());
  if (!by_use[2].empty()) out += fmt::format("and {} figures of the seed cases\n", by_use[2].size());
  out += fmt::format("Scenarios: {}; run in {:.1f} s on {} threads\n", scenario_list(targets), seconds, threads);
  out += std::string(kHowToRead) + "\n";
  for (const std::vector<Row>* rows : {&by_use_0, &by_use_1, &by_use[2]}) {
    if (rows->empty()) continue;
    out += fmt::format("\n{}: {} of {} within\n\n", section_title(rows->front().target->use), count_within(*rows),
                       rows->size());
    out += text_table(*rows);
  }
  bool first = true;
  for (const std::vector<Row>* rows : {&by_use_0, &by_use_1, &by_use[2]})
    for (const Row& r : *rows) {
      if (r.value->within) continue;
      if (first) out += "\nMissed:\n";
      first = false;
      out += fmt::format("  {} ({}): {}\n", r.target->id, io::describe_target(targets, *r.target),
                         verdict(*r.target, *r.value));
    }
  return out;
}

std::string markdown_report(const TargetsCommand& cmd, const io::TargetsFile& targets, const RowsByUse& by_use,
                            double seconds, unsigned threads) {
  const std::vector<Row>& calibration = by_use[0];
  const std::vector<Row>& validation = by_use[1];
  const std::vector<Row>& cases = by_use[2];
  std::string out = "# Validation: the model beside the published evidence\n\n";
  out += fmt::format(
      "Every published figure the model should reproduce is a target of `{}` (its format: docs/targets.md). "
      "Calibration targets are the figures calibration fits the model's assumed parameters to; validation "
      "targets are kept back from it, to show whether the model reproduces evidence it was not fitted to. The "
      "seed cases' figures (MODEL.md §6) are met through each case file's own inputs (officers, arrest "
      "shares, screening), so they are reported apart. This page is what the model gives now: a target it "
      "misses is listed with the reason at the end.\n\n",
      cmd.file);
  out += fmt::format("- Generated by: `harmsim targets {} --markdown` (do not edit by hand: "
                     "tests/python/test_validation_doc.py regenerates it and fails when it differs)\n",
                     cmd.file);
  out += fmt::format("- Program: harmsim {}, commit {}\n", HARMSIM_VERSION, io::git_commit());
  out += fmt::format("- Wall time: {:.1f} s on {} threads\n", seconds, threads);
  out += fmt::format("- Scenarios: {}\n\n", scenario_list(targets));
  out += std::string(kHowToRead) + "\n";
  for (const std::vector<Row>* rows : {&calibration, &validation, &cases}) {
    const io::TargetUse use = rows == &calibration   ? io::TargetUse::Calibration
                              : rows == &validation ? io::TargetUse::Validation
                                                    : io::TargetUse::Case;
    if (use == io::TargetUse::Case && rows->empty()) continue;
    out += fmt::format("\n## {}: {} of {} within\n\n", section_title(use), count_within(*rows), rows->size());
    out += rows->empty() ? std::string("None.\n") : markdown_table(*rows);
  }
  out += "\n## The targets\n\n";
  for (const std::vector<Row>* rows : {&calibration, &validation, &cases})
    for (const Row& r : *rows) {
      const io::PublishedTarget& t = *r.target;
      out += fmt::format("- `{}` ({}): {}. Quantity: {}. Source: {}.{}\n", t.id, io::use_name(t.use), t.description,
                         io::describe_target(targets, t), t.source, t.note.empty() ? "" : " " + t.note);
    }
  out += "\n## Targets the model misses\n\n";
  bool any = false;
  for (const std::vector<Row>* rows : {&calibration, &validation, &cases})
    for (const Row& r : *rows) {
      if (r.value->within) continue;
      any = true;
      const io::PublishedTarget& t = *r.target;
      const TargetValue& v = *r.value;
      std::string model = modelled(v.value, "none");
      if (!std::isnan(v.low)) model += fmt::format(" [{}, {}]", modelled(v.low, "—"), modelled(v.high, "—"));
      out += fmt::format("- `{}`: the model gives {}, {} {} ({}).\n", t.id, model, verdict(t, v),
                         interval(t.low, t.high, published), t.source);
    }
  if (!any) out += "None.\n";
  return out;
}

// Every replicate of every scenario, in memory without its series (no -o).
int run_in_memory(const std::vector<io::Scenario>& scenarios, const TargetsCommand& cmd, unsigned threads,
                  std::vector<std::vector<model::ReplicateResult>>& results) {
  install_interrupt_handlers();
  RunOptions opts;
  opts.threads = threads;
  opts.progress = !cmd.quiet && isatty(STDERR_FILENO) != 0;
  try {
    for (std::size_t k = 0; k < scenarios.size(); ++k) {
      const io::Scenario& s = scenarios[k];
      const std::string label = fmt::format("[{}/{}] {}", k + 1, scenarios.size(), s.name);
      if (!cmd.quiet && !opts.progress)
        std::fprintf(stderr, "%s: %lld replicates\n", label.c_str(), static_cast<long long>(s.params.replicates));
      results.push_back(run_scenario(s, opts, label));
      // The targets read no series (app/evaluate.hpp): memory holds one
      // scenario's at a time, as `harmsim run` does (runner.hpp, memory_needed).
      for (model::ReplicateResult& rep : results.back()) std::vector<float>().swap(rep.series);
    }
    return kExitOk;
  } catch (const Interrupted&) {
    print_error(fmt::format("interrupted by signal {}; nothing was written", interrupt_signal()));
    return kExitInterrupted;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
}

}  // namespace

int targets_command(const TargetsCommand& cmd) {
  const auto start = std::chrono::steady_clock::now();
  io::TargetsFile targets;
  try {
    targets = io::load_targets(cmd.file);
  } catch (const io::ScenarioError& e) {
    print_error(e.what());
    return kExitBadInput;
  }
  std::vector<io::Scenario> scenarios;
  for (const io::TargetScenario& s : targets.scenarios) scenarios.push_back(s.scenario);
  const unsigned threads = cmd.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : cmd.threads;
  const RunInputProblems problems = check_run_inputs(scenarios, threads);
  if (!cmd.output.empty() && !problems.communities.empty()) {
    print_error(problems.communities);
    return kExitBadInput;
  }
  if (!problems.too_big.empty()) {
    print_error(problems.too_big);
    return kExitBadInput;
  }

  std::vector<std::vector<model::ReplicateResult>> results;
  if (!cmd.output.empty()) {
    RunCommand run;
    run.output = cmd.output;
    run.threads = threads;
    run.force = cmd.force;
    run.quiet = cmd.quiet;
    run.command_line = cmd.command_line;
    RunToFile written;
    if (const int status = run_to_file(scenarios, run, threads, written); status != kExitOk) return status;
    results = std::move(written.results);
  }
  if (results.empty()) {  // no -o, or a results file already complete
    if (const int status = run_in_memory(scenarios, cmd, threads, results); status != kExitOk) return status;
  }

  std::vector<const std::vector<model::ReplicateResult>*> sets;
  for (const auto& r : results) sets.push_back(&r);
  std::vector<TargetValue> values;
  try {
    values = evaluate_targets(targets, sets);
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  RowsByUse by_use;
  for (std::size_t i = 0; i < values.size(); ++i)
    by_use[static_cast<std::size_t>(targets.targets[i].use)].push_back(Row{&targets.targets[i], &values[i]});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string report = cmd.markdown ? markdown_report(cmd, targets, by_use, seconds, threads)
                                          : text_report(cmd, targets, by_use, seconds, threads);
  std::fwrite(report.data(), 1, report.size(), stdout);
  return kExitOk;
}

}  // namespace harmsim::app
