# Sourced by scripts/run, scripts/test and scripts/bench: installs the Debian
# 12 packages harmsim needs if any is missing (apt-get only; sudo when not
# root), then configures and builds a CMake preset if it is out of date.
# HARMSIM_ROOT is the checkout (set by the sourcing script, or found here).

: "${HARMSIM_ROOT:=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." >/dev/null && pwd)}"

HARMSIM_PACKAGES=(
  build-essential cmake ninja-build git pkg-config
  libeigen3-dev libboost-dev libhdf5-dev zlib1g-dev hdf5-tools catch2 libtomlplusplus-dev libcli11-dev libfmt-dev
  libopenmpi-dev openmpi-bin libbenchmark-dev
  python3 python3-numpy python3-h5py python3-pandas python3-matplotlib python3-pytest
  python3-scipy python3-sklearn python3-statsmodels
  python3-venv python3-pip python3-setuptools python3-wheel
  r-base-core r-cran-hdf5r
)

harmsim_install_packages() {
  local missing=()
  for p in "${HARMSIM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "harmsim: installing missing Debian packages: ${missing[*]}" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "harmsim: need root or sudo to install: ${missing[*]}" >&2; return 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# harmsim_build PRESET [TARGET...]: configure once, then build (ninja rebuilds
# only what changed).
harmsim_build() {
  local preset=$1; shift
  local dir="$HARMSIM_ROOT/build/$preset"
  if [ ! -f "$dir/build.ninja" ]; then
    (cd "$HARMSIM_ROOT" && cmake --preset "$preset" >&2) || return 1
  fi
  local targets=()
  for t in "$@"; do targets+=(--target "$t"); done
  (cd "$HARMSIM_ROOT" && cmake --build --preset "$preset" "${targets[@]}" -- -j "${HARMSIM_BUILD_JOBS:-$(nproc)}" >&2)
}
