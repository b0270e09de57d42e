// `harmsim calibrate FILE`: history matching wave after wave (docs/calibration.md).
//
// State, all in OUT.work/ (kept until OUT is written, so that the same
// command resumes wherever it was stopped):
//   manifest                 the calibration's id (its definition, targets,
//                            scenarios) and the program: another calibration
//                            is refused, or discarded with --force
//   problem.h5               what the fit step needs (io/calibration_output.hpp)
//   wave<k>/<scenario>.h5    wave k's sweep of each scenario (and its .work/
//                            checkpoints while it runs; shard files
//                            <scenario>.shard-<i>-of-<n>.h5 under --shard)
//   wave<k>/simulated.h5     every fitted target at every point of wave k
//   wave<k>/emulators.pkl, wave<k>/fit.h5
//                            the fit step's: fit.h5 says wave k is done
// Every file is written under a temporary name and renamed once complete.
// Wave k's design is the Latin hypercube of the sweeps (k = 1) or the
// `next_points` of wave k-1's fit.h5, so a rerun finds where it was from the
// files alone: the first wave without fit.h5, its finished sweeps, the
// sweeps' own checkpoints.
#include "app/calibrate.hpp"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/distribute.hpp"
#include "app/evaluate.hpp"
#include "app/runner.hpp"
#include "app/sweep.hpp"
#include "io/build_info.hpp"
#include "io/calibration.hpp"
#include "io/calibration_output.hpp"
#include "io/sweep_output.hpp"

namespace harmsim::app {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string percent(double share) {
  if (!(share >= 0)) return "?";
  if (share >= 0.1) return fmt::format("{:.0f} %", 100 * share);
  if (share >= 0.001) return fmt::format("{:.2g} %", 100 * share);
  return fmt::format("{:.2g} %", 100 * share);
}

// A number as the tables show it (three significant digits).
std::string shown(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::abs(v) >= 1000) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

// Text columns left-aligned, numbers right-aligned, two spaces apart.
std::string table(const std::vector<std::vector<std::string>>& lines, const std::vector<bool>& left) {
  std::vector<std::size_t> width(lines.front().size(), 0);
  for (const auto& line : lines)
    for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  std::string out;
  for (const auto& line : lines) {
    std::string text = "  ";
    for (std::size_t c = 0; c < line.size(); ++c) {
      const std::string pad(width[c] - line[c].size(), ' ');
      text += left[c] ? line[c] + pad : pad + line[c];
      if (c + 1 < line.size()) text += "  ";
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    out += text + "\n";
  }
  return out;
}

// Where everything of one calibration lives.
struct Layout {
  fs::path output, work;
  [[nodiscard]] fs::path wave(std::int64_t k) const { return work / fmt::format("wave{}", k); }
  [[nodiscard]] fs::path sweep(std::int64_t k, const std::string& scenario) const {
    return wave(k) / (scenario + ".h5");
  }
  [[nodiscard]] fs::path shard(std::int64_t k, const std::string& scenario, std::int64_t i, std::int64_t n) const {
    return wave(k) / fmt::format("{}.shard-{}-of-{}.h5", scenario, i, n);
  }
  [[nodiscard]] fs::path simulated(std::int64_t k) const { return wave(k) / "simulated.h5"; }
  [[nodiscard]] fs::path fit(std::int64_t k) const { return wave(k) / "fit.h5"; }
  [[nodiscard]] fs::path problem() const { return work / "problem.h5"; }
  [[nodiscard]] fs::path started() const { return work / "started_at"; }
};

struct Run {
  const CalibrateCommand& cmd;
  const MpiSession& session;
  io::Calibration calibration;
  Layout layout;
  std::int64_t shard_index = 0, shard_count = 0;
  unsigned threads = 1;
  bool root = true;
  bool talk = true;  // messages on stdout/stderr besides errors (rank 0, not -q)

  [[nodiscard]] std::size_t n_params() const { return calibration.parameters.size(); }
  [[nodiscard]] std::size_t n_targets() const { return calibration.fitted.size(); }
  [[nodiscard]] const std::string& scenario_name(std::size_t s) const {
    return calibration.targets.scenarios.at(s).scenario.name;
  }
  // "FILE -o OUT": the command without options, to repeat in messages.
  [[nodiscard]] std::string again() const { return fmt::format("harmsim calibrate {} -o {}", cmd.file, cmd.output); }
};

// The manifest of OUT.work: what identifies the calibration and the program.
std::string manifest_text(const io::Calibration& c) {
  return fmt::format("harmsim calibration\ncalibration_id = {}\nharmsim_version = {}\ngit_commit = {}\n",
                     c.calibration_id, HARMSIM_VERSION, io::git_commit());
}

io::Sweep wave_sweep(const Run& run, std::int64_t wave, std::size_t scenario, const std::vector<double>& design) {
  const std::size_t p = run.n_params();
  std::vector<std::vector<double>> values(design.size() / p);
  for (std::size_t i = 0; i < values.size(); ++i)
    values[i].assign(design.begin() + static_cast<std::ptrdiff_t>(i * p),
                     design.begin() + static_cast<std::ptrdiff_t>((i + 1) * p));
  io::Sweep sweep = io::make_sweep(run.calibration.base_scenario(scenario), run.calibration.parameters,
                                   std::move(values), io::SweepDesign::Points, run.calibration.seed,
                                   fmt::format("{}/w{}", run.scenario_name(scenario), wave));
  sweep.source = run.calibration.source;
  return sweep;
}

// Every point of a wave's design checked as a scenario, for every scenario;
// the first problem as one line, or "".
std::string check_design(const Run& run, std::int64_t wave, const std::vector<double>& design) {
  for (std::size_t s : run.calibration.scenarios) {
    const io::Sweep sweep = wave_sweep(run, wave, s, design);
    for (std::size_t k = 0; k < sweep.points(); ++k) {
      try {
        io::check_point(sweep, k);
      } catch (const io::ScenarioError& e) {
        std::vector<std::string> settings;
        for (std::size_t j = 0; j < run.n_params(); ++j)
          settings.push_back(fmt::format("{} = {}", sweep.parameters[j].name, sweep.values[k][j]));
        return io::ScenarioError(run.calibration.source, 0, 0, e.key, e.expected,
                                 fmt::format("{} at point p{} of wave {} ({}), inside the prior ranges", e.found, k,
                                             wave, fmt::join(settings, ", ")),
                                 e.hint)
            .what();
      }
    }
  }
  return {};
}

// --- shards -----------------------------------------------------------------------

struct ShardFiles {
  std::map<std::int64_t, std::set<std::int64_t>> complete;  // count n -> finished shard indices
  std::set<std::int64_t> counts;                             // every n seen (files, checkpoints, partial files)
  [[nodiscard]] bool any() const { return !counts.empty(); }
};

// The shard files of one scenario of a wave: NAME.shard-I-of-N.h5 and what
// a running or stopped shard leaves (.partial, .work/, .lock).
ShardFiles find_shards(const Layout& layout, std::int64_t wave, const std::string& scenario) {
  ShardFiles found;
  std::error_code error;
  const std::string prefix = scenario + ".shard-";
  for (const auto& entry : fs::directory_iterator(layout.wave(wave), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    long long i = 0, n = 0;
    int used = 0;
    if (std::sscanf(name.c_str() + prefix.size(), "%lld-of-%lld.h5%n", &i, &n, &used) != 2 || used == 0) continue;
    if (n < 1 || i < 1 || i > n) continue;
    found.counts.insert(n);
    if (name.substr(prefix.size() + static_cast<std::size_t>(used)).empty() &&
        io::inspect_sweep_file(entry.path()).complete)
      found.complete[n].insert(i);
  }
  return found;
}

// Before wave k runs unsharded: the shards of each scenario, merged when
// all are finished. 0, or the exit status (the error printed).
int merge_shards(const Run& run, std::int64_t wave) {
  std::set<std::int64_t> unfinished;
  std::int64_t count = 0;
  std::vector<std::size_t> to_merge;
  for (std::size_t s : run.calibration.scenarios) {
    const std::string& name = run.scenario_name(s);
    if (io::inspect_sweep_file(run.layout.sweep(wave, name)).complete) continue;
    const ShardFiles shards = find_shards(run.layout, wave, name);
    if (!shards.any()) continue;
    if (shards.counts.size() > 1 || (count != 0 && *shards.counts.begin() != count)) {
      print_error(fmt::format("{}: wave {} has shards of different counts ({}); remove the ones of the count no "
                              "longer used",
                              run.layout.wave(wave).string(), wave, fmt::join(shards.counts, " and ")));
      return kExitBadInput;
    }
    count = *shards.counts.begin();
    const auto it = shards.complete.find(count);
    for (std::int64_t i = 1; i <= count; ++i)
      if (it == shards.complete.end() || it->second.count(i) == 0) unfinished.insert(i);
    to_merge.push_back(s);
  }
  if (!unfinished.empty()) {
    std::vector<std::string> names;
    for (std::int64_t i : unfinished) names.push_back(fmt::format("{}/{}", i, count));
    print_error(fmt::format("wave {} is being run as {} shards and shard{} {} {} not finished; run {} (`{} --shard "
                            "{}/{}`), or remove {}/*.shard-* to run the wave here",
                            wave, count, names.size() > 1 ? "s" : "", fmt::join(names, ", "),
                            names.size() > 1 ? "are" : "is", names.size() > 1 ? "them" : "it", run.again(),
                            *unfinished.begin(), count, run.layout.wave(wave).string()));
    return kExitBadInput;
  }
  for (std::size_t s : to_merge) {
    const std::string& name = run.scenario_name(s);
    MergeCommand merge;
    merge.output = run.layout.sweep(wave, name).string();
    for (std::int64_t i = 1; i <= count; ++i) merge.shards.push_back(run.layout.shard(wave, name, i, count).string());
    merge.quiet = true;
    merge.force = true;  // an unfinished merge's file is replaced
    merge.command_line = run.cmd.command_line;
    if (const int status = merge_command(merge); status != kExitOk) return status;
    for (const std::string& shard : merge.shards) {
      std::error_code ignored;
      fs::remove(shard, ignored);
    }
  }
  return kExitOk;
}

// --- one wave -----------------------------------------------------------------------

// Every fitted target at every point of wave k, from its sweep files.
io::WaveSimulation evaluate_wave(const Run& run, std::int64_t wave, const std::vector<double>& design,
                                 double seconds) {
  const io::Calibration& c = run.calibration;
  io::WaveSimulation out;
  out.wave = wave;
  out.parameters = run.n_params();
  out.targets = run.n_targets();
  out.points = design.size() / out.parameters;
  out.design = design;
  out.seconds = seconds;
  std::vector<io::SweepFileReader> readers;
  std::vector<std::size_t> reader_of(c.targets.scenarios.size(), 0);
  for (std::size_t s : c.scenarios) {
    reader_of[s] = readers.size();
    readers.emplace_back(run.layout.sweep(wave, run.scenario_name(s)));
    if (readers.back().points() != out.points)
      throw io::IoError(fmt::format("{}: {} points, the wave has {}", run.layout.sweep(wave, run.scenario_name(s)).string(),
                                    readers.back().points(), out.points));
  }
  std::vector<std::vector<model::ReplicateResult>> replicates(c.targets.scenarios.size());
  for (std::size_t k = 0; k < out.points; ++k) {
    std::vector<const std::vector<model::ReplicateResult>*> sets(c.targets.scenarios.size(), nullptr);
    for (std::size_t s : c.scenarios) {
      replicates[s] = readers[reader_of[s]].read_point(k);
      sets[s] = &replicates[s];
    }
    for (std::size_t t : c.fitted) {
      const TargetValue v = evaluate_target(c.targets.targets[t], sets);
      double variance = v.se * v.se;
      if (std::isnan(variance) && !std::isnan(v.value)) {
        // No standard error (e.g. a ratio without an interval): the spread
        // of the per-replicate values, as the variance of their mean.
        std::vector<double> finite;
        for (double x : v.per_replicate)
          if (std::isfinite(x)) finite.push_back(x);
        if (finite.size() >= 2) {
          double mean = 0, sum = 0;
          for (double x : finite) mean += x / static_cast<double>(finite.size());
          for (double x : finite) sum += (x - mean) * (x - mean);
          variance = sum / static_cast<double>(finite.size() - 1) / static_cast<double>(finite.size());
        }
      }
      out.values.push_back(v.value);
      out.variance.push_back(variance);
    }
  }
  return out;
}

std::string python_program() {
  const char* python = std::getenv("HARMSIM_PYTHON");
  return python != nullptr && *python != '\0' ? python : "/usr/bin/python3";
}

std::string analysis_directory() {
  const char* dir = std::getenv("HARMSIM_ANALYSIS_DIR");
  return dir != nullptr && *dir != '\0' ? dir : HARMSIM_ANALYSIS_DIR;
}

// The fit step of wave k, in a child process (its own process group, so that
// a Ctrl-C reaches harmsim only, which stops it; killed with harmsim). 0, or
// the exit status (the error printed).
int run_fit_step(const Run& run, std::int64_t wave) {
  const std::string python = python_program();
  const std::string analysis = analysis_directory();
  if (::access(python.c_str(), X_OK) != 0) {
    print_error(fmt::format("calibrate: cannot run {} for the fit (set HARMSIM_PYTHON, or install Debian's python3 "
                            "with python3-sklearn, python3-scipy and python3-h5py)",
                            python));
    return kExitFailure;
  }
  std::error_code error;
  if (!fs::is_regular_file(fs::path(analysis) / "harmsim_analysis" / "calibrate.py", error)) {
    print_error(fmt::format("calibrate: no harmsim_analysis/calibrate.py in {} (set HARMSIM_ANALYSIS_DIR to the "
                            "checkout's analysis directory)",
                            analysis));
    return kExitFailure;
  }
  const std::string work = run.layout.work.string();
  const std::string wave_text = std::to_string(wave);
  const char* old_path = std::getenv("PYTHONPATH");
  const std::string python_path = analysis + (old_path != nullptr && *old_path != '\0' ? ":" + std::string(old_path) : "");
  const pid_t parent = ::getpid();
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = ::fork();
  if (child < 0) {
    print_error(fmt::format("calibrate: cannot start {}: {}", python, std::strerror(errno)));
    return kExitFailure;
  }
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) _exit(127);  // harmsim is already gone
    ::setpgid(0, 0);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    std::signal(SIGXFSZ, SIG_DFL);
    ::setenv("PYTHONPATH", python_path.c_str(), 1);
    // One BLAS thread each: the same numbers on any machine. The cores wait
    // for the fit between waves, so the targets' emulators are fitted in as
    // many processes as the run has threads (the same bits however many).
    for (const char* name : {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"})
      ::setenv(name, "1", 1);
    ::setenv("HARMSIM_FIT_JOBS", std::to_string(run.threads).c_str(), 1);
    ::setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    ::setenv("PYTHONHASHSEED", "0", 1);
    std::vector<std::string> args = {python, "-m", "harmsim_analysis.calibrate", "fit", work, wave_text};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(python.c_str(), argv.data());
    std::fprintf(stderr, "harmsim: calibrate: cannot run %s: %s\n", python.c_str(), std::strerror(errno));
    _exit(127);
  }
  ::setpgid(child, child);  // as the child does: its group exists before any kill below
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) {
      print_error(fmt::format("calibrate: lost the fit step of wave {}: {}", wave, std::strerror(errno)));
      return kExitFailure;
    }
    if (interrupted()) {
      ::kill(-child, SIGTERM);  // its group: the fit processes too
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      return kExitInterrupted;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return kExitOk;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) return kExitFailure;  // it said why
  print_error(fmt::format("calibrate: the fit step of wave {} failed ({} {}); the simulations are kept in {}, rerun "
                          "the same command to try again",
                          wave, WIFEXITED(status) ? "exit status" : "signal",
                          WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), work));
  return kExitFailure;
}

void print_wave(const Run& run, const io::WaveSimulation& sim, const io::WaveFit& fit) {
  const io::Calibration& c = run.calibration;
  std::vector<std::string> r2;
  for (std::size_t t = 0; t < run.n_targets(); ++t)
    r2.push_back(fmt::format("{} {}", c.targets.targets[c.fitted[t]].id,
                             std::isnan(fit.emulator_r2[t]) ? "-" : fmt::format("{:.2f}", fit.emulator_r2[t])));
  const auto within = static_cast<std::size_t>(
      std::count(fit.accepted_within.begin(), fit.accepted_within.end(), std::uint8_t{1}));
  std::printf("wave %lld: %zu points simulated in %s, fitted in %s\n", static_cast<long long>(sim.wave), sim.points,
              duration_text(sim.seconds).c_str(), duration_text(fit.seconds).c_str());
  std::printf("  emulators, leave-one-out R^2: %s\n", fmt::format("{}", fmt::join(r2, ", ")).c_str());
  std::printf("  not implausible: %s of the prior box (%lld of %lld points tried); accepted so far: %zu points, %zu "
              "within every interval\n",
              percent(fit.kept_share).c_str(), static_cast<long long>(fit.non_implausible),
              static_cast<long long>(fit.candidates), fit.accepted_wave.size(), within);
  std::fflush(stdout);
}

// --- the result ------------------------------------------------------------------------

std::string failure_text(const Run& run, const io::WaveFit& fit) {
  const io::Calibration& c = run.calibration;
  std::vector<std::string> alone;
  for (std::size_t t = 0; t < run.n_targets(); ++t)
    alone.push_back(fmt::format("{} {}", c.targets.targets[c.fitted[t]].id, percent(fit.target_kept_share[t])));
  return fmt::format("no parameter set in the prior ranges is non-implausible for the {} targets together; each "
                     "alone keeps this share of the points tried at wave {}: {}",
                     run.n_targets(), fit.wave, fmt::join(alone, ", "));
}

void print_result(const Run& run, const std::vector<io::WaveSimulation>& sims, const io::WaveFit& last) {
  const io::Calibration& c = run.calibration;
  std::size_t simulated = 0;
  for (const io::WaveSimulation& s : sims) simulated += s.points;
  const auto within = static_cast<std::size_t>(
      std::count(last.accepted_within.begin(), last.accepted_within.end(), std::uint8_t{1}));
  const std::string why = last.stop_reason == "waves"       ? "the last wave"
                          : last.stop_reason == "converged" ? "the non-implausible space stopped shrinking"
                                                            : "nothing is non-implausible";
  std::printf("\nCalibration of %s: %zu waves (stopped: %s), %zu points simulated; %zu accepted (%zu within every "
              "interval); written to %s\n",
              run.cmd.file.c_str(), sims.size(), why.c_str(), simulated, last.accepted_wave.size(), within,
              run.cmd.output.c_str());
  if (last.stop_reason == "empty") std::printf("%s\n", failure_text(run, last).c_str());
  if (last.best_wave < 1) {
    std::printf("No simulated point has a value for every target.\n");
    return;
  }
  const io::WaveSimulation& w = sims.at(static_cast<std::size_t>(last.best_wave - 1));
  const auto index = static_cast<std::size_t>(last.best_index);
  std::printf("\nBest point: wave %lld, point %zu (%s; largest implausibility %.2f):\n",
              static_cast<long long>(last.best_wave), index,
              last.best_accepted ? (last.best_within ? "accepted, every target within its interval" : "accepted")
                                 : "NOT accepted: the closest simulated point",
              last.best_implausibility);
  std::vector<std::vector<std::string>> params = {{"parameter", "best", "prior range", "default"}};
  for (std::size_t j = 0; j < run.n_params(); ++j) {
    const io::SweptParameter& p = c.parameters[j];
    params.push_back({p.name, fmt::format("{:.4g}", w.design[index * run.n_params() + j]),
                      fmt::format("[{}, {}]", shown(p.low), shown(p.high)), std::string(p.spec.default_text)});
  }
  std::printf("%s", table(params, {true, false, false, false}).c_str());
  std::vector<std::vector<std::string>> rows = {{"target", "value", "interval", "best model value", "within"}};
  for (std::size_t t = 0; t < run.n_targets(); ++t) {
    const io::PublishedTarget& target = c.targets.targets[c.fitted[t]];
    const double v = w.values[index * run.n_targets() + t];
    const bool in = !std::isnan(v) && v >= target.low && v <= target.high;
    rows.push_back({target.id, target.value ? shown(*target.value) : "-",
                    fmt::format("[{}, {}]", shown(target.low), shown(target.high)), shown(v), in ? "yes" : "NO"});
  }
  std::printf("\n%s", table(rows, {true, false, false, false, true}).c_str());
  // Each section once (a table may not be opened twice in TOML), in the
  // order of its first parameter in the calibration file.
  std::printf("\nThe best point as TOML (for the parameter table's defaults, or a scenario file):\n");
  std::vector<std::string_view> sections;
  for (const io::SweptParameter& p : c.parameters)
    if (std::find(sections.begin(), sections.end(), p.spec.section) == sections.end()) sections.push_back(p.spec.section);
  for (std::string_view section : sections) {
    std::printf("[%s]\n", std::string(section).c_str());
    for (std::size_t j = 0; j < run.n_params(); ++j) {
      const io::SweptParameter& p = c.parameters[j];
      if (p.spec.section == section)
        std::printf("%s = %s\n", std::string(p.spec.key).c_str(),
                    fmt::format("{:.4g}", w.design[index * run.n_params() + j]).c_str());
    }
  }
  std::fflush(stdout);
}

std::string read_started_at(const Layout& layout) {
  std::ifstream in(layout.started());
  std::string text;
  if (in && std::getline(in, text) && !text.empty()) return text;
  text = io::iso8601_utc_now();
  const fs::path temporary = layout.started().string() + fmt::format(".tmp.{}", static_cast<long>(::getpid()));
  {
    std::ofstream out(temporary);
    out << text << "\n";
  }
  std::error_code ignored;
  fs::rename(temporary, layout.started(), ignored);
  return text;
}

// Rank 0, once the last wave is fitted: OUT from the waves' files.
int assemble(const Run& run, std::int64_t waves) {
  std::vector<io::WaveSimulation> sims;
  std::vector<io::WaveFit> fits;
  try {
    for (std::int64_t k = 1; k <= waves; ++k) {
      sims.push_back(io::read_wave_simulation(run.layout.simulated(k), run.n_params(), run.n_targets()));
      fits.push_back(io::read_wave_fit(run.layout.fit(k), sims.back().points, run.n_params(), run.n_targets()));
    }
    io::CalibrationRunInfo info;
    info.command_line = run.cmd.command_line;
    info.started_at = read_started_at(run.layout);
    for (std::size_t k = 0; k < sims.size(); ++k) info.wall_seconds += sims[k].seconds + fits[k].seconds;
    io::write_calibration(run.layout.output, run.calibration, sims, fits, info);
  } catch (const io::IoError& e) {
    print_error(e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  if (!run.cmd.keep_sweeps) {
    std::error_code error;
    fs::remove_all(run.layout.work, error);
    if (error)
      print_error(fmt::format("warning: cannot remove {}: {}; {} is complete, remove the directory by hand",
                              run.layout.work.string(), error.message(), run.cmd.output));
  }
  if (run.talk) print_result(run, sims, fits.back());
  return kExitOk;
}

// --- the waves ------------------------------------------------------------------------------

constexpr int kRunWave = -1;
constexpr int kAssemble = -2;
constexpr int kStopHere = -3;  // --fit-only: the next wave is designed

// Rank 0: the first wave without a fit, and its design; or kAssemble with
// the number of waves when the last fit said stop. Returns kRunWave,
// kAssemble or an exit status.
int next_step(const Run& run, std::int64_t& wave, std::vector<double>& design) {
  try {
    for (wave = 1;; ++wave) {
      if (!io::complete_file(run.layout.fit(wave))) break;
      const io::WaveSimulation sim = io::read_wave_simulation(run.layout.simulated(wave), run.n_params(), run.n_targets());
      const io::WaveFit fit = io::read_wave_fit(run.layout.fit(wave), sim.points, run.n_params(), run.n_targets());
      if (fit.stop) return kAssemble;
      if (fit.next_points == 0) throw io::IoError(run.layout.fit(wave).string() + ": no next design and no stop");
      design = fit.next_design;
    }
  } catch (const io::IoError& e) {
    print_error(fmt::format("{}; remove {} to fit that wave again", e.what(), run.layout.fit(wave).string()));
    return kExitFailure;
  }
  if (wave == 1)
    for (const std::vector<double>& row :
         io::latin_hypercube(run.calibration.parameters, static_cast<std::size_t>(run.calibration.points),
                             run.calibration.seed))
      design.insert(design.end(), row.begin(), row.end());
  return kRunWave;
}

// Runs (or, under --fit-only, only finds) wave k's sweeps. 0, or the exit
// status.
int simulate_wave(const Run& run, std::int64_t wave, const std::vector<double>& design) {
  const bool sharded = run.shard_count > 0;
  int status = kExitOk;
  if (run.root) {
    if (const std::string bad = check_design(run, wave, design); !bad.empty()) {
      print_error(bad);
      status = kExitBadInput;
    } else if (!sharded) {
      status = merge_shards(run, wave);
    }
    if (status == kExitOk && run.cmd.fit_only) {
      for (std::size_t s : run.calibration.scenarios) {
        if (io::inspect_sweep_file(run.layout.sweep(wave, run.scenario_name(s))).complete) continue;
        print_error(fmt::format("--fit-only: wave {} is not simulated yet ({} is not there); run its shards (`{} "
                                "--shard i/n`), or run without --fit-only",
                                wave, run.layout.sweep(wave, run.scenario_name(s)).string(), run.again()));
        status = kExitBadInput;
        break;
      }
    }
    if (status == kExitOk) {
      std::error_code error;
      fs::create_directories(run.layout.wave(wave), error);
      if (error) {
        print_error(fmt::format("cannot create {}: {}", run.layout.wave(wave).string(), error.message()));
        status = kExitFailure;
      }
    }
  }
  status = mpi_broadcast(run.session, status);
  if (status != kExitOk) return run.root ? status : kExitOk;
  if (run.cmd.fit_only) return kExitOk;
  for (std::size_t s : run.calibration.scenarios) {
    const std::string& name = run.scenario_name(s);
    SweepRunOptions opts;
    opts.output = sharded ? run.layout.shard(wave, name, run.shard_index, run.shard_count).string()
                          : run.layout.sweep(wave, name).string();
    opts.threads = run.threads;
    opts.shard_index = run.shard_index;
    opts.shard_count = run.shard_count;
    opts.quiet = run.cmd.quiet;
    opts.progress = run.cmd.progress;
    opts.announce = false;
    opts.label = fmt::format("wave {} {}", wave, name);
    opts.command_line = run.cmd.command_line;
    if (sharded) {
      // A wave already run whole needs no shard.
      int whole = 0;
      if (run.root) whole = io::inspect_sweep_file(run.layout.sweep(wave, name)).complete ? 1 : 0;
      if (mpi_broadcast(run.session, whole) == 1) continue;
    }
    if (const int done = run_sweep(wave_sweep(run, wave, s, design), opts, run.session); done != kExitOk) return done;
  }
  return kExitOk;
}

// Rank 0 after wave k's simulations: simulated.h5 (unless it is there), then
// the fit step. 0, or the exit status (the error printed).
int evaluate_and_fit(const Run& run, std::int64_t wave, const std::vector<double>& design, bool simulated,
                     Clock::duration simulation_time, bool& problem_written) {
  try {
    if (!problem_written) {
      io::write_problem(run.layout.problem(), run.calibration);
      problem_written = true;
    }
    if (!simulated) {
      const double seconds = std::chrono::duration<double>(simulation_time).count();
      io::write_wave_simulation(run.layout.simulated(wave), evaluate_wave(run, wave, design, seconds));
      if (!run.cmd.keep_sweeps)
        for (std::size_t s : run.calibration.scenarios) {
          std::error_code ignored;
          fs::remove(run.layout.sweep(wave, run.scenario_name(s)), ignored);
        }
    }
  } catch (const io::IoError& e) {
    print_error(e.what());
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  const int status = run_fit_step(run, wave);
  if (status == kExitInterrupted)
    print_error(fmt::format("interrupted; the finished waves and simulations are kept in {}; rerun the same command "
                            "to resume",
                            run.layout.work.string()));
  return status;
}

int calibrate_on_rank(const CalibrateCommand& cmd, const MpiSession& session) {
  const bool root = session.root();
  auto refuse = [&](const std::string& message) {
    if (root) print_error(message);
    return kExitBadInput;
  };
  if (const std::string why = without_mpi_refusal(session, "run shards with --shard i/n"); !why.empty())
    return refuse(why);
  Run run{cmd, session, {}, {}, 0, 0, 1, root, root && !cmd.quiet};
  if (!cmd.shard.empty() && !parse_shard(cmd.shard, run.shard_index, run.shard_count))
    return refuse(fmt::format("--shard: expected i/n with 1 <= i <= n (e.g. --shard 2/8), found \"{}\"", cmd.shard));
  if (!cmd.shard.empty() && cmd.fit_only)
    return refuse("--shard runs a shard of a wave's simulations and --fit-only fits a wave without simulating: give "
                  "one of them");
  try {
    run.calibration = io::load_calibration(cmd.file);
  } catch (const io::ScenarioError& e) {
    return refuse(e.what());
  }
  run.layout.output = cmd.output;
  run.layout.work = cmd.output + ".work";
  run.threads = cmd.threads != 0 ? cmd.threads : session.active ? 1u : std::max(1u, std::thread::hardware_concurrency());
  std::string too_big;  // each rank checks its own machine's memory; they refuse together
  for (std::size_t s : run.calibration.scenarios) {
    io::Scenario one = run.calibration.base_scenario(s);
    one.params.replicates = 1;  // a sweep keeps one replicate per thread in memory
    if (too_big.empty()) too_big = check_fits(one, run.threads, 0, session.node_ranks);
  }
  if (too_big = mpi_agreed_refusal(session, too_big); !too_big.empty()) return refuse(too_big);
  if (cmd.dry_run) {
    if (root) {
      const io::Calibration& c = run.calibration;
      std::vector<std::string> scenarios;
      for (std::size_t s : c.scenarios)
        scenarios.push_back(fmt::format("{} ({})", run.scenario_name(s), c.targets.scenarios[s].file));
      std::printf("%s: history matching of %zu parameters to the %zu calibration targets of %s; at most %lld waves "
                  "of %lld points x %lld replicates x %zu scenarios = %lld simulations each; scenarios %s; nothing "
                  "run\n",
                  cmd.file.c_str(), c.parameters.size(), c.fitted.size(), c.targets_file.c_str(),
                  static_cast<long long>(c.waves), static_cast<long long>(c.points),
                  static_cast<long long>(c.replicates), c.scenarios.size(),
                  static_cast<long long>(c.points * c.replicates * static_cast<std::int64_t>(c.scenarios.size())),
                  fmt::format("{}", fmt::join(scenarios, ", ")).c_str());
    }
    return kExitOk;
  }
  install_interrupt_handlers();

  // Rank 0: the output and OUT.work.
  std::optional<OutputLock> lock;
  const io::CheckpointDir work(run.layout.work, run.calibration.calibration_id, manifest_text(run.calibration),
                               "calibration");
  int status = kProceed;
  if (root) {
    if (run.shard_count == 0) {
      lock.emplace(run.layout.output);
      if (const std::string busy = lock->acquire(); !busy.empty()) {
        print_error(busy);
        status = kExitBadInput;
      }
    }
    std::error_code error;
    if (status == kProceed && fs::exists(run.layout.output, error)) {
      const io::CalibrationFileStatus existing = io::inspect_calibration_file(run.layout.output);
      if (existing.complete && existing.calibration_id == run.calibration.calibration_id && !cmd.force) {
        if (!cmd.keep_sweeps && fs::exists(run.layout.work, error)) {  // left by a run stopped after writing OUT
          fs::remove_all(run.layout.work, error);
        }
        if (!cmd.quiet) std::printf("%s is already complete: nothing to do\n", cmd.output.c_str());
        status = kExitOk;
      } else if (!cmd.force) {
        print_error(fmt::format("{} exists{}; choose another name with -o or pass --force to replace it", cmd.output,
                                existing.calibration ? " and holds another calibration" : ""));
        status = kExitBadInput;
      }
    }
    if (status == kProceed && cmd.fit_only && !fs::exists(run.layout.work, error)) {
      print_error(fmt::format("--fit-only: nothing to fit, {} does not exist; run the shards of wave 1 first (`{} "
                              "--shard i/n`), or run without --fit-only",
                              run.layout.work.string(), run.again()));
      status = kExitBadInput;
    }
    if (status == kProceed) {
      try {
        try {
          work.open_or_create(0);
        } catch (const io::CheckpointMismatch& e) {
          if (!cmd.force) {
            print_error(e.what());
            status = kExitBadInput;
          } else {
            work.remove();
            work.open_or_create(0);
          }
        }
        if (status == kProceed) (void)read_started_at(run.layout);
      } catch (const io::IoError& e) {
        print_error(e.what());
        status = kExitFailure;
      }
    }
  }
  status = mpi_broadcast(session, status);
  if (status != kProceed) return root ? status : kExitOk;

  bool problem_written = false;
  for (;;) {
    std::int64_t wave = 0;
    std::vector<double> design;
    int step = root ? next_step(run, wave, design) : 0;
    step = mpi_broadcast_patient(session, step);
    if (step == kAssemble) return root ? assemble(run, wave) : kExitOk;
    if (step != kRunWave) return root ? step : kExitOk;
    wave = mpi_broadcast(session, static_cast<int>(wave));
    mpi_broadcast_doubles(session, design);

    const auto wave_started = Clock::now();
    const bool simulated = root && io::complete_file(run.layout.simulated(wave));
    if (mpi_broadcast(session, simulated ? 1 : 0) == 0) {
      if (const int done = simulate_wave(run, wave, design); done != kExitOk) return done;
      if (run.shard_count > 0) {
        if (run.talk)
          std::printf("Shard %lld/%lld of wave %lld is done. Once every shard of the wave is, run `%s --fit-only` "
                      "to fit the wave and design the next one (docs/calibration.md)\n",
                      static_cast<long long>(run.shard_index), static_cast<long long>(run.shard_count),
                      static_cast<long long>(wave), run.again().c_str());
        return kExitOk;
      }
    } else if (run.shard_count > 0) {
      if (run.talk)
        std::printf("Wave %lld is simulated already: nothing for shard %lld/%lld to do; run `%s --fit-only`\n",
                    static_cast<long long>(wave), static_cast<long long>(run.shard_index),
                    static_cast<long long>(run.shard_count), run.again().c_str());
      return kExitOk;
    }

    // Rank 0: evaluate, fit; the others wait for the next step.
    if (root) {
      status = evaluate_and_fit(run, wave, design, simulated, Clock::now() - wave_started, problem_written);
      if (status == kExitOk) {
        try {
          const io::WaveSimulation sim =
              io::read_wave_simulation(run.layout.simulated(wave), run.n_params(), run.n_targets());
          const io::WaveFit fit = io::read_wave_fit(run.layout.fit(wave), sim.points, run.n_params(), run.n_targets());
          if (run.talk) {
            print_wave(run, sim, fit);
            if (fit.stop_reason == "empty") std::printf("  %s\n", failure_text(run, fit).c_str());
          }
          if (cmd.fit_only && !fit.stop) {
            if (run.talk)
              std::printf("Wave %lld is designed. Run its shards (`%s --shard i/n` for i = 1 ... n), then `%s "
                          "--fit-only` again\n",
                          static_cast<long long>(wave + 1), run.again().c_str(), run.again().c_str());
            status = kStopHere;
          }
        } catch (const io::IoError& e) {
          print_error(e.what());
          status = kExitFailure;
        }
      }
    }
    status = mpi_broadcast_patient(session, status);
    if (status == kStopHere) return kExitOk;
    if (status != kExitOk) return root ? status : kExitOk;
  }
}

}  // namespace

CLI::App* add_calibrate_command(CLI::App& cli, CalibrateCommand& c) {
  CLI::App* app = cli.add_subcommand(
      "calibrate", "Fit uncertain model parameters to the calibration targets by history matching, on threads, MPI "
                   "ranks or job-array shards; resumable (docs/calibration.md)");
  app->add_option("file", c.file, "Calibration file (TOML), e.g. scenarios/calibration.toml")->required();
  app->add_option("-o,--output", c.output, "Calibration file to write (HDF5)")->capture_default_str();
  app->add_option("-j,--threads", c.threads, "Threads (per rank under MPI; default: every core, 1 per rank under "
                                             "MPI)");
  app->add_option("--shard", c.shard, "Run shard i of n of the current wave's simulations, then stop; fit with "
                                      "--fit-only once every shard is done");
  app->add_flag("--fit-only", c.fit_only, "Merge the current wave's shards and fit it, then stop (or write the "
                                          "output after the last wave)");
  app->add_flag("--dry-run", c.dry_run, "Check the calibration file, its targets and scenarios; run and write "
                                        "nothing");
  app->add_flag("--keep-sweeps", c.keep_sweeps, "Keep every wave's sweep files in OUTPUT.work (kept after the end)");
  app->add_flag("--force", c.force, "Replace an existing output and discard the work of another calibration");
  auto* progress = app->add_flag("--progress", c.progress, "Progress on stderr even when it is not a terminal");
  auto* quiet = app->add_flag("-q,--quiet", c.quiet, "No progress or messages, only errors");
  progress->excludes(quiet);
  return app;
}

int calibrate_command(const CalibrateCommand& cmd) {
  const MpiSession session = mpi_start();
  const int status = calibrate_on_rank(cmd, session);
  mpi_stop(session);
  return status;
}

}  // namespace harmsim::app
