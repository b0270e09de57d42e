#pragma once
// `harmsim sweep` and `harmsim merge` (docs/sweeps.md).
//
// A sweep's work unit is one replicate of one point: unit = point × R +
// replicate. Each unit's RNG stream is (simulation.seed, "<scenario>/p<k>",
// replicate), so its result is the same whichever thread, rank or shard runs
// it. Finished units are kept in OUTPUT.work/ (io/checkpoint.hpp); the
// sweep file is assembled from them in point and replicate order once all are
// there, so the output is byte-identical for any -j, any number of MPI ranks,
// any sharding, and across interruptions.
#include <cstdint>
#include <string>
#include <vector>

#include "app/distribute.hpp"
#include "io/sweep.hpp"

namespace CLI {
class App;
}

namespace harmsim::app {

struct SweepCommand {
  std::string file;
  std::string output = "sweep.h5";
  unsigned threads = 0;      // 0: every core (1 per rank under MPI)
  std::string shard;         // "i/n": run units with unit % n == i - 1 into a shard file
  bool progress = false;     // a progress line even when stderr is not a terminal
  bool quiet = false;
  bool per_replicate = false;  // keep every replicate's daily series, all strata
  bool force = false;        // replace an existing output (and a foreign checkpoint directory)
  std::string command_line;
};

// One sweep run by the machinery of `harmsim sweep` (threads, MPI ranks,
// shards, checkpoints, resuming, assembly): what `harmsim sweep` does once
// its file is read, and what `harmsim calibrate` does for every scenario of
// every wave.
struct SweepRunOptions {
  std::string output;        // the sweep (or shard) file; checkpoints in OUTPUT.work/
  unsigned threads = 0;      // 0: every core (1 per rank under MPI)
  std::int64_t shard_index = 0, shard_count = 0;  // shard i of n; 0 of 0: the whole sweep
  bool per_replicate = false;
  bool force = false;        // replace an existing output (and a foreign checkpoint directory)
  bool quiet = false;        // only errors
  bool progress = false;     // a progress line even when stderr is not a terminal
  bool announce = true;      // say on stdout that the file was written, or was complete already
  std::string label = "sweep";  // what the progress line calls it
  std::string command_line;
};

// Runs `sweep` on every rank of `session` (rank 0 prepares, hands out the
// units and assembles the file). Returns the exit status (on ranks other
// than 0: 0, or their own failure); the errors are printed.
int run_sweep(const io::Sweep& sweep, const SweepRunOptions& options, const MpiSession& session);

struct MergeCommand {
  std::string output;
  std::vector<std::string> shards;
  bool force = false;
  bool quiet = false;
  std::string command_line;
};

int sweep_command(const SweepCommand& cmd);
int merge_command(const MergeCommand& cmd);

// The `sweep` and `merge` subcommands of the command line: add_sweep_commands
// registers them (options fill `commands`); run_sweep_commands runs the one
// given, or returns -1 if neither was.
struct SweepCommands {
  SweepCommand sweep;
  MergeCommand merge;
  CLI::App* sweep_app = nullptr;
  CLI::App* merge_app = nullptr;
};
void add_sweep_commands(CLI::App& cli, SweepCommands& commands);
int run_sweep_commands(SweepCommands& commands, const std::string& command_line);

// "i/n" with 1 <= i <= n into (i, n); false if it is not that.
bool parse_shard(const std::string& text, std::int64_t& index, std::int64_t& count);

}  // namespace harmsim::app
