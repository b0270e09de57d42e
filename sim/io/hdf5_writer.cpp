#include "io/hdf5_writer.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <string_view>
#include <utility>

#include "io/hdf5_file.hpp"
#include "model/summary.hpp"

namespace harmsim::io {
namespace {

using h5::Handle;
using h5::join_path;
using h5::to_strings;

}  // namespace

// The open file and the typed writing primitives (io/hdf5_file.hpp).
struct ResultsWriter::File : h5::Writer {};

ResultsWriter::ResultsWriter(std::filesystem::path final_path, const RunInfo& info,
                             std::size_t communities)
    : final_path_(std::move(final_path)), strata_(model::strata_count(communities)) {
  partial_path_ = final_path_;
  partial_path_ += ".partial";

  auto file = std::make_unique<File>();
  file->create(partial_path_);
  const std::string root = "/";
  const hid_t f = file->file.get();

  file->attribute_int64(f, root, "schema_version", kSchemaVersion);
  file->attribute_string(f, root, "harmsim_version", info.harmsim_version);
  file->attribute_string(f, root, "git_commit", info.git_commit);
  file->attribute_string(f, root, "command_line", info.command_line);
  file->attribute_string(f, root, "started_at", info.started_at);

  h5::write_metric_table(*file, f, root);
  file->dataset_strings(f, root, "strata", model::strata_names(communities));
  file->create_group(f, root, "scenarios");

  file_ = std::move(file);
}

void ResultsWriter::write_scenario(const ScenarioOutput& s) {
  if (!file_) {
    throw std::logic_error("scenario " + s.name + " written after " + partial_path_.string() +
                           " was finished");
  }
  const std::string where = "scenario '" + s.name + "' for " + partial_path_.string();
  if (s.name.empty() || s.name == "." || s.name.find('/') != std::string::npos) {
    throw std::invalid_argument(where + ": the name cannot be an HDF5 group name");
  }
  if (std::find(scenario_names_.begin(), scenario_names_.end(), s.name) != scenario_names_.end()) {
    throw std::invalid_argument(where + ": written twice");
  }
  const std::vector<model::ReplicateResult>& reps = s.replicates;
  if (reps.empty()) throw std::invalid_argument(where + ": no replicates");
  const std::size_t days = reps.front().days;
  for (std::size_t i = 0; i < reps.size(); ++i) {
    const model::ReplicateResult& rep = reps[i];
    if (rep.replicate != i) {
      throw std::invalid_argument(where + ": replicate " + std::to_string(rep.replicate) +
                                  " is at position " + std::to_string(i) +
                                  " (replicates must be 0..R-1 in order)");
    }
    if (rep.days != days || rep.strata != strata_ ||
        rep.series.size() != model::kMetricCount * days * strata_ ||
        rep.stratum_totals.size() != model::kMetricCount * strata_) {
      throw std::invalid_argument(where + ": replicate " + std::to_string(i) + " has " +
                                  std::to_string(rep.days) + " days × " +
                                  std::to_string(rep.strata) + " strata (" +
                                  std::to_string(rep.series.size()) + " values, " +
                                  std::to_string(rep.stratum_totals.size()) + " stratum totals), expected " +
                                  std::to_string(days) + " × " + std::to_string(strata_) + " (" +
                                  std::to_string(model::kMetricCount * days * strata_) + ")");
    }
  }

  const File& file = *file_;
  const std::size_t replicates = reps.size();
  const std::string group_path = "/scenarios/" + s.name;
  const Handle scenarios = file.own(H5Gopen2(file.file.get(), "scenarios", H5P_DEFAULT), H5Gclose,
                                    "open group", "/scenarios");
  const Handle group = file.create_group(scenarios.get(), "/scenarios", s.name);
  const hid_t g = group.get();

  file.attribute_string(g, group_path, "description", s.description);
  file.attribute_uint64(g, group_path, "seed", s.seed);
  file.attribute_int64(g, group_path, "replicates", static_cast<std::int64_t>(replicates));
  file.attribute_int64(g, group_path, "days", static_cast<std::int64_t>(days));
  file.attribute_int64(g, group_path, "warmup_days", s.warmup_days);
  file.dataset_string_scalar(g, group_path, "config", s.config_toml);

  std::vector<std::uint64_t> seeds, events;
  for (const model::ReplicateResult& rep : reps) {
    seeds.push_back(rep.seed);
    events.push_back(rep.events);
  }
  file.dataset_1d(g, group_path, "replicate_seeds", H5T_STD_U64LE, H5T_NATIVE_UINT64, seeds);
  file.dataset_1d(g, group_path, "events", H5T_STD_U64LE, H5T_NATIVE_UINT64, events);
  if (!s.replicate_draw.empty()) {
    if (s.replicate_draw.size() != replicates)
      throw std::invalid_argument(where + ": " + std::to_string(s.replicate_draw.size()) + " draws for " +
                                  std::to_string(replicates) + " replicates");
    file.dataset_1d(g, group_path, "replicate_draw", H5T_STD_I64LE, H5T_NATIVE_INT64, s.replicate_draw);
  }

  const std::string series_path = group_path + "/series";
  const std::string summary_path = group_path + "/summary";
  const std::string totals_path = group_path + "/totals";
  const Handle series = file.create_group(g, group_path, "series");
  const Handle summary = file.create_group(g, group_path, "summary");
  const Handle totals = file.create_group(g, group_path, "totals");
  const std::vector<std::string> statistics = to_strings(model::kSummaryStatistics);
  const std::size_t block = days * strata_;  // one replicate's [D, S] values of one metric

  for (std::size_t mi = 0; mi < model::kMetricCount; ++mi) {
    const auto metric = static_cast<model::Metric>(mi);
    const std::string_view name = model::kMetrics[mi].name;

    // series/<metric>: float32 [R, D, S], one chunk per replicate.
    {
      const std::string object = join_path(series_path, name);
      Handle dataset = file.create_dataset(series.get(), series_path, name, H5T_IEEE_F32LE,
                                           {replicates, days, strata_}, true);
      if (block > 0) {
        const Handle memory = file.simple_space({1, days, strata_}, object);
        const Handle space =
            file.own(H5Dget_space(dataset.get()), H5Sclose, "get the dataspace of", object);
        for (std::size_t r = 0; r < replicates; ++r) {
          const std::array<hsize_t, 3> start = {r, 0, 0};
          const std::array<hsize_t, 3> count = {1, days, strata_};
          file.check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start.data(), nullptr,
                                         count.data(), nullptr),
                     "select a replicate of", object);
          file.check(H5Dwrite(dataset.get(), H5T_NATIVE_FLOAT, memory.get(), space.get(),
                              H5P_DEFAULT, reps[r].series.data() + mi * block),
                     "write replicate " + std::to_string(r) + " of", object);
        }
      }
      file.close(dataset, object);
    }

    // summary/<metric>: float64 [5, D, S] across replicates.
    {
      const std::string object = join_path(summary_path, name);
      const std::vector<double> values = model::summarize_series(reps, metric);
      Handle dataset = file.create_dataset(summary.get(), summary_path, name, H5T_IEEE_F64LE,
                                           {model::kSummaryStatistics.size(), days, strata_}, true);
      if (!values.empty()) file.write_whole(dataset, H5T_NATIVE_DOUBLE, values.data(), object);
      file.attribute_strings(dataset.get(), object, "statistics", statistics);
      file.close(dataset, object);
    }

    // totals/<metric>: float64 [R], stratum "all".
    std::vector<double> horizon;
    for (const model::ReplicateResult& rep : reps) horizon.push_back(rep.totals[mi]);
    file.dataset_1d(totals.get(), totals_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, horizon);
  }

  // exposure: uint64 [R, 3, 3, 3, 4], each replicate's ExposureTable in that
  // order; stratum_totals: float64 [R, M, S].
  std::vector<std::uint64_t> tables;
  std::vector<double> stratum_totals;
  tables.reserve(replicates * std::tuple_size_v<model::ExposureTable>);
  stratum_totals.reserve(replicates * model::kMetricCount * strata_);
  for (const model::ReplicateResult& rep : reps) {
    tables.insert(tables.end(), rep.exposure.begin(), rep.exposure.end());
    stratum_totals.insert(stratum_totals.end(), rep.stratum_totals.begin(), rep.stratum_totals.end());
  }
  h5::write_exposure_tables(file, g, group_path, tables, replicates);
  h5::write_stratum_totals(file, g, group_path, stratum_totals, replicates, strata_);

  scenario_names_.push_back(s.name);
}

void ResultsWriter::write_posterior(const PosteriorOutput& p) {
  if (!file_) throw std::logic_error("/posterior written after " + partial_path_.string() + " was finished");
  const std::size_t columns = p.parameters.size();
  if (columns == 0 || p.points.size() % columns != 0)
    throw std::invalid_argument(partial_path_.string() + ": /posterior: " + std::to_string(p.points.size()) +
                                " values for " + std::to_string(columns) + " parameters");
  const File& file = *file_;
  const std::string path = "/posterior";
  const Handle group = file.create_group(file.file.get(), "/", "posterior");
  file.attribute_string(group.get(), path, "calibration_id", p.calibration_id);
  file.attribute_string(group.get(), path, "calibration", p.calibration);
  file.dataset_strings(group.get(), path, "parameters", p.parameters);
  file.dataset_nd(group.get(), path, "points", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                  {p.points.size() / columns, columns}, p.points.data(), false);
}

void ResultsWriter::finish() {
  if (!file_) throw std::logic_error(partial_path_.string() + " was already finished");
  {
    const File& file = *file_;
    const hid_t f = file.file.get();
    file.dataset_strings(f, "/", "scenario_names", scenario_names_);
    file.attribute_string(f, "/", "finished_at", iso8601_utc_now());
    file_->mark_complete_and_close();
  }
  file_.reset();
  h5::publish(partial_path_, final_path_);
}

ResultsWriter::~ResultsWriter() = default;  // File's handles close; the .partial file stays

std::uint64_t results_file_bytes_at_most(const std::vector<ScenarioSize>& scenarios, std::size_t communities) {
  // Measured on harmsim's files: about 500 bytes of object header per group
  // or contiguous dataset (with its attributes), and a B-tree of about 2 KiB
  // more per chunked dataset plus an entry per chunk; doubled here.
  constexpr double kObject = 1024, kChunked = 4096, kChunk = 64, kString = 32;
  const auto metrics = static_cast<double>(model::kMetricCount);
  const auto strata = static_cast<double>(model::strata_count(communities));
  const auto statistics = static_cast<double>(model::kSummaryStatistics.size());
  double bytes = 64 * 1024 + metrics * 3 * (kObject / 3 + 128) + kObject + strata * kString;  // root, /metrics, /strata
  for (const ScenarioSize& s : scenarios) {
    const auto r = static_cast<double>(s.replicates), d = static_cast<double>(s.days);
    bytes += 4 * kObject + static_cast<double>(s.config_bytes) + kString + 3 * (kObject + r * 8);
    bytes += metrics * (kChunked + r * kChunk + r * d * strata * 4 * 1.01);                    // series
    bytes += metrics * (kChunked + statistics * kChunk + statistics * d * strata * 8 * 1.01);  // summary
    bytes += metrics * (kObject + r * 8);                                                      // totals
    bytes += kObject + r * static_cast<double>(std::tuple_size_v<model::ExposureTable>) * 8;   // exposure
    // Room for per-replicate tables and totals in every stratum, which a
    // layout may add (a bound that holds for the next schema too).
    bytes += 2 * kObject + r * (1024 + metrics * strata * 8);
  }
  bytes += kObject + static_cast<double>(scenarios.size()) * kString;  // /scenario_names
  return static_cast<std::uint64_t>(bytes);
}

void keep_hdf5_out_of_exit() { H5dont_atexit(); }

std::string iso8601_utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {text.data(), length};
}

}  // namespace harmsim::io
