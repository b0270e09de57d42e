#include "io/calibration_output.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "io/build_info.hpp"
#include "io/hdf5_file.hpp"

namespace harmsim::io {

namespace {

using h5::Handle;
using h5::join_path;

constexpr const char* kKind = "calibration";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void matrix(const h5::Writer& w, hid_t parent, const std::string& parent_path, std::string_view name,
            const std::vector<double>& values, std::size_t rows, std::size_t columns) {
  if (values.size() != rows * columns)
    throw std::invalid_argument(fmt::format("{}: {} values for {} × {}", join_path(parent_path, name), values.size(),
                                            rows, columns));
  w.dataset_nd(parent, parent_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, {rows, columns},
               values.empty() ? nullptr : values.data(), false);
}

void doubles(const h5::Writer& w, hid_t parent, const std::string& parent_path, std::string_view name,
             const std::vector<double>& values) {
  w.dataset_1d(parent, parent_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values);
}

void int64s(const h5::Writer& w, hid_t parent, const std::string& parent_path, std::string_view name,
            const std::vector<std::int64_t>& values) {
  w.dataset_1d(parent, parent_path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, values);
}

std::vector<std::string> parameter_names(const Calibration& c) {
  std::vector<std::string> out;
  for (const SweptParameter& p : c.parameters) out.push_back(p.name);
  return out;
}

// The targets group: what each fitted target is and on which scale it is compared.
void write_targets(const h5::Writer& w, hid_t root, const Calibration& c) {
  const Handle group = w.create_group(root, "/", "targets");
  const std::string path = "/targets";
  std::vector<std::string> ids, descriptions, sources, quantities, scales;
  std::vector<double> value, low, high;
  for (std::size_t t : c.fitted) {
    const PublishedTarget& target = c.targets.targets[t];
    ids.push_back(target.id);
    descriptions.push_back(target.description.empty() ? target.id : target.description);
    sources.push_back(target.source);
    quantities.push_back(describe_target(c.targets, target));
    scales.emplace_back(scale_name(target_scale(target)));
    value.push_back(target.value.value_or(kNaN));
    low.push_back(target.low);
    high.push_back(target.high);
  }
  w.dataset_strings(group.get(), path, "ids", ids);
  w.dataset_strings(group.get(), path, "description", descriptions);
  w.dataset_strings(group.get(), path, "source", sources);
  w.dataset_strings(group.get(), path, "quantity", quantities);
  w.dataset_strings(group.get(), path, "scale", scales);
  doubles(w, group.get(), path, "value", value);
  doubles(w, group.get(), path, "low", low);
  doubles(w, group.get(), path, "high", high);
}

void write_parameters(const h5::Writer& w, hid_t root, const Calibration& c, bool defaults) {
  const Handle group = w.create_group(root, "/", "parameters");
  const std::string path = "/parameters";
  std::vector<double> low, high, standard;
  for (const SweptParameter& p : c.parameters) {
    low.push_back(p.low);
    high.push_back(p.high);
    standard.push_back(std::strtod(std::string(p.spec.default_text).c_str(), nullptr));
  }
  w.dataset_strings(group.get(), path, "names", parameter_names(c));
  doubles(w, group.get(), path, "low", low);
  doubles(w, group.get(), path, "high", high);
  if (defaults) doubles(w, group.get(), path, "default", standard);
}

h5::Reader open_finished(const std::filesystem::path& path) {
  h5::Reader r;
  r.open(path);
  if (!r.has_attribute("/", "complete") || r.attribute_int64("/", "complete") != 1)
    throw IoError(path.string() + ": not finished (no complete = 1)");
  return r;
}

template <class T>
std::vector<T> read_vector(const h5::Reader& r, const std::string& object, hid_t memory_type, std::size_t expected,
                           std::size_t columns = 0) {
  std::vector<hsize_t> dims;
  std::vector<T> values = r.read_all<T>(object, memory_type, &dims);
  const bool shape_ok = columns == 0 ? dims.size() == 1 && dims[0] == expected
                                     : dims.size() == 2 && dims[0] == expected && dims[1] == columns;
  if (!shape_ok) r.fail("find the expected shape of", object);
  return values;
}

std::vector<double> read_doubles(const h5::Reader& r, const std::string& object, std::size_t rows,
                                 std::size_t columns = 0) {
  return read_vector<double>(r, object, H5T_NATIVE_DOUBLE, rows, columns);
}

}  // namespace

bool complete_file(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) return false;
  try {
    h5::Reader r;
    r.open(path);
    return r.has_attribute("/", "complete") && r.attribute_int64("/", "complete") == 1;
  } catch (const IoError&) {
    return false;
  }
}

void write_problem(const std::filesystem::path& path, const Calibration& c) {
  std::filesystem::path partial = path;
  partial += ".partial";
  h5::Writer w;
  w.create(partial);
  const hid_t f = w.file.get();
  w.attribute_string(f, "/", "calibration_id", c.calibration_id);
  w.attribute_string(f, "/", "method", c.method);
  w.attribute_double(f, "/", "cutoff", c.cutoff);
  w.attribute_uint64(f, "/", "seed", c.seed);
  w.attribute_int64(f, "/", "waves", c.waves);
  w.attribute_int64(f, "/", "points", c.points);
  w.attribute_int64(f, "/", "replicates", c.replicates);
  write_parameters(w, f, c, false);
  write_targets(w, f, c);
  w.mark_complete_and_close();
  h5::publish(partial, path);
}

void write_wave_simulation(const std::filesystem::path& path, const WaveSimulation& s) {
  std::filesystem::path partial = path;
  partial += ".partial";
  h5::Writer w;
  w.create(partial);
  const hid_t f = w.file.get();
  w.attribute_int64(f, "/", "wave", s.wave);
  w.attribute_double(f, "/", "seconds", s.seconds);
  matrix(w, f, "/", "points", s.design, s.points, s.parameters);
  matrix(w, f, "/", "values", s.values, s.points, s.targets);
  matrix(w, f, "/", "variance", s.variance, s.points, s.targets);
  w.mark_complete_and_close();
  h5::publish(partial, path);
}

WaveSimulation read_wave_simulation(const std::filesystem::path& path, std::size_t parameters, std::size_t targets) {
  const h5::Reader r = open_finished(path);
  WaveSimulation s;
  s.wave = r.attribute_int64("/", "wave");
  s.seconds = r.attribute_double("/", "seconds");
  const std::vector<hsize_t> dims = r.shape("/points");
  if (dims.size() != 2 || dims[1] != parameters) r.fail("find the expected shape of", "/points");
  s.points = static_cast<std::size_t>(dims[0]);
  s.parameters = parameters;
  s.targets = targets;
  s.design = read_doubles(r, "/points", s.points, parameters);
  s.values = read_doubles(r, "/values", s.points, targets);
  s.variance = read_doubles(r, "/variance", s.points, targets);
  return s;
}

WaveFit read_wave_fit(const std::filesystem::path& path, std::size_t wave_points, std::size_t parameters,
                      std::size_t targets) {
  const h5::Reader r = open_finished(path);
  WaveFit fit;
  fit.wave = r.attribute_int64("/", "wave");
  fit.kept_share = r.attribute_double("/", "kept_share");
  fit.stop = r.attribute_int64("/", "stop") != 0;
  fit.stop_reason = r.attribute_string("/", "stop_reason");
  fit.candidates = r.attribute_int64("/", "candidates");
  fit.non_implausible = r.attribute_int64("/", "non_implausible");
  fit.seconds = r.attribute_double("/", "seconds");
  fit.implausibility = read_doubles(r, "/implausibility", wave_points);
  fit.target_implausibility = read_doubles(r, "/target_implausibility", wave_points, targets);
  fit.emulator_r2 = read_doubles(r, "/emulator_r2", targets);
  fit.emulator_points = read_vector<std::int64_t>(r, "/emulator_points", H5T_NATIVE_INT64, targets);
  fit.target_kept_share = read_doubles(r, "/target_kept_share", targets);
  fit.kernels = r.strings("/kernels");
  if (fit.kernels.size() != targets) r.fail("find the expected shape of", "/kernels");
  const std::vector<hsize_t> next = r.shape("/next_points");
  if (next.size() != 2 || next[1] != parameters) r.fail("find the expected shape of", "/next_points");
  fit.next_points = static_cast<std::size_t>(next[0]);
  fit.next_design = read_doubles(r, "/next_points", fit.next_points, parameters);
  const std::size_t accepted = static_cast<std::size_t>(r.shape("/accepted_wave").at(0));
  fit.accepted_wave = read_vector<std::int64_t>(r, "/accepted_wave", H5T_NATIVE_INT64, accepted);
  fit.accepted_index = read_vector<std::int64_t>(r, "/accepted_index", H5T_NATIVE_INT64, accepted);
  fit.accepted_within = read_vector<std::uint8_t>(r, "/accepted_within", H5T_NATIVE_UINT8, accepted);
  fit.accepted_implausibility = read_doubles(r, "/accepted_implausibility", accepted);
  fit.best_wave = r.attribute_int64("/", "best_wave");
  fit.best_index = r.attribute_int64("/", "best_index");
  fit.best_accepted = r.attribute_int64("/", "best_accepted") != 0;
  fit.best_within = r.attribute_int64("/", "best_within") != 0;
  fit.best_implausibility = r.attribute_double("/", "best_implausibility");
  if (fit.stop_reason.empty() && fit.stop) r.fail("read a stop reason from", "/");
  return fit;
}

void write_calibration(const std::filesystem::path& path, const Calibration& c,
                       const std::vector<WaveSimulation>& waves, const std::vector<WaveFit>& fits,
                       const CalibrationRunInfo& info) {
  if (waves.empty() || waves.size() != fits.size())
    throw std::invalid_argument(fmt::format("write_calibration: {} waves and {} fits", waves.size(), fits.size()));
  const std::size_t n_params = c.parameters.size(), n_targets = c.fitted.size();
  const WaveFit& last = fits.back();
  std::filesystem::path partial = path;
  partial += ".partial";
  h5::Writer w;
  w.create(partial);
  const hid_t f = w.file.get();
  const std::string root = "/";
  w.attribute_int64(f, root, "schema_version", kCalibrationSchemaVersion);
  w.attribute_string(f, root, "file_kind", kKind);
  w.attribute_string(f, root, "harmsim_version", HARMSIM_VERSION);
  w.attribute_string(f, root, "git_commit", io::git_commit());
  w.attribute_string(f, root, "command_line", info.command_line);
  w.attribute_string(f, root, "started_at", info.started_at);
  w.attribute_double(f, root, "wall_time_s", info.wall_seconds);
  w.attribute_string(f, root, "calibration_id", c.calibration_id);
  w.attribute_string(f, root, "method", c.method);
  w.attribute_double(f, root, "cutoff", c.cutoff);
  w.attribute_uint64(f, root, "seed", c.seed);
  w.attribute_int64(f, root, "points", c.points);
  w.attribute_int64(f, root, "replicates", c.replicates);
  w.attribute_int64(f, root, "waves_max", c.waves);
  w.attribute_int64(f, root, "waves", static_cast<std::int64_t>(waves.size()));
  w.attribute_string(f, root, "stop_reason", last.stop_reason);
  w.attribute_int64(f, root, "accepted", static_cast<std::int64_t>(last.accepted_wave.size()));
  w.dataset_string_scalar(f, root, "definition", c.canonical_text());
  std::vector<std::string> scenarios;
  for (std::size_t s : c.scenarios) scenarios.push_back(c.targets.scenarios[s].scenario.name);
  w.dataset_strings(f, root, "scenarios", scenarios);
  write_parameters(w, f, c, true);
  write_targets(w, f, c);

  {
    const Handle group = w.create_group(f, root, "waves");
    for (std::size_t k = 0; k < waves.size(); ++k) {
      const WaveSimulation& s = waves[k];
      const WaveFit& fit = fits[k];
      const std::string name = fmt::format("w{}", k + 1);
      const std::string p = "/waves/" + name;
      const Handle g = w.create_group(group.get(), "/waves", name);
      w.attribute_double(g.get(), p, "kept_share", fit.kept_share);
      w.attribute_int64(g.get(), p, "candidates", fit.candidates);
      w.attribute_int64(g.get(), p, "non_implausible", fit.non_implausible);
      w.attribute_double(g.get(), p, "simulation_seconds", s.seconds);
      w.attribute_double(g.get(), p, "fit_seconds", fit.seconds);
      matrix(w, g.get(), p, "points", s.design, s.points, n_params);
      matrix(w, g.get(), p, "values", s.values, s.points, n_targets);
      matrix(w, g.get(), p, "variance", s.variance, s.points, n_targets);
      doubles(w, g.get(), p, "implausibility", fit.implausibility);
      matrix(w, g.get(), p, "target_implausibility", fit.target_implausibility, s.points, n_targets);
      doubles(w, g.get(), p, "emulator_r2", fit.emulator_r2);
      int64s(w, g.get(), p, "emulator_points", fit.emulator_points);
      w.dataset_strings(g.get(), p, "emulator_kernels", fit.kernels);
    }
  }

  auto row = [&](const std::vector<double>& table, std::size_t i, std::size_t width) {
    return std::vector<double>(table.begin() + static_cast<std::ptrdiff_t>(i * width),
                               table.begin() + static_cast<std::ptrdiff_t>((i + 1) * width));
  };
  auto wave_of = [&](std::int64_t wave, std::int64_t index) -> const WaveSimulation& {
    if (wave < 1 || static_cast<std::size_t>(wave) > waves.size() || index < 0 ||
        static_cast<std::size_t>(index) >= waves[static_cast<std::size_t>(wave - 1)].points)
      throw std::invalid_argument(fmt::format("write_calibration: no point {} in wave {}", index, wave));
    return waves[static_cast<std::size_t>(wave - 1)];
  };
  {
    const std::string p = "/accepted";
    const Handle g = w.create_group(f, root, "accepted");
    std::vector<double> points, values, variance;
    for (std::size_t i = 0; i < last.accepted_wave.size(); ++i) {
      const WaveSimulation& s = wave_of(last.accepted_wave[i], last.accepted_index[i]);
      const auto index = static_cast<std::size_t>(last.accepted_index[i]);
      for (double v : row(s.design, index, n_params)) points.push_back(v);
      for (double v : row(s.values, index, n_targets)) values.push_back(v);
      for (double v : row(s.variance, index, n_targets)) variance.push_back(v);
    }
    const std::size_t m = last.accepted_wave.size();
    matrix(w, g.get(), p, "points", points, m, n_params);
    matrix(w, g.get(), p, "values", values, m, n_targets);
    matrix(w, g.get(), p, "variance", variance, m, n_targets);
    doubles(w, g.get(), p, "implausibility", last.accepted_implausibility);
    w.dataset_1d(g.get(), p, "within", H5T_STD_U8LE, H5T_NATIVE_UINT8, last.accepted_within);
    int64s(w, g.get(), p, "wave", last.accepted_wave);
    int64s(w, g.get(), p, "index", last.accepted_index);
  }
  {
    const std::string p = "/best";
    const Handle g = w.create_group(f, root, "best");
    std::vector<double> point(n_params, kNaN), values(n_targets, kNaN);
    if (last.best_wave >= 1) {
      const WaveSimulation& s = wave_of(last.best_wave, last.best_index);
      point = row(s.design, static_cast<std::size_t>(last.best_index), n_params);
      values = row(s.values, static_cast<std::size_t>(last.best_index), n_targets);
    }
    w.attribute_int64(g.get(), p, "wave", last.best_wave);
    w.attribute_int64(g.get(), p, "index", last.best_index);
    w.attribute_int64(g.get(), p, "accepted", last.best_accepted ? 1 : 0);
    w.attribute_int64(g.get(), p, "within", last.best_within ? 1 : 0);
    w.attribute_double(g.get(), p, "implausibility", last.best_implausibility);
    doubles(w, g.get(), p, "point", point);
    doubles(w, g.get(), p, "values", values);
  }
  w.attribute_string(f, root, "finished_at", iso8601_utc_now());
  w.mark_complete_and_close();
  h5::publish(partial, path);
}

CalibrationFileStatus inspect_calibration_file(const std::filesystem::path& path) {
  CalibrationFileStatus status;
  try {
    h5::Reader r;
    r.open(path);
    if (!r.has_attribute("/", "file_kind") || r.attribute_string("/", "file_kind") != kKind ||
        !r.has_attribute("/", "calibration_id"))
      return status;
    status.calibration = true;
    status.calibration_id = r.attribute_string("/", "calibration_id");
    status.complete = r.has_attribute("/", "complete") && r.attribute_int64("/", "complete") == 1;
  } catch (const IoError&) {
  }
  return status;
}

AcceptedSets read_accepted_sets(const std::filesystem::path& path) {
  const h5::Reader r = open_finished(path);
  if (!r.has_attribute("/", "file_kind") || r.attribute_string("/", "file_kind") != kKind)
    throw IoError(path.string() + ": not a calibration file (root attribute file_kind is not `calibration`)");
  const std::int64_t version = r.attribute_int64("/", "schema_version");
  if (version != kCalibrationSchemaVersion)
    throw IoError(fmt::format("{}: calibration schema version {}, but this harmsim reads version {}", path.string(),
                              version, kCalibrationSchemaVersion));
  AcceptedSets accepted;
  accepted.calibration_id = r.attribute_string("/", "calibration_id");
  accepted.parameters = r.strings("/parameters/names");
  if (accepted.parameters.empty()) throw IoError(path.string() + ": /parameters/names: no parameters");
  const std::vector<hsize_t> dims = r.shape("/accepted/points");
  if (dims.size() != 2 || dims[1] != accepted.parameters.size())
    throw IoError(fmt::format("{}: /accepted/points: not a [sets, {}] table of the parameters", path.string(),
                              accepted.parameters.size()));
  accepted.sets = static_cast<std::size_t>(dims[0]);
  accepted.points = read_doubles(r, "/accepted/points", accepted.sets, accepted.parameters.size());
  for (double v : accepted.points)
    if (!std::isfinite(v)) throw IoError(path.string() + ": /accepted/points: a value that is not a finite number");
  return accepted;
}

}  // namespace harmsim::io
