// `harmsim sweep`: run every (point, replicate) of a sweep file over threads,
// MPI ranks or job-array shards, keep each finished unit in OUTPUT.work/, and
// assemble the sweep file from them in order (docs/sweeps.md).
#include "app/sweep.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/distribute.hpp"
#include "app/runner.hpp"
#include "io/build_info.hpp"
#include "io/sweep.hpp"
#include "io/checkpoint.hpp"
#include "io/sweep_output.hpp"
#include "model/simulation.hpp"

namespace harmsim::app {

namespace {

namespace fs = std::filesystem;

// "points 12/50, replicates 130/500, 4.2 replicates/s, ETA 1m28s" on stderr:
// redrawn in place on a terminal, a line every 10 s otherwise (--progress).
class SweepProgress {
 public:
  SweepProgress(std::string label, std::size_t replicates, const std::vector<std::uint64_t>& shard_units,
                const std::vector<std::uint64_t>& pending, bool enabled)
      : label_(std::move(label)), replicates_(replicates), enabled_(enabled), terminal_(isatty(STDERR_FILENO) != 0) {
    for (std::uint64_t u : shard_units) ++remaining_[u / replicates_];
    total_units_ = shard_units.size();
    points_total_ = remaining_.size();
    std::map<std::uint64_t, std::size_t> pending_per_point;
    for (std::uint64_t u : pending) ++pending_per_point[u / replicates_];
    for (auto& [point, left] : remaining_) {
      const auto it = pending_per_point.find(point);
      left = it == pending_per_point.end() ? 0 : it->second;
      if (left == 0) ++points_done_;
    }
    done_units_ = total_units_ - pending.size();
    resumed_units_ = done_units_;
  }

  // Called one at a time (distribute serialises done()).
  void unit_done(std::uint64_t unit) {
    ++done_units_;
    if (auto it = remaining_.find(unit / replicates_); it != remaining_.end() && it->second > 0 && --it->second == 0)
      ++points_done_;
    draw(false);
  }
  void finish() { draw(true); }

 private:
  void draw(bool final) {
    if (!enabled_) return;
    const auto now = std::chrono::steady_clock::now();
    const double since_draw = std::chrono::duration<double>(now - last_draw_).count();
    if (!final && since_draw < (terminal_ ? 0.2 : 10.0)) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(done_units_ - resumed_units_) / elapsed : 0.0;
    const double eta = rate > 0 ? static_cast<double>(total_units_ - done_units_) / rate : -1.0;
    const std::string line =
        fmt::format("{}: points {}/{}, replicates {}/{}, {:.1f} replicates/s, ETA {}", label_, points_done_,
                    points_total_, done_units_, total_units_, rate,
                    done_units_ == total_units_ ? "0s" : duration_text(eta));
    if (terminal_) std::fprintf(stderr, "\r%s   %s", line.c_str(), final ? "\n" : "");
    else std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
  }

  std::string label_;
  std::size_t replicates_;
  bool enabled_, terminal_;
  std::map<std::uint64_t, std::size_t> remaining_;  // point -> units left
  std::size_t total_units_ = 0, done_units_ = 0, resumed_units_ = 0, points_total_ = 0, points_done_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_draw_{};
};

// Everything a rank needs to run and assemble a sweep.
struct SweepRun {
  io::Sweep sweep;
  std::int64_t shard_index = 0, shard_count = 0;
  bool per_replicate = false;
  std::vector<std::uint64_t> shard_units;  // the units this invocation is responsible for, ascending
  fs::path output, work;

  [[nodiscard]] std::uint64_t replicates() const { return static_cast<std::uint64_t>(sweep.replicates); }
  [[nodiscard]] bool in_shard(std::uint64_t unit) const {
    return shard_count == 0 || unit % static_cast<std::uint64_t>(shard_count) ==
                                   static_cast<std::uint64_t>(shard_index - 1);
  }
  [[nodiscard]] std::string manifest() const {
    return io::sweep_manifest(sweep.sweep_id, sweep.points(), sweep.replicates, per_replicate, shard_index,
                              shard_count, HARMSIM_VERSION, io::git_commit());
  }
  [[nodiscard]] io::CheckpointDir checkpoints() const { return {work, sweep.sweep_id, manifest()}; }
  [[nodiscard]] std::size_t unit_bytes(std::uint64_t point) const {
    const io::Scenario s = sweep.point_scenario(static_cast<std::size_t>(point));
    const std::size_t all_strata = model::strata_count(static_cast<std::size_t>(s.params.communities));
    return io::CheckpointDir::unit_bytes(static_cast<std::uint64_t>(s.params.days), per_replicate ? all_strata : 0,
                                         all_strata);
  }
};

// Says `message` now, or keeps it in `failure` when given (a worker thread;
// a sweep's finished units are always kept).
void fail(FirstFailure* failure, std::string message) {
  if (failure != nullptr) failure->set(std::move(message), true);
  else print_error(message);
}

// Runs one unit and appends its record to `journal` (and to `kept` if given).
// 0, or the exit status that stops the sweep (the error printed, or kept in
// `failure` when given).
int run_unit(const SweepRun& run, io::UnitJournal& journal, model::ReplicateStorage& storage, std::uint64_t unit,
             io::UnitRecord* kept = nullptr, FirstFailure* failure = nullptr) {
  const std::uint64_t point = unit / run.replicates(), replicate = unit % run.replicates();
  try {
    const io::Scenario s = run.sweep.point_scenario(static_cast<std::size_t>(point));
    const model::Interventions interventions = policy::compile(s.policies, s.params);
    model::ReplicateResult result =
        run_replicate(s, s.params, interventions, static_cast<std::size_t>(replicate), &storage);
    io::UnitRecord record = io::make_unit_record(point, result, run.per_replicate);
    storage.keep(std::move(result));
    journal.append(record);
    if (kept != nullptr) *kept = std::move(record);
    return kExitOk;
  } catch (const Interrupted&) {
    return kExitInterrupted;
  } catch (const io::IoError& e) {
    fail(failure, fmt::format("point p{} replicate {}: {}", point, replicate, e.what()));
    return kExitFailure;
  } catch (const std::exception& e) {
    fail(failure, fmt::format("point p{} replicate {}: internal error: {}", point, replicate, e.what()));
    return kExitFailure;
  }
}

// Syncs `journal`; 0 or kExitFailure (the error printed).
int sync_journal(io::UnitJournal& journal, FirstFailure* failure = nullptr) {
  try {
    journal.sync();
    return kExitOk;
  } catch (const io::IoError& e) {
    fail(failure, e.what());
    return kExitFailure;
  }
}

// A thread's worker: its units go to a journal of its own.
class SweepWorker final : public UnitWorker {
 public:
  SweepWorker(const SweepRun& run, const io::CheckpointDir& checkpoints, FirstFailure& failure)
      : run_(run), failure_(failure), journal_(checkpoints) {}
  int run(std::uint64_t unit) override { return run_unit(run_, journal_, storage_, unit, nullptr, &failure_); }
  int sync() override { return sync_journal(journal_, &failure_); }

 private:
  const SweepRun& run_;
  FirstFailure& failure_;
  io::UnitJournal journal_;
  model::ReplicateStorage storage_;  // what this thread's last replicate left
};

// Rank 0 before anything runs: the output, the checkpoint directory, and the
// units still to run. Returns kProceed or an exit status.
int prepare(const SweepRunOptions& cmd, const SweepRun& run, const io::CheckpointDir& checkpoints,
            io::JournalIndex& finished, std::vector<std::uint64_t>& pending) {
  std::error_code error;
  // With --force the old file is not even read (a damaged one could leave the
  // HDF5 library unfit to write the new one).
  if (!cmd.force && fs::exists(run.output, error)) {
    const io::SweepFileStatus status = io::inspect_sweep_file(run.output);
    if (status.sweep && status.complete && status.sweep_id == run.sweep.sweep_id &&
        status.shard_index == run.shard_index && status.shard_count == run.shard_count &&
        status.per_replicate == run.per_replicate) {
      if (fs::exists(run.work, error))  // left by a run killed after its rename
        if (const std::string warning = remove_checkpoints_of_complete(checkpoints, cmd.output); !warning.empty())
          print_error(warning);
      if (!cmd.quiet && cmd.announce) std::printf("%s is already complete: nothing to do\n", cmd.output.c_str());
      return kExitOk;
    }
    print_error(fmt::format("{} exists{}; choose another name with -o or pass --force to replace it", cmd.output,
                            status.sweep ? " and holds another sweep" : ""));
    return kExitBadInput;
  }
  // Refused before anything is written if the checkpoints of the units still
  // to run cannot fit (all of them when there is no checkpoint directory yet).
  auto no_room = [&](const std::vector<std::uint64_t>& units) {
    double need = 0;
    for (std::uint64_t unit : units)
      need += static_cast<double>(io::CheckpointDir::expected_bytes(run.unit_bytes(unit / run.replicates())));
    const std::string message = check_disk_room(need, run.work, run.output, "the units still to run");
    if (!message.empty()) print_error(message);
    return !message.empty();
  };
  if (!fs::exists(run.work, error) && no_room(run.shard_units)) return kExitBadInput;
  try {
    try {
      checkpoints.open_or_create(0);
    } catch (const io::CheckpointMismatch& e) {
      if (!cmd.force) {
        print_error(e.what());
        return kExitBadInput;
      }
      checkpoints.remove();
      checkpoints.open_or_create(0);
    }
    finished.scan(true);  // every record of an interrupted run checked: damaged units run again now
  } catch (const io::IoError& e) {
    print_error(e.what());
    return kExitFailure;
  }
  if (!finished.damaged().empty())
    print_error(fmt::format("{}; running it again{}", finished.damaged().front(),
                            finished.damaged().size() > 1
                                ? fmt::format(" ({} damaged units in all)", finished.damaged().size())
                                : ""));
  for (std::uint64_t unit : run.shard_units)
    if (!finished.has(unit / run.replicates(), unit % run.replicates())) pending.push_back(unit);
  if (no_room(pending)) {
    // A directory with nothing finished in it (just made, or another
    // sweep's discarded with --force) is not left behind.
    if (pending.size() == run.shard_units.size()) {
      try {
        checkpoints.remove();
      } catch (const io::IoError&) {
      }
    }
    return kExitBadInput;
  }
  const std::size_t done = run.shard_units.size() - pending.size();
  if (done > 0 && !cmd.quiet)
    std::fprintf(stderr, "harmsim: resuming: %zu of %zu units already finished in %s\n", done,
                 run.shard_units.size(), run.work.c_str());
  return kProceed;
}

// Rank 0 once every unit is in: the sweep (or shard) file, then the
// checkpoint directory goes. A unit that is missing or damaged is run again
// here.
int assemble(const SweepRunOptions& cmd, const SweepRun& run, const MpiSession& session,
             const io::CheckpointDir& checkpoints, io::JournalIndex& finished, const std::string& started_at) {
  const io::SweepHeader header = io::make_sweep_header(run.sweep, run.per_replicate, run.shard_index,
                                                       run.shard_count, HARMSIM_VERSION, io::git_commit());
  try {
    finished.scan();  // what every rank appended
    std::optional<io::UnitJournal> journal;
    model::ReplicateStorage storage;         // for the units run again here
    io::SweepWriter writer(run.output, header, cmd.command_line, started_at);
    std::size_t redone = 0;
    for (std::size_t point = 0; point < run.sweep.points(); ++point) {
      const std::size_t bytes = run.unit_bytes(point);
      std::vector<io::UnitRecord> records;
      for (std::uint64_t replicate = 0; replicate < run.replicates(); ++replicate) {
        const std::uint64_t unit = point * run.replicates() + replicate;
        if (!run.in_shard(unit)) continue;
        std::string problem;
        std::optional<io::UnitRecord> record = finished.read(point, replicate, &problem);
        if (record && io::CheckpointDir::unit_bytes(record->days, record->strata, record->totals_strata) != bytes) {
          problem = fmt::format("{}: unit p{} replicate {} has the wrong shape", run.work.string(), point, replicate);
          record.reset();
        }
        if (!record) {
          if (redone++ == 0)
            print_error(fmt::format("{}; running it again{}", problem,
                                    session.active ? " (is the output on a filesystem every rank shares?)" : ""));
          if (!journal) journal.emplace(checkpoints);
          record.emplace();
          if (const int status = run_unit(run, *journal, storage, unit, &*record); status != kExitOk) return status;
        }
        records.push_back(std::move(*record));
      }
      writer.write_point(point, records);
    }
    if (journal) journal->sync();
    writer.finish();
    if (redone > 1) print_error(fmt::format("{} units were run again", redone));
  } catch (const io::IoError& e) {
    // The checkpoints are all there: the same command assembles the file
    // again once the cause is gone (space freed, for the commonest).
    std::string message = e.what();
    if (out_of_room(message) && message.rfind(cmd.output + ".partial", 0) == 0)
      message += fmt::format("; writing {} needs up to {}, {}.partial included", cmd.output,
                             size_text(static_cast<double>(io::sweep_file_bytes_at_most(header))), cmd.output);
    print_error(fmt::format("{}; the finished units are kept in {}; rerun the same command to resume", message,
                            run.work.string()));
    return kExitFailure;
  } catch (const std::exception& e) {
    print_error(fmt::format("internal error: {}", e.what()));
    return kExitFailure;
  }
  // The file is complete: a failure to remove the checkpoints is a warning.
  if (const std::string warning = remove_checkpoints_of_complete(checkpoints, cmd.output); !warning.empty())
    print_error(warning);
  if (!cmd.quiet && cmd.announce) {
    if (run.shard_count > 0)
      std::printf("Shard %lld/%lld (%zu of %zu units) written to %s\n", static_cast<long long>(run.shard_index),
                  static_cast<long long>(run.shard_count), run.shard_units.size(), run.sweep.units(),
                  cmd.output.c_str());
    else
      std::printf("Sweep of %zu points x %lld replicates written to %s\n", run.sweep.points(),
                  static_cast<long long>(run.sweep.replicates), cmd.output.c_str());
  }
  return kExitOk;
}

int sweep_on_rank(const SweepCommand& cmd, const MpiSession& session) {
  auto refuse = [&](const std::string& message) {
    if (session.root()) print_error(message);
    return kExitBadInput;
  };
  if (const std::string why = without_mpi_refusal(session, "run shards with --shard i/n"); !why.empty())
    return refuse(why);
  SweepRunOptions opts;
  if (!cmd.shard.empty() && !parse_shard(cmd.shard, opts.shard_index, opts.shard_count))
    return refuse(fmt::format("--shard: expected i/n with 1 <= i <= n (e.g. --shard 2/8), found \"{}\"", cmd.shard));
  io::Sweep sweep;
  try {
    sweep = io::load_sweep(cmd.file);
  } catch (const io::ScenarioError& e) {
    return refuse(e.what());
  }
  opts.output = cmd.output;
  opts.threads = cmd.threads;
  opts.per_replicate = cmd.per_replicate;
  opts.force = cmd.force;
  opts.quiet = cmd.quiet;
  opts.progress = cmd.progress;
  opts.command_line = cmd.command_line;
  return run_sweep(sweep, opts, session);
}

}  // namespace

bool parse_shard(const std::string& text, std::int64_t& index, std::int64_t& count) {
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == text.size() || text.size() > 20) return false;
  auto number = [](const std::string& s, std::int64_t& out) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
    out = std::stoll(s);
    return true;
  };
  std::int64_t i = 0, n = 0;
  if (!number(text.substr(0, slash), i) || !number(text.substr(slash + 1), n) || i < 1 || i > n) return false;
  index = i;
  count = n;
  return true;
}

void add_sweep_commands(CLI::App& cli, SweepCommands& c) {
  c.sweep_app = cli.add_subcommand(
      "sweep", "Run a parameter sweep (grid or Latin hypercube) over threads, MPI ranks (mpirun) or job-array "
               "shards; resumable (docs/sweeps.md)");
  c.sweep_app->add_option("file", c.sweep.file, "Sweep file (TOML)")->required();
  c.sweep_app->add_option("-o,--output", c.sweep.output, "Sweep file to write (HDF5)")->capture_default_str();
  c.sweep_app->add_option("-j,--threads", c.sweep.threads, "Threads (per rank under MPI; default: every core, "
                                                           "1 per rank under MPI)");
  c.sweep_app->add_option("--shard", c.sweep.shard, "Run shard i of n (units with unit % n == i-1) into -o; "
                                                    "join the shards with `harmsim merge`");
  auto* progress = c.sweep_app->add_flag("--progress", c.sweep.progress, "Progress on stderr even when it is not a "
                                                                         "terminal");
  auto* quiet = c.sweep_app->add_flag("-q,--quiet", c.sweep.quiet, "No progress or messages, only errors");
  progress->excludes(quiet);
  c.sweep_app->add_flag("--per-replicate", c.sweep.per_replicate,
                        "Also keep every replicate's daily series of every stratum");
  c.sweep_app->add_flag("--force", c.sweep.force, "Replace an existing output and discard checkpoints of another "
                                                  "sweep");

  c.merge_app = cli.add_subcommand("merge", "Join the shard files of a sweep into one sweep file "
                                            "(harmsim merge OUT shard1.h5 shard2.h5 ...)");
  c.merge_app->add_option("output", c.merge.output, "Sweep file to write (HDF5)")->required();
  c.merge_app->add_option("shards", c.merge.shards, "Shard files written by `harmsim sweep --shard i/n`")
      ->required();
  c.merge_app->add_flag("--force", c.merge.force, "Replace an existing output");
  c.merge_app->add_flag("-q,--quiet", c.merge.quiet, "Only errors");
}

int run_sweep_commands(SweepCommands& c, const std::string& command_line) {
  c.sweep.command_line = command_line;
  c.merge.command_line = command_line;
  if (c.sweep_app != nullptr && *c.sweep_app) return sweep_command(c.sweep);
  if (c.merge_app != nullptr && *c.merge_app) return merge_command(c.merge);
  return -1;
}

int run_sweep(const io::Sweep& sweep, const SweepRunOptions& cmd, const MpiSession& session) {
  const bool root = session.root();
  auto refuse = [&](const std::string& message) {
    if (root) print_error(message);
    return kExitBadInput;
  };
  SweepRun run;
  run.sweep = sweep;
  run.shard_index = cmd.shard_index;
  run.shard_count = cmd.shard_count;
  run.per_replicate = cmd.per_replicate;
  run.output = cmd.output;
  run.work = cmd.output + ".work";
  const std::string started_at = io::iso8601_utc_now();
  const unsigned threads =
      cmd.threads != 0 ? cmd.threads : session.active ? 1u : std::max(1u, std::thread::hardware_concurrency());
  std::string too_big;  // each rank checks its own machine's memory; they refuse together
  for (std::size_t k = 0; k < run.sweep.points() && too_big.empty(); ++k) {
    io::Scenario s = run.sweep.point_scenario(k);
    s.params.replicates = 1;  // a sweep keeps one replicate per thread in memory
    too_big = check_fits(s, threads, 0, session.node_ranks);
  }
  if (too_big = mpi_agreed_refusal(session, too_big); !too_big.empty()) return refuse(too_big);
  for (std::uint64_t unit = 0; unit < run.sweep.units(); ++unit)
    if (run.in_shard(unit)) run.shard_units.push_back(unit);

  const io::CheckpointDir checkpoints = run.checkpoints();
  io::JournalIndex finished(checkpoints);  // rank 0's view of the finished units
  std::vector<std::uint64_t> pending;
  // Rank 0 holds the output from here to the end (the other ranks only
  // append to the checkpoints it has prepared).
  std::optional<OutputLock> lock;
  int status = kProceed;
  if (root) {
    lock.emplace(run.output);
    if (const std::string busy = lock->acquire(); !busy.empty()) {
      print_error(busy);
      status = kExitBadInput;
    } else {
      status = prepare(cmd, run, checkpoints, finished, pending);
    }
  }
  status = mpi_broadcast(session, status);
  if (status != kProceed) return root ? status : kExitOk;

  install_interrupt_handlers();
  SweepProgress progress(cmd.label, static_cast<std::size_t>(run.replicates()), run.shard_units, pending,
                         root && !cmd.quiet && (cmd.progress || isatty(STDERR_FILENO) != 0));
  FirstFailure failure;
  status = distribute(
      session, pending, threads, [&] { return std::make_unique<SweepWorker>(run, checkpoints, failure); },
      [&](std::uint64_t unit) { progress.unit_done(unit); }, [] { return interrupted(); });
  status = mpi_broadcast(session, status);
  // Every rank's first failure to rank 0, which says the first in one line.
  const RankMessage first = mpi_first_message(session, failure.text);
  if (status == kExitInterrupted || interrupted()) {
    if (root) {
      if (!first.text.empty()) print_error(first.said(session));  // a unit failed before the interrupt came
      print_error(fmt::format("interrupted; the finished units are kept in {}; rerun the same command to resume",
                              run.work.string()));
    }
    return kExitInterrupted;
  }
  if (status != kExitOk) {
    if (root)
      print_error(fmt::format("{}; the finished units are kept in {}; rerun the same command to resume",
                              first.text.empty() ? std::string("sweep stopped") : first.said(session),
                              run.work.string()));
    return status;
  }
  if (!root) return kExitOk;
  progress.finish();
  return assemble(cmd, run, session, checkpoints, finished, started_at);
}

int sweep_command(const SweepCommand& cmd) {
  const MpiSession session = mpi_start();
  const int status = sweep_on_rank(cmd, session);
  mpi_stop(session);
  return status;
}

}  // namespace harmsim::app
