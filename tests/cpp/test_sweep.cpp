// `harmsim sweep` and `harmsim merge`, run as a user would (HARMSIM_BINARY) in
// a scratch directory: the designs, refusals before anything runs, identical
// results on any number of threads, MPI ranks or shards, and resuming after
// kill -9.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
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

#include "app/distribute.hpp"
#include "core/rng.hpp"
#include "h5_contents.hpp"
#include "io/checkpoint.hpp"
#include "io/sweep_output.hpp"
#include "mpirun.hpp"
#include "run_harmsim.hpp"
#include "scratch_dir.hpp"

namespace fs = std::filesystem;

using harmsim::test::check_identical;
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

std::string small_city() { return std::string(HARMSIM_SOURCE_DIR) + "/scenarios/sweeps/small_city.toml"; }

// A 2 × 2 grid over a model and a policy parameter, 3 replicates: 12 units.
std::string grid_sweep() {
  return "base = \"" + small_city() + R"("
scenario = "street_stings"
replicates = 3
[grid]
"encounter.violence_given_violent_buyer" = [0.03, 0.08]
"policy.0.officers" = [7, 28]
)";
}

template <class T>
std::vector<T> as(const std::string& bytes) {
  std::vector<T> out(bytes.size() / sizeof(T));
  std::memcpy(out.data(), bytes.data(), out.size() * sizeof(T));
  return out;
}

std::vector<std::string> as_strings(const std::string& bytes) {
  std::vector<std::string> out;
  std::string current;
  for (char c : bytes) {
    if (c == '\0') {
      out.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  return out;
}

std::vector<hsize_t> shape_of(const fs::path& file, const std::string& dataset) {
  const H5Id f(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  const H5Id d(H5Dopen2(f.id, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  const H5Id space(H5Dget_space(d.id), H5Sclose);
  std::vector<hsize_t> dims(static_cast<std::size_t>(H5Sget_simple_extent_ndims(space.id)));
  H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  return dims;
}

// The (point, replicate) of every whole unit record in the journals of a
// sweep's checkpoint directory, read as io/checkpoint.hpp lays them out
// (magic, byte-order mark, 32-byte id, then point, replicate, seed, events,
// days, strata, metrics, totals_strata, encoding, stored, then `stored`
// bytes of data and a checksum), in journal order; a record cut short by a
// kill is not one.
std::vector<std::pair<std::uint64_t, std::uint64_t>> journal_units(const fs::path& work) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> units;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator(work, ignored)) {
    if (entry.path().extension() != ".journal") continue;
    const std::string bytes = read_file(entry.path());
    constexpr std::size_t kWords = 8 + 8 + 32;  // where the header words start
    for (std::size_t at = 0; at + kWords + 10 * 8 <= bytes.size();) {
      REQUIRE(bytes.compare(at, 8, "HSWUNIT4") == 0);
      std::uint64_t words[10];
      std::memcpy(words, bytes.data() + at + kWords, sizeof words);
      const std::size_t size = kWords + sizeof words + words[9] + 8;
      REQUIRE(size <= harmsim::io::CheckpointDir::unit_bytes(words[4], words[5], words[7]));
      if (at + size > bytes.size()) break;
      units.emplace_back(words[0], words[1]);
      at += size;
    }
  }
  return units;
}

std::size_t count_journal_units(const fs::path& work) { return journal_units(work).size(); }

}  // namespace

TEST_CASE("a program without MPI started as several ranks is refused in one line that says what to do instead",
          "[sweep][mpi]") {
  // What sweep, calibrate and run print (on rank 0) when mpirun starts a build
  // without MPI: each rank is then an inactive session of its own.
  const harmsim::app::MpiSession alone{};
  const char* before = std::getenv("OMPI_COMM_WORLD_SIZE");
  const std::string saved = before != nullptr ? before : "";
  ::setenv("OMPI_COMM_WORLD_SIZE", "1", 1);
  CHECK(harmsim::app::without_mpi_refusal(alone, "run shards with --shard i/n").empty());
  ::setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  const std::string why = harmsim::app::without_mpi_refusal(alone, "run shards with --shard i/n");
  CHECK(why ==
        "started as one of several MPI ranks, but this harmsim was built without MPI; rebuild with libopenmpi-dev "
        "installed, or run shards with --shard i/n");
  harmsim::app::MpiSession ranks;
  ranks.active = true;
  ranks.size = 4;
  CHECK(harmsim::app::without_mpi_refusal(ranks, "run it without mpirun (-j threads)").empty());
  if (before != nullptr) ::setenv("OMPI_COMM_WORLD_SIZE", saved.c_str(), 1);
  else ::unsetenv("OMPI_COMM_WORLD_SIZE");
}

TEST_CASE("a grid sweep runs every combination, first parameter slowest, each point on its own streams",
          "[sweep]") {
  ScratchDir dir("sweep");
  dir.write("grid.toml", grid_sweep());
  const Outcome o = run_harmsim(dir, "sweep grid.toml -o grid.h5 -j 2");
  REQUIRE(o.exit_code == 0);
  CHECK(dir.entries() == std::set<std::string>{"grid.h5", "grid.toml"});  // no .partial, no .work left

  const H5Contents c = read_h5_contents(dir.path() / "grid.h5");
  CHECK(as<std::int64_t>(c.at("@complete")) == std::vector<std::int64_t>{1});
  CHECK(as_strings(c.at("@file_kind")) == std::vector<std::string>{"sweep"});
  CHECK(c.at("@sweep_id").size() == 33);  // 32 hex digits + the terminator of read_content
  CHECK(as_strings(c.at("/design/parameters")) ==
        std::vector<std::string>{"encounter.violence_given_violent_buyer", "policy.0.officers"});
  CHECK(as<double>(c.at("/design/values")) == std::vector<double>{0.03, 7, 0.03, 28, 0.08, 7, 0.08, 28});
  CHECK(shape_of(dir.path() / "grid.h5", "/design/values") == std::vector<hsize_t>{4, 2});
  CHECK(as_strings(c.at("/design@kind")) == std::vector<std::string>{"grid"});

  for (int k = 0; k < 4; ++k) {
    const std::string g = "/points/p" + std::to_string(k);
    INFO(g);
    const std::string stream = "street_stings/p" + std::to_string(k);
    CHECK(as_strings(c.at(g + "@stream")) == std::vector<std::string>{stream});
    const std::vector<std::uint64_t> seeds = as<std::uint64_t>(c.at(g + "/replicate_seeds"));
    REQUIRE(seeds.size() == 3);
    for (std::uint64_t r = 0; r < 3; ++r) CHECK(seeds[r] == harmsim::core::stream_seed(20181121, stream, r));
    CHECK(as<double>(c.at(g + "/totals/arrests_worker")).size() == 3);
    CHECK(shape_of(dir.path() / "grid.h5", g + "/summary/arrests_worker") == std::vector<hsize_t>{5, 60});
    CHECK(c.count(g + "/series/arrests_worker") == 0);  // only with --per-replicate
    // Every point keeps its exposure tables and stratum totals, whose
    // stratum "all" is the totals.
    CHECK(shape_of(dir.path() / "grid.h5", g + "/exposure") == std::vector<hsize_t>{3, 3, 3, 3, 4});
    const std::vector<std::string> strata = as_strings(c.at(g + "/strata"));
    CHECK(strata == harmsim::model::strata_names(strata.size() - harmsim::model::strata_count(0)));
    CHECK(shape_of(dir.path() / "grid.h5", g + "/stratum_totals") ==
          std::vector<hsize_t>{3, harmsim::model::kMetricCount, strata.size()});
    const std::vector<double> by_stratum = as<double>(c.at(g + "/stratum_totals"));
    const std::vector<double> totals = as<double>(c.at(g + "/totals/arrests_worker"));
    const auto m = harmsim::model::index(harmsim::model::Metric::arrests_worker);
    for (std::size_t r = 0; r < 3; ++r)
      CHECK(by_stratum[(r * harmsim::model::kMetricCount + m) * strata.size()] == totals[r]);
    // Each replicate's tables count the same workers whatever the exposure
    // and outcome: those active on the last day.
    const std::vector<std::uint64_t> tables = as<std::uint64_t>(c.at(g + "/exposure"));
    for (std::size_t r = 0; r < 3; ++r) {
      std::uint64_t first = 0, last = 0;
      for (std::size_t sector = 0; sector < 3; ++sector)
        for (std::size_t cell = 0; cell < 4; ++cell) {
          first += tables[r * 108 + harmsim::model::exposure_index(sector, 0, 0, cell)];
          last += tables[r * 108 + harmsim::model::exposure_index(sector, 2, 2, cell)];
        }
      CHECK(first > 100);
      CHECK(first == last);
    }
  }
  // Four times the officers, several times the operation's arrests (routine
  // policing's come on top, the same at every point).
  auto mean = [](const std::vector<double>& v) { return (v[0] + v[1] + v[2]) / 3.0; };
  CHECK(mean(as<double>(c.at("/points/p1/totals/operation_arrests"))) >
        2 * mean(as<double>(c.at("/points/p0/totals/operation_arrests"))));
}

TEST_CASE("a Latin hypercube puts each parameter's values one per stratum and rounds integer parameters",
          "[sweep]") {
  ScratchDir dir("sweep");
  const std::string lhs = "base = \"" + small_city() + R"("
replicates = 1
seed = 7
[lhs]
points = 12
[lhs.ranges]
"encounter.rate_per_day" = [0.5, 2.0]
"heat.half_life_days" = [7, 43]
"population.buyers" = [4000, 4011]
)";
  dir.write("lhs.toml", lhs);
  REQUIRE(run_harmsim(dir, "sweep lhs.toml -o lhs.h5 -q").exit_code == 0);
  const std::vector<double> values = as<double>(read_h5_contents(dir.path() / "lhs.h5").at("/design/values"));
  REQUIRE(values.size() == 36);
  const std::array<std::pair<double, double>, 2> ranges = {{{0.5, 2.0}, {7, 43}}};
  for (std::size_t j = 0; j < 2; ++j) {
    std::set<int> strata;
    for (std::size_t i = 0; i < 12; ++i) {
      const double v = values[i * 3 + j];
      CHECK(v >= ranges[j].first);
      CHECK(v <= ranges[j].second);
      strata.insert(static_cast<int>(std::floor((v - ranges[j].first) / (ranges[j].second - ranges[j].first) * 12)));
    }
    CHECK(strata.size() == 12);  // one value in each of the 12 strata
  }
  std::set<double> buyers;
  for (std::size_t i = 0; i < 12; ++i) {
    const double v = values[i * 3 + 2];
    CHECK(v == std::floor(v));
    buyers.insert(v);
  }
  CHECK(buyers.size() == 12);  // 12 integers for 12 strata: each exactly once
  CHECK(*buyers.begin() == 4000);
  CHECK(*buyers.rbegin() == 4011);

  // The same seed gives the same design; another seed another one.
  REQUIRE(run_harmsim(dir, "sweep lhs.toml -o again.h5 -q").exit_code == 0);
  CHECK(as<double>(read_h5_contents(dir.path() / "again.h5").at("/design/values")) == values);
  std::string other = lhs;
  other.replace(other.find("seed = 7"), 8, "seed = 8");
  dir.write("other.toml", other);
  REQUIRE(run_harmsim(dir, "sweep other.toml -o other.h5 -q").exit_code == 0);
  CHECK(as<double>(read_h5_contents(dir.path() / "other.h5").at("/design/values")) != values);
}

TEST_CASE("an unknown, out-of-range or mistyped sweep parameter is refused with exit 2 before any output",
          "[sweep]") {
  ScratchDir dir("sweep");
  const std::string head = "base = \"" + small_city() + "\"\nscenario = \"street_stings\"\n";
  struct Case {
    std::string body, where, key, expected_text;
  };
  const std::vector<Case> cases = {
      {"[grid]\n\"encounter.rate_per_dya\" = [1, 2]\n", "bad.toml:4:1", "grid.encounter.rate_per_dya",
       "did you mean `encounter.rate_per_day`?"},
      {"[grid]\n\"rate_per_day\" = [1, 2]\n", "bad.toml:4:1", "grid.rate_per_day", "did you mean `encounter.rate_per_day`?"},
      {"[grid]\n\"encounter.rate_per_day\" = [1, 200]\n", "bad.toml:4:32", "grid.encounter.rate_per_day",
       "found an element 200"},
      {"[grid]\n\"population.workers\" = [300, 350.5]\n", "bad.toml:4:30", "grid.population.workers",
       "expected integers in [1, 50000000]"},
      {"[grid]\n\"policy.0.oficers\" = [1]\n", "bad.toml:4:1", "grid.policy.0.oficers",
       "did you mean `policy.0.officers`?"},
      {"[grid]\n\"policy.5.officers\" = [1]\n", "bad.toml:4:1", "grid.policy.5.officers", "0 = street_sting"},
      {"[lhs]\npoints = 4\n[lhs.ranges]\n\"encounter.screening_sensitivity\" = [0.5, 1.5]\n", "bad.toml:6:43",
       "lhs.ranges.encounter.screening_sensitivity", "found an element 1.5"},
      {"[lhs]\npoints = 4\n[lhs.ranges]\n\"population.workers\" = [100.0, 200]\n", "bad.toml:6:25",
       "lhs.ranges.population.workers", "expected integers"},
      {"[grid]\n\"population.areas\" = [12, 5]\n", "bad.toml:3:1", "population.isolated_areas", "at point p1"},
      // Of two unknown keys, the first in the file is named (not the first
      // in alphabetical order, as toml++ keeps a table).
      {"zz = 1\nbasse = 2\n", "bad.toml:3:1", "zz", "found unknown key `zz`"},
      {"[lhs]\npoints = 4\nzz = 1\nrangs = 2\n", "bad.toml:5:1", "lhs.zz", "found unknown key `zz`"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    dir.write("bad.toml", head + c.body);
    const Outcome o = run_harmsim(dir, "sweep bad.toml -o out.h5");
    CHECK(o.exit_code == 2);
    CHECK(o.err.find(c.where) != std::string::npos);
    CHECK(o.err.find("key `" + c.key + "`") != std::string::npos);
    CHECK(o.err.find(c.expected_text) != std::string::npos);
    CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);  // one line
    CHECK(dir.entries() == std::set<std::string>{"bad.toml"});  // nothing written, no checkpoints
  }
  dir.write("bad.toml", grid_sweep());
  const Outcome shard = run_harmsim(dir, "sweep bad.toml -o out.h5 --shard 4/3");
  CHECK(shard.exit_code == 2);
  CHECK(dir.entries() == std::set<std::string>{"bad.toml"});
}

TEST_CASE("a sweep file that is missing or a directory is named, not read as empty", "[sweep]") {
  ScratchDir dir("sweep");
  fs::create_directory(dir.path() / "folder");
  const Outcome folder = run_harmsim(dir, "sweep folder -o out.h5");
  CHECK(folder.exit_code == 2);
  CHECK(folder.err == "harmsim: folder: error: expected a sweep file, found a directory\n");
  const Outcome missing = run_harmsim(dir, "sweep missing.toml -o out.h5");
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "harmsim: missing.toml: error: expected a readable sweep file, found none could be opened\n");
  CHECK(dir.entries() == std::set<std::string>{"folder"});
}

TEST_CASE("a sweep whose checkpoints cannot fit on the disk is refused before anything is written", "[sweep][disk]") {
  ScratchDir dir("sweep");
  // 4 points × 200 replicates of the small city: about 7 MiB of unit records.
  std::string many = grid_sweep();
  many.replace(many.find("replicates = 3"), 14, "replicates = 200");
  dir.write("many.toml", many);
  SmallDisk disk(dir.path() / "disk", "1m");
  if (!disk.mounted()) {
    WARN("cannot mount a tmpfs here (needs root): skipped");
    return;
  }
  const Outcome o = run_harmsim(dir, "sweep many.toml -q -j 1 -o disk/many.h5");
  CHECK(o.exit_code == 2);
  CHECK(o.err.find("harmsim: disk/many.h5.work needs ") == 0);
  CHECK(o.err.find(" MiB for the units still to run, but disk has 1.0 MiB free; free space, or write elsewhere "
                   "with -o\n") != std::string::npos);
  CHECK(std::count(o.err.begin(), o.err.end(), '\n') == 1);
  CHECK(fs::is_empty(dir.path() / "disk"));
}

TEST_CASE("a sweep gives byte-identical datasets on 1 or 2 threads, 2 or 3 MPI ranks and 3 merged shards",
          "[sweep][determinism]") {
  ScratchDir dir("sweep");
  dir.write("grid.toml", grid_sweep());
  REQUIRE(run_harmsim(dir, "sweep grid.toml -o j1.h5 -j 1 -q").exit_code == 0);
  const H5Contents reference = read_h5_contents(dir.path() / "j1.h5");

  SECTION("two threads") {
    REQUIRE(run_harmsim(dir, "sweep grid.toml -o j2.h5 -j 2 -q").exit_code == 0);
    check_identical(reference, read_h5_contents(dir.path() / "j2.h5"));
  }
  SECTION("three shards, merged") {
    for (int i = 1; i <= 3; ++i)
      REQUIRE(run_harmsim(dir, "sweep grid.toml -q -j 1 --shard " + std::to_string(i) + "/3 -o shard" +
                                   std::to_string(i) + ".h5")
                  .exit_code == 0);
    REQUIRE(run_harmsim(dir, "merge merged.h5 shard3.h5 shard1.h5 shard2.h5").exit_code == 0);
    check_identical(reference, read_h5_contents(dir.path() / "merged.h5"));
  }
  SECTION("MPI ranks") {
    if (!have_mpirun()) {
      WARN("mpirun not found or built without MPI: MPI cases skipped");
      return;
    }
    for (int ranks : {2, 3}) {
      INFO(ranks << " ranks");
      const std::string name = "mpi" + std::to_string(ranks) + ".h5";
      REQUIRE(run_harmsim(dir, "sweep grid.toml -q -o " + name, mpirun(ranks)).exit_code == 0);
      check_identical(reference, read_h5_contents(dir.path() / name));
    }
  }
}

// Starts `harmsim ARGS...` in `dir` (output to /dev/null) and waits until
// the checkpoint directory `work` holds at least `units` finished units (or
// 60 s pass).
pid_t start_until_units(const ScratchDir& dir, const std::vector<std::string>& args, const fs::path& work,
                        std::size_t units) {
  std::vector<char*> argv{const_cast<char*>(HARMSIM_BINARY)};
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    const int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execv(HARMSIM_BINARY, argv.data());
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_journal_units(work) < units && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return child;
}

// The same, then kills it with SIGKILL. True if it was killed (rather than
// finished first).
bool kill_after_units(const ScratchDir& dir, const std::vector<std::string>& args, const fs::path& work,
                      std::size_t units) {
  const pid_t child = start_until_units(dir, args, work, units);
  ::kill(child, SIGKILL);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  return WIFSIGNALED(status);
}

// A grid of 24 units of about 0.05-0.1 s each.
std::string slow_sweep() {
  return "base = \"" + small_city() + R"("
scenario = "street_stings"
replicates = 4
[grid]
"population.workers" = [3000, 4000]
"encounter.rate_per_day" = [1.0, 1.5, 2.0]
)";
}

TEST_CASE("a sweep killed with SIGKILL, even while resuming, keeps every finished unit once and resumes identical to an "
          "uninterrupted run",
          "[sweep][resume]") {
  ScratchDir dir("sweep");
  // About 0.05-0.1 s a unit, 24 units: long enough to kill half-way, and
  // short next to the 0.5 s between syncs, so that the kills come while
  // finished units are not yet synced.
  dir.write("slow.toml", slow_sweep());
  const fs::path work = dir.path() / "resumed.h5.work";
  REQUIRE(kill_after_units(dir, {"sweep", "slow.toml", "-o", "resumed.h5", "-j", "1"}, work, 3));
  const std::size_t finished = count_journal_units(work);
  INFO(finished << " units finished before the first kill");
  CHECK(finished >= 3);
  CHECK(finished < 24);
  CHECK_FALSE(fs::exists(dir.path() / "resumed.h5"));

  // Another sweep may not use these checkpoints.
  dir.write("other.toml", grid_sweep());
  const Outcome foreign = run_harmsim(dir, "sweep other.toml -o resumed.h5");
  CHECK(foreign.exit_code == 2);
  CHECK(foreign.err.find("another sweep") != std::string::npos);

  // Killed again while resuming: every unit finished before either kill is
  // in the checkpoints exactly once (none lost, none run twice).
  REQUIRE(kill_after_units(dir, {"sweep", "slow.toml", "-o", "resumed.h5", "-j", "2"}, work, finished + 3));
  const std::vector<std::pair<std::uint64_t, std::uint64_t>> units = journal_units(work);
  const std::set<std::pair<std::uint64_t, std::uint64_t>> distinct(units.begin(), units.end());
  INFO(units.size() << " units finished before the second kill");
  CHECK(units.size() >= finished + 3);
  CHECK(units.size() < 24);
  CHECK(distinct.size() == units.size());

  const Outcome resumed = run_harmsim(dir, "sweep slow.toml -o resumed.h5 -j 2");
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.err.find("resuming: " + std::to_string(units.size()) + " of 24 units") != std::string::npos);
  CHECK_FALSE(fs::exists(work));
  REQUIRE(run_harmsim(dir, "sweep slow.toml -o whole.h5 -j 2 -q").exit_code == 0);
  check_identical(read_h5_contents(dir.path() / "whole.h5"), read_h5_contents(dir.path() / "resumed.h5"));

  // Once complete, the same command has nothing to do.
  const Outcome again = run_harmsim(dir, "sweep slow.toml -o resumed.h5");
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("already complete") != std::string::npos);
}

TEST_CASE("a second sweep or merge into the output of a sweep still running is refused, even with --force",
          "[sweep][resume]") {
  ScratchDir dir("sweep");
  dir.write("slow.toml", slow_sweep());
  dir.write("grid.toml", grid_sweep());
  const pid_t first = start_until_units(dir, {"sweep", "slow.toml", "-o", "big.h5", "-j", "1"}, dir.path() / "big.h5.work", 1);
  ::kill(first, SIGSTOP);  // held where it is, lock and all, while the others try
  const std::string busy = "harmsim: big.h5 is being written by another harmsim process (big.h5.lock is held); wait "
                           "for it to finish, or choose another name\n";
  for (const char* args : {"sweep slow.toml -q -o big.h5", "sweep grid.toml -q --force -o big.h5"}) {
    const Outcome second = run_harmsim(dir, args);
    CHECK(second.exit_code == 2);
    CHECK(second.err == busy);
  }
  REQUIRE(run_harmsim(dir, "sweep grid.toml -q --shard 1/1 -o shard.h5").exit_code == 0);
  const Outcome merge = run_harmsim(dir, "merge --force big.h5 shard.h5");
  CHECK(merge.exit_code == 2);
  CHECK(merge.err == "harmsim: merge: " + busy.substr(std::string("harmsim: ").size()));  // merge's prefix
  ::kill(first, SIGCONT);
  int status = 0;
  REQUIRE(waitpid(first, &status, 0) == first);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // the first sweep is unharmed
  CHECK(dir.entries() == std::set<std::string>{"big.h5", "grid.toml", "shard.h5", "slow.toml"});
  REQUIRE(run_harmsim(dir, "sweep slow.toml -q -j 2 -o whole.h5").exit_code == 0);
  check_identical(read_h5_contents(dir.path() / "whole.h5"), read_h5_contents(dir.path() / "big.h5"));
}

TEST_CASE("harmsim merge refuses shards of different sweeps, gaps and overlaps", "[sweep]") {
  ScratchDir dir("sweep");
  dir.write("grid.toml", grid_sweep());
  std::string other = grid_sweep();
  other.replace(other.find("replicates = 3"), 14, "replicates = 2");
  dir.write("other.toml", other);
  for (int i = 1; i <= 3; ++i)
    REQUIRE(run_harmsim(dir, "sweep grid.toml -q --shard " + std::to_string(i) + "/3 -o s" + std::to_string(i) + ".h5")
                .exit_code == 0);
  REQUIRE(run_harmsim(dir, "sweep other.toml -q --shard 3/3 -o o3.h5").exit_code == 0);
  REQUIRE(run_harmsim(dir, "sweep grid.toml -q -o whole.h5").exit_code == 0);
  const std::set<std::string> before = dir.entries();

  const Outcome different = run_harmsim(dir, "merge out.h5 s1.h5 s2.h5 o3.h5");
  CHECK(different.exit_code == 2);
  CHECK(different.err.find("different sweeps") != std::string::npos);

  const Outcome gap = run_harmsim(dir, "merge out.h5 s1.h5 s3.h5");
  CHECK(gap.exit_code == 2);
  CHECK(gap.err.find("in no shard") != std::string::npos);
  CHECK(gap.err.find("missing shards: 2/3") != std::string::npos);

  const Outcome overlap = run_harmsim(dir, "merge out.h5 s1.h5 s2.h5 s3.h5 s2.h5");
  CHECK(overlap.exit_code == 2);
  CHECK(overlap.err.find("overlap") != std::string::npos);

  const Outcome whole = run_harmsim(dir, "merge out.h5 whole.h5");
  CHECK(whole.exit_code == 2);
  CHECK(whole.err.find("not a shard") != std::string::npos);

  CHECK(dir.entries() == before);  // nothing written
}

TEST_CASE("a sweep run with --per-replicate keeps every replicate's daily series of every stratum", "[sweep]") {
  ScratchDir dir("sweep");
  dir.write("grid.toml", grid_sweep());
  REQUIRE(run_harmsim(dir, "sweep grid.toml -q --per-replicate -o per.h5").exit_code == 0);
  const H5Contents c = read_h5_contents(dir.path() / "per.h5");
  const std::vector<hsize_t> shape = shape_of(dir.path() / "per.h5", "/points/p3/series/arrests_worker");
  REQUIRE(shape.size() == 3);
  CHECK(shape[0] == 3);
  CHECK(shape[1] == 60);
  CHECK(shape[2] == as_strings(c.at("/points/p3/strata")).size());
  // Stratum "all" of the series sums to the totals of a count.
  const std::vector<float> series = as<float>(c.at("/points/p3/series/arrests_worker"));
  const std::vector<double> totals = as<double>(c.at("/points/p3/totals/arrests_worker"));
  for (std::size_t r = 0; r < 3; ++r) {
    double sum = 0;
    for (std::size_t d = 0; d < 60; ++d) sum += series[(r * 60 + d) * shape[2]];
    CHECK(sum == Approx(totals[r]));
  }
  // So do the series of every stratum sum to that stratum's total.
  const std::vector<double> by_stratum = as<double>(c.at("/points/p3/stratum_totals"));
  const auto m = harmsim::model::index(harmsim::model::Metric::arrests_worker);
  double street = 0;
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t st = 0; st < shape[2]; ++st) {
      double sum = 0;
      for (std::size_t d = 0; d < 60; ++d) sum += series[(r * 60 + d) * shape[2] + st];
      CHECK(by_stratum[(r * harmsim::model::kMetricCount + m) * shape[2] + st] == Approx(sum));
      if (st >= 1 && st <= 12) street += sum;  // the street cells
    }
  CHECK(street > 0);  // street stings arrest street workers
}

TEST_CASE("a sweep file whose file_kind is not UTF-8 is refused with one printable line", "[sweep]") {
  // Found by afl (tests/fuzz/afl_hdf5.cpp, io::SweepFileReader, which
  // calibrate uses on its waves' sweeps): the attribute went into the
  // message as it was, a byte 0x92 and all.
  const std::filesystem::path file =
      std::filesystem::path(HARMSIM_SOURCE_DIR) / "tests/fuzz/regressions/sweep_file_kind_not_utf8.h5";
  REQUIRE(std::filesystem::exists(file));
  std::string message;
  try {
    const harmsim::io::SweepFileReader reader(file);
  } catch (const harmsim::io::IoError& e) {
    message = e.what();
  }
  CHECK(message == file.string() + R"(: not a sweep file (file_kind sweep-sha\x92d))");
}
