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

# HDF5 is linked from libhdf5-dev's static library (HARMSIM_HDF5_STATIC, ON
# but for the afl harnesses). Debian's shared libhdf5 needs libcurl for its
# S3 driver, which harmsim does not use, and with it about 30 more libraries
# (TLS, Kerberos, LDAP) that the dynamic loader maps and relocates at every
# start: 31 ms a `harmsim validate` against 13 ms static (docs/performance.md,
# "Start-up"), paid thousands of times by the tests and by every job of a job
# array. The static link pulls in only the parts harmsim calls; --as-needed
# (sim/CMakeLists.txt) then drops libcurl and libcrypto from the libraries
# h5cc names for a static link.
set(HDF5_USE_STATIC_LIBRARIES ${HARMSIM_HDF5_STATIC})
# FindHDF5 keeps the libraries it found in the cache: a build directory
# configured for the other kind (before this choice, or with the option
# switched) finds them again. Only the libraries found are forgotten, not
# the user's hints (HDF5_DIR, HDF5_ROOT, HDF5_C_COMPILER_EXECUTABLE...).
if(DEFINED CACHE{HDF5_C_LIBRARY_hdf5})
  string(REGEX MATCH "\\.a$" HARMSIM_HDF5_CACHED_STATIC "${HDF5_C_LIBRARY_hdf5}")
  if((HARMSIM_HDF5_STATIC AND NOT HARMSIM_HDF5_CACHED_STATIC) OR
     (NOT HARMSIM_HDF5_STATIC AND HARMSIM_HDF5_CACHED_STATIC))
    get_cmake_property(HARMSIM_CACHE_VARIABLES CACHE_VARIABLES)
    foreach(var IN LISTS HARMSIM_CACHE_VARIABLES)
      if(var MATCHES "^HDF5_.*LIBRARY")
        unset(${var} CACHE)
      endif()
    endforeach()
  endif()
endif()
find_package(HDF5 COMPONENTS C QUIET)
if(NOT HDF5_FOUND)
  message(FATAL_ERROR
    "harmsim needs HDF5 (C library), which was not found.\n"
    "Install it with:  sudo apt-get install libhdf5-dev")
endif()
# (A path to libhdf5*.a from h5cc, or the hdf5-static target of HDF5's own
# CMake package.)
if(HARMSIM_HDF5_STATIC AND NOT HDF5_C_LIBRARIES MATCHES "(libhdf5[^/;]*\\.a|(^|;)hdf5-static)(;|$)")
  message(FATAL_ERROR
    "harmsim links HDF5 statically, but no static HDF5 library was found (found: ${HDF5_C_LIBRARIES}).\n"
    "Debian's libhdf5-dev has one (sudo apt-get install libhdf5-dev); elsewhere, configure with "
    "-DHARMSIM_HDF5_STATIC=OFF to link the shared one.")
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
