#pragma once
// Finished work kept on disk until the output file is assembled, so that a
// killed `harmsim sweep` or `harmsim run` resumes with the same command and
// never redoes or loses a finished replicate (docs/sweeps.md "Resuming",
// docs/output.md "Interrupted runs").
//
// The unit of work is one replicate of one group: a point of a sweep, or a
// scenario (by its index in the command) of a run. Its record (UnitRecord)
// is stored as a self-checking block of bytes (magic, id, indices, sizes,
// data deflated with zlib, checksum of what is stored): about 1/18 of the
// series' size in memory for the default comparison (docs/performance.md
// "Checkpoint size"). Layout of OUTPUT.work/:
//   manifest          what identifies the sweep or run and the program; a
//                     rerun of something else (or another program) into it
//                     is refused
//   p<k>/r<r>.unit    runs: one finished replicate of scenario k, written to
//                     a temporary name, synced and renamed: a file with this
//                     name is complete (few, large units: a file each costs
//                     nothing next to them)
//   <host>-<pid>-<n>.journal
//                     sweeps: the records of finished units appended one
//                     after another by one writer (a thread of a process;
//                     UnitJournal), synced in batches. Many small units: one
//                     file and one fsync per unit would cost as much as a
//                     unit (docs/performance.md "Sweep scaling"), and
//                     parallel filesystems dislike millions of files.
// Any process (thread, MPI rank, array task) may write any unit; the records
// are in the machine's byte order, so a directory is read back on machines
// of the same kind (in practice: little-endian everywhere).
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/scenario.hpp"
#include "model/metrics.hpp"
#include "model/results.hpp"

namespace harmsim::io {

struct UnitRecord {
  std::uint64_t point = 0, replicate = 0;  // group (sweep point or run scenario) and replicate
  std::uint64_t seed = 0;    // the replicate's stream seed
  std::uint64_t events = 0;  // events processed
  std::uint64_t days = 0;    // reported days
  std::uint64_t strata = 0;  // strata of `series`; 0 when it is not kept
  std::uint64_t totals_strata = 0;  // strata of `stratum_totals` (always kept)
  std::array<double, model::kMetricCount> totals{};  // horizon totals, stratum "all"
  std::vector<double> stratum_totals;  // [metric][stratum], horizon totals in every stratum
  model::ExposureTable exposure{};
  std::vector<float> daily;   // [metric][day], stratum "all"
  std::vector<float> series;  // [metric][day][stratum] when kept (runs, sweeps with --per-replicate), else empty
};

// The record of replicate `rep` (rep.replicate) of group `point`; keeps every
// stratum's series only when `keep_series`.
[[nodiscard]] UnitRecord make_unit_record(std::uint64_t point, const model::ReplicateResult& rep, bool keep_series);
// The replicate back from a record that kept its series (record.strata > 0).
[[nodiscard]] model::ReplicateResult to_replicate_result(UnitRecord record);

// The bytes CheckpointDir::write and UnitJournal::append store for `record`
// of the work `id`; and the record back from such bytes, or nullopt with the
// reason in `problem` if they are not a whole, undamaged record of unit
// (point, replicate) of `id` (`kind`, "sweep" or "run", names the work in
// it). For tests and bench/.
[[nodiscard]] std::string encode_unit_record(const UnitRecord& record, const std::string& id);
[[nodiscard]] std::optional<UnitRecord> decode_unit_record(std::string_view bytes, const std::string& id,
                                                           const std::string& kind, std::uint64_t point,
                                                           std::uint64_t replicate, std::string* problem = nullptr);

// A checkpoint directory that belongs to another sweep, run or program.
class CheckpointMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CheckpointDir {
 public:
  // `id` (at most 32 characters) is written into every unit file; `manifest`
  // is the text that identifies the work (sweep_manifest, run_manifest);
  // `kind` ("sweep", "run") names it in messages.
  CheckpointDir(std::filesystem::path directory, std::string id, std::string manifest, std::string kind = "sweep");

  // Creates the directory, its manifest and `groups` p<k> folders (runs; 0
  // for sweeps, whose units go to journals), or checks the manifest of an
  // existing one (CheckpointMismatch if it differs, IoError if it cannot be
  // written).
  void open_or_create(std::size_t groups) const;

  [[nodiscard]] std::filesystem::path unit_path(std::uint64_t point, std::uint64_t replicate) const;
  // The most bytes a unit file (or journal record) with these sizes takes:
  // `strata` of the series (0 when they are not kept) and `totals_strata`
  // of the stratum totals. Its data are deflated, so it usually takes much
  // less; they are stored as they are (this many bytes) only when deflate
  // would not make them smaller.
  [[nodiscard]] static std::size_t unit_bytes(std::uint64_t days, std::uint64_t strata, std::uint64_t totals_strata);
  // What a unit of at most `most_bytes` (unit_bytes) is expected to take on
  // the disk, for the checks of free space before a run: a generous
  // estimate of the deflated size, not a bound.
  [[nodiscard]] static std::size_t expected_bytes(std::size_t most_bytes);
  // A unit file that may be finished exists: a file of a size a record of
  // at most `most_bytes` can have (read() checks the rest).
  [[nodiscard]] bool has(std::uint64_t point, std::uint64_t replicate, std::size_t most_bytes) const;
  // Writes a unit atomically (temporary file, fsync, rename). Thread-safe.
  // IoError names the unit file and the system's reason (e.g. "No space left
  // on device"); the temporary file is removed and no other unit is touched.
  void write(const UnitRecord& record) const;
  // Reads and checks a unit (id, indices, sizes, checksum); nullopt with
  // the reason in `problem` if it is missing or damaged.
  [[nodiscard]] std::optional<UnitRecord> read(std::uint64_t point, std::uint64_t replicate,
                                               std::string* problem = nullptr) const;
  // Removes the directory and everything in it (after the output is out).
  void remove() const;

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] const std::string& kind() const noexcept { return kind_; }

 private:
  std::filesystem::path directory_;
  std::string id_;
  std::string manifest_;
  std::string kind_;
};

// Appends the records of finished units to a journal of its own in a
// checkpoint directory: `<host>-<pid>-<n>.journal`, created at the first
// append with a name no other writer (thread, process, host, earlier run)
// has. One writer per journal: a UnitJournal is used by one thread.
//
// The guarantees (docs/sweeps.md "Resuming"):
// - Once append() returns, the record is in the kernel: killing the process
//   (kill -9, a scheduler's SIGKILL) loses nothing appended; a rerun finds it.
// - Once sync() returns, every record appended before is on disk (fsync of
//   the journal and, after its creation, of the directory): a crash of the
//   machine loses none of them. Callers report a unit as finished only after
//   a sync that covers it (app/distribute.hpp).
// - A record is found only if it is whole: one killed while being appended,
//   or cut short by a crash, fails the size and identity checks of the reader
//   (JournalIndex) and its unit is run again. Data damaged inside a whole
//   record fails the checksum when it is read, and its unit is run again.
class UnitJournal {
 public:
  explicit UnitJournal(const CheckpointDir& directory);
  ~UnitJournal();
  UnitJournal(const UnitJournal&) = delete;
  UnitJournal& operator=(const UnitJournal&) = delete;

  // One write() of the record at the end of the journal. IoError names the
  // journal and the system's reason; the journal is then cut back to its
  // whole records, and later appends may still succeed.
  void append(const UnitRecord& record);
  // fsync of everything appended so far (nothing to do if nothing was).
  // IoError if the system refuses.
  void sync();

  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  const CheckpointDir& directory_;
  std::filesystem::path path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;       // bytes of whole records
  bool unsynced_ = false;        // records appended since the last sync
  bool directory_synced_ = false;  // the journal's name is on disk
};

// Every record found in the journals of a checkpoint directory, by unit.
// scan() reads what was appended since the last scan (new journals, new
// records of known ones): rank 0 scans once before running (which units are
// finished, every record checked) and again before assembling (where each
// unit is; each record is checked as it is read).
class JournalIndex {
 public:
  explicit JournalIndex(const CheckpointDir& directory);
  ~JournalIndex();
  JournalIndex(const JournalIndex&) = delete;
  JournalIndex& operator=(const JournalIndex&) = delete;

  // Reads the headers of the new records: each whole record (identity and
  // size checked) is indexed; a journal's scan stops at a record that is cut
  // short or not a record of this directory (the tail of a killed append, or
  // of a crash). With `verify`, each record is also read whole and one that
  // fails its checksum (a crash can leave a whole header on lost data) is
  // left out, so its unit is run again with the others rather than alone
  // when the output is assembled. IoError if the directory cannot be listed
  // or a journal read.
  void scan(bool verify = false);
  // What each record left out by a verifying scan was ("JOURNAL at byte N:
  // unit pK replicate R: damaged (checksum)").
  [[nodiscard]] const std::vector<std::string>& damaged() const noexcept { return damaged_; }
  [[nodiscard]] bool has(std::uint64_t point, std::uint64_t replicate) const;
  [[nodiscard]] std::size_t size() const noexcept { return where_.size(); }
  // Reads and checks a unit (id, indices, sizes, checksum); nullopt with the
  // reason in `problem` if it is not in the index or damaged.
  [[nodiscard]] std::optional<UnitRecord> read(std::uint64_t point, std::uint64_t replicate,
                                               std::string* problem = nullptr) const;

 private:
  struct Journal;
  struct Location {
    std::uint32_t journal = 0;
    std::uint64_t offset = 0, bytes = 0;
  };
  const CheckpointDir& directory_;
  std::vector<std::unique_ptr<Journal>> journals_;
  std::unordered_map<std::string, std::size_t> journal_by_name_;
  std::unordered_map<std::uint64_t, Location> where_;  // key: point << 32 | replicate
  std::vector<std::string> damaged_;
};

// The manifest of a sweep's checkpoint directory.
[[nodiscard]] std::string sweep_manifest(const std::string& sweep_id, std::size_t points, std::int64_t replicates,
                                         bool per_replicate, std::int64_t shard_index, std::int64_t shard_count,
                                         const std::string& harmsim_version, const std::string& git_commit);

// What identifies a `harmsim run`: a hash of every scenario's fully resolved
// configuration (to_toml, which is also what results.h5 stores), in order,
// and of the program. Two commands with the same `id` write the same datasets.
struct RunIdentity {
  std::string id;        // 16 hex digits
  std::string manifest;  // one line per scenario (name, replicates, config hash), the program, the id
};
// `extra`, when not empty, is more that determines the results (the parameter
// draws of `harmsim run --posterior`), one or more lines added to the manifest.
[[nodiscard]] RunIdentity run_identity(const std::vector<Scenario>& scenarios, const std::string& harmsim_version,
                                       const std::string& git_commit, const std::string& extra = {});

}  // namespace harmsim::io
