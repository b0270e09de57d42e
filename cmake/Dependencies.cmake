# Every dependency is a Debian 12 package; nothing is downloaded at build time.
# A missing one stops configuration with the package to install.
function(harmsim_require pkg debian)
  find_package(${pkg} ${ARGN} QUIET)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR
      "harmsim needs ${pkg}, which was not found.\n"
      "Install it with:  sudo apt-get install ${debian}\n"
      "(or run scripts/run / scripts/test, which install what is missing).")
  endif()
endfunction()

harmsim_require(Eigen3 libeigen3-dev 3.3 NO_MODULE)
harmsim_require(Boost libboost-dev 1.74)
harmsim_require(tomlplusplus libtomlplusplus-dev)
harmsim_require(CLI11 libcli11-dev)
harmsim_require(fmt libfmt-dev)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)

find_package(HDF5 COMPONENTS C QUIET)
if(NOT HDF5_FOUND)
  message(FATAL_ERROR
    "harmsim needs HDF5 (C library), which was not found.\n"
    "Install it with:  sudo apt-get install libhdf5-dev")
endif()

# zlib deflates the checkpoints (sim/io/checkpoint.cpp); libhdf5-dev already
# depends on it, for HDF5's own deflate filter.
harmsim_require(ZLIB zlib1g-dev)

if(HARMSIM_BUILD_TESTS)
  harmsim_require(Catch2 catch2 2)
endif()
if(HARMSIM_BUILD_BENCH)
  harmsim_require(benchmark libbenchmark-dev)
endif()

set(HARMSIM_HAVE_MPI OFF)
if(HARMSIM_WITH_MPI)
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_FOUND)
    set(HARMSIM_HAVE_MPI ON)
  else()
    message(STATUS "OpenMPI not found: distributed sweeps disabled "
                   "(install libopenmpi-dev openmpi-bin to enable them)")
  endif()
endif()
