#pragma once
// Writes results.h5 exactly as docs/output.md describes it. The file is
// written as NAME.partial and renamed to NAME only once every scenario is in
// and the root attribute `complete` = 1 has been written, last; a run that
// stops half-way leaves only NAME.partial, never a file that looks finished.
//
// Everything except the attributes started_at, finished_at and command_line
// is a function of the inputs: the same results give byte-identical datasets.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "model/results.hpp"

namespace harmsim::io {

// docs/output.md "Schema version". Bump with any change to the layout.
// Version 2: exposure tables by sector with the outcome buyer_violence_180d,
// and stratum_totals. Version 3: runs over a calibration's parameter draws
// (`harmsim run --posterior`) write replicate_draw and /posterior.
inline constexpr std::int64_t kSchemaVersion = 3;

// Root attributes describing the run that wrote the file.
struct RunInfo {
  std::string harmsim_version, git_commit, command_line, started_at;
};

// One scenario group: /scenarios/<name>.
struct ScenarioOutput {
  std::string name, description, config_toml;
  std::uint64_t seed = 0;
  std::int64_t warmup_days = 0;
  // In replicate order: replicates[i].replicate == i.
  std::vector<model::ReplicateResult> replicates;
  // With --posterior: the parameter draw of each replicate (written as
  // replicate_draw); empty otherwise (nothing written).
  std::vector<std::int64_t> replicate_draw;
};

// /posterior: the parameter sets a --posterior run drew (docs/output.md
// "Parameter draws").
struct PosteriorOutput {
  std::string calibration, calibration_id;  // the calibration file as given, and its id
  std::vector<std::string> parameters;      // "section.key"
  std::vector<double> points;               // [draws × parameters], in draw order
};

// A failure to create, write, close or rename the results file. The message
// names the file and the object that failed, and HDF5's own reason.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ResultsWriter {
 public:
  // Creates FINAL.partial (truncating any old one) and writes the root
  // attributes except complete and finished_at, /metrics/* and /strata.
  ResultsWriter(std::filesystem::path final_path, const RunInfo& info, std::size_t communities);

  // Writes /scenarios/<name>: attributes, config, replicate seeds, events,
  // series, summaries (model/summary.hpp), totals and exposure tables. Throws
  // std::invalid_argument when the scenario is malformed (no replicates,
  // replicates out of order or of different shapes, a name HDF5 cannot hold)
  // and IoError when writing fails.
  void write_scenario(const ScenarioOutput& s);

  // Writes /posterior (once, before finish()).
  void write_posterior(const PosteriorOutput& p);

  // Writes /scenario_names and finished_at, then complete = 1 last; closes the
  // file, syncs it to disk and renames FINAL.partial to FINAL (replacing an
  // older FINAL). Nothing can be written afterwards.
  void finish();

  // Without finish(): closes the file and leaves FINAL.partial in place.
  ~ResultsWriter();

  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;

  [[nodiscard]] const std::filesystem::path& final_path() const noexcept { return final_path_; }
  [[nodiscard]] const std::filesystem::path& partial_path() const noexcept { return partial_path_; }

 private:
  struct File;  // the open HDF5 file; keeps <hdf5.h> out of this header
  std::filesystem::path final_path_;
  std::filesystem::path partial_path_;
  std::size_t strata_ = 0;
  std::vector<std::string> scenario_names_;
  std::unique_ptr<File> file_;  // null once finished
};

// The sizes of one scenario of a results file, for results_file_bytes_at_most.
struct ScenarioSize {
  std::uint64_t replicates = 0, days = 0, config_bytes = 0;
};
// An upper bound on the bytes of a results file of these scenarios (every
// dataset counted uncompressed, with room for HDF5's own structures): what a
// full disk must have free for it, told to the user when it ran out. gzip
// makes the series several times smaller, so the file is usually far less.
[[nodiscard]] std::uint64_t results_file_bytes_at_most(const std::vector<ScenarioSize>& scenarios,
                                                       std::size_t communities);

// Call first thing in main, before any other HDF5 call: HDF5 then closes
// nothing at exit. Every file harmsim writes or reads is closed explicitly,
// and HDF5 1.10's exit handler crashes on a file whose close failed (a full
// disk), turning a clear error into a segmentation fault.
void keep_hdf5_out_of_exit();

// The current time in UTC as ISO 8601 with seconds, e.g. "2024-05-01T12:00:00Z".
[[nodiscard]] std::string iso8601_utc_now();

}  // namespace harmsim::io
