"""The layout of results.h5 is a contract (docs/output.md): a change to it must
come with a new schema_version. tests/golden/schema.txt records the layout of
a small run; this test fails when the layout differs while the version is the
same. To accept a deliberate change: bump kSchemaVersion, document it, and
regenerate the golden file with REGENERATE_GOLDEN=1."""
import os
import pathlib
import subprocess

import h5py

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))
GOLDEN = ROOT / "tests" / "golden" / "schema.txt"

SCENARIO = """
name = "schema"
[simulation]
days = 5
warmup_days = 1
replicates = 2
[population]
workers = 100
buyers = 500
exploiters = 10
venues = 2
"""


def layout(path):
    """One line per object: path, kind, dtype class, rank, attribute names."""
    lines = []
    with h5py.File(path, "r") as f:
        lines.append(f"schema_version {int(f.attrs['schema_version'])}")
        lines.append("/ attrs " + ",".join(sorted(f.attrs.keys())))

        def visit(name, obj):
            attrs = ",".join(sorted(obj.attrs.keys()))
            if isinstance(obj, h5py.Dataset):
                lines.append(f"/{name} dataset {obj.dtype.kind} rank={obj.ndim} attrs={attrs}")
            else:
                lines.append(f"/{name} group attrs={attrs}")

        f.visititems(visit)
    return "\n".join(lines) + "\n"


def test_results_layout_matches_the_golden_schema_or_the_version_was_bumped(tmp_path):
    scenario = tmp_path / "schema.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "r.h5"
    subprocess.run([BINARY, "run", "-q", "-j", "1", "-o", str(out), str(scenario)], check=True,
                   capture_output=True)
    got = layout(out)
    if os.environ.get("REGENERATE_GOLDEN") == "1":
        GOLDEN.write_text(got)
    want = GOLDEN.read_text()
    got_version = got.splitlines()[0]
    want_version = want.splitlines()[0]
    if got_version == want_version:
        assert got == want, ("results.h5 layout changed without a schema_version bump; "
                             "see docs/output.md and tests/golden/schema.txt")
