#!/usr/bin/env bash
# Fuzzes one input parser with afl++ (Debian's `afl++` package), one core,
# at the lowest priority. Not part of CI: see docs/errors.md, "Fuzzing".
#
#   tests/fuzz/afl.sh [FORMAT] [SECONDS]      (FORMAT: scenario, sweep, hdf5, targets or calibration;
#                                             default scenario, 1800 s)
#
# FORMAT picks the harness tests/fuzz/afl_FORMAT.cpp:
#   scenario  scenario files (io::parse_scenarios)
#   sweep     sweep files (io::parse_sweep, base files from scenarios/sweeps/)
#   hdf5      HDF5 files as merge, sweep, run, targets and calibrate read them back
#   targets   targets files (io::parse_targets, scenario files from scenarios/),
#             once sim/io/targets.hpp exists
#   calibration  calibration files (io::parse_calibration, targets and scenario
#             files from scenarios/), once sim/io/calibration.hpp exists
# It is built with afl-clang-fast++ and ASan + UBSan into build/afl/, seeded
# (shipped files, regression cases, and for hdf5 small files written by
# harmsim itself), given a dictionary (tests/fuzz/FORMAT.dict), and run; the
# findings are left in build/afl/findings-FORMAT/ (a resumed session keeps its
# queue). Replay one with build/afl/harmsim_fuzz_FORMAT FILE; each becomes a
# case in tests/fuzz/regressions/ once fixed (git add -f for *.h5, which
# .gitignore ignores). afl-whatsup -s build/afl/findings-FORMAT
# sums up a session; fuzzer_stats there has run_time and execs_done. For
# hdf5, the HDF5 library's own faults under a ReadGuard (exit 2 and one line
# in a release build; tests/fuzz/afl_hdf5.cpp) are not counted as crashes but
# kept in build/afl/findings-hdf5/library-aborts/, to replay through harmsim
# (tests/python/test_fuzz.py does it for tests/fuzz/regressions/*.h5).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
FORMAT=scenario
if [ $# -gt 0 ] && [[ ! "$1" =~ ^[0-9]+$ ]]; then FORMAT=$1; shift; fi
SECONDS_TO_RUN=${1:-1800}
case "$FORMAT" in
  scenario | sweep | hdf5) ;;
  targets | calibration)
    [ -f "$ROOT/sim/io/$FORMAT.hpp" ] || { echo "afl.sh: no $FORMAT parser (sim/io/$FORMAT.hpp) in this checkout" >&2; exit 2; } ;;
  *) echo "afl.sh: FORMAT is scenario, sweep, hdf5, targets or calibration, not '$FORMAT'" >&2; exit 2 ;;
esac
BUILD="$ROOT/build/afl"
command -v afl-fuzz >/dev/null || { echo "afl.sh: install afl++ first (apt-get install afl++)" >&2; exit 1; }

export AFL_USE_ASAN=1 AFL_USE_UBSAN=1
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=afl-clang-fast -DCMAKE_CXX_COMPILER=afl-clang-fast++ \
    -DHARMSIM_BUILD_FUZZ=ON -DHARMSIM_HDF5_STATIC=OFF -DHARMSIM_BUILD_TESTS=OFF -DHARMSIM_BUILD_BENCH=OFF -DHARMSIM_WITH_MPI=OFF >&2
fi
cmake --build "$BUILD" --target "harmsim_fuzz_$FORMAT" -- -j "${HARMSIM_BUILD_JOBS:-1}" >&2

SEEDS="$BUILD/seeds-$FORMAT"
FINDINGS="$BUILD/findings-$FORMAT"
rm -rf "$SEEDS"
mkdir -p "$SEEDS"
n=0
seed() {  # small files only: afl wants small inputs
  [ -f "$1" ] || return 0
  [ "$(stat -c %s "$1")" -le "${2:-16384}" ] || return 0
  cp "$1" "$SEEDS/seed_$((n++))${3:-}"
}
case "$FORMAT" in
  scenario)
    for f in "$ROOT"/scenarios/*.toml "$ROOT"/scenarios/*/*.toml "$ROOT"/tests/fuzz/regressions/*.toml; do seed "$f"; done ;;
  sweep)
    for f in "$ROOT"/scenarios/sweeps/example_*.toml "$ROOT"/tests/errors_doc/s_*.toml "$ROOT"/tests/fuzz/regressions/sweep_*.toml; do
      seed "$f"
    done ;;
  targets)
    for f in "$ROOT"/scenarios/targets*.toml "$ROOT"/tests/errors_doc/t_*.toml "$ROOT"/tests/fuzz/regressions/targets_*.toml; do
      seed "$f" 65536
    done ;;
  calibration)
    # Read as if in scenarios/: the small calibration files of the error
    # catalogue point at scenarios/targets.toml instead of their own.
    for f in "$ROOT"/scenarios/calibration*.toml "$ROOT"/tests/errors_doc/c_*.toml "$ROOT"/tests/fuzz/regressions/calibration_*.toml; do
      [ -f "$f" ] || continue
      out="$SEEDS/seed_$n.toml"; n=$((n + 1))
      sed 's/"cal_targets\.toml"/"targets.toml"/' "$f" > "$out"
    done ;;
  hdf5)
    # Files written by harmsim (a shard, a whole sweep, a merged sweep, a
    # results file) of a tiny scenario, and the regression cases. The
    # harmsim of the ci or release build writes them (again whenever it is
    # rebuilt: originals of an older schema would stop at the version check).
    harmsim=""
    for b in "$ROOT/build/ci/harmsim" "$ROOT/build/release/harmsim"; do [ -x "$b" ] && { harmsim=$b; break; }; done
    [ -n "$harmsim" ] || { echo "afl.sh: build harmsim first (scripts/run or harmsim_build ci)" >&2; exit 1; }
    "$ROOT/tests/fuzz/mutate_hdf5.py" --originals "$BUILD/hdf5-originals" --binary "$harmsim" >&2
    for f in "$BUILD"/hdf5-originals/*.h5 "$ROOT"/tests/fuzz/regressions/*.h5; do seed "$f" 1048576; done ;;
esac

unset AFL_USE_ASAN AFL_USE_UBSAN
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
if [ "$FORMAT" = hdf5 ]; then
  # A read the HDF5 library never finishes ends as in harmsim (a line and
  # exit 2, io/hdf5_file.hpp ReadGuard), well within afl's time limit; and an
  # allocation of more than 1 GiB from an input of at most 1 MiB is a finding
  # (std::bad_alloc, not an IoError), as a forged size would be. The HDF5
  # library's own over-reads are suppressed (tests/fuzz/hdf5.asan-suppressions).
  export HARMSIM_READ_CPU_LIMIT=1
  export HARMSIM_FUZZ_LIBRARY_ABORTS="$FINDINGS/library-aborts"
  mkdir -p "$HARMSIM_FUZZ_LIBRARY_ABORTS"
  export ASAN_OPTIONS="abort_on_error=1:symbolize=0:detect_leaks=0:max_allocation_size_mb=1024:allocator_may_return_null=1:suppressions=$ROOT/tests/fuzz/hdf5.asan-suppressions"
fi
# A resumed session keeps its queue (afl-fuzz -i -).
input="$SEEDS"
[ -d "$FINDINGS/default/queue" ] && input="-"
exec nice -n 19 afl-fuzz -i "$input" -o "$FINDINGS" -x "$ROOT/tests/fuzz/$FORMAT.dict" -m none -t "${AFL_TIMEOUT_MS:-3000}" \
  -V "$SECONDS_TO_RUN" -- "$BUILD/harmsim_fuzz_$FORMAT"
