#include "io/hdf5_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include <fmt/format.h>

#include "io/scenario.hpp"  // shown
#include "model/metrics.hpp"
#include "model/results.hpp"

namespace harmsim::io::h5 {

namespace {

// gzip level of chunked datasets: level 4 is within a few per cent of level 9
// on these mostly-small-integer series at a fraction of the time.
constexpr unsigned kDeflateLevel = 4;

// How harmsim uses the library, set before every file it creates or opens.
// Failures are reported as IoError with HDF5's reason, not printed by HDF5.
// No filter is loaded as a plugin: harmsim writes only the built-in deflate,
// and a plugin, which links the shared libhdf5, would be a second copy of
// the library beside the static one harmsim links (cmake/Dependencies.cmake);
// a file that needs one is refused as unreadable.
void configure_library() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H5PLset_loading_state(0);
}

}  // namespace

std::string reason() {
  std::string text;
  auto innermost = [](unsigned, const H5E_error2_t* error, void* data) -> herr_t {
    if (error->desc != nullptr && error->desc[0] != '\0') *static_cast<std::string*>(data) = error->desc;
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, &text);
  H5Eclear2(H5E_DEFAULT);
  if (text.empty()) return "HDF5 gave no reason";
  // The file driver wraps the system's reason in a long description with a
  // timestamp that ends in a newline ("file write failed: time = ...\n,
  // filename = '...', file descriptor = 3, errno = 28, error message = 'No
  // space left on device', buf = 0x..., ..."): keep what it did and why.
  const std::string_view errno_key = "errno = ", message_key = "error message = '";
  const std::size_t at_errno = text.find(errno_key), at_message = text.find(message_key);
  if (at_errno != std::string::npos && at_message != std::string::npos) {
    const std::size_t start = at_message + message_key.size();
    const std::size_t end = text.find('\'', start);
    const std::size_t digits = text.find_first_not_of("0123456789", at_errno + errno_key.size());
    const std::string number = text.substr(at_errno + errno_key.size(), digits - (at_errno + errno_key.size()));
    const std::size_t colon = text.find(':');
    if (end != std::string::npos && !number.empty() && colon != std::string::npos && colon < at_errno)
      text = text.substr(0, colon) + ": " + text.substr(start, end - start) + " (errno " + number + ")";
  }
  // One line: HDF5's text can hold what a damaged file holds (the target
  // of an external link, a name).
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return shown(text, std::string::npos);
}

std::string join_path(const std::string& parent, std::string_view name) {
  std::string path = parent == "/" ? std::string() : parent;
  path += '/';
  path += name;
  return path;
}

void fsync_file(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IoError("cannot open " + path.string() + " to sync it to disk: " + std::strerror(errno));
  const int status = ::fsync(fd);
  const int saved_errno = errno;
  ::close(fd);
  if (status != 0) throw IoError("cannot sync " + path.string() + " to disk: " + std::strerror(saved_errno));
}

bool fsync_parent_directory(const std::filesystem::path& path) {
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

void publish(const std::filesystem::path& partial, const std::filesystem::path& final_path) {
  // On disk before it gets its final name, so a crash never leaves a final
  // name on a partly written file.
  fsync_file(partial);
  std::error_code error;
  std::filesystem::rename(partial, final_path, error);
  if (error) {
    throw IoError("cannot rename " + partial.string() + " to " + final_path.string() + ": " + error.message());
  }
  // Make the rename itself durable. Best effort: the result is complete and
  // correctly named either way, so a failure here is not worth an error.
  fsync_parent_directory(final_path);
}

// --- Writer -------------------------------------------------------------------

void Writer::fail(std::string_view action, std::string_view object) const {
  std::string message = path;
  message.append(": cannot ").append(action).append(" ").append(object);
  message.append(": ").append(reason());
  throw IoError(message);
}

void Writer::create(const std::filesystem::path& file_path) {
  configure_library();
  path = file_path.string();

  const Handle access = own(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "create the access properties of", "the file");
  // The oldest format that holds our objects (HDF5 1.8), so every reader
  // (h5py, hdf5r, h5dump, older libraries) opens it.
  check(H5Pset_libver_bounds(access.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_V18), "set the format versions of",
        "the file");
  // Closing the file closes everything in it, so rename never races an open object.
  check(H5Pset_fclose_degree(access.get(), H5F_CLOSE_STRONG), "set the close behaviour of", "the file");
  const Handle creation =
      own(H5Pcreate(H5P_FILE_CREATE), H5Pclose, "create the creation properties of", "the file");
  check(H5Pset_obj_track_times(creation.get(), false), "configure", "the root group");

  group_properties = own(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, "create the group properties of", "the file");
  check(H5Pset_obj_track_times(group_properties.get(), false), "configure", "the group properties");

  string_type = own(H5Tcopy(H5T_C_S1), H5Tclose, "create the string type of", "the file");
  check(H5Tset_size(string_type.get(), H5T_VARIABLE), "create the string type of", "the file");
  check(H5Tset_cset(string_type.get(), H5T_CSET_UTF8), "create the string type of", "the file");

  file = own(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, creation.get(), access.get()), H5Fclose, "create", "the file");
}

void Writer::mark_complete_and_close() {
  const hid_t f = file.get();
  // Everything else reaches the file before the flag that says it is there.
  check(H5Fflush(f, H5F_SCOPE_GLOBAL), "flush", "the file");
  attribute_int64(f, "/", "complete", 1);
  if (file.close() < 0) fail("close", "the file");
}

Handle Writer::simple_space(const std::vector<hsize_t>& dims, std::string_view object) const {
  return own(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
             "create the dataspace of", object);
}

Handle Writer::scalar_space(std::string_view object) const {
  return own(H5Screate(H5S_SCALAR), H5Sclose, "create the dataspace of", object);
}

Handle Writer::create_group(hid_t parent, const std::string& parent_path, std::string_view name) const {
  const std::string object = join_path(parent_path, name);
  return own(H5Gcreate2(parent, std::string(name).c_str(), H5P_DEFAULT, group_properties.get(), H5P_DEFAULT),
             H5Gclose, "create group", object);
}

Handle Writer::open_group(hid_t parent, const std::string& parent_path, std::string_view name) const {
  return own(H5Gopen2(parent, std::string(name).c_str(), H5P_DEFAULT), H5Gclose, "open group",
             join_path(parent_path, name));
}

void Writer::write_attribute(hid_t owner, const std::string& owner_path, const char* name, hid_t file_type,
                             hid_t memory_type, const Handle& space, const void* data) const {
  const std::string object = "attribute " + std::string(name) + " of " + owner_path;
  const Handle attribute =
      own(H5Acreate2(owner, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose, "create", object);
  check(H5Awrite(attribute.get(), memory_type, data), "write", object);
}

void Writer::attribute_string(hid_t owner, const std::string& owner_path, const char* name,
                              const std::string& value) const {
  const char* text = value.c_str();
  write_attribute(owner, owner_path, name, string_type.get(), string_type.get(), scalar_space(owner_path), &text);
}

void Writer::attribute_strings(hid_t owner, const std::string& owner_path, const char* name,
                               const std::vector<std::string>& values) const {
  std::vector<const char*> texts;
  texts.reserve(values.size());
  for (const std::string& v : values) texts.push_back(v.c_str());
  write_attribute(owner, owner_path, name, string_type.get(), string_type.get(),
                  simple_space({values.size()}, owner_path), texts.data());
}

void Writer::attribute_int64(hid_t owner, const std::string& owner_path, const char* name,
                             std::int64_t value) const {
  write_attribute(owner, owner_path, name, H5T_STD_I64LE, H5T_NATIVE_INT64, scalar_space(owner_path), &value);
}

void Writer::attribute_uint64(hid_t owner, const std::string& owner_path, const char* name,
                              std::uint64_t value) const {
  write_attribute(owner, owner_path, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, scalar_space(owner_path), &value);
}

void Writer::attribute_double(hid_t owner, const std::string& owner_path, const char* name, double value) const {
  write_attribute(owner, owner_path, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, scalar_space(owner_path), &value);
}

Handle Writer::create_dataset(hid_t parent, const std::string& parent_path, std::string_view name, hid_t file_type,
                              const std::vector<hsize_t>& dims, bool chunk_rows) const {
  const std::string object = join_path(parent_path, name);
  const Handle properties =
      own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create the creation properties of", object);
  // No timestamps in object headers: same results, same bytes.
  check(H5Pset_obj_track_times(properties.get(), false), "configure", object);
  const bool empty = std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end();
  if (chunk_rows && !empty) {  // HDF5 refuses chunks on a zero-sized dataset
    std::vector<hsize_t> chunk = dims;
    chunk[0] = 1;
    check(H5Pset_chunk(properties.get(), static_cast<int>(chunk.size()), chunk.data()), "set the chunk shape of",
          object);
    check(H5Pset_shuffle(properties.get()), "set the shuffle filter of", object);
    check(H5Pset_deflate(properties.get(), kDeflateLevel), "set gzip compression of", object);
  }
  const Handle space = simple_space(dims, object);
  return own(H5Dcreate2(parent, std::string(name).c_str(), file_type, space.get(), H5P_DEFAULT, properties.get(),
                        H5P_DEFAULT),
             H5Dclose, "create dataset", object);
}

void Writer::write_whole(const Handle& dataset, hid_t memory_type, const void* data, std::string_view object) const {
  check(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "write", object);
}

void Writer::dataset_nd(hid_t parent, const std::string& parent_path, std::string_view name, hid_t file_type,
                        hid_t memory_type, const std::vector<hsize_t>& dims, const void* data,
                        bool chunk_rows) const {
  Handle dataset = create_dataset(parent, parent_path, name, file_type, dims, chunk_rows);
  const bool empty = std::find(dims.begin(), dims.end(), hsize_t{0}) != dims.end();
  if (!empty && data != nullptr) write_whole(dataset, memory_type, data, join_path(parent_path, name));
  close(dataset, join_path(parent_path, name));
}

void Writer::dataset_strings(hid_t parent, const std::string& parent_path, std::string_view name,
                             const std::vector<std::string>& values) const {
  std::vector<const char*> texts;
  texts.reserve(values.size());
  for (const std::string& v : values) texts.push_back(v.c_str());
  dataset_1d(parent, parent_path, name, string_type.get(), string_type.get(), texts);
}

void Writer::dataset_string_scalar(hid_t parent, const std::string& parent_path, std::string_view name,
                                   const std::string& value) const {
  const std::string object = join_path(parent_path, name);
  const Handle properties =
      own(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "create the creation properties of", object);
  check(H5Pset_obj_track_times(properties.get(), false), "configure", object);
  const Handle space = scalar_space(object);
  Handle dataset = own(H5Dcreate2(parent, std::string(name).c_str(), string_type.get(), space.get(),
                                  H5P_DEFAULT, properties.get(), H5P_DEFAULT),
                       H5Dclose, "create dataset", object);
  const char* text = value.c_str();
  write_whole(dataset, string_type.get(), &text, object);
  close(dataset, object);
}

void write_metric_table(const Writer& writer, hid_t parent, const std::string& parent_path) {
  auto kind_name = [](model::MetricKind kind) -> std::string {
    switch (kind) {
      case model::MetricKind::Count: return "count";
      case model::MetricKind::Level: return "level";
      case model::MetricKind::Share: return "share";
    }
    return "?";
  };
  std::vector<std::string> names, kinds, descriptions;
  for (const model::MetricInfo& metric : model::kMetrics) {
    names.emplace_back(metric.name);
    kinds.push_back(kind_name(metric.kind));
    descriptions.emplace_back(metric.description);
  }
  const Handle metrics = writer.create_group(parent, parent_path, "metrics");
  const std::string path = join_path(parent_path, "metrics");
  writer.dataset_strings(metrics.get(), path, "name", names);
  writer.dataset_strings(metrics.get(), path, "kind", kinds);
  writer.dataset_strings(metrics.get(), path, "description", descriptions);
}

void write_exposure_tables(const Writer& writer, hid_t parent, const std::string& parent_path,
                           const std::vector<std::uint64_t>& tables, std::size_t rows) {
  const std::string object = join_path(parent_path, "exposure");
  if (tables.size() != rows * std::tuple_size_v<model::ExposureTable>)
    throw std::invalid_argument(object + ": " + std::to_string(tables.size()) + " values for " +
                                std::to_string(rows) + " tables");
  Handle dataset = writer.create_dataset(parent, parent_path, "exposure", H5T_STD_U64LE,
                                         {rows, model::kExposureStrata.size(), model::kExposures.size(),
                                          model::kOutcomes.size(), model::kExposureCells.size()},
                                         false);
  if (rows > 0) writer.write_whole(dataset, H5T_NATIVE_UINT64, tables.data(), object);
  writer.attribute_strings(dataset.get(), object, "strata", to_strings(model::kExposureStrata));
  writer.attribute_strings(dataset.get(), object, "exposures", to_strings(model::kExposures));
  writer.attribute_strings(dataset.get(), object, "outcomes", to_strings(model::kOutcomes));
  writer.attribute_strings(dataset.get(), object, "cells", to_strings(model::kExposureCells));
  writer.close(dataset, object);
}

void write_stratum_totals(const Writer& writer, hid_t parent, const std::string& parent_path,
                          const std::vector<double>& values, std::size_t rows, std::size_t strata) {
  const std::string object = join_path(parent_path, "stratum_totals");
  if (values.size() != rows * model::kMetricCount * strata)
    throw std::invalid_argument(object + ": " + std::to_string(values.size()) + " values for " +
                                std::to_string(rows) + " × " + std::to_string(model::kMetricCount) + " × " +
                                std::to_string(strata));
  writer.dataset_nd(parent, parent_path, "stratum_totals", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                    {rows, model::kMetricCount, strata}, values.empty() ? nullptr : values.data(), true);
}

// --- ReadGuard ----------------------------------------------------------------

namespace {

// The faults of a crash, and SIGPROF: the CPU-time limit of one read. And
// SIGABRT, which glibc raises when it finds the heap damaged (afl found HDF5
// freeing a pointer it never allocated, on closing a damaged file), except
// in sanitizer builds, whose reports of harmsim's own errors end in abort()
// and must stay visible.
#if defined(__SANITIZE_ADDRESS__)
#define HARMSIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARMSIM_SANITIZED 1
#endif
#endif
#ifdef HARMSIM_SANITIZED
constexpr std::array<int, 5> kSignals = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGPROF};
#else
constexpr std::array<int, 6> kSignals = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGPROF, SIGABRT};
#endif
std::string g_guard_prefix = "harmsim: ";
// The lines a handler prints, made before the read (a handler may not allocate).
char g_crash_line[4096], g_stall_line[4096];
std::size_t g_crash_length = 0, g_stall_length = 0;
thread_local int g_guard_depth = 0;
std::array<struct sigaction, kSignals.size()> g_guard_saved{};

extern "C" void on_signal_while_reading(int sig) {
  // Only write(2) and _exit(2): async-signal-safe.
  [[maybe_unused]] ssize_t ignored = 0;
  if (sig == SIGPROF) {
    ignored = ::write(STDERR_FILENO, g_stall_line, g_stall_length);
  } else {
    char digits[4] = {};
    int n = 0;
    for (int v = sig; v > 0 && n < 3; v /= 10) ++n;
    for (int i = n - 1, v = sig; i >= 0; --i, v /= 10) digits[i] = static_cast<char>('0' + v % 10);
    ignored = ::write(STDERR_FILENO, g_crash_line, g_crash_length);
    ignored = ::write(STDERR_FILENO, digits, static_cast<std::size_t>(n));
    ignored = ::write(STDERR_FILENO, ")\n", 2);
  }
  ::_exit(2);  // bad input (app/commands.hpp kExitBadInput)
}

// An alternate stack for the handler, so that a fault from a stack overflow
// (a loop of links followed too deep) can still print its line.
void ensure_alternate_stack() {
  thread_local std::vector<char> stack;
  if (!stack.empty()) return;
  stack.resize(64 * 1024);
  stack_t alternate{};
  alternate.ss_sp = stack.data();
  alternate.ss_size = stack.size();
  ::sigaltstack(&alternate, nullptr);
}

void copy_line(const std::string& line, char* to, std::size_t size, std::size_t& length) {
  length = std::min(line.size(), size);
  std::memcpy(to, line.data(), length);
}

}  // namespace

void set_read_guard_prefix(std::string_view prefix) { g_guard_prefix = std::string(prefix); }

bool read_guard_active() noexcept { return g_guard_depth > 0; }

double read_cpu_limit() {
  static const double limit = [] {
    const char* text = std::getenv("HARMSIM_READ_CPU_LIMIT");
    char* end = nullptr;
    const double value = text != nullptr ? std::strtod(text, &end) : 0.0;
    return text != nullptr && end != text && value > 0 && value < 1e6 ? value : 60.0;
  }();
  return limit;
}

ReadGuard::ReadGuard(const std::string& path) {
  if (g_guard_depth++ > 0) return;
  copy_line(g_guard_prefix + path + ": damaged: the HDF5 library crashed reading it (signal ", g_crash_line,
            sizeof g_crash_line, g_crash_length);
  copy_line(fmt::format("{}{}: damaged: the HDF5 library made no progress reading it in {:g} s of CPU\n",
                        g_guard_prefix, path, read_cpu_limit()),
            g_stall_line, sizeof g_stall_line, g_stall_length);
  ensure_alternate_stack();
  struct sigaction action {};
  action.sa_handler = on_signal_while_reading;
  action.sa_flags = SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &action, &g_guard_saved[i]);
  const double limit = read_cpu_limit();
  itimerval timer{};
  timer.it_value.tv_sec = static_cast<time_t>(limit);
  timer.it_value.tv_usec = static_cast<suseconds_t>((limit - static_cast<double>(timer.it_value.tv_sec)) * 1e6);
  ::setitimer(ITIMER_PROF, &timer, nullptr);
}

ReadGuard::~ReadGuard() {
  if (--g_guard_depth > 0) return;
  const itimerval off{};
  ::setitimer(ITIMER_PROF, &off, nullptr);
  for (std::size_t i = 0; i < kSignals.size(); ++i) ::sigaction(kSignals[i], &g_guard_saved[i], nullptr);
}

// --- Reader -------------------------------------------------------------------

void Reader::fail(std::string_view action, std::string_view object) const {
  std::string message = path;
  message.append(": cannot ").append(action).append(" ").append(object);
  message.append(": ").append(reason());
  throw IoError(message);
}

Reader::~Reader() {
  // Closing a damaged file can crash the library too (it frees what the
  // damage made it allocate): guarded like a read.
  if (file.get() < 0) return;
  const ReadGuard guard(path);
  file.close();
}

void Reader::open(const std::filesystem::path& file_path) {
  configure_library();
  path = file_path.string();
  const ReadGuard guard(path);
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    std::error_code error;
    if (!std::filesystem::exists(file_path, error)) throw IoError(path + ": no such file");
    throw IoError(path + ": not an HDF5 file");
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail("open", "the file");
  file = Handle(id, H5Fclose);
}

bool Reader::exists(const std::string& object) const {
  const ReadGuard guard(path);
  // Every ancestor must exist before H5Lexists may be asked about a child.
  std::size_t start = 1;
  while (start <= object.size()) {
    const std::size_t slash = object.find('/', start);
    const std::string prefix = object.substr(0, slash);
    if (H5Lexists(file.get(), prefix.c_str(), H5P_DEFAULT) <= 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

bool Reader::has_attribute(const std::string& object, const char* name) const {
  const ReadGuard guard(path);
  const htri_t status = H5Aexists_by_name(file.get(), object.c_str(), name, H5P_DEFAULT);
  if (status < 0) H5Eclear2(H5E_DEFAULT);
  return status > 0;
}

std::string Reader::attribute_string(const std::string& object, const char* name) const {
  const ReadGuard guard(path);
  const std::string what = "attribute " + std::string(name) + " of " + object;
  const hid_t id = H5Aopen_by_name(file.get(), object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("open", what);
  const Handle attribute(id, H5Aclose);
  const Handle type(H5Aget_type(attribute.get()), H5Tclose);
  if (type.get() < 0 || H5Tget_class(type.get()) != H5T_STRING) fail("read a string from", what);
  if (H5Tis_variable_str(type.get()) > 0) {
    const Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
    char* text = nullptr;
    if (H5Aread(attribute.get(), memory.get(), &text) < 0) fail("read", what);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::string value(size, '\0');
  if (H5Aread(attribute.get(), type.get(), value.data()) < 0) fail("read", what);
  value.erase(std::find(value.begin(), value.end(), '\0'), value.end());
  return value;
}

std::int64_t Reader::attribute_int64(const std::string& object, const char* name) const {
  const ReadGuard guard(path);
  const std::string what = "attribute " + std::string(name) + " of " + object;
  const hid_t id = H5Aopen_by_name(file.get(), object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("open", what);
  const Handle attribute(id, H5Aclose);
  std::int64_t value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_INT64, &value) < 0) fail("read", what);
  return value;
}

std::uint64_t Reader::attribute_uint64(const std::string& object, const char* name) const {
  const ReadGuard guard(path);
  const std::string what = "attribute " + std::string(name) + " of " + object;
  const hid_t id = H5Aopen_by_name(file.get(), object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("open", what);
  const Handle attribute(id, H5Aclose);
  std::uint64_t value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_UINT64, &value) < 0) fail("read", what);
  return value;
}

double Reader::attribute_double(const std::string& object, const char* name) const {
  const std::string what = "attribute " + std::string(name) + " of " + object;
  const hid_t id = H5Aopen_by_name(file.get(), object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
  if (id < 0) fail("open", what);
  const Handle attribute(id, H5Aclose);
  const Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (space.get() < 0 || H5Sget_simple_extent_npoints(space.get()) != 1) fail("read one number from", what);
  double value = 0;
  if (H5Aread(attribute.get(), H5T_NATIVE_DOUBLE, &value) < 0) fail("read", what);
  return value;
}

Handle Reader::open_dataset(const std::string& object) const {
  const ReadGuard guard(path);
  const hid_t id = H5Dopen2(file.get(), object.c_str(), H5P_DEFAULT);
  if (id < 0) fail("open dataset", object);
  return Handle(id, H5Dclose);
}

std::vector<hsize_t> Reader::shape(const std::string& object) const {
  const ReadGuard guard(path);
  const Handle dataset = open_dataset(object);
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  if (space.get() < 0) fail("get the dataspace of", object);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail("get the shape of", object);
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0 && H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr) < 0) fail("get the shape of", object);
  return dims;
}

std::vector<std::string> Reader::strings(const std::string& object) const {
  const ReadGuard guard(path);
  const Handle dataset = open_dataset(object);
  const Handle type(H5Dget_type(dataset.get()), H5Tclose);
  if (type.get() < 0 || H5Tget_class(type.get()) != H5T_STRING) fail("read strings from", object);
  const Handle space(H5Dget_space(dataset.get()), H5Sclose);
  const hssize_t points = H5Sget_simple_extent_npoints(space.get());
  if (points < 0) fail("get the size of", object);
  const std::size_t n = values_in({static_cast<hsize_t>(points)}, H5Tget_size(type.get()) + sizeof(char*), object);
  std::vector<std::string> out;
  out.reserve(n);
  if (n == 0) return out;
  if (H5Tis_variable_str(type.get()) > 0) {
    const Handle memory(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(memory.get(), H5T_VARIABLE);
    H5Tset_cset(memory.get(), H5Tget_cset(type.get()));
    std::vector<char*> texts(n, nullptr);
    if (H5Dread(dataset.get(), memory.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data()) < 0) fail("read", object);
    for (char* t : texts) out.emplace_back(t != nullptr ? t : "");
    H5Dvlen_reclaim(memory.get(), space.get(), H5P_DEFAULT, texts.data());
    return out;
  }
  const std::size_t size = H5Tget_size(type.get());
  std::string buffer(n * size, '\0');
  if (H5Dread(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) fail("read", object);
  for (std::size_t i = 0; i < n; ++i) {
    std::string text = buffer.substr(i * size, size);
    text.erase(std::find(text.begin(), text.end(), '\0'), text.end());
    out.push_back(std::move(text));
  }
  return out;
}

std::size_t Reader::values_in(const std::vector<hsize_t>& dims, std::size_t bytes_each,
                              const std::string& object) const {
  // Half the machine's memory at most: a file harmsim wrote never asks for
  // that much in one dataset (it reads a point, a shard or a scenario at a
  // time), a damaged one may.
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  const double memory = pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 1e12;
  double values = 1;
  for (hsize_t d : dims) values *= static_cast<double>(d);
  if (values * static_cast<double>(std::max<std::size_t>(bytes_each, 1)) > memory / 2)
    throw IoError(fmt::format("{}: cannot read {}: its shape claims {:.0f} values, more than fit in memory", path,
                              object, values));
  return static_cast<std::size_t>(values);
}

std::string Reader::string_scalar(const std::string& object) const {
  std::vector<std::string> values = strings(object);
  if (values.size() != 1) fail("read a single string from", object);
  return values.front();
}

}  // namespace harmsim::io::h5
