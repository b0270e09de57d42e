#include "app/runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "app/commands.hpp"
#include "app/distribute.hpp"
#include "core/rng.hpp"
#include "model/simulation.hpp"

namespace harmsim::app {

namespace {

volatile sig_atomic_t g_signal = 0;

// The program and its libraries (HDF5, zlib, MPI's when built with it):
// the peak of a run of one small replicate is 23 MiB.
constexpr double kProgramBytes = 32.0 * 1048576.0;

extern "C" void on_signal(int sig) { g_signal = sig; }

// Checked once per simulated day by every running replicate.
void check_interrupt(void*, std::int64_t, std::int64_t) {
  if (g_signal != 0) throw Interrupted();
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() { return g_signal != 0; }
int interrupt_signal() { return g_signal; }

ProgressLine::ProgressLine(std::string label, std::size_t total, std::size_t done_before, bool enabled)
    : label_(std::move(label)), total_(total), done_(done_before), before_(done_before), enabled_(enabled) {
  draw(done_ == total_);
}

void ProgressLine::unit_done() {
  ++done_;
  draw(done_ == total_);
}

void ProgressLine::draw(bool last) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!last && done_ != before_ && now - drawn_ < std::chrono::milliseconds(200)) return;
  drawn_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  // The rate of the replicates run now, not of those a resumed run found.
  const double rate = elapsed > 0 ? static_cast<double>(done_ - before_) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1.0;  // -1: "?"
  std::fprintf(stderr, "\r%s: replicate %zu/%zu  %.1f/s  ETA %s   ", label_.c_str(), done_, total_, rate,
               done_ == total_ ? "0s" : duration_text(eta).c_str());
  if (last) std::fputc('\n', stderr);
  std::fflush(stderr);
}

model::ReplicateResult run_replicate(const io::Scenario& s, const model::Params& params,
                                     const model::Interventions& interventions, std::size_t r,
                                     model::ReplicateStorage* storage) {
  const std::uint64_t seed =
      core::stream_seed(static_cast<std::uint64_t>(s.params.seed), s.name, static_cast<std::uint64_t>(r));
  model::Simulation sim(params, interventions, seed,
                        storage != nullptr ? std::move(*storage) : model::ReplicateStorage{});
  model::ReplicateResult result = sim.run(check_interrupt, nullptr);
  if (storage != nullptr) *storage = sim.take_storage();
  result.replicate = r;
  return result;
}

namespace {

// A thread's worker for distribute(): runs a unit with `run` on the thread's
// replicate storage; nothing to sync.
class CallWorker final : public UnitWorker {
 public:
  using Run = std::function<int(std::uint64_t, model::ReplicateStorage&)>;
  explicit CallWorker(const Run& run) : run_(run) {}
  int run(std::uint64_t unit) override { return run_(unit, storage_); }
  int sync() override { return 0; }

 private:
  const Run& run_;
  model::ReplicateStorage storage_;
};

}  // namespace

std::vector<model::ReplicateResult> run_scenario(const io::Scenario& s, const RunOptions& opts,
                                                 const std::string& label) {
  std::vector<model::ReplicateResult> results(static_cast<std::size_t>(s.params.replicates));
  const model::Interventions interventions = policy::compile(s.policies, s.params);
  std::vector<std::uint64_t> units(results.size());
  std::iota(units.begin(), units.end(), std::uint64_t{0});
  const unsigned threads =
      opts.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : opts.threads;

  ProgressLine progress(label, results.size(), 0, opts.progress);
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const CallWorker::Run run = [&](std::uint64_t unit, model::ReplicateStorage& storage) {
    try {
      results[unit] = run_replicate(s, s.params, interventions, static_cast<std::size_t>(unit), &storage);
      return 0;
    } catch (...) {
      std::lock_guard lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      return 1;
    }
  };
  const int status = distribute(
      MpiSession{}, units, threads, [&] { return std::make_unique<CallWorker>(run); },
      [&](std::uint64_t) { progress.unit_done(); },
      [] { return interrupted(); });
  if (failure) std::rethrow_exception(failure);
  if (status != 0) throw Interrupted();  // stopped before every unit ran, with no unit failing
  return results;
}

std::uint64_t physical_memory() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page) : 0;
}

std::uint64_t memory_needed(const io::Scenario& s, unsigned threads, std::int64_t run_replicates, int ranks) {
  const model::Params& p = s.params;
  const double workers = static_cast<double>(p.workers) * 1.25;  // room for entrants
  const double state = workers * (model::Workers::bytes_per_worker() + 24.0 * 3)  // + pending events
                       + static_cast<double>(p.buyers) * 5.0 + static_cast<double>(p.exploiters) * 13.0;
  const double metrics = static_cast<double>(model::kMetricCount);
  const double strata = static_cast<double>(model::strata_count(static_cast<std::size_t>(p.communities)));
  const double series = metrics * static_cast<double>(p.days) * strata * 4.0;
  const double processes = std::max(1, ranks);
  const double thread_count = static_cast<double>(std::max(1u, threads)) * processes;  // on this machine
  // Series in memory at the peak: while the scenario is written, each of its
  // replicates read back from its unit file; on each thread, the replicate
  // running, its unit record, and the record's bytes before and after
  // deflate (while a unit is written, or read back). Runs whose series
  // dominate peaked at 0.90 to 0.93 of the estimate, the 50-draw posterior
  // run at 0.92 (docs/performance.md "Calibration and posterior runs").
  const double series_held = static_cast<double>(p.replicates) + 4.0 * thread_count;
  // What is kept of every replicate of the run for the tables once its
  // scenario is written: totals in every stratum and the rest of a
  // ReplicateResult (exposure tables, totals).
  const double kept = metrics * strata * 8.0 + static_cast<double>(sizeof(model::ReplicateResult));
  const double total = kProgramBytes * processes + state * thread_count + series * series_held * 1.1 +
                       kept * static_cast<double>(std::max(run_replicates, p.replicates));
  return total >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(total);
}

std::string check_fits(const io::Scenario& s, unsigned threads, std::int64_t run_replicates, int ranks) {
  const std::uint64_t need = memory_needed(s, threads, run_replicates, ranks);
  const std::uint64_t have = physical_memory();
  if (have == 0 || need <= have / 10 * 9) return {};
  return fmt::format(
      "scenario `{}` ({}) needs about {:.1f} GiB of memory ({} workers, {} buyers, {} days, {} replicates, {} "
      "strata on {} threads{}), but this machine has {:.1f} GiB; reduce population.workers, population.buyers, "
      "simulation.days, simulation.replicates or population.communities, or run fewer threads (-j){}",
      s.name, s.source, static_cast<double>(need) / 1073741824.0, s.params.workers, s.params.buyers, s.params.days,
      s.params.replicates, model::strata_count(static_cast<std::size_t>(s.params.communities)), std::max(1u, threads),
      ranks > 1 ? fmt::format(" in each of {} MPI ranks on it", ranks) : "", static_cast<double>(have) / 1073741824.0,
      ranks > 1 ? " or fewer ranks per machine" : "");
}

OutputLock::OutputLock(std::filesystem::path output) : output_(std::move(output)) {
  path_ = output_;
  path_ += ".lock";
}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(path_.c_str());  // before the lock goes, so that nobody takes over a file about to vanish
  ::close(fd_);
}

std::string OutputLock::acquire() {
  for (int attempt = 0; attempt < 3 && fd_ < 0; ++attempt) {
    const int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return {};
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      ::close(fd);
      if (error != EWOULDBLOCK) return {};  // no locks on this filesystem: cannot tell
      return fmt::format("{} is being written by another harmsim process ({} is held); wait for it to finish, or "
                         "choose another name",
                         output_.string(), path_.string());
    }
    // The holder that just let go may have removed the file, and another
    // process made a new one: the lock counts only on the file of that name.
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(path_.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
        held.st_ino == named.st_ino)
      fd_ = fd;
    else
      ::close(fd);
  }
  return {};
}

std::string being_written(const std::filesystem::path& output) {
  std::filesystem::path path = output;
  path += ".lock";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // (and with it a shared lock it took)
  if (!held) return {};
  return fmt::format("{} is being written by another harmsim process ({} is held)", output.string(), path.string());
}

std::string remove_checkpoints_of_complete(const io::CheckpointDir& checkpoints, const std::string& output) {
  try {
    checkpoints.remove();
    return {};
  } catch (const io::IoError& e) {
    return fmt::format("warning: {}; {} is complete, remove the directory by hand", e.what(), output);
  }
}

std::string size_text(double bytes) {
  const char* unit = "KiB";
  double scale = 1024.0;
  for (const char* larger : {"MiB", "GiB", "TiB"}) {
    if (bytes < scale * 1024.0) break;
    scale *= 1024.0;
    unit = larger;
  }
  return fmt::format("{:.1f} {}", std::ceil(bytes / scale * 10.0) / 10.0, unit);
}

bool out_of_room(std::string_view message) {
  for (const int error : {ENOSPC, EDQUOT, EFBIG})
    if (message.find(std::strerror(error)) != std::string_view::npos) return true;
  return false;
}

std::string check_disk_room(double need, const std::filesystem::path& work, const std::filesystem::path& output,
                            std::string_view what) {
  const std::filesystem::path directory = output.has_parent_path() ? output.parent_path() : ".";
  struct statvfs disk {};
  if (::statvfs(directory.c_str(), &disk) != 0) return {};  // the output file will say why
  const double available = static_cast<double>(disk.f_bavail) * static_cast<double>(disk.f_frsize);
  if (need <= available) return {};
  // Both in the unit of the larger, to 0.1: what is needed rounded up, what
  // is free rounded down, so that they never read alike.
  const char* unit = "KiB";
  double scale = 1024.0;
  for (const char* larger : {"MiB", "GiB", "TiB"}) {
    if (need < scale * 1024.0) break;
    scale *= 1024.0;
    unit = larger;
  }
  return fmt::format("{} needs {:.1f} {} for {}, but {} has {:.1f} {} free; free space, or write elsewhere with -o",
                     work.string(), std::ceil(need / scale * 10.0) / 10.0, unit, what, directory.string(),
                     std::floor(available / scale * 10.0) / 10.0, unit);
}

}  // namespace harmsim::app
