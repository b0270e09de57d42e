#pragma once
// Sweep files (sweep.h5) and shard files, exactly as docs/output.md ("Sweep
// files") describes them. Written as NAME.partial and renamed once complete,
// like results.h5 (io/hdf5_writer.hpp). Datasets are a function of the unit
// records alone: the same records give byte-identical datasets, whichever
// threads, ranks or shards produced them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/hdf5_writer.hpp"
#include "io/sweep.hpp"
#include "io/checkpoint.hpp"
#include "model/results.hpp"

namespace harmsim::io {

// docs/output.md "Sweep files". Bump with any change to their layout.
// Version 2 added each point's exposure tables and stratum totals.
inline constexpr std::int64_t kSweepSchemaVersion = 2;

// What a point group says about its scenario.
struct PointMeta {
  std::string stream;         // RNG stream name, "<scenario>/p<k>"
  std::uint64_t seed = 0;     // master seed (simulation.seed)
  std::int64_t days = 0;      // reported days
  std::int64_t warmup_days = 0;
  std::int64_t communities = 0;  // strata of the per-replicate series
};

// Everything of a sweep file but its points' numbers.
struct SweepHeader {
  std::string sweep_id;
  std::string design;  // "grid" or "lhs"
  std::uint64_t design_seed = 0;
  std::string scenario;     // the base scenario's name
  std::string base_config;  // the resolved base scenario as TOML
  std::int64_t replicates = 0;
  std::vector<std::string> parameters;
  std::vector<double> values;  // [points × parameters], row-major
  std::vector<PointMeta> points;
  bool per_replicate = false;
  std::int64_t shard_index = 0, shard_count = 0;  // shard i of n (1-based); 0 of 0: a whole sweep
  std::string harmsim_version, git_commit;         // of the program that computed the units

  [[nodiscard]] bool is_shard() const noexcept { return shard_count > 0; }
};

[[nodiscard]] SweepHeader make_sweep_header(const Sweep& sweep, bool per_replicate, std::int64_t shard_index,
                                            std::int64_t shard_count, const std::string& harmsim_version,
                                            const std::string& git_commit);

class SweepWriter {
 public:
  // Creates FINAL.partial with the root attributes (except complete and
  // finished_at), /metrics and /design.
  SweepWriter(std::filesystem::path final_path, const SweepHeader& header, const std::string& command_line,
              const std::string& started_at);

  // Writes /points/p<k> from its records in replicate order. A whole sweep
  // needs every replicate 0..R-1 (std::invalid_argument otherwise) and gets
  // totals and summaries; a shard takes the ones it holds (possibly none) and
  // keeps their daily series of stratum "all", from which merge makes the
  // summaries. Points must be written in order 0, 1, ...
  void write_point(std::size_t point, const std::vector<UnitRecord>& records);

  // Writes finished_at, then complete = 1 last; syncs and renames to FINAL.
  void finish();

  ~SweepWriter();
  SweepWriter(const SweepWriter&) = delete;
  SweepWriter& operator=(const SweepWriter&) = delete;

  [[nodiscard]] const std::filesystem::path& partial_path() const noexcept { return partial_path_; }

 private:
  struct File;
  std::filesystem::path final_path_, partial_path_;
  SweepHeader header_;
  std::size_t next_point_ = 0;
  std::unique_ptr<File> file_;
};

// An upper bound on the bytes of the sweep or shard file of `header` (every
// dataset counted uncompressed, a shard as if it held every replicate, with
// room for HDF5's own structures): what a full disk must have free for it,
// told to the user when it ran out. Within a few per cent of the file without
// --per-replicate, whose datasets are not compressed.
[[nodiscard]] std::uint64_t sweep_file_bytes_at_most(const SweepHeader& header);

// What an existing file is, to decide whether a rerun has anything to do.
struct SweepFileStatus {
  bool sweep = false;     // a sweep or shard file (readable, with a sweep_id)
  bool complete = false;  // complete = 1
  std::string sweep_id;
  std::int64_t shard_index = 0, shard_count = 0;
  bool per_replicate = false;
};
[[nodiscard]] SweepFileStatus inspect_sweep_file(const std::filesystem::path& path);

// A finished sweep file (not a shard), read point by point as the
// evaluation of targets needs it (app/evaluate.hpp): of every replicate its
// days, stratum totals and exposure tables (no daily series). Calibration
// reads its waves' sweeps with it.
class SweepFileReader {
 public:
  // Opens and checks the file: complete, a whole sweep, a schema this
  // program reads, this program's metrics. IoError with the reason otherwise.
  explicit SweepFileReader(const std::filesystem::path& path);
  ~SweepFileReader();
  SweepFileReader(SweepFileReader&&) noexcept;
  SweepFileReader& operator=(SweepFileReader&&) noexcept;

  [[nodiscard]] const std::string& sweep_id() const noexcept { return sweep_id_; }
  [[nodiscard]] std::size_t points() const noexcept { return points_; }
  // Point k's replicates, in replicate order (replicate, days, stratum
  // totals and exposure tables set; series empty).
  [[nodiscard]] std::vector<model::ReplicateResult> read_point(std::size_t point) const;

 private:
  struct File;
  std::filesystem::path path_;
  std::string sweep_id_;
  std::size_t points_ = 0;
  std::unique_ptr<File> file_;
};

// A finished shard file, read by `harmsim merge`.
class ShardReader {
 public:
  // Opens and checks the file: complete, a shard, a schema this program
  // reads. IoError with the reason otherwise.
  explicit ShardReader(const std::filesystem::path& path);
  ~ShardReader();
  ShardReader(ShardReader&&) noexcept;
  ShardReader& operator=(ShardReader&&) noexcept;

  [[nodiscard]] const SweepHeader& header() const noexcept { return header_; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  // The replicates of point k in this shard, ascending.
  [[nodiscard]] const std::vector<std::uint64_t>& replicates(std::size_t point) const { return replicates_.at(point); }
  // Their records.
  [[nodiscard]] std::vector<UnitRecord> read_point(std::size_t point) const;

 private:
  struct File;
  std::filesystem::path path_;
  SweepHeader header_;
  std::vector<std::vector<std::uint64_t>> replicates_;
  std::unique_ptr<File> file_;
};

}  // namespace harmsim::io
