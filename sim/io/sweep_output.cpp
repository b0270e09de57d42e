#include "io/sweep_output.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "io/hdf5_file.hpp"
#include "model/summary.hpp"

namespace harmsim::io {

namespace {

using h5::Handle;
using h5::join_path;

constexpr const char* kWholeKind = "sweep";
constexpr const char* kShardKind = "sweep-shard";

std::vector<std::string> statistics_names() {
  return {model::kSummaryStatistics.begin(), model::kSummaryStatistics.end()};
}

}  // namespace

SweepHeader make_sweep_header(const Sweep& sweep, bool per_replicate, std::int64_t shard_index,
                              std::int64_t shard_count, const std::string& harmsim_version,
                              const std::string& git_commit) {
  SweepHeader h;
  h.sweep_id = sweep.sweep_id;
  h.design = std::string(design_name(sweep.design));
  h.design_seed = sweep.design_seed;
  h.scenario = sweep.base.name;
  h.base_config = to_toml(sweep.base);
  h.replicates = sweep.replicates;
  for (const SweptParameter& p : sweep.parameters) h.parameters.push_back(p.name);
  for (const std::vector<double>& row : sweep.values) h.values.insert(h.values.end(), row.begin(), row.end());
  for (std::size_t k = 0; k < sweep.points(); ++k) {
    const Scenario s = sweep.point_scenario(k);
    h.points.push_back({s.name, static_cast<std::uint64_t>(s.params.seed), s.params.days, s.params.warmup_days,
                        s.params.communities});
  }
  h.per_replicate = per_replicate;
  h.shard_index = shard_index;
  h.shard_count = shard_count;
  h.harmsim_version = harmsim_version;
  h.git_commit = git_commit;
  return h;
}

// --- writing --------------------------------------------------------------------

struct SweepWriter::File : h5::Writer {};

SweepWriter::SweepWriter(std::filesystem::path final_path, const SweepHeader& header,
                         const std::string& command_line, const std::string& started_at)
    : final_path_(std::move(final_path)), header_(header) {
  partial_path_ = final_path_;
  partial_path_ += ".partial";
  auto file = std::make_unique<File>();
  file->create(partial_path_);
  const std::string root = "/";
  const hid_t f = file->file.get();

  file->attribute_int64(f, root, "schema_version", kSweepSchemaVersion);
  file->attribute_string(f, root, "file_kind", header_.is_shard() ? kShardKind : kWholeKind);
  file->attribute_string(f, root, "harmsim_version", header_.harmsim_version);
  file->attribute_string(f, root, "git_commit", header_.git_commit);
  file->attribute_string(f, root, "command_line", command_line);
  file->attribute_string(f, root, "started_at", started_at);
  file->attribute_string(f, root, "sweep_id", header_.sweep_id);
  file->attribute_int64(f, root, "per_replicate", header_.per_replicate ? 1 : 0);
  if (header_.is_shard()) {
    file->attribute_string(f, root, "shard", fmt::format("{}/{}", header_.shard_index, header_.shard_count));
    file->attribute_int64(f, root, "shard_index", header_.shard_index);
    file->attribute_int64(f, root, "shard_count", header_.shard_count);
  }
  h5::write_metric_table(*file, f, root);

  const Handle design = file->create_group(f, root, "design");
  const std::string design_path = "/design";
  file->attribute_string(design.get(), design_path, "kind", header_.design);
  file->attribute_uint64(design.get(), design_path, "seed", header_.design_seed);
  file->attribute_string(design.get(), design_path, "scenario", header_.scenario);
  file->attribute_int64(design.get(), design_path, "replicates", header_.replicates);
  file->dataset_strings(design.get(), design_path, "parameters", header_.parameters);
  const hsize_t n_points = header_.points.size(), n_params = header_.parameters.size();
  if (header_.values.size() != n_points * n_params)
    throw std::invalid_argument(partial_path_.string() + ": design values do not match points × parameters");
  file->dataset_nd(design.get(), design_path, "values", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {n_points, n_params},
                   header_.values.empty() ? nullptr : header_.values.data(), false);
  file->dataset_string_scalar(design.get(), design_path, "base_config", header_.base_config);
  file->create_group(f, root, "points");
  file_ = std::move(file);
}

void SweepWriter::write_point(std::size_t point, const std::vector<UnitRecord>& records) {
  if (!file_) throw std::logic_error("point written after " + partial_path_.string() + " was finished");
  const std::string where = fmt::format("{}: point p{}", partial_path_.string(), point);
  if (point != next_point_ || point >= header_.points.size())
    throw std::invalid_argument(fmt::format("{}: written out of order (expected p{})", where, next_point_));
  const PointMeta& meta = header_.points[point];
  const auto days = static_cast<std::size_t>(meta.days);
  const std::size_t all_strata = model::strata_count(static_cast<std::size_t>(meta.communities));
  const std::size_t strata = header_.per_replicate ? all_strata : 0;
  const bool whole = !header_.is_shard();
  if (whole && records.size() != static_cast<std::size_t>(header_.replicates))
    throw std::invalid_argument(fmt::format("{}: {} replicates, expected {}", where, records.size(), header_.replicates));
  for (std::size_t i = 0; i < records.size(); ++i) {
    const UnitRecord& r = records[i];
    if (r.point != point || (whole && r.replicate != i) || (i > 0 && r.replicate <= records[i - 1].replicate) ||
        r.replicate >= static_cast<std::uint64_t>(header_.replicates))
      throw std::invalid_argument(fmt::format("{}: replicate {} out of place", where, r.replicate));
    if (r.days != days || r.daily.size() != model::kMetricCount * days || r.totals_strata != all_strata ||
        r.stratum_totals.size() != model::kMetricCount * all_strata ||
        (header_.per_replicate && (r.strata != strata || r.series.size() != model::kMetricCount * days * strata)))
      throw std::invalid_argument(fmt::format("{}: replicate {} has the wrong shape", where, r.replicate));
  }

  const File& file = *file_;
  const Handle points = file.open_group(file.file.get(), "/", "points");
  const std::string name = fmt::format("p{}", point);
  const std::string group_path = "/points/" + name;
  const Handle group = file.create_group(points.get(), "/points", name);
  const hid_t g = group.get();
  file.attribute_string(g, group_path, "stream", meta.stream);
  file.attribute_uint64(g, group_path, "seed", meta.seed);
  file.attribute_int64(g, group_path, "replicates", static_cast<std::int64_t>(records.size()));
  file.attribute_int64(g, group_path, "days", meta.days);
  file.attribute_int64(g, group_path, "warmup_days", meta.warmup_days);
  file.attribute_int64(g, group_path, "communities", meta.communities);

  const hsize_t rows = records.size();
  std::vector<std::uint64_t> replicates, seeds, events;
  for (const UnitRecord& r : records) {
    replicates.push_back(r.replicate);
    seeds.push_back(r.seed);
    events.push_back(r.events);
  }
  if (!whole) file.dataset_1d(g, group_path, "replicates", H5T_STD_U64LE, H5T_NATIVE_UINT64, replicates);
  file.dataset_1d(g, group_path, "replicate_seeds", H5T_STD_U64LE, H5T_NATIVE_UINT64, seeds);
  file.dataset_1d(g, group_path, "events", H5T_STD_U64LE, H5T_NATIVE_UINT64, events);

  const std::string totals_path = group_path + "/totals";
  const Handle totals = file.create_group(g, group_path, "totals");
  const std::string second_path = group_path + (whole ? "/summary" : "/daily");
  const Handle second = file.create_group(g, group_path, whole ? "summary" : "daily");
  // What targets of a stratum or of an odds ratio need (app/evaluate.hpp),
  // kept for every point whether or not the series are.
  file.dataset_strings(g, group_path, "strata", model::strata_names(static_cast<std::size_t>(meta.communities)));
  {
    std::vector<std::uint64_t> tables;
    std::vector<double> stratum_totals;
    for (const UnitRecord& r : records) {
      tables.insert(tables.end(), r.exposure.begin(), r.exposure.end());
      stratum_totals.insert(stratum_totals.end(), r.stratum_totals.begin(), r.stratum_totals.end());
    }
    h5::write_exposure_tables(file, g, group_path, tables, records.size());
    h5::write_stratum_totals(file, g, group_path, stratum_totals, records.size(), all_strata);
  }
  Handle series;
  const std::string series_path = group_path + "/series";
  if (header_.per_replicate) series = file.create_group(g, group_path, "series");

  // The summaries are computed from the daily series of stratum "all", as a
  // scenario's would be from one-stratum replicates.
  std::vector<model::ReplicateResult> one_stratum;
  if (whole) {
    one_stratum.resize(records.size());
    for (std::size_t i = 0; i < records.size(); ++i) {
      one_stratum[i].replicate = i;
      one_stratum[i].days = days;
      one_stratum[i].strata = 1;
      one_stratum[i].series = records[i].daily;
    }
  }
  const std::vector<std::string> statistics = statistics_names();
  for (std::size_t mi = 0; mi < model::kMetricCount; ++mi) {
    const std::string_view metric = model::kMetrics[mi].name;
    std::vector<double> horizon;
    horizon.reserve(records.size());
    for (const UnitRecord& r : records) horizon.push_back(r.totals[mi]);
    file.dataset_1d(totals.get(), totals_path, metric, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, horizon);

    if (whole) {
      const std::vector<double> summary = model::summarize_series(one_stratum, static_cast<model::Metric>(mi));
      const std::string object = join_path(second_path, metric);
      Handle dataset = file.create_dataset(second.get(), second_path, metric, H5T_IEEE_F64LE,
                                           {model::kSummaryStatistics.size(), days}, false);
      if (!summary.empty()) file.write_whole(dataset, H5T_NATIVE_DOUBLE, summary.data(), object);
      file.attribute_strings(dataset.get(), object, "statistics", statistics);
      file.close(dataset, object);
    } else {
      std::vector<float> daily;
      daily.reserve(records.size() * days);
      for (const UnitRecord& r : records)
        daily.insert(daily.end(), r.daily.begin() + static_cast<std::ptrdiff_t>(mi * days),
                     r.daily.begin() + static_cast<std::ptrdiff_t>((mi + 1) * days));
      file.dataset_nd(second.get(), second_path, metric, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {rows, days},
                      daily.empty() ? nullptr : daily.data(), false);
    }

    if (header_.per_replicate) {
      const std::size_t block = days * strata;
      std::vector<float> values;
      values.reserve(records.size() * block);
      for (const UnitRecord& r : records)
        values.insert(values.end(), r.series.begin() + static_cast<std::ptrdiff_t>(mi * block),
                      r.series.begin() + static_cast<std::ptrdiff_t>((mi + 1) * block));
      file.dataset_nd(series.get(), series_path, metric, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, {rows, days, strata},
                      values.empty() ? nullptr : values.data(), true);
    }
  }
  ++next_point_;
}

void SweepWriter::finish() {
  if (!file_) throw std::logic_error(partial_path_.string() + " was already finished");
  if (next_point_ != header_.points.size())
    throw std::logic_error(fmt::format("{}: finished with {} of {} points", partial_path_.string(), next_point_,
                                       header_.points.size()));
  file_->attribute_string(file_->file.get(), "/", "finished_at", iso8601_utc_now());
  file_->mark_complete_and_close();
  file_.reset();
  h5::publish(partial_path_, final_path_);
}

SweepWriter::~SweepWriter() = default;  // the .partial file stays if not finished

std::uint64_t sweep_file_bytes_at_most(const SweepHeader& h) {
  // As results_file_bytes_at_most (io/hdf5_writer.cpp): measured about 500
  // bytes per object header, doubled; a B-tree and entries for chunked ones.
  constexpr double kObject = 1024, kChunked = 4096, kChunk = 64, kString = 32;
  const auto metrics = static_cast<double>(model::kMetricCount);
  const auto statistics = static_cast<double>(model::kSummaryStatistics.size());
  const auto r = static_cast<double>(h.replicates);
  double bytes = 64 * 1024 + metrics * 3 * (kObject / 3 + 128);  // root attributes, /metrics
  bytes += 5 * kObject + static_cast<double>(h.base_config.size()) + static_cast<double>(h.values.size()) * 8 +
           static_cast<double>(h.parameters.size()) * kString;  // /design
  for (const PointMeta& p : h.points) {
    const auto d = static_cast<double>(p.days);
    const auto strata = static_cast<double>(model::strata_count(static_cast<std::size_t>(p.communities)));
    bytes += 4 * kObject + 4 * (kObject + r * 8);  // the group, its subgroups, replicates, seeds, events
    bytes += metrics * (kObject + r * 8);          // totals
    // Room for per-replicate tables and totals in every stratum, which a
    // layout may add (a bound that holds for the next schema too).
    bytes += 3 * kObject + strata * kString + r * (1024 + metrics * strata * 8);
    bytes += h.is_shard() ? metrics * (kObject + r * d * 4) : metrics * (kObject + statistics * d * 8 + 64);
    if (h.per_replicate) {
      bytes += kObject + strata * kString + metrics * (kChunked + r * kChunk + r * d * strata * 4 * 1.01);
    }
  }
  return static_cast<std::uint64_t>(bytes);
}

// --- reading --------------------------------------------------------------------

SweepFileStatus inspect_sweep_file(const std::filesystem::path& path) {
  SweepFileStatus status;
  try {
    h5::Reader reader;
    reader.open(path);
    if (!reader.has_attribute("/", "sweep_id")) return status;
    status.sweep = true;
    status.sweep_id = reader.attribute_string("/", "sweep_id");
    status.complete = reader.has_attribute("/", "complete") && reader.attribute_int64("/", "complete") == 1;
    if (reader.has_attribute("/", "shard_count")) {
      status.shard_index = reader.attribute_int64("/", "shard_index");
      status.shard_count = reader.attribute_int64("/", "shard_count");
    }
    status.per_replicate = reader.has_attribute("/", "per_replicate") && reader.attribute_int64("/", "per_replicate") == 1;
  } catch (const IoError&) {
    status.sweep = false;
  }
  return status;
}

struct SweepFileReader::File : h5::Reader {};

SweepFileReader::SweepFileReader(const std::filesystem::path& path) : path_(path), file_(std::make_unique<File>()) {
  File& f = *file_;
  f.open(path);
  auto refuse = [&](const std::string& why) { throw IoError(path.string() + ": " + why); };
  if (!f.has_attribute("/", "sweep_id") || !f.has_attribute("/", "file_kind")) refuse("not a sweep file");
  if (const std::string kind = f.attribute_string("/", "file_kind"); kind != kWholeKind)
    refuse(kind == kShardKind ? "a shard of a sweep, not a whole sweep"
                              : "not a sweep file (file_kind " + shown(kind) + ")");
  if (!f.has_attribute("/", "complete") || f.attribute_int64("/", "complete") != 1) refuse("not finished");
  if (const std::int64_t v = f.attribute_int64("/", "schema_version"); v != kSweepSchemaVersion)
    refuse(fmt::format("sweep schema version {}, this program reads {}", v, kSweepSchemaVersion));
  const std::vector<std::string> metrics = f.strings("/metrics/name");
  bool same = metrics.size() == model::kMetricCount;
  for (std::size_t i = 0; same && i < metrics.size(); ++i) same = metrics[i] == model::kMetrics[i].name;
  if (!same) refuse("written by a harmsim with other metrics");
  sweep_id_ = f.attribute_string("/", "sweep_id");
  const std::vector<hsize_t> dims = f.shape("/design/values");
  if (dims.size() != 2) refuse("/design/values is not a table");
  points_ = static_cast<std::size_t>(dims[0]);
}

SweepFileReader::~SweepFileReader() = default;
SweepFileReader::SweepFileReader(SweepFileReader&&) noexcept = default;
SweepFileReader& SweepFileReader::operator=(SweepFileReader&&) noexcept = default;

std::vector<model::ReplicateResult> SweepFileReader::read_point(std::size_t point) const {
  const File& f = *file_;
  const std::string g = fmt::format("/points/p{}", point);
  if (point >= points_ || !f.exists(g)) f.fail("find", g);
  const auto rows = static_cast<std::size_t>(f.attribute_int64(g, "replicates"));
  const std::int64_t days = f.attribute_int64(g, "days");
  const std::int64_t communities = f.attribute_int64(g, "communities");
  if (days < 0 || communities < 0 || communities > 1'000'000) f.fail("read sensible sizes of", g);
  const std::size_t strata = model::strata_count(static_cast<std::size_t>(communities));
  const std::vector<std::uint64_t> tables = f.uint64s(g + "/exposure");
  const std::vector<double> stratum_totals = f.doubles(g + "/stratum_totals");
  constexpr std::size_t kTable = std::tuple_size_v<model::ExposureTable>;
  const std::size_t block = model::kMetricCount * strata;
  if (tables.size() != rows * kTable || stratum_totals.size() != rows * block) f.fail("read consistent rows of", g);
  std::vector<model::ReplicateResult> out(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    model::ReplicateResult& r = out[i];
    r.replicate = i;
    r.days = static_cast<std::size_t>(days);
    r.strata = 0;
    std::copy_n(tables.begin() + static_cast<std::ptrdiff_t>(i * kTable), kTable, r.exposure.begin());
    r.stratum_totals.assign(stratum_totals.begin() + static_cast<std::ptrdiff_t>(i * block),
                            stratum_totals.begin() + static_cast<std::ptrdiff_t>((i + 1) * block));
    for (std::size_t m = 0; m < model::kMetricCount; ++m) r.totals[m] = r.stratum_totals[m * strata];
  }
  return out;
}

struct ShardReader::File : h5::Reader {};

ShardReader::ShardReader(const std::filesystem::path& path) : path_(path), file_(std::make_unique<File>()) {
  File& f = *file_;
  f.open(path);
  auto refuse = [&](const std::string& why) { throw IoError(path.string() + ": " + why); };
  if (!f.has_attribute("/", "sweep_id") || !f.has_attribute("/", "file_kind"))
    refuse("not a sweep shard (no sweep_id; write shards with `harmsim sweep FILE --shard i/n -o NAME`)");
  const std::string kind = f.attribute_string("/", "file_kind");
  if (kind != kShardKind)
    refuse(kind == kWholeKind ? "a finished sweep file, not a shard; it needs no merge"
                              : "not a sweep shard (file_kind " + shown(kind) + ")");
  if (!f.has_attribute("/", "complete") || f.attribute_int64("/", "complete") != 1)
    refuse("not finished (no complete = 1); rerun its `harmsim sweep --shard` command to finish it");
  if (const std::int64_t v = f.attribute_int64("/", "schema_version"); v != kSweepSchemaVersion)
    refuse(fmt::format("sweep schema version {}, this program reads {}", v, kSweepSchemaVersion));
  const std::vector<hsize_t> metric_count = f.shape("/metrics/name");
  if (metric_count.size() != 1 || metric_count[0] != model::kMetricCount)
    refuse("written by a harmsim with other metrics");
  const std::vector<std::string> metrics = f.strings("/metrics/name");
  bool same = metrics.size() == model::kMetricCount;
  for (std::size_t i = 0; same && i < metrics.size(); ++i) same = metrics[i] == model::kMetrics[i].name;
  if (!same) refuse("written by a harmsim with other metrics");

  // Sizes that a damaged file can get wrong, checked before anything is
  // allocated or looped over by them (the limits of sweep files and
  // scenario parameters, docs/sweeps.md and docs/parameters.md).
  auto in_range = [&](const std::string& object, const char* name, std::int64_t low, std::int64_t high) {
    const std::int64_t value = f.attribute_int64(object, name);
    if (value < low || value > high)
      refuse(fmt::format("attribute {} of {} is {}, expected {} to {}: a damaged file", name, object, value, low,
                         high));
    return value;
  };
  SweepHeader& h = header_;
  h.sweep_id = f.attribute_string("/", "sweep_id");
  h.per_replicate = f.attribute_int64("/", "per_replicate") == 1;
  h.shard_count = in_range("/", "shard_count", 1, 10'000'000);
  h.shard_index = in_range("/", "shard_index", 1, h.shard_count);
  h.harmsim_version = f.attribute_string("/", "harmsim_version");
  h.git_commit = f.attribute_string("/", "git_commit");
  h.design = f.attribute_string("/design", "kind");
  h.design_seed = f.attribute_uint64("/design", "seed");
  h.scenario = f.attribute_string("/design", "scenario");
  h.replicates = in_range("/design", "replicates", 1, 1'000'000);
  // At most a million points (docs/sweeps.md) of at most a few hundred
  // parameters (docs/parameters.md).
  const std::vector<hsize_t> parameter_count = f.shape("/design/parameters");
  const std::vector<hsize_t> dims = f.shape("/design/values");
  if (parameter_count.size() != 1 || parameter_count[0] > 10'000 || dims.size() != 2 || dims[0] > 1'000'000 ||
      dims[1] != parameter_count[0])
    refuse("/design/values does not match /design/parameters");
  h.parameters = f.strings("/design/parameters");
  h.values = f.doubles("/design/values");
  h.base_config = f.string_scalar("/design/base_config");
  const auto n_points = static_cast<std::size_t>(dims[0]);
  for (std::size_t k = 0; k < n_points; ++k) {
    const std::string g = fmt::format("/points/p{}", k);
    if (!f.exists(g)) refuse(fmt::format("no group {}", g));
    PointMeta m;
    m.stream = f.attribute_string(g, "stream");
    m.seed = f.attribute_uint64(g, "seed");
    m.days = in_range(g, "days", 1, 36'500);
    m.warmup_days = in_range(g, "warmup_days", 0, 3'650);
    m.communities = in_range(g, "communities", 1, 64);
    h.points.push_back(std::move(m));
    const std::vector<hsize_t> held = f.shape(g + "/replicates");
    if (held.size() != 1 || held[0] > static_cast<hsize_t>(h.replicates))
      refuse(fmt::format("{}/replicates is not a list of at most {} replicates: a damaged file", g, h.replicates));
    replicates_.push_back(f.uint64s(g + "/replicates"));
  }
}

ShardReader::~ShardReader() = default;
ShardReader::ShardReader(ShardReader&&) noexcept = default;
ShardReader& ShardReader::operator=(ShardReader&&) noexcept = default;

std::vector<UnitRecord> ShardReader::read_point(std::size_t point) const {
  const File& f = *file_;
  const std::string g = fmt::format("/points/p{}", point);
  const PointMeta& meta = header_.points.at(point);
  const std::vector<std::uint64_t>& reps = replicates_.at(point);
  const std::size_t rows = reps.size();
  const auto days = static_cast<std::size_t>(meta.days);
  const std::size_t all_strata = model::strata_count(static_cast<std::size_t>(meta.communities));
  const std::size_t strata = header_.per_replicate ? all_strata : 0;
  constexpr std::size_t kTable = std::tuple_size_v<model::ExposureTable>;
  const std::size_t totals_block = model::kMetricCount * all_strata;
  // A damaged shard: a dataset of another size than its point's replicates
  // say. Checked on the shape, before anything is read or allocated.
  auto check_size = [&](const std::string& object, std::size_t want, const std::string& per) {
    double have = 1;
    for (hsize_t d : f.shape(object)) have *= static_cast<double>(d);
    if (have != static_cast<double>(want))
      throw IoError(fmt::format("{}: {} has {:.0f} values, expected {} ({} replicates in {}/replicates{})",
                                path_.string(), object, have, want, rows, g, per));
  };
  check_size(g + "/replicate_seeds", rows, "");
  check_size(g + "/events", rows, "");
  check_size(g + "/exposure", rows * kTable, fmt::format(" × {} exposure cells", kTable));
  check_size(g + "/stratum_totals", rows * totals_block, fmt::format(" × {} stratum totals", totals_block));
  const std::vector<std::uint64_t> seeds = f.uint64s(g + "/replicate_seeds");
  const std::vector<std::uint64_t> events = f.uint64s(g + "/events");
  const std::vector<std::uint64_t> tables = f.uint64s(g + "/exposure");
  const std::vector<double> stratum_totals = f.doubles(g + "/stratum_totals");
  std::vector<UnitRecord> out(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    UnitRecord& r = out[i];
    r.point = point;
    r.replicate = reps[i];
    r.seed = seeds[i];
    r.events = events[i];
    r.days = days;
    r.strata = strata;
    r.totals_strata = all_strata;
    std::copy_n(tables.begin() + static_cast<std::ptrdiff_t>(i * kTable), kTable, r.exposure.begin());
    r.stratum_totals.assign(stratum_totals.begin() + static_cast<std::ptrdiff_t>(i * totals_block),
                            stratum_totals.begin() + static_cast<std::ptrdiff_t>((i + 1) * totals_block));
    r.daily.resize(model::kMetricCount * days);
    r.series.resize(model::kMetricCount * days * strata);
  }
  for (std::size_t mi = 0; mi < model::kMetricCount; ++mi) {
    const std::string metric(model::kMetrics[mi].name);
    check_size(g + "/totals/" + metric, rows, "");
    check_size(g + "/daily/" + metric, rows * days, fmt::format(" × {} days", days));
    const std::vector<double> totals = f.doubles(g + "/totals/" + metric);
    const std::vector<float> daily = f.floats(g + "/daily/" + metric);
    for (std::size_t i = 0; i < rows; ++i) {
      out[i].totals[mi] = totals[i];
      std::copy_n(daily.begin() + static_cast<std::ptrdiff_t>(i * days), days,
                  out[i].daily.begin() + static_cast<std::ptrdiff_t>(mi * days));
    }
    if (header_.per_replicate) {
      const std::size_t block = days * strata;
      check_size(g + "/series/" + metric, rows * block, fmt::format(" × {} days × {} strata", days, strata));
      const std::vector<float> series = f.floats(g + "/series/" + metric);
      for (std::size_t i = 0; i < rows; ++i)
        std::copy_n(series.begin() + static_cast<std::ptrdiff_t>(i * block), block,
                    out[i].series.begin() + static_cast<std::ptrdiff_t>(mi * block));
    }
  }
  return out;
}

}  // namespace harmsim::io
