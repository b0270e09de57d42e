// afl++ harness for harmsim's readers of HDF5 files (docs/errors.md,
// "Fuzzing"): built and run by tests/fuzz/afl.sh hdf5, never by CI.
//
// One input is an HDF5 file, as `harmsim merge` reads a shard
// (io::ShardReader: header, then every point), as `harmsim calibrate` and
// `harmsim targets` read a finished sweep (io::SweepFileReader: every
// point), as `harmsim sweep` and `harmsim calibrate` look at an output that
// exists (io::inspect_sweep_file, io::inspect_calibration_file) and as
// `harmsim run` does (written_by_this_run in app/commands.cpp: the root
// attributes, the scenario names, each scenario's replicates and config).
// Each must read it, or refuse
// it with an IoError (whose message, where harmsim shows it, is one line of
// UTF-8 beginning with the file's name); anything else (a crash, another
// exception, a sanitizer report in harmsim's code, an allocation the size of
// a forged dataspace) is a finding. The HDF5 library itself is not
// instrumented: afl steers by harmsim's own code.
//
// The HDF5 library's own faults on a damaged file are known, and are not
// findings when they happen under a ReadGuard (io/hdf5_file.hpp), which in a
// release build ends harmsim with exit 2 and one line naming the file:
// - its over-reads seen by ASan's interceptors (H5HG_read of a damaged
//   global heap) are suppressed (tests/fuzz/hdf5.asan-suppressions);
// - a SIGSEGV (the over-read faults) is the ReadGuard's, as in release;
// - what ASan cannot suppress and ends in abort(): a free() of a pointer
//   the library never allocated (H5C on closing a damaged file; glibc's heap
//   check aborts on it in release, which the guard catches), or ASan's own
//   CHECK on a memcpy of 2^40 bytes (H5HG_read again; a SIGSEGV in release).
//   The death callback below tells these from a finding: ASan is dying
//   inside a ReadGuard, and the innermost frame outside this program (whose
//   code is harmsim's and the sanitizer runtime's) is in libhdf5. It then
//   ends the process as the guard would (exit 2, so afl does not count a
//   crash), after copying the input to $HARMSIM_FUZZ_LIBRARY_ABORTS/HASH.h5
//   (afl.sh: findings-hdf5/library-aborts/) to be counted and replayed
//   through harmsim. Any other sanitizer death stays a crash: a finding.
// After each input the library is closed and reopened (H5close, under a
// ReadGuard), so that what a damaged file left in it (HDF5 1.10 can free
// a wild pointer on a later file's close) is blamed on that input and not on
// the next one: findings replay alone, as a harmsim process reads them.
//
// Without afl-clang-fast the same program reads one input from the file named
// on its command line (or stdin), to replay findings.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "io/calibration_output.hpp"
#include "io/hdf5_file.hpp"
#include "io/sweep_output.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define HARMSIM_FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HARMSIM_FUZZ_ASAN 1
#endif
#endif
#ifdef HARMSIM_FUZZ_ASAN
#include <dlfcn.h>
#include <execinfo.h>
#include <fcntl.h>
#include <sanitizer/common_interface_defs.h>

#include <cstdint>
#endif

namespace {

using harmsim::fuzz::check_message;
using harmsim::fuzz::finding;
using harmsim::io::IoError;

// The input as a file, as harmsim would find it (HDF5 reads files only).
const std::string& input_path() {
  static const std::string path = [] {
    const char* directory = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    return std::string(directory) + "/harmsim-afl-hdf5-" + std::to_string(::getpid()) + ".h5";
  }();
  return path;
}

#ifdef HARMSIM_FUZZ_ASAN
// Where a known library abort's input is copied ($HARMSIM_FUZZ_LIBRARY_ABORTS; none if unset).
const char* g_library_aborts = nullptr;

// Whether the innermost frame of this thread's stack outside this program is
// in the HDF5 library. Called as ASan dies: no allocation (backtrace() was
// warmed up in install_library_abort_check, so it loads nothing now).
bool dying_in_hdf5() {
  void* frames[256];
  const int n = ::backtrace(frames, 256);
  Dl_info self{};
  if (::dladdr(reinterpret_cast<void*>(&dying_in_hdf5), &self) == 0) return false;
  for (int i = 0; i < n; ++i) {
    Dl_info frame{};
    if (::dladdr(frames[i], &frame) == 0 || frame.dli_fname == nullptr) return false;
    if (frame.dli_fbase == self.dli_fbase) continue;
    // glibc's backtrace() itself and the unwinder it uses are not the caller.
    if (i == 0 && (std::strstr(frame.dli_fname, "libc.so") != nullptr ||
                   std::strstr(frame.dli_fname, "libgcc_s") != nullptr))
      continue;
    return std::strstr(frame.dli_fname, "libhdf5") != nullptr;
  }
  return false;
}

// Copies the input to DIR/HASH.h5 (FNV-1a of its bytes), with system calls only.
void keep_library_abort(const char* input) {
  if (g_library_aborts == nullptr) return;
  static char buffer[1 << 16];
  static char path[4096], temporary[4096];
  std::snprintf(temporary, sizeof temporary, "%s/.incoming-%d", g_library_aborts, static_cast<int>(::getpid()));
  const int in = ::open(input, O_RDONLY);
  const int out = ::open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::uint64_t hash = 1469598103934665603ULL;
  if (in >= 0 && out >= 0) {
    for (ssize_t n; (n = ::read(in, buffer, sizeof buffer)) > 0;) {
      for (ssize_t i = 0; i < n; ++i) hash = (hash ^ static_cast<unsigned char>(buffer[i])) * 1099511628211ULL;
      if (::write(out, buffer, static_cast<std::size_t>(n)) != n) break;
    }
    std::snprintf(path, sizeof path, "%s/%016llx.h5", g_library_aborts, static_cast<unsigned long long>(hash));
    ::rename(temporary, path);
  }
  if (in >= 0) ::close(in);
  if (out >= 0) ::close(out);
}

extern "C" void on_sanitizer_death() {
  if (!harmsim::io::h5::read_guard_active() || !dying_in_hdf5()) return;  // a finding: ASan goes on to abort
  keep_library_abort(input_path().c_str());
  static const char line[] =
      "harmsim fuzz harness: the HDF5 library failed under a ReadGuard (in a release build: exit 2 and one line "
      "naming the file); not a finding\n";
  [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line, sizeof line - 1);
  ::_exit(2);
}

void install_library_abort_check() {
  const char* directory = std::getenv("HARMSIM_FUZZ_LIBRARY_ABORTS");
  if (directory != nullptr && *directory != '\0') g_library_aborts = directory;
  void* warm[4];
  (void)::backtrace(warm, 4);
  __sanitizer_set_death_callback(on_sanitizer_death);
}
#else
void install_library_abort_check() {}
#endif

template <class Read>
void expect_read_or_refused(Read read) {
  try {
    read();
  } catch (const IoError& e) {
    check_message(e.what(), {input_path()});
  } catch (const std::exception& e) {
    finding("an exception other than IoError", e.what());
  }
}

void check(std::string_view bytes) {
  static const bool installed = (install_library_abort_check(), true);
  (void)installed;
  const std::string& path = input_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) finding("cannot write the input file", path);
  }
  // harmsim sweep and harmsim calibrate, on an output that exists: never throw.
  (void)harmsim::io::inspect_sweep_file(path);
  (void)harmsim::io::inspect_calibration_file(path);
  // harmsim calibrate and harmsim targets, on a finished sweep of theirs.
  expect_read_or_refused([&] {
    const harmsim::io::SweepFileReader sweep(path);
    for (std::size_t k = 0; k < sweep.points(); ++k) (void)sweep.read_point(k);
  });
  // harmsim merge, on a shard.
  expect_read_or_refused([&] {
    const harmsim::io::ShardReader shard(path);
    for (std::size_t k = 0; k < shard.header().points.size(); ++k) (void)shard.read_point(k);
  });
  // harmsim run, on an output that exists beside its checkpoints: any
  // IoError means "not this run's file", and is not shown.
  try {
    harmsim::io::h5::Reader reader;
    reader.open(path);
    if (!reader.has_attribute("/", "complete") || reader.attribute_int64("/", "complete") != 1)
      throw IoError(path + ": not complete");
    (void)reader.attribute_string("/", "harmsim_version");
    (void)reader.attribute_string("/", "git_commit");
    for (const std::string& name : reader.strings("/scenario_names")) {
      const std::string group = "/scenarios/" + name;
      (void)reader.attribute_int64(group, "replicates");
      (void)reader.string_scalar(group + "/config");
    }
  } catch (const IoError&) {
  } catch (const std::exception& e) {
    finding("an exception other than IoError", e.what());
  }
  // What this input left in the library is this input's (see the top).
  {
    const harmsim::io::h5::ReadGuard guard(path);
    H5close();
  }
  std::remove(path.c_str());
}

}  // namespace

HARMSIM_FUZZ_MAIN(check)
