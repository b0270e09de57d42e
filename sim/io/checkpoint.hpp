#pragma once
// Finished work kept on disk until the output file is assembled, so that a
// killed `harmsim sweep` or `harmsim run` resumes with the same command and
// never redoes or loses a finished replicate (docs/sweeps.md "Resuming",
// docs/output.md "Interrupted runs").
//
// The unit of work is one replicate of one group: a point of a sweep, or a
// scenario (by its index in the command) of a run. Layout of OUTPUT.work/:
//   manifest          what identifies the sweep or run and the program; a
//                     rerun of something else (or another program) into it
//                     is refused
//   p<k>/r<r>.unit    one finished unit of group k, written to a temporary
//                     name, synced and renamed: a file with this name is
//                     complete
// Any process (thread, MPI rank, array task) may write any unit file; the
// files are in the machine's byte order, so a directory is read back on
// machines of the same kind (in practice: little-endian everywhere).
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
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
  std::array<double, model::kMetricCount> totals{};  // horizon totals, stratum "all"
  model::ExposureTable exposure{};
  std::vector<float> daily;   // [metric][day], stratum "all"
  std::vector<float> series;  // [metric][day][stratum] when kept (runs, sweeps with --per-replicate), else empty
};

// The record of replicate `rep` (rep.replicate) of group `point`; keeps every
// stratum's series only when `keep_series`.
[[nodiscard]] UnitRecord make_unit_record(std::uint64_t point, const model::ReplicateResult& rep, bool keep_series);
// The replicate back from a record that kept its series (record.strata > 0).
[[nodiscard]] model::ReplicateResult to_replicate_result(UnitRecord record);

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

  // Creates the directory, its manifest and the p<k> folders, or checks the
  // manifest of an existing one (CheckpointMismatch if it differs, IoError if
  // it cannot be written).
  void open_or_create(std::size_t groups) const;

  [[nodiscard]] std::filesystem::path unit_path(std::uint64_t point, std::uint64_t replicate) const;
  // Bytes of a unit file with these sizes.
  [[nodiscard]] static std::size_t unit_bytes(std::uint64_t days, std::uint64_t strata);
  // A finished unit file of the expected size exists.
  [[nodiscard]] bool has(std::uint64_t point, std::uint64_t replicate, std::size_t expected_bytes) const;
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

 private:
  std::filesystem::path directory_;
  std::string id_;
  std::string manifest_;
  std::string kind_;
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
[[nodiscard]] RunIdentity run_identity(const std::vector<Scenario>& scenarios, const std::string& harmsim_version,
                                       const std::string& git_commit);

}  // namespace harmsim::io
