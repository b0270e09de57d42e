// afl++ harness for harmsim's readers of HDF5 files (docs/errors.md,
// "Fuzzing"): built and run by tests/fuzz/afl.sh hdf5, never by CI.
//
// One input is an HDF5 file, as `harmsim merge` reads a shard
// (io::ShardReader: header, then every point), as `harmsim sweep` looks at an
// output that exists (io::inspect_sweep_file) and as `harmsim run` does
// (written_by_this_run in app/commands.cpp: the root attributes, the scenario
// names, each scenario's replicates and config). Each must read it, or refuse
// it with an IoError (whose message, where harmsim shows it, is one line of
// UTF-8 beginning with the file's name); anything else (a crash, another
// exception, a sanitizer report in harmsim's code, an allocation the size of
// a forged dataspace) is a finding. The HDF5 library itself is not
// instrumented: afl steers by harmsim's own code. Its own over-reads of a
// damaged global heap are known (H5HG_read, HDF5 1.10) and suppressed
// (tests/fuzz/hdf5.asan-suppressions); the crashes they can cause are
// harmsim's ReadGuard's to catch (io/hdf5_file.hpp). Without afl-clang-fast the
// same program reads one input from the file named on its command line (or
// stdin), to replay findings.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "fuzz_common.hpp"
#include "io/hdf5_file.hpp"
#include "io/sweep_output.hpp"

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
  const std::string& path = input_path();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) finding("cannot write the input file", path);
  }
  // harmsim sweep, on an output that exists: never throws.
  (void)harmsim::io::inspect_sweep_file(path);
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
    if (!reader.has_attribute("/", "complete") || reader.attribute_int64("/", "complete") != 1) return;
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
  std::remove(path.c_str());
}

}  // namespace

HARMSIM_FUZZ_MAIN(check)
