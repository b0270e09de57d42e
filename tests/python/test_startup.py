"""harmsim starts without the libraries it never calls.

Debian's shared libhdf5 needs libcurl for its S3 driver, and libcurl brings
about 30 more libraries (TLS, Kerberos, LDAP) that the dynamic loader maps
and relocates at every start of every process: 31 ms a `harmsim validate`
against 13 ms with HDF5 linked statically (cmake/Dependencies.cmake;
docs/performance.md, "Start-up"). The tests and every job of a job array pay
that thousands of times.
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))

# Libraries that only libcurl (HDF5's S3 driver) would bring in.
NETWORK_LIBRARIES = ("libcurl", "libgnutls", "libssl", "libcrypto", "libkrb5", "libldap", "libssh2", "librtmp")


def loaded_libraries():
    if not os.path.exists(BINARY):
        pytest.fail(f"harmsim binary not found at {BINARY}; build it first (scripts/test sets HARMSIM_BINARY)")
    out = subprocess.run(["ldd", BINARY], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def test_harmsim_loads_none_of_the_network_libraries_of_hdf5s_s3_driver():
    libraries = loaded_libraries()
    found = [lib for lib in libraries if lib.startswith(NETWORK_LIBRARIES)]
    assert not found, f"harmsim loads {found}: is HDF5 linked shared again? (cmake/Dependencies.cmake)"


def test_harmsim_loads_fewer_than_25_libraries():
    # 48 with the shared libhdf5, 18 with the static one (MPI brings 7 of them).
    libraries = loaded_libraries()
    assert len(libraries) < 25, f"harmsim loads {len(libraries)} libraries: {libraries}"

