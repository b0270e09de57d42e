#include "app/distribute.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#ifdef HARMSIM_HAVE_MPI
// The C API only: OpenMPI's mpi.h otherwise pulls in its deprecated C++
// bindings, which MPI::MPI_C does not link.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace harmsim::app {

namespace {

// Units handed out from one list, in order, until the list ends or a stop.
class Dispenser {
 public:
  explicit Dispenser(const std::vector<std::uint64_t>& units) : units_(units) {}

  std::optional<std::uint64_t> take() {
    std::lock_guard lock(mutex_);
    if (stopped_ || next_ >= units_.size()) return std::nullopt;
    return units_[next_++];
  }
  void stop(int status) {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    if (status_ == 0) status_ = status;
  }
  [[nodiscard]] int status() {
    std::lock_guard lock(mutex_);
    return status_;
  }

 private:
  std::mutex mutex_;
  const std::vector<std::uint64_t>& units_;
  std::size_t next_ = 0;
  bool stopped_ = false;
  int status_ = 0;
};

using Clock = std::chrono::steady_clock;

// Runs the units next() gives on this thread until it gives none or one
// fails, syncing as kSyncEvery says; report() gets the units each sync made
// durable. Returns 0 or the first failure; the units run before a failure are
// synced and reported all the same (unless the sync is what failed).
int work(const MakeWorker& make_worker, const std::function<std::optional<std::uint64_t>()>& next,
         const std::function<void(const std::vector<std::uint64_t>&)>& report) {
  const std::unique_ptr<UnitWorker> worker = make_worker();
  std::vector<std::uint64_t> unsynced;
  Clock::time_point last_sync = Clock::now();
  bool sync_failed = false;
  auto sync = [&]() -> int {
    if (unsynced.empty()) return 0;
    if (const int status = worker->sync(); status != 0) {
      sync_failed = true;
      return status;
    }
    last_sync = Clock::now();
    report(unsynced);
    unsynced.clear();
    return 0;
  };
  int status = 0;
  while (const std::optional<std::uint64_t> unit = next()) {
    if ((status = worker->run(*unit)) != 0) break;
    unsynced.push_back(*unit);
    if (Clock::now() - last_sync >= kSyncEvery && (status = sync()) != 0) break;
  }
  const int last = sync_failed ? 0 : sync();
  return status != 0 ? status : last;
}

// Threads taking units from a dispenser; done() serialised by `done_mutex`.
std::vector<std::thread> start_workers(unsigned threads, Dispenser& dispenser, std::mutex& done_mutex,
                                       const MakeWorker& make_worker,
                                       const std::function<void(std::uint64_t)>& done) {
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&dispenser, &done_mutex, &make_worker, &done] {
      const int status = work(
          make_worker, [&] { return dispenser.take(); },
          [&](const std::vector<std::uint64_t>& units) {
            std::lock_guard lock(done_mutex);
            for (std::uint64_t unit : units) done(unit);
          });
      if (status != 0) dispenser.stop(status);
    });
  }
  return pool;
}

int run_threads(const std::vector<std::uint64_t>& units, unsigned threads, const MakeWorker& make_worker,
                const std::function<void(std::uint64_t)>& done, const std::function<bool()>& stop) {
  Dispenser dispenser(units);
  std::mutex done_mutex;
  threads = static_cast<unsigned>(std::clamp<std::size_t>(units.size(), 1, std::max(1u, threads)));
  std::vector<std::thread> pool = start_workers(threads, dispenser, done_mutex, make_worker, done);
  // The interrupt flag is also checked inside every running unit; here it
  // only stops new units from starting.
  std::thread watcher;
  std::atomic<bool> finished{false};
  watcher = std::thread([&] {
    while (!finished.load()) {
      if (stop()) dispenser.stop(130);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  for (std::thread& t : pool) t.join();
  finished = true;
  watcher.join();
  return dispenser.status();
}

#ifdef HARMSIM_HAVE_MPI

// Messages to rank 0 are int64: {kRequest}, {kFinished, unit...} (the units
// one sync of a thread made durable), {kExit, status}; replies one int64,
// a unit or -1 for none left.
enum : std::int64_t { kRequest = 0, kFinished = 1, kExit = 2 };
constexpr int kTagToRoot = 11;
constexpr int kTagReply = 12;
// Naps of a main thread waiting for a message: short after one came, twice as
// long after each look that found none, up to the longest, so that idle
// ranks wake a thousand times a second rather than five thousand (each wake
// takes a little of a core the workers need). A worker rank keeps one unit
// more than its waiting threads in hand, so the wait for rank 0's reply is
// hidden behind a running unit of a millisecond or more.
constexpr auto kNapShortest = std::chrono::microseconds(25);
constexpr auto kNapLongest = std::chrono::microseconds(1000);
// How often a worker rank's main thread with nothing to do looks at stop().
constexpr auto kStopCheck = std::chrono::milliseconds(20);

std::chrono::microseconds longer(std::chrono::microseconds nap) { return std::min(nap * 2, kNapLongest); }

int run_root(const MpiSession& session, const std::vector<std::uint64_t>& units, unsigned threads,
             const MakeWorker& make_worker, const std::function<void(std::uint64_t)>& done,
             const std::function<bool()>& stop) {
  Dispenser dispenser(units);
  std::mutex done_mutex;
  std::vector<std::thread> pool = start_workers(threads, dispenser, done_mutex, make_worker, done);
  int exited = 0;
  std::chrono::microseconds nap = kNapShortest;
  std::vector<std::int64_t> message;
  while (exited < session.size - 1) {
    if (stop()) dispenser.stop(130);
    int flag = 0;
    MPI_Status status;
    MPI_Iprobe(MPI_ANY_SOURCE, kTagToRoot, MPI_COMM_WORLD, &flag, &status);
    if (flag == 0) {
      std::this_thread::sleep_for(nap);
      nap = longer(nap);
      continue;
    }
    nap = kNapShortest;
    int count = 0;
    MPI_Get_count(&status, MPI_INT64_T, &count);
    message.assign(static_cast<std::size_t>(std::max(count, 2)), 0);
    MPI_Recv(message.data(), count, MPI_INT64_T, status.MPI_SOURCE, kTagToRoot, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (message[0] == kRequest) {
      const std::optional<std::uint64_t> unit = dispenser.take();
      std::int64_t reply = unit ? static_cast<std::int64_t>(*unit) : -1;
      MPI_Send(&reply, 1, MPI_INT64_T, status.MPI_SOURCE, kTagReply, MPI_COMM_WORLD);
    } else if (message[0] == kFinished) {
      std::lock_guard lock(done_mutex);
      for (int i = 1; i < count; ++i) done(static_cast<std::uint64_t>(message[static_cast<std::size_t>(i)]));
    } else {
      ++exited;
      if (message[1] != 0) dispenser.stop(static_cast<int>(message[1]));
    }
  }
  for (std::thread& t : pool) t.join();
  return dispenser.status();
}

int run_worker(const MakeWorker& make_worker, unsigned threads, const std::function<bool()>& stop) {
  std::mutex mutex;
  std::condition_variable changed;
  unsigned waiting = 0, live = threads;
  std::deque<std::uint64_t> ready;        // units from rank 0 not yet taken
  std::vector<std::uint64_t> finished;    // synced, not yet reported to rank 0
  bool no_more = false;                   // nothing more will come from rank 0
  int failure = 0;
  // Stops handing out units after a failure or an interrupt.
  auto stop_now = [&](int status) {
    if (failure == 0) failure = status;
    no_more = true;
    ready.clear();
    changed.notify_all();
  };

  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      const int status = work(
          make_worker,
          [&]() -> std::optional<std::uint64_t> {
            std::unique_lock lock(mutex);
            ++waiting;
            changed.notify_all();
            changed.wait(lock, [&] { return !ready.empty() || no_more; });
            --waiting;
            if (ready.empty()) return std::nullopt;
            const std::uint64_t unit = ready.front();
            ready.pop_front();
            changed.notify_all();
            return unit;
          },
          [&](const std::vector<std::uint64_t>& units) {
            std::lock_guard lock(mutex);
            finished.insert(finished.end(), units.begin(), units.end());
            changed.notify_all();
          });
      std::lock_guard lock(mutex);
      if (status != 0) stop_now(status);
      --live;
      changed.notify_all();
    });
  }

  // The broker: keeps one unit more than the waiting threads in hand, so a
  // thread that finishes starts its next unit without a round trip to rank
  // 0, and tells rank 0 of the units its threads finished. It sleeps until a
  // thread needs it; only while a request is out does it look for the reply.
  bool asking = false;
  std::int64_t reply = -1;
  MPI_Request request = MPI_REQUEST_NULL;
  std::chrono::microseconds nap = kNapShortest;
  std::vector<std::int64_t> message;
  for (;;) {
    std::vector<std::uint64_t> report;
    bool want = false, all_exited = false;
    {
      std::unique_lock lock(mutex);
      auto wanted = [&] { return !no_more && !asking && ready.size() < waiting + 1; };
      auto something_to_do = [&] { return !finished.empty() || live == 0 || wanted(); };
      if (asking) changed.wait_for(lock, nap, something_to_do);
      else changed.wait_for(lock, kStopCheck, something_to_do);
      if (!no_more && stop()) stop_now(130);
      report.swap(finished);
      want = wanted();
      all_exited = live == 0;
    }
    if (!report.empty()) {
      message.assign(1, kFinished);
      for (std::uint64_t unit : report) message.push_back(static_cast<std::int64_t>(unit));
      MPI_Send(message.data(), static_cast<int>(message.size()), MPI_INT64_T, 0, kTagToRoot, MPI_COMM_WORLD);
    }
    if (asking) {
      int flag = 0;
      MPI_Test(&request, &flag, MPI_STATUS_IGNORE);
      if (flag != 0) {
        asking = false;
        std::lock_guard lock(mutex);
        if (reply < 0) no_more = true;
        else if (!no_more) ready.push_back(static_cast<std::uint64_t>(reply));
        changed.notify_all();
      } else {
        nap = longer(nap);
      }
    } else if (all_exited) {
      break;
    } else if (want) {
      const std::int64_t ask = kRequest;
      MPI_Irecv(&reply, 1, MPI_INT64_T, 0, kTagReply, MPI_COMM_WORLD, &request);
      MPI_Send(&ask, 1, MPI_INT64_T, 0, kTagToRoot, MPI_COMM_WORLD);
      asking = true;
      nap = kNapShortest;
    }
  }
  for (std::thread& t : pool) t.join();
  std::int64_t exit_message[2] = {kExit, failure};
  MPI_Send(exit_message, 2, MPI_INT64_T, 0, kTagToRoot, MPI_COMM_WORLD);
  return failure;
}

#endif  // HARMSIM_HAVE_MPI

}  // namespace

int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"}) {
    if (const char* value = std::getenv(name); value != nullptr) {
      const int n = std::atoi(value);
      if (n > 0) return n;
    }
  }
  return std::getenv("PMIX_RANK") != nullptr || std::getenv("PMI_RANK") != nullptr ? 2 : 1;
}

std::string without_mpi_refusal(const MpiSession& session, std::string_view instead) {
  if (session.active || launched_ranks() <= 1) return {};
  return "started as one of several MPI ranks, but this harmsim was built without MPI; rebuild with "
         "libopenmpi-dev installed, or " +
         std::string(instead);
}

MpiSession mpi_start() {
  MpiSession session;
#ifdef HARMSIM_HAVE_MPI
  const bool launched = std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
                        std::getenv("PMI_RANK") != nullptr || std::getenv("PMIX_RANK") != nullptr;
  if (!launched) return session;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  session.active = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &session.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &session.size);
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  if (node != MPI_COMM_NULL) {
    MPI_Comm_size(node, &session.node_ranks);
    MPI_Comm_free(&node);
  }
#else
  for (const char* name : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"}) {
    if (const char* value = std::getenv(name); value != nullptr) {
      session.rank = std::atoi(value);
      break;
    }
  }
  session.size = launched_ranks();
#endif
  return session;
}

void mpi_stop([[maybe_unused]] const MpiSession& session) {
#ifdef HARMSIM_HAVE_MPI
  if (session.active) MPI_Finalize();
#endif
}

int mpi_broadcast([[maybe_unused]] const MpiSession& session, int value) {
#ifdef HARMSIM_HAVE_MPI
  if (session.active) MPI_Bcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
  return value;
}

RankMessage mpi_first_message([[maybe_unused]] const MpiSession& session, const std::string& mine) {
#ifdef HARMSIM_HAVE_MPI
  if (session.active) {
    const int length = static_cast<int>(mine.size());
    std::vector<int> lengths(session.root() ? static_cast<std::size_t>(session.size) : 0);
    MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> offsets(lengths.size());
    std::string all;
    if (session.root()) {
      for (std::size_t r = 0, at = 0; r < lengths.size(); at += static_cast<std::size_t>(lengths[r]), ++r)
        offsets[r] = static_cast<int>(at);
      all.resize(lengths.empty() ? 0 : static_cast<std::size_t>(offsets.back() + lengths.back()));
    }
    MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(), MPI_CHAR, 0,
                MPI_COMM_WORLD);
    if (!session.root()) return {};
    for (std::size_t r = 0; r < lengths.size(); ++r)
      if (lengths[r] > 0)
        return {all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])),
                static_cast<int>(r)};
    return {};
  }
#endif
  return {mine, 0};
}

std::string mpi_agreed_refusal(const MpiSession& session, const std::string& mine) {
  if (!session.active) return mine;
  const RankMessage first = mpi_first_message(session, mine);
  const int refused = mpi_broadcast(session, first.text.empty() ? 0 : 1);
  if (refused == 0) return {};
  return session.root() ? first.said(session) : std::string("refused on another rank");
}

int mpi_broadcast_patient([[maybe_unused]] const MpiSession& session, int value) {
#ifdef HARMSIM_HAVE_MPI
  if (session.active) {
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_Ibcast(&value, 1, MPI_INT, 0, MPI_COMM_WORLD, &request);
    // A look every 10 ms: nothing next to a fit of seconds.
    for (int done = 0;;) {
      MPI_Test(&request, &done, MPI_STATUS_IGNORE);
      if (done != 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
#endif
  return value;
}

void mpi_broadcast_doubles([[maybe_unused]] const MpiSession& session, [[maybe_unused]] std::vector<double>& values) {
#ifdef HARMSIM_HAVE_MPI
  if (!session.active) return;
  std::uint64_t size = values.size();
  MPI_Bcast(&size, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  values.resize(static_cast<std::size_t>(size));
  if (size > 0) MPI_Bcast(values.data(), static_cast<int>(size), MPI_DOUBLE, 0, MPI_COMM_WORLD);
#endif
}

int distribute([[maybe_unused]] const MpiSession& session, const std::vector<std::uint64_t>& units, unsigned threads,
               const MakeWorker& make_worker, const std::function<void(std::uint64_t)>& done,
               const std::function<bool()>& stop) {
  threads = std::max(1u, threads);
#ifdef HARMSIM_HAVE_MPI
  if (session.active && session.size > 1) {
    if (session.root()) return run_root(session, units, threads, make_worker, done, stop);
    return run_worker(make_worker, threads, stop);
  }
#endif
  return run_threads(units, threads, make_worker, done, stop);
}

}  // namespace harmsim::app
