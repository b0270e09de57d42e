#include "io/hdf5_writer.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include "model/summary.hpp"

namespace harmsim::io {
namespace {

// gzip level of the series and summaries: level 4 is within a few per cent of
// level 9 on these mostly-small-integer series at a fraction of the time.
constexpr unsigned kDeflateLevel = 4;

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle() noexcept = default;
  Handle(hid_t id, Closer closer) noexcept : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      close();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      closer_ = other.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { close(); }

  [[nodiscard]] hid_t get() const noexcept { return id_; }

  // Closes now; returns HDF5's status (negative on failure), 0 if nothing was open.
  herr_t close() noexcept {
    herr_t status = 0;
    if (id_ >= 0 && closer_ != nullptr) status = closer_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// The innermost (most specific) description on HDF5's error stack, which is
// where the library says what actually went wrong ("No such file or
// directory", "name already exists", ...); clears the stack.
std::string hdf5_reason() {
  std::string reason;
  auto innermost = [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
    if (error->desc != nullptr && error->desc[0] != '\0') {
      *static_cast<std::string*>(data) = error->desc;
    }
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, &reason);
  H5Eclear2(H5E_DEFAULT);
  return reason.empty() ? "HDF5 gave no reason" : reason;
}

std::string join_path(const std::string& parent, std::string_view name) {
  std::string path = parent == "/" ? std::string() : parent;
  path += '/';
  path += name;
  return path;
}

void fsync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    throw IoError("cannot open " + path.string() + " to sync it to disk: " + std::strerror(errno));
  }
  const int status = ::fsync(fd);
  const int saved_errno = errno;
  ::close(fd);
  if (status != 0) {
    throw IoError("cannot sync " + path.string() + " to disk: " + std::strerror(saved_errno));
  }
}

std::string_view kind_name(model::MetricKind kind) {
  switch (kind) {
    case model::MetricKind::Count: return "count";
    case model::MetricKind::Level: return "level";
    case model::MetricKind::Share: return "share";
  }
  return "?";
}

template <std::size_t N>
std::vector<std::string> to_strings(const std::array<std::string_view, N>& views) {
  return {views.begin(), views.end()};
}

}  // namespace

// The open file and the typed writing primitives. Every failure becomes an
// IoError naming the file and the object ("/scenarios/base/series/arrests_worker").
struct ResultsWriter::File {
  std::string path;  // the .partial file, for messages
  Handle group_properties;
  Handle string_type;  // variable-length UTF-8 string, read by h5py as str
  Handle file;

  [[noreturn]] void fail(std::string_view action, std::string_view object) const {
    std::string message = path;
    message.append(": cannot ").append(action).append(" ").append(object);
    message.append(": ").append(hdf5_reason());
    throw IoError(message);
  }
  Handle own(hid_t id, Handle::Closer closer, std::string_view action,
             std::string_view object) const {
    if (id < 0) fail(action, object);
    return Handle(id, closer);
  }
  void check(herr_t status, std::string_view action, std::string_view object) const {
    if (status < 0) fail(action, object);
  }

  [[nodiscard]] Handle simple_space(const std::vector<hsize_t>& dims,
                                    std::string_view object) const {
    return own(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
               "create the dataspace of", object);
  }
  [[nodiscard]] Handle scalar_space(std::string_view object) const {
    return own(H5Screate(H5S_SCALAR), H5Sclose, "create the dataspace of", object);
  }

  Handle create_group(hid_t parent, const std::string& parent_path, std::string_view name) const {
    const std::string object = join_path(parent_path, name);
    return own(H5Gcreate2(parent, std::string(name).c_str(), H5P_DEFAULT, group_properties.get(),
                          H5P_DEFAULT),
               H5Gclose, "create group", object);
  }

  // --- attributes -------------------------------------------------------------
  void write_attribute(hid_t owner, const std::string& owner_path, const char* name,
                       hid_t file_type, hid_t memory_type, const Handle& space,
                       const void* data) const {
    const std::string object = "attribute " + std::string(name) + " of " + owner_path;
    const Handle attribute =
        own(H5Acreate2(owner, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
            "create", object);
    check(H5Awrite(attribute.get(), memory_type, data), "write", object);
  }
  void attribute_string(hid_t owner, const std::string& owner_path, const char* name,
                        const std::string& value) const {
    const char* text = value.c_str();
    write_attribute(owner, owner_path, name, string_type.get(), string_type.get(),
                    scalar_space(owner_path), &text);
  }
  void attribute_strings(hid_t owner, const std::string& owner_path, const char* name,
                         const std::vector<std::string>& values) const {
    std::vector<const char*> texts;
    texts.reserve(values.size());
    for (const std::string& v : values) texts.push_back(v.c_str());
    write_attribute(owner, owner_path, name, string_type.get(), string_type.get(),
                    simple_space({values.size()}, owner_path), texts.data());
  }
  void attribute_int64(hid_t owner, const std::string& owner_path, const char* name,
                       std::int64_t value) const {
    write_attribute(owner, owner_path, name, H5T_STD_I64LE, H5T_NATIVE_INT64,
                    scalar_space(owner_path), &value);
  }
  void attribute_uint64(hid_t owner, const std::string& owner_path, const char* name,
                        std::uint64_t value) const {
    write_attribute(owner, owner_path, name, H5T_STD_U64LE, H5T_NATIVE_UINT64,
                    scalar_space(owner_path), &value);
  }

  // --- datasets ---------------------------------------------------------------
  // Creates a dataset; with `chunk_rows`, it is chunked one index of the first
  // axis at a time (a replicate's or a statistic's whole [D, S] block) with
  // shuffle + deflate, which is how readers slice it.
  Handle create_dataset(hid_t parent, const std::string& parent_path, std::string_view name,
                        hid_t file_type, const std::vector<hsize_t>& dims, bool chunk_rows) const {
    const std::string object = join_path(parent_path, name);
    const Handle properties =
        own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create the creation properties of", object);
    // No timestamps in object headers: same results, same bytes.
    check(H5Pset_obj_track_times(properties.get(), false), "configure", object);
    const bool empty = std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end();
    if (chunk_rows && !empty) {  // HDF5 refuses chunks on a zero-sized dataset
      std::vector<hsize_t> chunk = dims;
      chunk[0] = 1;
      check(H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()),
            "set the chunk shape of", object);
      check(H5Pset_shuffle(properties.get()), "set the shuffle filter of", object);
      check(H5Pset_deflate(properties.get(), kDeflateLevel), "set gzip compression of", object);
    }
    const Handle space = simple_space(dims, object);
    return own(H5Dcreate2(parent, std::string(name).c_str(), file_type, space.get(), H5P_DEFAULT,
                          properties.get(), H5P_DEFAULT),
               H5Dclose, "create dataset", object);
  }

  void write_whole(const Handle& dataset, hid_t memory_type, const void* data,
                   std::string_view object) const {
    check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write",
          object);
  }

  template <class T>
  void dataset_1d(hid_t parent, const std::string& parent_path, std::string_view name,
                  hid_t file_type, hid_t memory_type, const std::vector<T>& values) const {
    const Handle dataset =
        create_dataset(parent, parent_path, name, file_type, {values.size()}, false);
    if (!values.empty()) {
      write_whole(dataset, memory_type, values.data(), join_path(parent_path, name));
    }
  }

  void dataset_strings(hid_t parent, const std::string& parent_path, std::string_view name,
                       const std::vector<std::string>& values) const {
    std::vector<const char*> texts;
    texts.reserve(values.size());
    for (const std::string& v : values) texts.push_back(v.c_str());
    dataset_1d(parent, parent_path, name, string_type.get(), string_type.get(), texts);
  }

  void dataset_string_scalar(hid_t parent, const std::string& parent_path, std::string_view name,
                             const std::string& value) const {
    const std::string object = join_path(parent_path, name);
    const Handle properties =
        own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create the creation properties of", object);
    check(H5Pset_obj_track_times(properties.get(), false), "configure", object);
    const Handle space = scalar_space(object);
    const Handle dataset = own(H5Dcreate2(parent, std::string(name).c_str(), string_type.get(),
                                          space.get(), H5P_DEFAULT, properties.get(), H5P_DEFAULT),
                               H5Dclose, "create dataset", object);
    const char* text = value.c_str();
    write_whole(dataset, string_type.get(), &text, object);
  }
};

ResultsWriter::ResultsWriter(std::filesystem::path final_path, const RunInfo& info,
                             std::size_t communities)
    : final_path_(std::move(final_path)), strata_(model::strata_count(communities)) {
  partial_path_ = final_path_;
  partial_path_ += ".partial";

  // Failures are reported as IoError with HDF5's reason, not printed by HDF5.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);

  auto file = std::make_unique<File>();
  file->path = partial_path_.string();
  const std::string root = "/";

  const Handle access = file->own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose,
                                  "create the access properties of", "the file");
  // The oldest format that holds our objects (HDF5 1.8), so every reader
  // (h5py, hdf5r, h5dump, older libraries) opens it.
  file->check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_V18),
              "set the format versions of", "the file");
  // Closing the file closes everything in it, so rename never races an open object.
  file->check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), "set the close behaviour of",
              "the file");
  const Handle creation = file->own(H5Pcreate(H5P_FILE_CREATE), H5Pclose,
                                    "create the creation properties of", "the file");
  file->check(H5Pset_obj_track_times(creation.get(), false), "configure", "the root group");

  file->group_properties = file->own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose,
                                     "create the group properties of", "the file");
  file->check(H5Pset_obj_track_times(file->group_properties.get(), false), "configure",
              "the group properties");

  file->string_type =
      file->own(H5Tcopy(H5T_C_S1), H5Tclose, "create the string type of", "the file");
  file->check(H5Tset_size(file->string_type.get(), H5T_VARIABLE), "create the string type of",
              "the file");
  file->check(H5Tset_cset(file->string_type.get(), H5T_CSET_UTF8), "create the string type of",
              "the file");

  file->file = file->own(H5Fcreate(file->path.c_str(), H5F_ACC_TRUNC, creation.get(), access.get()),
                         H5Fclose, "create", "the file");
  const hid_t f = file->file.get();

  file->attribute_int64(f, root, "schema_version", kSchemaVersion);
  file->attribute_string(f, root, "harmsim_version", info.harmsim_version);
  file->attribute_string(f, root, "git_commit", info.git_commit);
  file->attribute_string(f, root, "command_line", info.command_line);
  file->attribute_string(f, root, "started_at", info.started_at);

  std::vector<std::string> names, kinds, descriptions;
  for (const model::MetricInfo& metric : model::kMetrics) {
    names.emplace_back(metric.name);
    kinds.emplace_back(kind_name(metric.kind));
    descriptions.emplace_back(metric.description);
  }
  const Handle metrics = file->create_group(f, root, "metrics");
  file->dataset_strings(metrics.get(), "/metrics", "name", names);
  file->dataset_strings(metrics.get(), "/metrics", "kind", kinds);
  file->dataset_strings(metrics.get(), "/metrics", "description", descriptions);
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
        rep.series.size() != model::kMetricCount * days * strata_) {
      throw std::invalid_argument(where + ": replicate " + std::to_string(i) + " has " +
                                  std::to_string(rep.days) + " days × " +
                                  std::to_string(rep.strata) + " strata (" +
                                  std::to_string(rep.series.size()) + " values), expected " +
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
      const Handle dataset = file.create_dataset(series.get(), series_path, name, H5T_IEEE_F32LE,
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
    }

    // summary/<metric>: float64 [5, D, S] across replicates.
    {
      const std::string object = join_path(summary_path, name);
      const std::vector<double> values = model::summarize_series(reps, metric);
      const Handle dataset =
          file.create_dataset(summary.get(), summary_path, name, H5T_IEEE_F64LE,
                              {model::kSummaryStatistics.size(), days, strata_}, true);
      if (!values.empty()) file.write_whole(dataset, H5T_NATIVE_DOUBLE, values.data(), object);
      file.attribute_strings(dataset.get(), object, "statistics", statistics);
    }

    // totals/<metric>: float64 [R], stratum "all".
    std::vector<double> horizon;
    for (const model::ReplicateResult& rep : reps) horizon.push_back(rep.totals[mi]);
    file.dataset_1d(totals.get(), totals_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, horizon);
  }

  // exposure: uint64 [R, 3, 2, 4], each replicate's ExposureTable in that order.
  {
    const std::string object = group_path + "/exposure";
    std::vector<std::uint64_t> tables;
    tables.reserve(replicates * std::tuple_size_v<model::ExposureTable>);
    for (const model::ReplicateResult& rep : reps) {
      tables.insert(tables.end(), rep.exposure.begin(), rep.exposure.end());
    }
    const Handle dataset =
        file.create_dataset(g, group_path, "exposure", H5T_STD_U64LE,
                            {replicates, model::kExposures.size(), model::kOutcomes.size(),
                             model::kExposureCells.size()},
                            false);
    file.write_whole(dataset, H5T_NATIVE_UINT64, tables.data(), object);
    file.attribute_strings(dataset.get(), object, "exposures", to_strings(model::kExposures));
    file.attribute_strings(dataset.get(), object, "outcomes", to_strings(model::kOutcomes));
    file.attribute_strings(dataset.get(), object, "cells", to_strings(model::kExposureCells));
  }

  scenario_names_.push_back(s.name);
}

void ResultsWriter::finish() {
  if (!file_) throw std::logic_error(partial_path_.string() + " was already finished");
  {
    const File& file = *file_;
    const hid_t f = file.file.get();
    file.dataset_strings(f, "/", "scenario_names", scenario_names_);
    file.attribute_string(f, "/", "finished_at", iso8601_utc_now());
    // Everything else reaches the file before the flag that says it is there.
    file.check(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush", "the file");
    file.attribute_int64(f, "/", "complete", 1);
    if (file_->file.close() < 0) file.fail("close", "the file");
  }
  file_.reset();
  // On disk before it gets its final name, so a crash never leaves a final
  // name on a partly written file.
  fsync_file(partial_path_);
  std::error_code error;
  std::filesystem::rename(partial_path_, final_path_, error);
  if (error) {
    throw IoError("cannot rename " + partial_path_.string() + " to " + final_path_.string() + ": " +
                  error.message());
  }
  // Make the rename itself durable. Best effort: the result is complete and
  // correctly named either way, so a failure here is not worth an error.
  const std::filesystem::path directory =
      final_path_.has_parent_path() ? final_path_.parent_path() : std::filesystem::path(".");
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

ResultsWriter::~ResultsWriter() = default;  // File's handles close; the .partial file stays

std::string iso8601_utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> text{};
  const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return {text.data(), length};
}

}  // namespace harmsim::io
