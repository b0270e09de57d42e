#pragma once
// Spreading independent work units over threads, and over MPI ranks when the
// program was started by mpirun or srun (docs/sweeps.md, "Scaling").
//
// Under MPI, rank 0 hands out unit indices one at a time on request
// (master/worker): it sends messages of a few bytes and never touches the
// results, which each rank writes itself. Every rank runs `threads` worker
// threads; only each rank's main thread calls MPI (MPI_THREAD_FUNNELED). Open
// MPI's blocking calls spin, so the main threads never block in MPI while
// units run: rank 0 polls with naps that lengthen while nothing comes, and
// the others sleep on a condition variable until their threads need a unit
// or have finished some, so they leave the cores to the workers.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace harmsim::app {

struct MpiSession {
  bool active = false;  // MPI_Init was called
  int rank = 0;
  int size = 1;
  int node_ranks = 1;  // ranks on this machine, this one included (they share its memory)
  [[nodiscard]] bool root() const noexcept { return rank == 0; }
};

// Initialises MPI when this process is one rank of a launched job
// (OMPI_COMM_WORLD_SIZE, PMI_SIZE, PMIX_RANK ... in the environment) and the
// program was built with MPI; otherwise a session of one inactive rank (in
// a launched job, of a program built without MPI: with the rank and size
// the environment gives, so that only rank 0 says why it refuses to run).
MpiSession mpi_start();
// MPI_Finalize when active.
void mpi_stop(const MpiSession& session);
// The number of ranks the environment says were launched (1 when none), to
// refuse running many copies of a program built without MPI.
int launched_ranks();
// The line that refuses to run as one of several launched ranks when this
// program was built without MPI, ending with what to do `instead`; empty
// when there is nothing to refuse (MPI is active, or one process runs).
[[nodiscard]] std::string without_mpi_refusal(const MpiSession& session, std::string_view instead);
// Rank 0's value on every rank (the value itself when inactive).
int mpi_broadcast(const MpiSession& session, int value);
// The same for a wait of seconds or minutes (calibration's fit step runs on
// rank 0 while the others wait): the other ranks nap between looks instead
// of spinning in a blocking call, leaving their cores to rank 0's work.
int mpi_broadcast_patient(const MpiSession& session, int value);
// Rank 0's numbers on every rank (resized on the others).
void mpi_broadcast_doubles(const MpiSession& session, std::vector<double>& values);
// On rank 0, the first non-empty `mine` of any rank in rank order, and that
// rank (an empty text when every rank's is empty); on the other ranks an
// empty text. Every rank calls it (a collective). Lets rank 0 say in one
// line why a run stopped, whichever rank failed.
struct RankMessage {
  std::string text;
  int rank = 0;
  // The text as rank 0 says it: after "rank N of M: " when another rank's.
  [[nodiscard]] std::string said(const MpiSession& session) const {
    return rank == 0 ? text : "rank " + std::to_string(rank) + " of " + std::to_string(session.size) + ": " + text;
  }
};
RankMessage mpi_first_message(const MpiSession& session, const std::string& mine);
// The first failure of a rank's worker threads (the first set() wins), kept
// to be said once they have all stopped: by rank 0, for every rank
// (mpi_first_message), in one line.
struct FirstFailure {
  std::mutex mutex;
  std::string text;
  bool keeps = false;  // the finished units are kept: the line says so
  void set(std::string message, bool units_kept) {
    std::lock_guard lock(mutex);
    if (!text.empty()) return;
    text = std::move(message);
    keeps = units_kept;
  }
};
// For a check each rank makes of its own machine (its memory): on rank 0 the
// first refusal of any rank as said(), on the other ranks a non-empty text
// when any rank refused, so that every rank stops, or goes on, together (a
// rank that returned alone would leave the others waiting in MPI). A
// collective.
std::string mpi_agreed_refusal(const MpiSession& session, const std::string& mine);

// What one worker thread does with the units it is given. Both return 0, or
// an exit status that stops the distribution (they report their own error).
class UnitWorker {
 public:
  virtual ~UnitWorker() = default;
  // Runs a unit and keeps its result (it must survive the process being
  // killed once this returns).
  virtual int run(std::uint64_t unit) = 0;
  // Makes every unit run so far durable (it must survive a crash of the
  // machine once this returns).
  virtual int sync() = 0;
};
using MakeWorker = std::function<std::unique_ptr<UnitWorker>()>;

// A thread syncs once at least this long has passed since its last sync, when
// a unit finishes, and when it stops: one sync per unit of 0.5 s or more, one
// per 0.5 s of smaller units (an fsync costs about as much as a 3 ms unit
// here; docs/performance.md). A unit counts as finished (done() is called,
// rank 0 is told) only after a sync that covers it.
inline constexpr std::chrono::milliseconds kSyncEvery{500};

// Runs each of `units` (significant on rank 0 only) once, somewhere, each
// thread with its own make_worker(). done(unit) is called on rank 0 for every
// unit finished (run and synced) on any rank, one call at a time. stop() is
// polled on every rank: true stops handing out units (an interrupt).
// Returns 0 when every unit ran, else the first non-zero status (on rank 0:
// of any rank; on other ranks: their own). Units run before a failure or a
// stop are synced and reported.
int distribute(const MpiSession& session, const std::vector<std::uint64_t>& units, unsigned threads,
               const MakeWorker& make_worker, const std::function<void(std::uint64_t)>& done,
               const std::function<bool()>& stop);

}  // namespace harmsim::app
