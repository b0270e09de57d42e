#!/usr/bin/env bash
# Fuzzes the scenario parser with afl++ (Debian's `afl++` package), one core,
# at the lowest priority. Not part of CI: see docs/errors.md, "Fuzzing".
#
#   tests/fuzz/afl.sh [SECONDS]      (default 1800)
#
# Builds tests/fuzz/afl_scenario.cpp with afl-clang-fast++ and ASan + UBSan
# into build/afl/, seeds afl-fuzz with every shipped scenario and the
# regression cases, and leaves the findings in build/afl/findings/. Replay one
# with build/afl/harmsim_fuzz_scenario FILE; each becomes a case in
# tests/fuzz/regressions/ once fixed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SECONDS_TO_RUN=${1:-1800}
BUILD="$ROOT/build/afl"
command -v afl-fuzz >/dev/null || { echo "afl.sh: install afl++ first (apt-get install afl++)" >&2; exit 1; }

export AFL_USE_ASAN=1 AFL_USE_UBSAN=1
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=afl-clang-fast -DCMAKE_CXX_COMPILER=afl-clang-fast++ \
    -DHARMSIM_BUILD_FUZZ=ON -DHARMSIM_BUILD_TESTS=OFF -DHARMSIM_BUILD_BENCH=OFF -DHARMSIM_WITH_MPI=OFF >&2
fi
cmake --build "$BUILD" --target harmsim_fuzz_scenario -- -j "${HARMSIM_BUILD_JOBS:-1}" >&2

# Seeds: the shipped scenarios (small ones only: afl wants small inputs) and
# every regression case.
rm -rf "$BUILD/seeds"
mkdir -p "$BUILD/seeds"
n=0
for f in "$ROOT"/scenarios/*.toml "$ROOT"/scenarios/*/*.toml "$ROOT"/tests/fuzz/regressions/*.toml; do
  [ -f "$f" ] || continue
  [ "$(stat -c %s "$f")" -le 16384 ] || continue
  cp "$f" "$BUILD/seeds/seed_$((n++)).toml"
done

unset AFL_USE_ASAN AFL_USE_UBSAN
export AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
# A resumed session keeps its queue (afl-fuzz -i -).
input="$BUILD/seeds"
[ -d "$BUILD/findings/default/queue" ] && input="-"
exec nice -n 19 afl-fuzz -i "$input" -o "$BUILD/findings" -x "$ROOT/tests/fuzz/scenario.dict" -m none -t 1000 \
  -V "$SECONDS_TO_RUN" -- "$BUILD/harmsim_fuzz_scenario"
