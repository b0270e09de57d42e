#pragma once
// What one work unit of a sweep (one replicate of one point) leaves behind,
// and the checkpoint directory that keeps it until the sweep file is
// assembled (docs/sweeps.md, "Resuming").
//
// Layout of OUTPUT.work/:
//   manifest          the sweep_id, sizes and program version; a rerun of a
//                     different sweep (or program) into it is refused
//   p<k>/r<r>.unit    one finished unit, written to a temporary name, synced
//                     and renamed: a file with this name is complete
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

#include "model/metrics.hpp"
#include "model/results.hpp"

namespace harmsim::io {

struct UnitRecord {
  std::uint64_t point = 0, replicate = 0;
  std::uint64_t seed = 0;    // the replicate's stream seed
  std::uint64_t events = 0;  // events processed
  std::uint64_t days = 0;    // reported days
  std::uint64_t strata = 0;  // strata of `series`; 0 when it is not kept
  std::array<double, model::kMetricCount> totals{};  // horizon totals, stratum "all"
  std::vector<float> daily;   // [metric][day], stratum "all"
  std::vector<float> series;  // [metric][day][stratum] with --per-replicate, else empty
};

// The record of replicate `rep` (rep.replicate) of point `point`; keeps every
// stratum's series only when `keep_series`.
[[nodiscard]] UnitRecord make_unit_record(std::uint64_t point, const model::ReplicateResult& rep, bool keep_series);

// A checkpoint directory that belongs to another sweep or program.
class CheckpointMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class CheckpointDir {
 public:
  // `manifest` is the text that identifies the sweep (see sweep_manifest).
  CheckpointDir(std::filesystem::path directory, std::string sweep_id, std::string manifest);

  // Creates the directory, its manifest and the p<k> folders, or checks the
  // manifest of an existing one (CheckpointMismatch if it differs, IoError if
  // it cannot be written).
  void open_or_create(std::size_t points) const;

  [[nodiscard]] std::filesystem::path unit_path(std::uint64_t point, std::uint64_t replicate) const;
  // Bytes of a unit file with these sizes.
  [[nodiscard]] static std::size_t unit_bytes(std::uint64_t days, std::uint64_t strata);
  // A finished unit file of the expected size exists.
  [[nodiscard]] bool has(std::uint64_t point, std::uint64_t replicate, std::size_t expected_bytes) const;
  // Writes a unit atomically (temporary file, fsync, rename). Thread-safe.
  void write(const UnitRecord& record) const;
  // Reads and checks a unit (sweep, indices, sizes, checksum); nullopt with
  // the reason in `problem` if it is missing or damaged.
  [[nodiscard]] std::optional<UnitRecord> read(std::uint64_t point, std::uint64_t replicate,
                                               std::string* problem = nullptr) const;
  // Removes the directory and everything in it (after the sweep file is out).
  void remove() const;

  [[nodiscard]] const std::filesystem::path& directory() const noexcept { return directory_; }

 private:
  std::filesystem::path directory_;
  std::string sweep_id_;
  std::string manifest_;
};

// The manifest of a sweep's checkpoint directory.
[[nodiscard]] std::string sweep_manifest(const std::string& sweep_id, std::size_t points, std::int64_t replicates,
                                         bool per_replicate, std::int64_t shard_index, std::int64_t shard_count,
                                         const std::string& harmsim_version, const std::string& git_commit);

}  // namespace harmsim::io
