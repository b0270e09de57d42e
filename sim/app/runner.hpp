#pragma once
// What runs a scenario's replicates, and what guards the files of a run:
// interrupts, memory and disk checks, the output's lock.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/checkpoint.hpp"
#include "io/hdf5_writer.hpp"
#include "io/scenario.hpp"
#include "model/simulation.hpp"

namespace harmsim::app {

struct RunOptions {
  unsigned threads = 0;       // 0: every core
  bool progress = false;      // a progress line on stderr
};

// Thrown by run_scenario when SIGINT or SIGTERM arrived (see
// install_interrupt_handlers); the replicates of the scenario are dropped.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
};

// SIGINT and SIGTERM set a flag that running replicates check once per
// simulated day, so a run stops within a moment and its output is left as
// *.partial, never renamed to look finished.
void install_interrupt_handlers();
[[nodiscard]] bool interrupted();
int interrupt_signal();

// "LABEL: replicate 12/40  3.1/s  ETA 9s" on stderr, redrawn in place at most
// five times a second (a terminal's progress line); nothing unless enabled.
class ProgressLine {
 public:
  ProgressLine(std::string label, std::size_t total, std::size_t done_before, bool enabled);
  // One more replicate finished; called one at a time (as distribute's done()).
  void unit_done();

 private:
  void draw(bool last);
  std::string label_;
  std::size_t total_, done_, before_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), drawn_{};
};

// Replicate r of scenario s, under `params` (s.params, or a parameter draw's
// with `harmsim run --posterior`) and the `interventions` compiled from them.
// Its stream seed is stream_seed(s.params.seed, s.name, r) (sim/core/rng.hpp)
// whoever runs it, so its result is the same on any thread, rank or resume.
// Throws Interrupted once SIGINT or SIGTERM arrived. With `storage`, the
// replicate is built on what the thread's last replicate left there and
// leaves its own there for the next (model::ReplicateStorage: same bits, no
// allocation or first touch of what the last one had).
model::ReplicateResult run_replicate(const io::Scenario& s, const model::Params& params,
                                     const model::Interventions& interventions, std::size_t r,
                                     model::ReplicateStorage* storage = nullptr);

// Runs every replicate of one scenario in memory, spread over opts.threads
// threads by distribute() (app/distribute.hpp); no MPI, no checkpoints
// (`harmsim targets` without -o). Throws Interrupted on SIGINT or SIGTERM,
// and what a replicate threw.
std::vector<model::ReplicateResult> run_scenario(const io::Scenario& s, const RunOptions& opts,
                                                 const std::string& label);

// Bytes `harmsim run` needs at its peak for a scenario on `threads` threads:
// the program, the state of one replicate and a few of its series per
// thread, the series of every replicate of the scenario (read back from
// their unit files while it is written to the results file, one scenario at
// a time), and the totals kept of each of `run_replicates` (every replicate
// of the run; 0 or fewer: the scenario's own) for the tables; the run needs
// the largest over its scenarios (docs/errors.md "Memory that does not
// fit"). Under MPI, `ranks` is the number of ranks on this machine, each
// with its `threads` threads and the program (rank 0 alone holds what is
// written). And a message if that is more than the machine has; empty if it
// fits.
std::uint64_t memory_needed(const io::Scenario& s, unsigned threads, std::int64_t run_replicates = 0, int ranks = 1);
std::string check_fits(const io::Scenario& s, unsigned threads, std::int64_t run_replicates = 0, int ranks = 1);
std::uint64_t physical_memory();

// An exclusive lock on NAME.lock beside an output NAME, held from before a
// command touches anything of NAME (its checkpoints, NAME.partial, NAME) to
// its end: a second harmsim that would write NAME (run, sweep or merge, with
// or without --force) is refused instead of truncating or removing the
// first one's files. It is flock's, so it goes with the process however that
// ends; the file is removed with the object (one left by a kill -9 is
// harmless: the next command takes it over and removes it). Where the file
// cannot be made (the output's own error follows) or the filesystem has no
// locks, nothing is held and nothing refused.
class OutputLock {
 public:
  explicit OutputLock(std::filesystem::path output);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  // Takes the lock: "" once held (or when it cannot tell), else the message
  // that refuses the command.
  [[nodiscard]] std::string acquire();

 private:
  std::filesystem::path output_, path_;
  int fd_ = -1;
};

// "" unless another harmsim holds the lock of `output` (NAME.lock): then the
// end of a message that says so, "NAME is being written by another harmsim
// process (NAME.lock is held)". Creates nothing.
std::string being_written(const std::filesystem::path& output);

// Removes the checkpoints of `output` once it is complete: "" or, if they
// cannot be removed, the warning to print (not a failure: the output is
// complete).
std::string remove_checkpoints_of_complete(const io::CheckpointDir& checkpoints, const std::string& output);

// `bytes` for a message, rounded up to 0.1 in the unit of its size: "1.2 MiB".
std::string size_text(double bytes);
// True if an IoError's message says that a write ran out of room: a full
// disk (ENOSPC), a quota (EDQUOT) or a file size limit (EFBIG).
bool out_of_room(std::string_view message);

// A message if the filesystem that is to hold `output` has less room than the
// `need` bytes of checkpoints that `work` will take for `what` ("the
// replicates still to run"); empty if they fit or it cannot tell. The sizes
// are in the unit of the need, the need rounded up and the room down. (The
// output file needs room too, but less, and how much is not known before.)
std::string check_disk_room(double need, const std::filesystem::path& work, const std::filesystem::path& output,
                            std::string_view what);

}  // namespace harmsim::app
