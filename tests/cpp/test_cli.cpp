// The harmsim program itself (HARMSIM_BINARY), run as a user would in a
// scratch directory: exit codes, one-line errors, never clobbering or
// half-writing a results file, and bit-identical results across runs and
// thread counts.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <hdf5.h>

#include "app/runner.hpp"
#include "core/rng.hpp"
#include "h5_contents.hpp"
#include "io/checkpoint.hpp"
#include "model/metrics.hpp"
#include "mpirun.hpp"
#include "run_harmsim.hpp"
#include "scratch_dir.hpp"

namespace fs = std::filesystem;

using harmsim::test::check_identical;
using harmsim::test::difference;
using harmsim::test::H5Contents;
using harmsim::test::H5Id;
using harmsim::test::have_mpirun;
using harmsim::test::mpirun;
using harmsim::test::Outcome;
using harmsim::test::read_file;
using harmsim::test::read_h5_contents;
using harmsim::test::run_harmsim;
using harmsim::test::ScratchDir;
using harmsim::test::shell_quote;
using harmsim::test::SmallDisk;

namespace {

// Small enough to run in a second or two, with a policy so operations run too.
constexpr std::string_view kSmallScenario = R"(
[simulation]
days = 20
warmup_days = 5
replicates = 2
seed = 12345

[population]
workers = 200
buyers = 2000
exploiters = 40
venues = 5

[[scenario]]
name = "small_base"

[[scenario]]
name = "small_stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 5
areas = [0, 1]
)";

std::vector<float> as_floats(const std::string& bytes) {
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
  return out;
}

// --- runs that are stopped half-way ------------------------------------------

// Slow enough to stop half-way (about 0.03 s a replicate in a release build,
// a few times more under the sanitizers), small enough to finish in under a
// second: 2 scenarios x 8 replicates = 16 units.
constexpr std::string_view kSlowScenario = R"(
[simulation]
days = 40
warmup_days = 10
replicates = 8
seed = 777

[population]
workers = 2000
buyers = 20000
exploiters = 100
venues = 10

[[scenario]]
name = "slow_base"

[[scenario]]
name = "slow_stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 10
areas = [0, 1]
)";

// Finished replicates kept in a run's checkpoint directory (OUTPUT.work).
std::size_t count_unit_files(const fs::path& work) {
  std::size_t n = 0;
  std::error_code ignored;
  for (const auto& entry : fs::recursive_directory_iterator(work, ignored))
    if (entry.path().extension() == ".unit") ++n;
  return n;
}

// `harmsim ARGS` started in `dir` with stderr to dir/.stderr and stdout to
// /dev/null; `limit_file_bytes` > 0 sets RLIMIT_FSIZE in the child (as
// `ulimit -f` does; SIGXFSZ left at its default, which would end a program
// that did not ignore it).
pid_t start_harmsim(const ScratchDir& dir, const std::vector<std::string>& args, rlim_t limit_file_bytes = 0) {
  const std::string err = (dir.path() / ".stderr").string();
  std::vector<std::string> argv_text = {HARMSIM_BINARY};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    const int null = ::open("/dev/null", O_RDWR);
    const int error_file = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (null < 0 || error_file < 0) _exit(127);
    dup2(null, 0);
    dup2(null, 1);
    dup2(error_file, 2);
    if (limit_file_bytes > 0) {
      signal(SIGXFSZ, SIG_DFL);
      const rlimit limit{limit_file_bytes, limit_file_bytes};
      if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(127);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  return child;
}

// Waits until `work` holds at least `units` finished replicates (or 60 s pass).
void wait_for_units(const fs::path& work, std::size_t units) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_unit_files(work) < units && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

// Waits for `child`; its exit code, or 1000 + the signal that ended it.
int wait_for(pid_t child) {
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

// The root attribute `complete` of an HDF5 file, or -1 if it has none.
std::int64_t complete_flag(const fs::path& file) {
  REQUIRE(H5Fis_hdf5(file.c_str()) > 0);
  const H5Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (H5Aexists(f.id, "complete") <= 0) return -1;
  const H5Id attribute(H5Aopen(f.id, "complete", H5P_DEFAULT), H5Aclose);
  std::int64_t value = 0;
  REQUIRE(H5Aread(attribute.id, H5T_NATIVE_INT64, &value) >= 0);
  return value;
}

}  // namespace

TEST_CASE("harmsim validate on a bad file exits 2 with one line naming the file and the key", "[cli]") {
  ScratchDir dir("cli");
  dir.write("bad.toml", "[[policy]]\ntype = \"street_sting\"\noficers = 3\n");
  const Outcome o = run_harmsim(dir, "validate bad.toml");
  CHECK(o.exit_code == 2);
  const auto lines = o.err_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("bad.toml:3:1") != std::string::npos);
  CHECK(lines[0].find("street_sting.oficers") != std::string::npos);
  CHECK(lines[0].find("did you mean `officers`?") != std::string::npos);
  CHECK(o.out.empty());

  dir.write("good.toml", kSmallScenario);
  const Outcome good = run_harmsim(dir, "validate good.toml");
  CHECK(good.exit_code == 0);
  CHECK(good.err.empty());
  CHECK(good.out.find("small_stings") != std::string::npos);

  const Outcome missing = run_harmsim(dir, "validate no_such_file.toml");
  CHECK(missing.exit_code == 2);
  REQUIRE(missing.err_lines().size() == 1);
  CHECK(missing.err.find("no_such_file.toml") != std::string::npos);
}

TEST_CASE("harmsim run writes results.h5, refuses to overwrite it without --force, and replaces it with it",
          "[cli]") {
  ScratchDir dir("cli");
  dir.write("small.toml", kSmallScenario);
  const fs::path results = dir.path() / "results.h5";

  const Outcome first = run_harmsim(dir, "run -q -j 2 small.toml");
  REQUIRE(first.exit_code == 0);
  REQUIRE(fs::is_regular_file(results));
  CHECK(dir.entries() == std::set<std::string>{"results.h5", "small.toml"});  // no .partial left
  CHECK(first.out.find("small_stings") != std::string::npos);
  CHECK(first.out.find("results.h5") != std::string::npos);
  // Two scenarios: the last line points to the report, which leads with the effects.
  const std::string pointer = "harmsim report results.h5 -o report.html\n";
  CHECK(first.out.rfind(pointer) == first.out.size() - pointer.size());
  const std::string written = read_file(results);
  const auto written_time = fs::last_write_time(results);

  SECTION("again without --force: exit 2, one line, the file untouched") {
    const Outcome again = run_harmsim(dir, "run -q -j 2 small.toml");
    CHECK(again.exit_code == 2);
    const auto lines = again.err_lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("results.h5") != std::string::npos);
    CHECK(lines[0].find("--force") != std::string::npos);
    CHECK(difference(read_file(results), written) == "");
    CHECK(fs::last_write_time(results) == written_time);
    CHECK(dir.entries() == std::set<std::string>{"results.h5", "small.toml"});
  }
  SECTION("with --force: replaced by a complete new file") {
    dir.write("results.h5", "not a results file");
    const Outcome forced = run_harmsim(dir, "run -q -j 2 --force small.toml");
    CHECK(forced.exit_code == 0);
    CHECK(dir.entries() == std::set<std::string>{"results.h5", "small.toml"});
    const H5Contents before = [&] {
      dir.write("first.h5", written);
      H5Contents c = read_h5_contents(dir.path() / "first.h5");
      fs::remove(dir.path() / "first.h5");
      return c;
    }();
    check_identical(read_h5_contents(results), before);
  }
}

TEST_CASE("harmsim run with an output path it cannot write exits non-zero naming the path and leaves nothing",
          "[cli]") {
  ScratchDir dir("cli");
  dir.write("small.toml", kSmallScenario);

  const Outcome o = run_harmsim(dir, "run -q -j 1 -o /nonexistent/dir/r.h5 small.toml");
  CHECK(o.exit_code != 0);
  CHECK(o.exit_code != 2);  // not bad input: a failure to write (docs/errors.md exit codes)
  const auto lines = o.err_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("/nonexistent/dir/r.h5") != std::string::npos);
  CHECK_FALSE(fs::exists("/nonexistent/dir"));
  CHECK(dir.entries() == std::set<std::string>{"small.toml"});

  if (geteuid() != 0) {  // root writes anywhere
    SECTION("a directory without write permission") {
      const fs::path locked = dir.path() / "locked";
      fs::create_directory(locked);
      fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec);
      const Outcome denied = run_harmsim(dir, "run -q -j 1 -o locked/r.h5 small.toml");
      CHECK(denied.exit_code == 1);
      REQUIRE(denied.err_lines().size() == 1);
      CHECK(denied.err.find("locked/r.h5") != std::string::npos);
      fs::permissions(locked, fs::perms::owner_all);
      CHECK(fs::is_empty(locked));
    }
  }
}

TEST_CASE("harmsim --version prints the version", "[cli]") {
  ScratchDir dir("cli");
  const Outcome o = run_harmsim(dir, "--version");
  CHECK(o.exit_code == 0);
  CHECK(o.out.rfind(std::string("harmsim ") + HARMSIM_VERSION, 0) == 0);
}

TEST_CASE("harmsim params lists every parameter, rate_per_day among them", "[cli]") {
  ScratchDir dir("cli");
  const Outcome o = run_harmsim(dir, "params");
  CHECK(o.exit_code == 0);
  CHECK(o.out.find("rate_per_day") != std::string::npos);
  CHECK(o.out.find("officers") != std::string::npos);  // policy parameters too
}

TEST_CASE("harmsim report --help shows the report's own options", "[cli]") {
  // (report hands its arguments to the analysis script: a help of its own
  // would list none of them.)
  ScratchDir dir("cli");
  for (const char* help : {"report --help", "report -h"}) {
    const Outcome o = run_harmsim(dir, help);
    CHECK(o.exit_code == 0);
    CHECK(o.out.find("--baseline") != std::string::npos);
    CHECK(o.out.find("--rank-by") != std::string::npos);
  }
}

TEST_CASE("an unknown subcommand or option exits 2", "[cli]") {
  ScratchDir dir("cli");
  CHECK(run_harmsim(dir, "frobnicate").exit_code == 2);
  CHECK(run_harmsim(dir, "run --no-such-option").exit_code == 2);
  CHECK(dir.entries().empty());
}

TEST_CASE("the same scenario gives byte-identical datasets on every run, on 1 or 2 threads and on 2 or 3 MPI ranks",
          "[cli][determinism]") {
  ScratchDir dir("cli");
  dir.write("small.toml", kSmallScenario);
  REQUIRE(run_harmsim(dir, "run -q -j 2 -o a.h5 small.toml").exit_code == 0);
  REQUIRE(run_harmsim(dir, "run -q -j 2 -o b.h5 small.toml").exit_code == 0);
  REQUIRE(run_harmsim(dir, "run -q -j 1 -o c.h5 small.toml").exit_code == 0);

  const H5Contents a = read_h5_contents(dir.path() / "a.h5");
  const H5Contents b = read_h5_contents(dir.path() / "b.h5");
  const H5Contents c = read_h5_contents(dir.path() / "c.h5");
  SECTION("two runs on 2 threads") { check_identical(a, b); }
  SECTION("1 thread against 2") { check_identical(a, c); }
  SECTION("threads against MPI ranks") {
    if (!have_mpirun()) {
      WARN("mpirun not found or built without MPI: MPI cases skipped");
      return;
    }
    for (const int ranks : {2, 3}) {
      INFO(ranks << " ranks");
      const std::string name = "mpi" + std::to_string(ranks) + ".h5";
      const Outcome o = run_harmsim(dir, "run -j 1 -o " + name + " small.toml", mpirun(ranks));
      REQUIRE(o.exit_code == 0);
      CHECK(o.out.find("Results written to " + name) != std::string::npos);  // the table, once: rank 0 speaks
      CHECK(o.out.find("Results written to " + name) == o.out.rfind("Results written to " + name));
      check_identical(a, read_h5_contents(dir.path() / name));
      CHECK(dir.entries() == std::set<std::string>{"a.h5", "b.h5", "c.h5", name, "small.toml",
                                                   ranks == 3 ? "mpi2.h5" : name});  // no checkpoints, no lock
    }
  }

  SECTION("and the comparison is not vacuous") {
    // Real results: encounters happen, and the two replicates differ because
    // each has its own stream, seeded as documented in core/rng.hpp.
    const std::string series_path = "/scenarios/small_stings/series/encounters";
    REQUIRE(a.count(series_path) == 1);
    const std::vector<float> encounters = as_floats(a.at(series_path));
    REQUIRE(encounters.size() % 2 == 0);
    const std::size_t half = encounters.size() / 2;
    const std::vector<float> rep0(encounters.begin(), encounters.begin() + static_cast<std::ptrdiff_t>(half));
    const std::vector<float> rep1(encounters.begin() + static_cast<std::ptrdiff_t>(half), encounters.end());
    double total = 0.0;
    for (float v : encounters) total += v;
    CHECK(total > 100.0);
    CHECK(rep0 != rep1);

    for (const std::string scenario : {"small_base", "small_stings"}) {
      const std::string& bytes = a.at("/scenarios/" + scenario + "/replicate_seeds");
      REQUIRE(bytes.size() == 2 * sizeof(std::uint64_t));
      std::uint64_t seeds[2];
      std::memcpy(seeds, bytes.data(), sizeof seeds);
      CHECK(seeds[0] == harmsim::core::stream_seed(12345, scenario, 0));
      CHECK(seeds[1] == harmsim::core::stream_seed(12345, scenario, 1));
    }
  }
}

TEST_CASE("SIGINT or SIGTERM during harmsim run exits 130 and leaves only an incomplete .partial and the "
          "finished replicates",
          "[cli][resume]") {
  for (const int sig : {SIGINT, SIGTERM}) {
    INFO("signal " << sig);
    ScratchDir dir("cli");
    dir.write("slow.toml", kSlowScenario);
    const pid_t child = start_harmsim(dir, {"run", "-j", "1", "-o", "out.h5", "slow.toml"});
    wait_for_units(dir.path() / "out.h5.work", 1);
    ::kill(child, sig);
    CHECK(wait_for(child) == 130);

    // No file that looks finished: the .partial without complete = 1, and
    // the checkpoints of the replicates that ended before the signal.
    CHECK(dir.entries() == std::set<std::string>{".stderr", "out.h5.partial", "out.h5.work", "slow.toml"});
    CHECK(complete_flag(dir.path() / "out.h5.partial") == -1);
    const std::size_t kept = count_unit_files(dir.path() / "out.h5.work");
    CHECK(kept >= 1);
    CHECK(kept < 16);
    CHECK(fs::is_regular_file(dir.path() / "out.h5.work" / "manifest"));

    const std::string err = read_file(dir.path() / ".stderr");
    INFO("stderr:\n" << err);
    const std::string message = "harmsim: interrupted by signal " + std::to_string(sig) +
                                "; the finished replicates are kept in out.h5.work and out.h5.partial is "
                                "incomplete; rerun the same command to resume\n";
    REQUIRE(err.size() >= message.size());
    CHECK(err.substr(err.size() - message.size()) == message);  // the last line

    if (sig == SIGTERM) {
      // A changed scenario with --force discards these checkpoints and starts afresh.
      std::string changed(kSlowScenario);
      changed.replace(changed.find("replicates = 8"), 14, "replicates = 2");
      dir.write("slow.toml", changed);
      const Outcome forced = run_harmsim(dir, "run -j 2 --force -o out.h5 slow.toml");
      CHECK(forced.exit_code == 0);
      CHECK(forced.err.find("resuming") == std::string::npos);
      CHECK(dir.entries() == std::set<std::string>{"out.h5", "slow.toml"});
    }
  }
}

TEST_CASE("a run stopped after its results file was complete but before it removed its checkpoints: the same "
          "command removes them and does nothing else",
          "[cli][resume]") {
  ScratchDir dir("cli");
  dir.write("slow.toml", kSlowScenario);
  REQUIRE(run_harmsim(dir, "run -q -j 2 -o out.h5 slow.toml").exit_code == 0);
  const H5Contents finished = read_h5_contents(dir.path() / "out.h5");
  // Checkpoints of this same run beside the finished file, as a kill between
  // the rename and the clean-up leaves them: those of the same command
  // interrupted under another name.
  const pid_t child = start_harmsim(dir, {"run", "-q", "-j", "1", "-o", "other.h5", "slow.toml"});
  wait_for_units(dir.path() / "other.h5.work", 1);
  ::kill(child, SIGKILL);
  REQUIRE(wait_for(child) == 1000 + SIGKILL);
  fs::rename(dir.path() / "other.h5.work", dir.path() / "out.h5.work");
  for (const char* left : {"other.h5.partial", "other.h5.lock", ".stderr"}) fs::remove(dir.path() / left);

  SECTION("the same command") {
    const Outcome o = run_harmsim(dir, "run -j 2 -o out.h5 slow.toml");
    CHECK(o.exit_code == 0);
    CHECK(o.out == "out.h5 is already complete: nothing to do\n");
    CHECK(o.err.empty());
    CHECK(dir.entries() == std::set<std::string>{"out.h5", "slow.toml"});
    check_identical(read_h5_contents(dir.path() / "out.h5"), finished);  // not rewritten
  }
  SECTION("the same command beside another run's finished file is refused, and these checkpoints are kept") {
    const fs::path kept = dir.path() / "kept.work";
    fs::rename(dir.path() / "out.h5.work", kept);  // --force would discard them: set aside while out.h5 is replaced
    dir.write("small.toml", kSmallScenario);
    REQUIRE(run_harmsim(dir, "run -q -j 2 --force -o out.h5 small.toml").exit_code == 0);
    fs::rename(kept, dir.path() / "out.h5.work");
    const Outcome o = run_harmsim(dir, "run -q -j 2 -o out.h5 slow.toml");
    CHECK(o.exit_code == 2);
    CHECK(o.err == "harmsim: out.h5 exists; choose another name with -o or pass --force to replace it\n");
    CHECK(count_unit_files(dir.path() / "out.h5.work") >= 1);  // this run's finished work is not thrown away
  }
  SECTION("another run is still refused, and the checkpoints stay") {
    std::string changed(kSlowScenario);
    changed.replace(changed.find("replicates = 8"), 14, "replicates = 2");
    dir.write("slow.toml", changed);
    const Outcome o = run_harmsim(dir, "run -q -j 2 -o out.h5 slow.toml");
    CHECK(o.exit_code == 2);
    CHECK(o.err == "harmsim: out.h5 exists; choose another name with -o or pass --force to replace it\n");
    CHECK(fs::is_directory(dir.path() / "out.h5.work"));
  }
}

TEST_CASE("a second harmsim writing the same output while the first runs is refused, even with --force",
          "[cli][resume]") {
  ScratchDir dir("cli");
  dir.write("slow.toml", kSlowScenario);
  const pid_t first = start_harmsim(dir, {"run", "-q", "-j", "1", "-o", "out.h5", "slow.toml"});
  wait_for_units(dir.path() / "out.h5.work", 1);
  ::kill(first, SIGSTOP);  // held where it is, lock and all, while the others try
  for (const char* args : {"run -q -j 1 -o out.h5 slow.toml", "run -q -j 1 --force -o out.h5 slow.toml"}) {
    const Outcome second = run_harmsim(dir, args);
    CHECK(second.exit_code == 2);
    CHECK(second.err ==
          "harmsim: out.h5 is being written by another harmsim process (out.h5.lock is held); wait for it to finish, "
          "or choose another name\n");
  }
  ::kill(first, SIGCONT);
  CHECK(wait_for(first) == 0);  // the first run is unharmed
  CHECK(complete_flag(dir.path() / "out.h5") == 1);
  CHECK(dir.entries() == std::set<std::string>{"out.h5", "slow.toml"});  // no checkpoints left
}

TEST_CASE("a harmsim run killed with SIGKILL resumes with the same command, redoes no finished replicate and "
          "ends identical to an uninterrupted run",
          "[cli][resume]") {
  ScratchDir dir("cli");
  dir.write("slow.toml", kSlowScenario);
  const std::vector<std::string> command = {"run", "-j", "1", "-o", "out.h5", "slow.toml"};
  const fs::path work = dir.path() / "out.h5.work";
  const pid_t child = start_harmsim(dir, command);
  wait_for_units(work, 3);
  ::kill(child, SIGKILL);
  REQUIRE(wait_for(child) == 1000 + SIGKILL);
  const std::size_t finished = count_unit_files(work);
  INFO(finished << " replicates finished before the kill");
  CHECK(finished >= 3);
  REQUIRE(finished < 16);
  CHECK_FALSE(fs::exists(dir.path() / "out.h5"));  // nothing looks finished

  // A changed scenario may not use these checkpoints (with --force it would
  // discard them: see the SIGTERM case above).
  std::string changed(kSlowScenario);
  changed.replace(changed.find("repeat_every_days = 10"), 22, "repeat_every_days = 12");
  dir.write("slow.toml", changed);
  const Outcome refused = run_harmsim(dir, "run -q -j 1 -o out.h5 slow.toml");
  CHECK(refused.exit_code == 2);
  const auto lines = refused.err_lines();
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].rfind("harmsim: out.h5.work holds the finished work of another run", 0) == 0);
  CHECK(lines[0].find("slow_stings") != std::string::npos);  // the scenario that changed
  CHECK(lines[0].find("--force") != std::string::npos);
  CHECK(count_unit_files(work) == finished);  // untouched
  CHECK_FALSE(fs::exists(dir.path() / "out.h5"));
  dir.write("slow.toml", kSlowScenario);

  {  // The same command resumes.
    const Outcome resumed = run_harmsim(dir, "run -j 1 -o out.h5 slow.toml");
    REQUIRE(resumed.exit_code == 0);
    CHECK(resumed.err.find("harmsim: resuming: " + std::to_string(finished) +
                           " of 16 replicates already finished in out.h5.work\n") != std::string::npos);
    // Per scenario: the replicates that were not run again.
    const std::size_t first = std::min<std::size_t>(finished, 8);
    CHECK(resumed.err.find("[1/2] slow_base: 8 replicates, " + std::to_string(first) + " finished before\n") !=
          std::string::npos);
    // Only the others were run.
    std::ostringstream counts;  // (not operator+: GCC 12 warns falsely with -Wrestrict)
    counts << '(' << 16 - finished << " replicates run now, " << finished << " taken from the interrupted run)\n";
    CHECK(resumed.out.find(counts.str()) != std::string::npos);
    // The checkpoints go once results.h5 is complete.
    CHECK(dir.entries() == std::set<std::string>{"out.h5", "slow.toml"});
    CHECK(complete_flag(dir.path() / "out.h5") == 1);

    REQUIRE(run_harmsim(dir, "run -q -j 2 -o whole.h5 slow.toml").exit_code == 0);
    check_identical(read_h5_contents(dir.path() / "whole.h5"), read_h5_contents(dir.path() / "out.h5"));
  }
}

namespace {

// The one line a failing `harmsim -q run` prints.
std::string only_line(const std::string& err) {
  REQUIRE(std::count(err.begin(), err.end(), '\n') == 1);
  REQUIRE(err.rfind("harmsim: ", 0) == 0);
  return err.substr(0, err.size() - 1);
}

}  // namespace

TEST_CASE("a full disk stops harmsim run with one line naming the file and the system's reason, keeps the finished "
          "replicates, and the same command then resumes",
          "[cli][resume][disk]") {
  ScratchDir dir("cli");
  dir.write("slow.toml", kSlowScenario);
  const std::vector<std::string> command = {"run", "-q", "-j", "1", "-o", "disk/out.h5", "slow.toml"};
  const fs::path work = dir.path() / "disk" / "out.h5.work";

  SECTION("another program fills the filesystem during the run: ENOSPC (a small tmpfs, as root)") {
    SmallDisk disk(dir.path() / "disk", "8m");  // room for the run, until it is filled
    if (!disk.mounted()) {
      WARN("cannot mount a tmpfs here (needs root): the ENOSPC case is skipped; the EFBIG case covers the same path");
      return;
    }
    const pid_t child = start_harmsim(dir, command);
    wait_for_units(work, 1);
    disk.fill();
    CHECK(wait_for(child) == 1);
    const std::string line = only_line(read_file(dir.path() / ".stderr"));
    INFO(line);
    CHECK(line.find("disk/out.h5") != std::string::npos);  // the unit file or results file it could not write
    CHECK(line.find("No space left on device") != std::string::npos);
    CHECK(line.find("the finished replicates are kept in disk/out.h5.work; rerun the same command to resume") !=
          std::string::npos);
    const std::size_t kept = count_unit_files(work);
    CHECK(kept >= 1);
    CHECK_FALSE(fs::exists(dir.path() / "disk" / "out.h5"));

    // Room again: the same command takes up the finished replicates.
    disk.empty();
    std::vector<std::string> again = command;
    again.erase(again.begin() + 1);  // without -q: the resume is reported
    CHECK(wait_for(start_harmsim(dir, again)) == 0);
    CHECK(read_file(dir.path() / ".stderr").find("harmsim: resuming: " + std::to_string(kept) + " of 16 replicates") !=
          std::string::npos);
    CHECK_FALSE(fs::exists(work));
    CHECK(complete_flag(dir.path() / "disk" / "out.h5") == 1);
    // (That it is identical to an uninterrupted run is checked after kill -9 above.)
  }

  SECTION("a filesystem too small for the checkpoints is refused before anything runs (a small tmpfs, as root)") {
    SmallDisk disk(dir.path() / "disk", "1m");
    if (!disk.mounted()) {
      WARN("cannot mount a tmpfs here (needs root): skipped");
      return;
    }
    const Outcome o = run_harmsim(dir, "run -q -j 1 -o disk/out.h5 slow.toml");
    CHECK(o.exit_code == 2);
    const std::string line = only_line(o.err);
    CHECK(line.find("harmsim: disk/out.h5.work needs ") == 0);
    CHECK(line.find("MiB for the replicates still to run, but disk has 1.0 MiB free") != std::string::npos);
    CHECK(fs::is_empty(dir.path() / "disk"));
  }

  SECTION("a file size limit (RLIMIT_FSIZE: EFBIG, any user) stops the results file, written once every replicate "
          "is kept") {
    fs::create_directory(dir.path() / "disk");
    // Room for every unit file, not for the results file of a whole scenario.
    const std::size_t unit = harmsim::io::CheckpointDir::unit_bytes(40, harmsim::model::strata_count(3),
                                                                     harmsim::model::strata_count(3));
    const pid_t child = start_harmsim(dir, command, static_cast<rlim_t>(unit + unit / 2));
    CHECK(wait_for(child) == 1);
    const std::string line = only_line(read_file(dir.path() / ".stderr"));
    INFO(line);
    CHECK(line.find("harmsim: disk/out.h5.partial: cannot ") == 0);
    CHECK(line.find("File too large (errno 27)") != std::string::npos);
    CHECK(line.find("kept in disk/out.h5.work") != std::string::npos);
    // The file is assembled only once every replicate has run (as a sweep's):
    // all are kept, and the rerun only writes the file.
    CHECK(count_unit_files(work) == 16);
    CHECK_FALSE(fs::exists(dir.path() / "disk" / "out.h5"));

    std::vector<std::string> again = command;
    again.erase(again.begin() + 1);
    CHECK(wait_for(start_harmsim(dir, again)) == 0);
    CHECK(read_file(dir.path() / ".stderr").find("harmsim: resuming: 16 of 16 replicates") != std::string::npos);
    CHECK(complete_flag(dir.path() / "disk" / "out.h5") == 1);
  }
}

TEST_CASE("sizes that cannot fit are refused before anything runs, with the memory needed and what the machine has",
          "[cli][limits]") {
  // Far beyond any machine, one dimension at a time with the others large.
  struct Case {
    std::string what, toml, threads, named;
  };
  const std::vector<Case> cases = {
      {"agents", "[population]\nworkers = 50000000\nbuyers = 1000000000\n", "4096", "50000000 workers, 1000000000 buyers"},
      {"days", "[simulation]\ndays = 36500\nreplicates = 200000\n", "1", "36500 days"},
      {"replicates", "[simulation]\nreplicates = 1000000\n[population]\nworkers = 10\n", "1", "1000000 replicates"},
      {"strata", "[simulation]\nreplicates = 1000000\n[population]\ncommunities = 64\n", "1",
       std::to_string(harmsim::model::strata_count(64)) + " strata"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    ScratchDir dir("cli");
    dir.write("huge.toml", c.toml);
    for (const std::string extra : {"", "--dry-run "}) {
      const Outcome o = run_harmsim(dir, "run " + extra + "-q -j " + c.threads + " -o out.h5 huge.toml");
      CHECK(o.exit_code == 2);
      REQUIRE(o.err_lines().size() == 1);
      const std::string line = o.err_lines()[0];
      CHECK(line.rfind("harmsim: scenario `huge` (huge.toml) needs about ", 0) == 0);
      CHECK(line.find("GiB of memory (") != std::string::npos);
      CHECK(line.find(c.named) != std::string::npos);
      CHECK(line.find("but this machine has ") != std::string::npos);
      CHECK(dir.entries() == std::set<std::string>{"huge.toml"});  // nothing written, no checkpoints
    }
  }
}

TEST_CASE("the memory estimate grows with every dimension of a run", "[cli][limits]") {
  using harmsim::app::memory_needed;
  harmsim::io::Scenario s;
  const std::uint64_t base = memory_needed(s, 1);
  CHECK(base > 0);
  auto grown = [&](auto change) {
    harmsim::io::Scenario t;
    change(t.params);
    return memory_needed(t, 1);
  };
  CHECK(grown([](auto& p) { p.workers *= 2; }) > base);
  CHECK(grown([](auto& p) { p.buyers *= 2; }) > base);
  CHECK(grown([](auto& p) { p.days *= 2; }) > base);
  CHECK(grown([](auto& p) { p.replicates *= 2; }) > base);
  CHECK(grown([](auto& p) { p.communities *= 2; }) > base);
  CHECK(memory_needed(s, 4) > base);  // one replicate's state per thread
}

TEST_CASE("the memory check counts every MPI rank on the machine, not one process", "[cli][limits]") {
  using harmsim::app::check_fits;
  using harmsim::app::memory_needed;
  harmsim::io::Scenario s;
  s.params.replicates = 1;
  // Four ranks of two threads each hold eight replicates' state and four
  // programs: more than one rank of eight threads (one program), less than
  // four separate runs of it (rank 0 alone holds what is written).
  const std::uint64_t one_rank = memory_needed(s, 8);
  const std::uint64_t four_ranks = memory_needed(s, 2, 0, 4);
  CHECK(four_ranks > one_rank);
  CHECK(four_ranks < 4 * memory_needed(s, 2));
  CHECK(memory_needed(s, 2, 0, 1) == memory_needed(s, 2));
  // A scenario that fits one rank of this machine, but not as many ranks as
  // it would take to fill it ten times over, is refused, and the message
  // says so.
  const std::uint64_t have = harmsim::app::physical_memory();
  REQUIRE(have > 0);
  s.params.workers = 200'000;
  s.params.buyers = 2'000'000;
  REQUIRE(check_fits(s, 1).empty());
  const auto ranks = static_cast<int>(std::min<std::uint64_t>(10 * have / memory_needed(s, 1) + 1, 1'000'000));
  const std::string refused = check_fits(s, 1, 0, ranks);
  CHECK_THAT(refused, Catch::Contains("in each of " + std::to_string(ranks) + " MPI ranks on it"));
  CHECK_THAT(refused, Catch::Contains("fewer ranks per machine"));
}

TEST_CASE("the memory estimate counts the series of one scenario, and of the others only their totals",
          "[cli][limits]") {
  using harmsim::app::memory_needed;
  harmsim::io::Scenario s;
  s.params.replicates = 100;
  const auto strata = harmsim::model::strata_count(static_cast<std::size_t>(s.params.communities));
  const double series = static_cast<double>(harmsim::model::kMetricCount * strata) *
                        static_cast<double>(s.params.days) * 4.0;  // one replicate's, in bytes
  const auto alone = static_cast<double>(memory_needed(s, 1));
  // Its own replicates' series: the scenario is read back whole to be written.
  CHECK(alone > 100 * series);
  // Nine more scenarios of 100 replicates in the run add their totals, not
  // their series (a run writes one scenario at a time, from the unit files).
  const auto in_run = static_cast<double>(memory_needed(s, 1, 1000));
  CHECK(in_run > alone);
  CHECK(in_run - alone < 0.05 * 900 * series);
  CHECK(memory_needed(s, 1, 50) == memory_needed(s, 1));  // never fewer than its own
}
