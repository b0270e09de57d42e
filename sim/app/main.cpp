// harmsim: compare policing and service policies on the commercial sex market
// by the harm they cause and prevent. See README.md and `harmsim --help`.
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/calibrate.hpp"
#include "app/commands.hpp"
#include "app/sweep.hpp"
#include "io/build_info.hpp"
#include "io/hdf5_writer.hpp"
#include "io/scenario.hpp"

namespace {

// `harmsim report ARGS`: the analysis package's script, run by Debian's
// python3 as a child. A results file can be damaged so that the HDF5 library
// under h5py crashes on it, or loops forever (tests/fuzz found flipped bits
// that do either); the child then dies of a signal, or of its CPU limit
// ($HARMSIM_REPORT_CPU_LIMIT seconds, default 600: a report needs seconds),
// and this says so in one line naming the file, exit 2, instead of a crash or
// a hang. Otherwise the child's exit code is harmsim's. The child's stderr
// goes through a pipe and is passed on when it ends: glibc writes a line of
// its own ("corrupted double-linked list") before it aborts on a heap the
// library damaged, which must not come before harmsim's one line (found by
// replaying afl's HDF5 findings through the report).
int report_command(const std::vector<std::string>& remaining) {
  using harmsim::app::kExitBadInput;
  using harmsim::app::kExitFailure;
  const std::string script = std::string(HARMSIM_SOURCE_DIR) + "/analysis/harmsim-report";
  std::vector<std::string> args = {"/usr/bin/python3", script};
  args.insert(args.end(), remaining.begin(), remaining.end());
  // The results file: the script's first argument that is not an option or an option's value.
  std::string results = "the results file";
  for (std::size_t i = 0; i < remaining.size(); ++i) {
    if (remaining[i] == "-o" || remaining[i] == "--output" || remaining[i] == "--baseline" ||
        remaining[i] == "--rank-by" || remaining[i] == "--sweep") {
      ++i;
    } else if (i == 0 && remaining[i] == "sensitivity") {
      continue;  // the subcommand; its sweep files follow
    } else if (!remaining[i].empty() && remaining[i][0] != '-') {
      results = remaining[i];
      break;
    }
  }
  std::vector<char*> argv_out;
  for (auto& a : args) argv_out.push_back(a.data());
  argv_out.push_back(nullptr);
  const char* limit_text = std::getenv("HARMSIM_REPORT_CPU_LIMIT");
  const long cpu_limit = limit_text != nullptr && std::atol(limit_text) > 0 ? std::atol(limit_text) : 600;
  int child_stderr[2] = {-1, -1};
  const bool piped = ::pipe2(child_stderr, O_CLOEXEC) == 0;
  const pid_t child = fork();
  if (child == 0) {
    if (piped) ::dup2(child_stderr[1], STDERR_FILENO);  // the copy is not close-on-exec
    std::signal(SIGXFSZ, SIG_DFL);  // the script's own business
    const rlimit cpu{static_cast<rlim_t>(cpu_limit), static_cast<rlim_t>(cpu_limit + 5)};
    setrlimit(RLIMIT_CPU, &cpu);
    execv(argv_out[0], argv_out.data());
    std::fprintf(stderr, "harmsim: cannot start %s for the report (install python3-h5py python3-pandas "
                         "python3-matplotlib)\n", script.c_str());
    _exit(kExitFailure);
  }
  if (child < 0) {
    const int error = errno;
    if (piped) {
      ::close(child_stderr[0]);
      ::close(child_stderr[1]);
    }
    std::fprintf(stderr, "harmsim: cannot start %s for the report: %s\n", script.c_str(), std::strerror(error));
    return kExitFailure;
  }
  // Ctrl-C reaches the child from the terminal; SIGTERM (a scheduler) is passed on.
  std::signal(SIGINT, SIG_IGN);
  static pid_t running = 0;
  running = child;
  std::signal(SIGTERM, +[](int sig) { ::kill(running, sig); });
  // What the child writes on stderr, until it ends (its messages: a few
  // lines; more than 1 MiB is cut).
  std::string said;
  if (piped) {
    ::close(child_stderr[1]);
    constexpr std::size_t kKept = std::size_t{1} << 20;
    char buffer[4096];
    for (;;) {
      const ssize_t n = ::read(child_stderr[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      said.append(buffer, std::min(static_cast<std::size_t>(n), kKept - std::min(kKept, said.size())));
    }
    ::close(child_stderr[0]);
  }
  int status = 0;
  while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    if (!said.empty()) {
      std::fwrite(said.data(), 1, said.size(), stderr);
      std::fflush(stderr);
    }
    return WEXITSTATUS(status);
  }
  const int sig = WTERMSIG(status);
  if (sig == SIGXCPU) {
    std::fprintf(stderr, "harmsim: report: %s: damaged: the report made no progress reading it in %ld s of CPU\n",
                 harmsim::io::printable(results).c_str(), cpu_limit);
    return kExitBadInput;
  }
  if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGABRT) {
    std::fprintf(stderr, "harmsim: report: %s: damaged: the HDF5 library crashed reading it (signal %d)\n",
                 harmsim::io::printable(results).c_str(), sig);
    return kExitBadInput;
  }
  // Stopped from outside (SIGTERM, SIGKILL): what it said may tell why.
  std::fwrite(said.data(), 1, said.size(), stderr);
  return 128 + sig;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace harmsim::app;
  harmsim::io::keep_hdf5_out_of_exit();
  // Past a file size limit (ulimit -f) a write then fails with EFBIG, which
  // is reported with the file's name, instead of the signal ending the run
  // without a word.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App cli{"harmsim: discrete-event simulation of policing and service policies on the commercial sex market"};
  cli.set_version_flag("--version", std::string("harmsim ") + HARMSIM_VERSION + " (" + harmsim::io::git_commit() + ")");
  cli.require_subcommand(1);

  RunCommand run;
  auto* run_cmd = cli.add_subcommand("run", "Run scenario files (default: the embedded comparison) over threads or "
                                            "MPI ranks (mpirun), resumably, and print the comparison table");
  run_cmd->add_option("files", run.files, "Scenario files (TOML); none runs the default comparison");
  run_cmd->add_option("-o,--output", run.output, "Results file (HDF5)")->capture_default_str();
  run_cmd->add_option("-j,--threads", run.threads, "Threads (per rank under MPI; default: every core, 1 per rank "
                                                   "under MPI)");
  run_cmd->add_flag("--force", run.force, "Replace an existing results file");
  run_cmd->add_flag("-q,--quiet", run.quiet, "No progress on stderr");
  run_cmd->add_flag("--dry-run", run.dry_run, "Check the scenarios and show the memory they need; run nothing");
  auto* posterior_opt = run_cmd->add_option("--posterior", run.posterior,
                      "Run every scenario over parameter sets drawn from this calibration file's accepted sets "
                      "(harmsim calibrate); replicates inside each draw");
  run_cmd->add_option("--draws", run.draws, "Parameter draws with --posterior")
      ->capture_default_str()
      ->needs(posterior_opt);

  std::vector<std::string> validate_files;
  auto* validate_cmd = cli.add_subcommand("validate", "Check scenario files without running them");
  validate_cmd->add_option("files", validate_files, "Scenario files (TOML)")->required();

  bool markdown = false;
  auto* params_cmd = cli.add_subcommand("params", "List every parameter with default, range, unit and source");
  params_cmd->add_flag("--markdown", markdown, "As Markdown (docs/parameters.md)");

  TargetsCommand targets;
  auto* targets_cmd = cli.add_subcommand("targets", "Run the scenarios of a targets file and print every published "
                                                    "figure beside the model's value (docs/targets.md)");
  targets_cmd->add_option("file", targets.file, "Targets file (TOML), e.g. scenarios/targets.toml")->required();
  targets_cmd->add_option("-j,--threads", targets.threads, "Threads (default: every core)");
  targets_cmd->add_flag("--markdown", targets.markdown, "As Markdown (docs/validation.md)");
  targets_cmd->add_option("-o,--output", targets.output, "Also write the results of the scenarios (HDF5)");
  targets_cmd->add_flag("--force", targets.force, "Replace an existing results file (with -o)");
  targets_cmd->add_flag("-q,--quiet", targets.quiet, "No progress on stderr");

  std::vector<std::string> report_args;
  auto* report_cmd = cli.add_subcommand("report", "Write a self-contained HTML report of a results file "
                                                  "(harmsim report results.h5 -o report.html)");
  report_cmd->allow_extras();
  report_cmd->prefix_command();
  // Its options are the report script's: `harmsim report --help` shows them.
  report_cmd->set_help_flag();

  SweepCommands sweeps;  // `sweep` and `merge` (app/sweep.hpp)
  add_sweep_commands(cli, sweeps);

  CalibrateCommand calibrate;
  CLI::App* calibrate_cmd = add_calibrate_command(cli, calibrate);

  // A misspelt command gets its name and the nearest one back, rather than
  // CLI11's "A subcommand is required".
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string_view> names;
    for (const CLI::App* sub : cli.get_subcommands([](const CLI::App*) { return true; })) names.push_back(sub->get_name());
    if (std::find(names.begin(), names.end(), std::string_view(argv[1])) == names.end()) {
      std::string list;
      for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
      const std::string guess = harmsim::io::nearest(argv[1], names);
      std::fprintf(stderr, "harmsim: expected a command (%s), found `%s`%s\n", list.c_str(),
                   harmsim::io::printable(argv[1]).c_str(),
                   guess.empty() ? "; see harmsim --help" : ("; did you mean `" + guess + "`?").c_str());
      return kExitBadInput;
    }
  }
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = cli.exit(e);
    return code == 0 ? kExitOk : kExitBadInput;
  }
  std::string command_line;
  for (int i = 0; i < argc; ++i) command_line += (i ? " " : "") + std::string(argv[i]);
  run.command_line = command_line;
  run.program = argv[0];
  targets.command_line = command_line;

  calibrate.command_line = command_line;

  if (const int status = run_sweep_commands(sweeps, command_line); status >= 0) return status;
  if (*calibrate_cmd) return calibrate_command(calibrate);
  if (*run_cmd) return run_command(run);
  if (*validate_cmd) return validate_command(validate_files);
  if (*targets_cmd) return targets_command(targets);
  if (*params_cmd) return params_command(markdown);
  if (*report_cmd) return report_command(report_cmd->remaining());
  return kExitBadInput;
}
