// The journals of a sweep's checkpoint directory (sim/io/checkpoint.hpp): what
// a killed process appended is found without any sync, a record cut short is
// not, a damaged one is refused when read (or left out by a verifying scan),
// and records of another sweep are never taken.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "io/checkpoint.hpp"
#include "scratch_dir.hpp"

namespace fs = std::filesystem;
using harmsim::io::CheckpointDir;
using harmsim::io::JournalIndex;
using harmsim::io::UnitJournal;
using harmsim::io::UnitRecord;

using harmsim::test::ScratchDir;

namespace {

constexpr std::uint64_t kDays = 5;
constexpr std::uint64_t kTotalsStrata = 3;

// A record whose every number says which unit it is.
UnitRecord record(std::uint64_t point, std::uint64_t replicate) {
  UnitRecord r;
  r.point = point;
  r.replicate = replicate;
  r.seed = 1000 * point + replicate;
  r.events = 7 * point + replicate;
  r.days = kDays;
  for (std::size_t m = 0; m < r.totals.size(); ++m) r.totals[m] = static_cast<double>(point * 100 + replicate + m);
  r.totals_strata = kTotalsStrata;
  r.stratum_totals.resize(harmsim::model::kMetricCount * kTotalsStrata);
  for (std::size_t i = 0; i < r.stratum_totals.size(); ++i)
    r.stratum_totals[i] = static_cast<double>(point) + 0.5 * static_cast<double>(i + replicate);
  for (std::size_t i = 0; i < r.exposure.size(); ++i) r.exposure[i] = point + i;
  r.daily.resize(harmsim::model::kMetricCount * kDays);
  for (std::size_t i = 0; i < r.daily.size(); ++i) r.daily[i] = static_cast<float>(point) + 0.25f * static_cast<float>(i);
  return r;
}

void check_equal(const UnitRecord& a, const UnitRecord& b) {
  CHECK(a.point == b.point);
  CHECK(a.replicate == b.replicate);
  CHECK(a.seed == b.seed);
  CHECK(a.events == b.events);
  CHECK(a.days == b.days);
  CHECK(a.strata == b.strata);
  CHECK(a.totals == b.totals);
  CHECK(a.totals_strata == b.totals_strata);
  CHECK(a.stratum_totals == b.stratum_totals);
  CHECK(a.exposure == b.exposure);
  CHECK(a.daily == b.daily);
  CHECK(a.series == b.series);
}

std::vector<fs::path> journals(const fs::path& directory) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(directory))
    if (entry.path().extension() == ".journal") out.push_back(entry.path());
  return out;
}

// Bytes of the record of a unit of sweep-a (records are deflated: their
// sizes differ).
std::size_t record_bytes(std::uint64_t point, std::uint64_t replicate) {
  return harmsim::io::encode_unit_record(record(point, replicate), "sweep-a").size();
}

}  // namespace

TEST_CASE("a unit appended to a journal is found by another reader at once, before any sync", "[checkpoint]") {
  ScratchDir dir("journal");
  const CheckpointDir checkpoints(dir.path() / "work", "sweep-a", "manifest\n");
  checkpoints.open_or_create(0);
  UnitJournal journal(checkpoints);
  journal.append(record(2, 5));
  journal.append(record(0, 1));

  const CheckpointDir reader_dir(dir.path() / "work", "sweep-a", "manifest\n");
  JournalIndex index(reader_dir);
  index.scan();
  CHECK(index.size() == 2);
  CHECK(index.has(2, 5));
  CHECK(index.has(0, 1));
  CHECK_FALSE(index.has(0, 5));
  std::string problem;
  const std::optional<UnitRecord> back = index.read(2, 5, &problem);
  INFO(problem);
  REQUIRE(back);
  check_equal(*back, record(2, 5));

  // A later scan adds what was appended since, to this journal or a new one.
  journal.sync();
  journal.append(record(1, 1));
  UnitJournal second(checkpoints);
  second.append(record(3, 0));
  index.scan();
  CHECK(index.size() == 4);
  CHECK(index.has(1, 1));
  CHECK(index.has(3, 0));
  CHECK(journals(dir.path() / "work").size() == 2);
}

TEST_CASE("units appended by a process killed with SIGKILL before any sync are all found; a record cut short is not",
          "[checkpoint]") {
  ScratchDir dir("journal");
  const CheckpointDir checkpoints(dir.path() / "work", "sweep-a", "manifest\n");
  checkpoints.open_or_create(0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // No sync, no destructor: the process dies right after its appends.
    UnitJournal journal(checkpoints);
    for (std::uint64_t r = 0; r < 5; ++r) journal.append(record(1, r));
    ::kill(getpid(), SIGKILL);
    _exit(0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  const std::vector<fs::path> written = journals(dir.path() / "work");
  REQUIRE(written.size() == 1);
  std::size_t appended = 0;
  for (std::uint64_t r = 0; r < 5; ++r) appended += record_bytes(1, r);
  CHECK(fs::file_size(written[0]) == appended);

  // The tail of an append cut short (a kill inside write(), or a crash):
  // the first half of a sixth record.
  std::string sixth;
  const CheckpointDir scratch_dir(dir.path() / "scratch", "sweep-a", "manifest\n");
  scratch_dir.open_or_create(0);
  {
    UnitJournal scratch(scratch_dir);
    scratch.append(record(1, 5));
    const std::vector<fs::path> files = journals(dir.path() / "scratch");
    REQUIRE(files.size() == 1);
    std::ifstream in(files[0], std::ios::binary);
    sixth.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(sixth.size() == record_bytes(1, 5));
  {
    std::ofstream out(written[0], std::ios::binary | std::ios::app);
    out.write(sixth.data(), static_cast<std::streamsize>(sixth.size() / 2));
  }

  JournalIndex index(checkpoints);
  index.scan();
  CHECK(index.size() == 5);
  for (std::uint64_t r = 0; r < 5; ++r) {
    INFO("replicate " << r);
    const std::optional<UnitRecord> back = index.read(1, r);
    REQUIRE(back);
    check_equal(*back, record(1, r));
  }
  CHECK_FALSE(index.has(1, 5));

  // A resumed run appends to journals of its own, never after a cut tail.
  UnitJournal resumed(checkpoints);
  resumed.append(record(1, 5));
  index.scan();
  CHECK(index.size() == 6);
  REQUIRE(index.read(1, 5));
  check_equal(*index.read(1, 5), record(1, 5));
}

TEST_CASE("a record damaged inside is refused when read or verified, and records of another sweep are never taken",
          "[checkpoint]") {
  ScratchDir dir("journal");
  const CheckpointDir checkpoints(dir.path() / "work", "sweep-a", "manifest\n");
  checkpoints.open_or_create(0);
  {
    UnitJournal journal(checkpoints);
    journal.append(record(0, 0));
    journal.append(record(0, 1));
    journal.sync();
  }
  const std::vector<fs::path> written = journals(dir.path() / "work");
  REQUIRE(written.size() == 1);
  {  // One byte of the first record's (deflated) data changes.
    std::fstream f(written[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(record_bytes(0, 0) - 20));
    f.put('\x55');
  }
  const CheckpointDir other(dir.path() / "work", "sweep-b", "manifest\n");
  {
    UnitJournal journal(other);
    journal.append(record(0, 2));
  }

  JournalIndex index(checkpoints);
  index.scan();
  CHECK(index.has(0, 0));  // found by its header...
  std::string problem;
  CHECK_FALSE(index.read(0, 0, &problem));  // ...refused by its checksum, so it is run again
  CHECK(problem.find("damaged (checksum)") != std::string::npos);
  REQUIRE(index.read(0, 1));
  check_equal(*index.read(0, 1), record(0, 1));
  CHECK_FALSE(index.has(0, 2));  // sweep-b's
  CHECK(index.size() == 2);

  // A verifying scan (before a resumed sweep runs) leaves it out at once,
  // so that it is run again with the other units still to run.
  JournalIndex verified(checkpoints);
  verified.scan(true);
  CHECK_FALSE(verified.has(0, 0));
  CHECK(verified.has(0, 1));
  REQUIRE(verified.damaged().size() == 1);
  CHECK(verified.damaged()[0].find("at byte 0: unit p0 replicate 0: damaged (checksum)") != std::string::npos);
}

TEST_CASE("a unit file of an earlier record version is refused, naming both versions, so that it is run again",
          "[checkpoint]") {
  ScratchDir dir("unit-version");
  const CheckpointDir checkpoints(dir.path() / "work", "run-a", "manifest\n", "run");
  checkpoints.open_or_create(1);
  checkpoints.write(record(0, 2));
  REQUIRE(checkpoints.read(0, 2));
  check_equal(*checkpoints.read(0, 2), record(0, 2));
  {  // The magic of a version-3 record (before records were deflated).
    std::fstream f(checkpoints.unit_path(0, 2), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(7);
    f.put('3');
  }
  std::string problem;
  CHECK_FALSE(checkpoints.read(0, 2, &problem));
  CHECK(problem == checkpoints.unit_path(0, 2).string() +
                       ": written by another version of harmsim (unit record version 3, this one reads 4)");
}

