// The journals of a sweep's checkpoint directory (sim/io/checkpoint.hpp): what
// a killed process appended is found without any sync, a record cut short is
// not, a damaged one is refused when read (or left out by a verifying scan),
// and records of another sweep are never taken. And the records themselves:
// deflated and back bit for bit, damage found before or while inflating,
// directories of an earlier format refused.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/rng.hpp"
#include "io/checkpoint.hpp"
#include "scratch_dir.hpp"

namespace fs = std::filesystem;
using harmsim::io::CheckpointDir;
using harmsim::io::JournalIndex;
using harmsim::io::UnitJournal;
using harmsim::io::UnitRecord;

using harmsim::test::ScratchDir;

namespace {

constexpr std::uint64_t kCheckpointDays = 5;
constexpr std::uint64_t kTotalsStrata = 3;

// A record whose every number says which unit it is.
UnitRecord record(std::uint64_t point, std::uint64_t replicate) {
  UnitRecord r;
  r.point = point;
  r.replicate = replicate;
  r.seed = 1000 * point + replicate;
  r.events = 7 * point + replicate;
  r.days = kCheckpointDays;
  for (std::size_t m = 0; m < r.totals.size(); ++m) r.totals[m] = static_cast<double>(point * 100 + replicate + m);
  r.totals_strata = kTotalsStrata;
  r.stratum_totals.resize(harmsim::model::kMetricCount * kTotalsStrata);
  for (std::size_t i = 0; i < r.stratum_totals.size(); ++i)
    r.stratum_totals[i] = static_cast<double>(point) + 0.5 * static_cast<double>(i + replicate);
  for (std::size_t i = 0; i < r.exposure.size(); ++i) r.exposure[i] = point + i;
  r.daily.resize(harmsim::model::kMetricCount * kCheckpointDays);
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

// --- the encoding of records (version 4: deflated) --------------------------------

namespace {

// A record shaped like a run's: every stratum's series kept, daily counts
// that are mostly zero, levels that drift, shares in [0, 1] — what deflate
// shrinks in a real run.
UnitRecord run_record(std::uint64_t point, std::uint64_t replicate, std::uint64_t days = 60,
                      std::uint64_t strata = 7) {
  UnitRecord r = record(point, replicate);
  r.days = days;
  r.strata = strata;
  r.totals_strata = strata;
  r.stratum_totals.assign(harmsim::model::kMetricCount * strata, 0.0);
  for (std::size_t i = 0; i < r.stratum_totals.size(); ++i) r.stratum_totals[i] = static_cast<double>(i % 11);
  r.series.assign(harmsim::model::kMetricCount * days * strata, 0.0f);
  std::uint64_t state = 1 + point * 7919 + replicate;
  for (std::size_t m = 0; m < harmsim::model::kMetricCount; ++m)
    for (std::size_t d = 0; d < days; ++d)
      for (std::size_t s = 0; s < strata; ++s) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        const std::uint64_t draw = state >> 33;
        float value = 0.0f;
        if (m % 3 == 0 && draw % 5 == 0) value = static_cast<float>(draw % 4);         // a rare count
        if (m % 3 == 1) value = 1000.0f + static_cast<float>(d / 10 + s);                 // a level
        if (m % 3 == 2 && s == 0) value = static_cast<float>(draw % 1000) / 1000.0f;   // a share
        r.series[(m * days + d) * strata + s] = value;
      }
  r.daily.assign(harmsim::model::kMetricCount * days, 0.0f);
  for (std::size_t m = 0; m < harmsim::model::kMetricCount; ++m)
    for (std::size_t d = 0; d < days; ++d) r.daily[m * days + d] = r.series[(m * days + d) * strata];
  return r;
}

// The same bits (NaNs and negative zeros included, which == does not tell).
template <typename T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), sizeof(T) * a.size()) == 0);
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Where the words of the header start (magic, byte-order mark, id), and the
// header's length (10 words: ..., encoding, stored).
constexpr std::size_t kWordsAt = 8 + 8 + 32;
constexpr std::size_t kHeaderLength = kWordsAt + 10 * 8;

std::uint64_t word(const std::string& bytes, std::size_t index) {
  std::uint64_t v = 0;
  std::memcpy(&v, bytes.data() + kWordsAt + 8 * index, sizeof v);
  return v;
}

// The checksum a record ends with, made again over `bytes` after a change:
// damage that the checksum cannot see (as a forger would make it).
void reseal(std::string& bytes) {
  const std::uint64_t sum = harmsim::core::splitmix64(
      harmsim::core::fnv1a64(std::string_view(bytes).substr(0, bytes.size() - 8)));
  std::memcpy(bytes.data() + bytes.size() - 8, &sum, sizeof sum);
}

}  // namespace

TEST_CASE("a unit record comes back with the same bits after it is deflated, and takes a fraction of its size",
          "[checkpoint][encoding]") {
  ScratchDir dir("unit-encoding");
  const CheckpointDir checkpoints(dir.path() / "work", "run-a", "manifest\n", "run");
  checkpoints.open_or_create(2);
  UnitRecord r = run_record(1, 3);
  // Values whose bits must survive: NaN, infinities, -0, the smallest float.
  r.series[5] = std::numeric_limits<float>::quiet_NaN();
  r.series[6] = -0.0f;
  r.series[7] = std::numeric_limits<float>::infinity();
  r.series[8] = std::numeric_limits<float>::denorm_min();
  r.stratum_totals[2] = std::numeric_limits<double>::signaling_NaN();
  checkpoints.write(r);

  const std::size_t most = CheckpointDir::unit_bytes(r.days, r.strata, r.totals_strata);
  const auto stored = static_cast<std::size_t>(fs::file_size(checkpoints.unit_path(1, 3)));
  CHECK(stored < most / 4);
  CHECK(checkpoints.has(1, 3, most));
  CHECK_FALSE(checkpoints.has(1, 3, stored - 1));  // larger than any record of smaller sizes can be
  const std::string bytes = read_bytes(checkpoints.unit_path(1, 3));
  CHECK(bytes.compare(0, 8, "HSWUNIT4") == 0);
  CHECK(word(bytes, 8) == 1);  // deflated
  CHECK(word(bytes, 9) == stored - kHeaderLength - 8);

  std::string problem;
  const std::optional<UnitRecord> back = checkpoints.read(1, 3, &problem);
  INFO(problem);
  REQUIRE(back);
  CHECK(back->seed == r.seed);
  CHECK(back->events == r.events);
  CHECK(back->strata == r.strata);
  CHECK(same_bits(back->series, r.series));
  CHECK(same_bits(back->daily, r.daily));
  CHECK(same_bits(back->stratum_totals, r.stratum_totals));
  CHECK(back->exposure == r.exposure);
  CHECK(std::memcmp(back->totals.data(), r.totals.data(), sizeof r.totals) == 0);

  // The same bytes whoever writes them (a unit found twice in the journals
  // of a sweep is the same record), and the same through a journal.
  CHECK(harmsim::io::encode_unit_record(r, "run-a") == bytes);
  UnitJournal journal(checkpoints);
  journal.append(r);
  journal.append(run_record(0, 0, 1, 1));  // one day, one stratum
  JournalIndex index(checkpoints);
  index.scan(true);
  CHECK(index.damaged().empty());
  REQUIRE(index.read(1, 3));
  CHECK(same_bits(index.read(1, 3)->series, r.series));
  REQUIRE(index.read(0, 0));
  check_equal(*index.read(0, 0), run_record(0, 0, 1, 1));
}

TEST_CASE("a unit whose data deflate would not shrink is stored as it is, never larger than its sizes allow",
          "[checkpoint][encoding]") {
  UnitRecord r = run_record(0, 1, 40, 3);
  // Noise: every bit pattern, no repeats for deflate to find.
  std::uint64_t state = 12345;
  auto noise = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (float& v : r.series) {
    const auto bits = static_cast<std::uint32_t>(noise());
    std::memcpy(&v, &bits, sizeof v);
  }
  for (float& v : r.daily) {
    const auto bits = static_cast<std::uint32_t>(noise());
    std::memcpy(&v, &bits, sizeof v);
  }
  for (double& v : r.stratum_totals) {
    const std::uint64_t bits = noise();
    std::memcpy(&v, &bits, sizeof v);
  }
  for (double& v : r.totals) {
    const std::uint64_t bits = noise();
    std::memcpy(&v, &bits, sizeof v);
  }
  for (std::uint64_t& v : r.exposure) v = noise();
  const std::string bytes = harmsim::io::encode_unit_record(r, "run-a");
  CHECK(bytes.size() == CheckpointDir::unit_bytes(r.days, r.strata, r.totals_strata));
  CHECK(word(bytes, 8) == 0);  // as it is
  std::string problem;
  const std::optional<UnitRecord> back = harmsim::io::decode_unit_record(bytes, "run-a", "run", 0, 1, &problem);
  INFO(problem);
  REQUIRE(back);
  CHECK(same_bits(back->series, r.series));
  CHECK(same_bits(back->daily, r.daily));
  CHECK(same_bits(back->stratum_totals, r.stratum_totals));
}

TEST_CASE("a damaged deflated record is refused, whether the checksum sees the damage or only inflating does",
          "[checkpoint][encoding]") {
  ScratchDir dir("unit-damage");
  const CheckpointDir checkpoints(dir.path() / "work", "run-a", "manifest\n", "run");
  checkpoints.open_or_create(1);
  const UnitRecord r = run_record(0, 0);
  checkpoints.write(r);
  const fs::path unit = checkpoints.unit_path(0, 0);
  const std::string good = read_bytes(unit);
  const std::size_t stored = word(good, 9);
  REQUIRE(good.size() == kHeaderLength + stored + 8);
  const std::size_t most = CheckpointDir::unit_bytes(r.days, r.strata, r.totals_strata);

  auto refused_as = [&](const std::string& bytes) {
    write_bytes(unit, bytes);
    std::string problem;
    const bool taken = checkpoints.read(0, 0, &problem).has_value();
    CHECK_FALSE(taken);
    const std::string prefix = unit.string() + ": ";
    REQUIRE(problem.rfind(prefix, 0) == 0);
    return problem.substr(prefix.size());
  };

  // Every single bit of the deflated data, flipped in turn (a sample of
  // them: every 7th byte), fails the checksum.
  for (std::size_t at = kHeaderLength; at < kHeaderLength + stored; at += 7) {
    std::string bytes = good;
    bytes[at] = static_cast<char>(bytes[at] ^ (1 << (at % 8)));
    INFO("byte " << at);
    CHECK(refused_as(bytes) == "damaged (checksum)");
  }
  // Damage with a checksum made again over it: zlib's own check of the
  // inflated data (or the stream itself) refuses it.
  for (const std::size_t at : {kHeaderLength + 2, kHeaderLength + stored / 2, kHeaderLength + stored - 2}) {
    std::string bytes = good;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    reseal(bytes);
    INFO("byte " << at);
    CHECK(refused_as(bytes) == "damaged (does not inflate)");
  }
  {  // Deflated data cut short, with its header and checksum made to match.
    std::string bytes = good.substr(0, kHeaderLength + stored / 2) + std::string(8, '\0');
    const std::uint64_t shorter = stored / 2;
    std::memcpy(bytes.data() + kWordsAt + 8 * 9, &shorter, sizeof shorter);
    reseal(bytes);
    CHECK(refused_as(bytes) == "damaged (does not inflate)");
  }
  {  // Trailing bytes after the deflated stream, sealed.
    std::string bytes = good.substr(0, kHeaderLength + stored) + "xyz" + std::string(8, '\0');
    const std::uint64_t longer = stored + 3;
    std::memcpy(bytes.data() + kWordsAt + 8 * 9, &longer, sizeof longer);
    reseal(bytes);
    CHECK(refused_as(bytes) == "damaged (does not inflate)");
  }
  // A header that claims more than a record of its sizes can hold, or an
  // unknown encoding, is refused before anything is allocated or read.
  for (const std::uint64_t claim : {std::uint64_t{most}, std::uint64_t{1} << 60, std::uint64_t{0}}) {
    std::string bytes = good;
    std::memcpy(bytes.data() + kWordsAt + 8 * 9, &claim, sizeof claim);
    INFO("stored = " << claim);
    CHECK(refused_as(bytes) == "damaged (encoding)");
  }
  {
    std::string bytes = good;
    const std::uint64_t unknown = 7;
    std::memcpy(bytes.data() + kWordsAt + 8 * 8, &unknown, sizeof unknown);
    CHECK(refused_as(bytes) == "damaged (encoding)");
  }
  CHECK(refused_as(good.substr(0, good.size() - 1)) == "damaged (wrong size)");
  CHECK(refused_as(good + "x") == "damaged (wrong size)");
  write_bytes(unit, good);
  REQUIRE(checkpoints.read(0, 0));
  CHECK(same_bits(checkpoints.read(0, 0)->series, r.series));
}

TEST_CASE("a journal whose last deflated record is cut short keeps every whole one before it", "[checkpoint][encoding]") {
  ScratchDir dir("journal-torn");
  const CheckpointDir checkpoints(dir.path() / "work", "sweep-a", "manifest\n");
  checkpoints.open_or_create(0);
  std::vector<std::size_t> sizes;
  {
    UnitJournal journal(checkpoints);
    for (std::uint64_t r = 0; r < 4; ++r) {
      journal.append(run_record(2, r));
      sizes.push_back(harmsim::io::encode_unit_record(run_record(2, r), "sweep-a").size());
    }
  }
  const std::vector<fs::path> written = journals(dir.path() / "work");
  REQUIRE(written.size() == 1);
  const std::string whole = read_bytes(written[0]);
  REQUIRE(whole.size() == sizes[0] + sizes[1] + sizes[2] + sizes[3]);
  // Cut inside the header, inside the data, and one byte before the end of
  // the last record.
  const std::size_t last = sizes[0] + sizes[1] + sizes[2];
  for (const std::size_t cut : {last + 20, last + kHeaderLength + 10, whole.size() - 1}) {
    INFO("cut at " << cut);
    write_bytes(written[0], whole.substr(0, cut));
    JournalIndex index(checkpoints);
    index.scan(true);
    CHECK(index.size() == 3);
    CHECK(index.damaged().empty());
    CHECK_FALSE(index.has(2, 3));
    for (std::uint64_t r = 0; r < 3; ++r) REQUIRE(index.read(2, r));
  }
}

TEST_CASE("a checkpoint directory of an earlier format is refused with one line naming both formats",
          "[checkpoint][encoding]") {
  ScratchDir dir("old-format");
  SECTION("a run's") {
    const std::string manifest = harmsim::io::run_identity({}, "0.1.0", "abc").manifest;
    REQUIRE(manifest.rfind("harmsim run checkpoints 2\n", 0) == 0);
    std::string old = manifest;
    old.replace(0, std::string("harmsim run checkpoints 2").size(), "harmsim run checkpoints 1");
    const CheckpointDir earlier(dir.path() / "out.h5.work", "run-a", old, "run");
    earlier.open_or_create(1);
    const CheckpointDir now(dir.path() / "out.h5.work", "run-a", manifest, "run");
    try {
      now.open_or_create(1);
      FAIL("an old directory was taken");
    } catch (const harmsim::io::CheckpointMismatch& e) {
      const std::string message = e.what();
      CHECK(message.find('\n') == std::string::npos);
      CHECK(message == (dir.path() / "out.h5.work").string() +
                           " holds checkpoints in another format, written by another version of harmsim (its "
                           "manifest says `harmsim run checkpoints 1`, this harmsim writes `harmsim run checkpoints "
                           "2`); remove the directory, choose another -o, or pass --force to discard it");
    }
  }
  SECTION("a sweep's") {
    const std::string manifest = harmsim::io::sweep_manifest("id", 2, 3, false, 0, 0, "0.1.0", "abc");
    REQUIRE(manifest.rfind("harmsim sweep checkpoints 4\n", 0) == 0);
    std::string old = manifest;
    old.replace(0, std::string("harmsim sweep checkpoints 4").size(), "harmsim sweep checkpoints 3");
    CheckpointDir(dir.path() / "big.h5.work", "id", old).open_or_create(0);
    CHECK_THROWS_WITH(CheckpointDir(dir.path() / "big.h5.work", "id", manifest).open_or_create(0),
                      Catch::Contains("holds checkpoints in another format, written by another version of harmsim "
                                      "(its manifest says `harmsim sweep checkpoints 3`, this harmsim writes "
                                      "`harmsim sweep checkpoints 4`)"));
  }
  SECTION("another kind of work is still named as such") {
    CheckpointDir(dir.path() / "c.h5.work", "id", "harmsim calibration\ncalibration_id = x\n", "calibration")
        .open_or_create(0);
    CHECK_THROWS_WITH(
        CheckpointDir(dir.path() / "c.h5.work", "id", "harmsim run checkpoints 2\nscenarios = 0\n", "run")
            .open_or_create(0),
        Catch::StartsWith((dir.path() / "c.h5.work").string() + " holds the finished work of another run"));
  }
}
