#pragma once
// Runs scenarios: replicates spread over threads, results in replicate order,
// so the output is the same on any number of threads.
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

// Runs the replicates `pending` of one scenario into results[r] (`results`
// has a slot for every replicate; the others are already there), spread over
// opts.threads threads. `finished`, when set, is called on the worker thread
// with each replicate as it ends (`harmsim run` keeps it as a checkpoint); an
// exception from it stops the scenario as a failing replicate does.
//
// `draws`, when not empty (`harmsim run --posterior`), holds s under each
// parameter draw (the drawn values set on its parameters): replicate r runs
// draws[r / per_draw], per_draw = s.params.replicates / draws.size(). Its
// seed is s's replicate r's all the same, whoever runs it.
void run_replicates(const io::Scenario& s, const std::vector<std::size_t>& pending, const RunOptions& opts,
                    const std::string& label, std::vector<model::ReplicateResult>& results,
                    const std::function<void(const model::ReplicateResult&)>& finished = {},
                    const std::vector<io::Scenario>& draws = {});

// Runs every replicate of one scenario.
std::vector<model::ReplicateResult> run_scenario(const io::Scenario& s, const RunOptions& opts,
                                                 const std::string& label);

// Bytes a scenario needs while it runs (state of one replicate per thread plus
// the series of every replicate), and a message if that is more than the
// machine has; empty if it fits.
std::uint64_t memory_needed(const io::Scenario& s, unsigned threads);
std::string check_fits(const io::Scenario& s, unsigned threads);
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
