#pragma once
// The harmsim subcommands. Each returns the process exit code:
// 0 success, 1 a failure while running or writing, 2 bad input, 130 interrupted.
#include <cstddef>
#include <string>
#include <vector>

#include "app/distribute.hpp"
#include "app/posterior.hpp"
#include "io/scenario.hpp"
#include "model/results.hpp"

namespace harmsim::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitInterrupted = 130;
// Not an exit code: what rank 0's checks before a run, sweep or calibration
// return when it goes ahead (every other value is the exit status to end with).
inline constexpr int kProceed = -1;

// A message as every subcommand gives it: one line on stderr, "harmsim: "
// and the message (docs/errors.md).
void print_error(const std::string& message);

// A duration as progress lines and summaries show it: "4.2s" below ten
// seconds, then "42s", "1m28s", "2h05m"; "?" when it is not known (negative,
// not a number, or beyond three years).
std::string duration_text(double seconds);

struct RunCommand {
  std::vector<std::string> files;
  std::string output = "results.h5";
  unsigned threads = 0;                 // 0: every core (1 per rank under MPI)
  bool force = false;
  bool quiet = false;
  bool dry_run = false;
  std::string posterior;                // --posterior CALIB.h5; empty: none
  std::int64_t draws = kDefaultDraws;   // --draws N
  std::string command_line;
  std::string program = "harmsim";  // argv[0], for the command the run ends by suggesting
};

int run_command(const RunCommand& cmd);

// What would stop scenarios from running into one results file: one that
// would not fit in memory on `threads` threads (the first), or communities
// that differ (the strata of a file are shared). Empty strings if none.
struct RunInputProblems {
  std::string communities, too_big;
};
[[nodiscard]] RunInputProblems check_run_inputs(const std::vector<io::Scenario>& scenarios, unsigned threads,
                                                int ranks = 1);
// The replicates of every scenario of a run (memory_needed's run_replicates).
[[nodiscard]] std::int64_t run_replicates(const std::vector<io::Scenario>& scenarios);

// Runs every replicate of `scenarios` into the results file cmd.output,
// resumably (docs/output.md, "Interrupted runs"): what `harmsim run` does
// once its scenarios are loaded and checked, and `harmsim targets -o`.
//
// The work units are the replicates, one unit file each in OUTPUT.work/
// (p<k>/r<r>.unit), spread by distribute() (app/distribute.hpp) over
// `threads` threads on every rank of `session`, as a sweep's: rank 0 holds
// the output's lock, prepares the checkpoints, hands out the units and,
// once every one has run, assembles the file in scenario and replicate
// order. A replicate's result depends only on its scenario, its parameter
// draw and its index, so the file is the same on any layout.
//
// Rank 0 keeps no replicate in memory while they run: it writes the file a
// scenario at a time, each read back from the unit files, so that it holds
// the series of one scenario's replicates at most.
//
// Errors are printed; returns the exit code (on ranks other than 0: 0, or
// their own failure). With kExitOk on rank 0, `results` holds every
// replicate of every scenario without its series (`series` empty; totals,
// stratum_totals, exposure and the rest as run), unless the output was found
// already complete (nothing was run).
struct RunToFile {
  std::vector<std::vector<model::ReplicateResult>> results;
  std::size_t resumed = 0, simulated = 0;  // replicates taken from checkpoints, run now (by any rank)
  bool already_complete = false;
};
//
// With `posterior` (`harmsim run --posterior`), each of `scenarios` has
// params.replicates = draws × its replicates per draw, and
// posterior->scenarios[k] holds scenario k under each draw.
struct PosteriorRun {
  PosteriorDraws draws;
  std::vector<std::vector<io::Scenario>> scenarios;  // [scenario][draw]
};
int run_to_file(const std::vector<io::Scenario>& scenarios, const RunCommand& cmd, unsigned threads, RunToFile& run,
                const PosteriorRun* posterior = nullptr, const MpiSession& session = {});

// `harmsim targets FILE`: runs the scenarios a targets file needs and prints
// each target beside the model's value (docs/targets.md).
struct TargetsCommand {
  std::string file;
  std::string output;  // empty: no results file
  unsigned threads = 0;
  bool markdown = false;
  bool force = false;
  bool quiet = false;
  std::string command_line;
};
int targets_command(const TargetsCommand& cmd);
int validate_command(const std::vector<std::string>& files);
int params_command(bool markdown);

// The parameter table as Markdown (docs/parameters.md) or as text.
std::string parameters_markdown();
std::string parameters_text();

}  // namespace harmsim::app
