#pragma once
// The HDF5 C API with RAII and errors as values, shared by the writers of
// results.h5 (hdf5_writer.cpp) and of sweep files (sweep_output.cpp). Internal
// to the io layer: it includes <hdf5.h>, which no public header does.
//
// Every failure becomes an IoError naming the file, the object
// ("/points/p3/totals/arrests_worker") and HDF5's own reason.
#include <hdf5.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/hdf5_writer.hpp"  // IoError

namespace harmsim::io::h5 {

// The names of a list (metrics, strata, statistics) as strings, for
// attribute_strings and dataset_strings.
template <std::size_t N>
std::vector<std::string> to_strings(const std::array<std::string_view, N>& views) {
  return {views.begin(), views.end()};
}

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);

  Handle() noexcept = default;
  Handle(hid_t id, Closer closer) noexcept : id_(id), closer_(closer) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
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
std::string reason();

// "/a" + "b" = "/a/b"; "/" + "b" = "/b".
std::string join_path(const std::string& parent, std::string_view name);

// fsync(2) of a file; IoError on failure.
void fsync_file(const std::filesystem::path& path);
// fsync(2) of the directory holding `path`, so a rename in it is durable.
// Best effort: returns false on failure.
bool fsync_parent_directory(const std::filesystem::path& path);

// Syncs `partial` to disk, renames it to `final_path` (replacing an older
// one) and syncs the directory: a crash never leaves the final name on a
// partly written file.
void publish(const std::filesystem::path& partial, const std::filesystem::path& final_path);

// A file being written and the typed writing primitives.
struct Writer {
  std::string path;  // the file, for messages
  Handle group_properties;
  Handle string_type;  // variable-length UTF-8 string, read by h5py as str
  Handle file;

  // Creates (truncating) `file_path` in the HDF5 1.8 format, without
  // timestamps in object headers (same results, same bytes), closing
  // everything in it when the file is closed.
  void create(const std::filesystem::path& file_path);

  // Flushes, writes the root attribute complete = 1 last and closes the file.
  void mark_complete_and_close();

  [[noreturn]] void fail(std::string_view action, std::string_view object) const;
  Handle own(hid_t id, Handle::Closer closer, std::string_view action, std::string_view object) const {
    if (id < 0) fail(action, object);
    return Handle(id, closer);
  }
  void check(herr_t status, std::string_view action, std::string_view object) const {
    if (status < 0) fail(action, object);
  }
  // Closes a dataset now and checks that it closed: closing writes what HDF5
  // still holds of it (the last chunks, the sieve buffer), so this is where a
  // full disk may first show. A Handle left to its destructor would drop that
  // error, and the data with it.
  void close(Handle& dataset, std::string_view object) const {
    if (dataset.close() < 0) fail("close dataset", object);
  }

  [[nodiscard]] Handle simple_space(const std::vector<hsize_t>& dims, std::string_view object) const;
  [[nodiscard]] Handle scalar_space(std::string_view object) const;
  Handle create_group(hid_t parent, const std::string& parent_path, std::string_view name) const;
  Handle open_group(hid_t parent, const std::string& parent_path, std::string_view name) const;

  // --- attributes -------------------------------------------------------------
  void write_attribute(hid_t owner, const std::string& owner_path, const char* name, hid_t file_type,
                       hid_t memory_type, const Handle& space, const void* data) const;
  void attribute_string(hid_t owner, const std::string& owner_path, const char* name,
                        const std::string& value) const;
  void attribute_strings(hid_t owner, const std::string& owner_path, const char* name,
                         const std::vector<std::string>& values) const;
  void attribute_int64(hid_t owner, const std::string& owner_path, const char* name, std::int64_t value) const;
  void attribute_uint64(hid_t owner, const std::string& owner_path, const char* name, std::uint64_t value) const;
  void attribute_double(hid_t owner, const std::string& owner_path, const char* name, double value) const;

  // --- datasets ---------------------------------------------------------------
  // Creates a dataset; with `chunk_rows`, it is chunked one index of the first
  // axis at a time with shuffle + deflate, which is how readers slice it.
  Handle create_dataset(hid_t parent, const std::string& parent_path, std::string_view name, hid_t file_type,
                        const std::vector<hsize_t>& dims, bool chunk_rows) const;
  void write_whole(const Handle& dataset, hid_t memory_type, const void* data, std::string_view object) const;

  // A dataset of any shape written at once from `data` (row-major; may be
  // null when a dimension is 0).
  void dataset_nd(hid_t parent, const std::string& parent_path, std::string_view name, hid_t file_type,
                  hid_t memory_type, const std::vector<hsize_t>& dims, const void* data, bool chunk_rows) const;

  template <class T>
  void dataset_1d(hid_t parent, const std::string& parent_path, std::string_view name, hid_t file_type,
                  hid_t memory_type, const std::vector<T>& values) const {
    dataset_nd(parent, parent_path, name, file_type, memory_type, {values.size()},
               values.empty() ? nullptr : values.data(), false);
  }

  void dataset_strings(hid_t parent, const std::string& parent_path, std::string_view name,
                       const std::vector<std::string>& values) const;
  void dataset_string_scalar(hid_t parent, const std::string& parent_path, std::string_view name,
                             const std::string& value) const;
};

// The group /metrics (name, kind, description of every metric, in the
// order of model::kMetrics) as docs/output.md describes it.
void write_metric_table(const Writer& writer, hid_t parent, const std::string& parent_path);

// The dataset `exposure`, uint64 [rows, strata, exposures, outcomes, cells]
// from `tables` (rows ExposureTables one after another), with the
// attributes `strata`, `exposures`, `outcomes` and `cells` naming its axes
// (docs/output.md): the same in results and sweep files.
void write_exposure_tables(const Writer& writer, hid_t parent, const std::string& parent_path,
                           const std::vector<std::uint64_t>& tables, std::size_t rows);

// The dataset `stratum_totals`, float64 [rows, metrics, strata] from
// `values` (rows blocks of [metric][stratum]); one compressed chunk per row.
void write_stratum_totals(const Writer& writer, hid_t parent, const std::string& parent_path,
                          const std::vector<double>& values, std::size_t rows, std::size_t strata);

// A file read back may have been damaged (a disk, a copy cut short, a flipped
// bit, another program), and the HDF5 1.10 library can crash or loop forever
// on some damaged files: tests/fuzz found flipped bits in a global heap that
// make H5HG_read copy from a wild pointer, or never return. So every read of
// a Reader runs under a ReadGuard, which ends the program with exit code 2
// and one line rather than a crash or a hang:
// - a fault (SIGSEGV, SIGBUS, SIGFPE, SIGILL, and SIGABRT from glibc's heap
//   checks outside sanitizer builds): `<prefix>FILE: damaged: the HDF5
//   library crashed reading it (signal N)`;
// - one read (an attribute, a dataset) taking more than read_cpu_limit()
//   seconds of CPU (ITIMER_PROF; time spent waiting for a slow disk does not
//   count): `<prefix>FILE: damaged: the HDF5 library made no progress reading
//   it in N s of CPU`.
// The prefix is "harmsim: " unless set_read_guard_prefix changed it. Outside
// a read the signals and the timer are as they were. For one thread at a
// time (harmsim reads its input files on its main thread).
class ReadGuard {
 public:
  explicit ReadGuard(const std::string& path);
  ~ReadGuard();
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;
};
void set_read_guard_prefix(std::string_view prefix);
// Whether this thread is inside a ReadGuard (the afl harness tells a fault of
// the HDF5 library under one, which a release build turns into exit 2 and
// one line, from a finding: tests/fuzz/afl_hdf5.cpp).
[[nodiscard]] bool read_guard_active() noexcept;
// The CPU seconds one read may take: $HARMSIM_READ_CPU_LIMIT, else 60 (far
// more than any read of a file harmsim wrote needs; tests set less).
double read_cpu_limit();

// A finished file opened read-only, with typed readers. Every failure is an
// IoError naming the file and the object. Every read, and the close, runs
// under a ReadGuard.
struct Reader {
  std::string path;
  Handle file;

  Reader() = default;
  ~Reader();  // closes the file under a ReadGuard
  Reader(Reader&&) noexcept = default;
  Reader& operator=(Reader&&) noexcept = default;

  void open(const std::filesystem::path& file_path);

  [[noreturn]] void fail(std::string_view action, std::string_view object) const;
  [[nodiscard]] bool exists(const std::string& object) const;  // a link at this absolute path
  [[nodiscard]] bool has_attribute(const std::string& object, const char* name) const;
  [[nodiscard]] std::string attribute_string(const std::string& object, const char* name) const;
  [[nodiscard]] std::int64_t attribute_int64(const std::string& object, const char* name) const;
  [[nodiscard]] std::uint64_t attribute_uint64(const std::string& object, const char* name) const;
  [[nodiscard]] double attribute_double(const std::string& object, const char* name) const;

  [[nodiscard]] Handle open_dataset(const std::string& object) const;
  // The shape of a dataset.
  [[nodiscard]] std::vector<hsize_t> shape(const std::string& object) const;
  // The number of values of a dataset of this shape; IoError if it is more
  // than could fit in memory (a damaged or forged dataspace claims 2^40
  // values it does not hold).
  [[nodiscard]] std::size_t values_in(const std::vector<hsize_t>& dims, std::size_t bytes_each,
                                      const std::string& object) const;
  // A whole numeric dataset converted to T; `dims` receives its shape.
  template <class T>
  [[nodiscard]] std::vector<T> read_all(const std::string& object, hid_t memory_type,
                                        std::vector<hsize_t>* dims = nullptr) const {
    const ReadGuard guard(path);
    const Handle dataset = open_dataset(object);
    std::vector<hsize_t> extent = shape(object);
    const std::size_t n = values_in(extent, sizeof(T), object);
    std::vector<T> values(n);
    if (n > 0 && H5Dread(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
      fail("read", object);
    if (dims != nullptr) *dims = std::move(extent);
    return values;
  }
  [[nodiscard]] std::vector<double> doubles(const std::string& object, std::vector<hsize_t>* dims = nullptr) const {
    return read_all<double>(object, H5T_NATIVE_DOUBLE, dims);
  }
  [[nodiscard]] std::vector<float> floats(const std::string& object, std::vector<hsize_t>* dims = nullptr) const {
    return read_all<float>(object, H5T_NATIVE_FLOAT, dims);
  }
  [[nodiscard]] std::vector<std::uint64_t> uint64s(const std::string& object,
                                                   std::vector<hsize_t>* dims = nullptr) const {
    return read_all<std::uint64_t>(object, H5T_NATIVE_UINT64, dims);
  }
  // A 1-D dataset of strings (variable or fixed length) as text.
  [[nodiscard]] std::vector<std::string> strings(const std::string& object) const;
  [[nodiscard]] std::string string_scalar(const std::string& object) const;
};

}  // namespace harmsim::io::h5
