#pragma once
// `harmsim calibrate FILE` (docs/calibration.md): Bayesian history matching
// of the model's uncertain parameters to the calibration targets of a
// targets file. Each wave's simulations are sweeps run by the sweep
// machinery (app/sweep.hpp: threads, MPI ranks, --shard, checkpoints,
// resuming, byte-identical results); every fitted target is evaluated at
// every point (app/evaluate.hpp); the statistics (emulators, implausibility,
// the next wave's design, the accepted sets) are the fit step of
// analysis/harmsim_analysis/calibrate.py, run with Debian's python3 on rank
// 0 only. The waves' work is kept in OUT.work/ until OUT is written.
#include <string>

namespace CLI {
class App;
}

namespace harmsim::app {

struct CalibrateCommand {
  std::string file;
  std::string output = "calibration.h5";
  unsigned threads = 0;        // 0: every core (1 per rank under MPI)
  std::string shard;           // "i/n": run shard i of n of the current wave's simulations, then stop
  bool fit_only = false;       // finish the current wave (merge its shards, fit) and stop; no simulation
  bool keep_sweeps = false;    // keep every wave's sweep files (and OUT.work once OUT is written)
  bool force = false;          // replace an existing OUT, discard another calibration's OUT.work
  bool dry_run = false;        // check the file, its targets and scenarios; run and write nothing
  bool progress = false;
  bool quiet = false;
  std::string command_line;
};

int calibrate_command(const CalibrateCommand& cmd);

// Registers the `calibrate` subcommand (its options fill `cmd`); returns it.
CLI::App* add_calibrate_command(CLI::App& cli, CalibrateCommand& cmd);

}  // namespace harmsim::app
