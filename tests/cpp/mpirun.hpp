#pragma once
// Running harmsim under mpirun in the tests of sweeps and runs.
#include <cstdlib>
#include <string>

namespace harmsim::test {

// True if this harmsim has MPI and mpirun is on the PATH.
inline bool have_mpirun() {
#ifdef HARMSIM_HAVE_MPI
  return std::system("command -v mpirun >/dev/null 2>&1") == 0;
#else
  return false;
#endif
}

// The prefix of a shell command that runs it on `ranks` ranks. mpirun as
// root on a small machine needs these (docs/sweeps.md). OpenMPI keeps
// allocations until exit, which LeakSanitizer would report under the asan
// preset: leak checks are off for the ranks.
inline std::string mpirun(int ranks) {
  return "ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:detect_leaks=0\" "
         "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
         "mpirun --allow-run-as-root --oversubscribe -n " +
         std::to_string(ranks) + " ";
}

}  // namespace harmsim::test
