"""`harmsim run FILE --posterior CALIB.h5 --draws N` (docs/output.md "Parameter
draws"): every scenario over N parameter sets drawn from a calibration's
accepted sets, replicates inside each draw. The same datasets on 1 and 2
threads, on 2 MPI ranks, and after kills and resumes; replicate_draw and
/posterior as the contract says, draws that really change the model, and one
line, exit 2, for a damaged or wrong calibration file.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))

SCENARIOS = """
name = "base"
[simulation]
days = 20
warmup_days = 5
replicates = 2
seed = 11
[population]
workers = 120
buyers = 600
exploiters = 10
venues = 2
"""

SECOND = """
name = "other"
[simulation]
days = 20
warmup_days = 5
replicates = 3
seed = 12
[population]
workers = 120
buyers = 600
exploiters = 10
venues = 2
"""

PARAMETERS = ["encounter.rate_per_day", "buyers.violent_share"]
# Rates far apart, so that the encounters of a replicate say which set it ran.
ACCEPTED = np.array([[0.2, 0.05], [1.0, 0.10], [5.0, 0.02], [2.5, 0.07]])
VARYING_ATTRIBUTES = {"started_at", "finished_at", "command_line"}


def write_calibration(path: pathlib.Path, accepted=ACCEPTED) -> None:
    """A finished calibration file with the datasets `run --posterior` reads, laid out as
    `harmsim calibrate` writes them (docs/output.md "Calibration files")."""
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int64(1)
        f.attrs["file_kind"] = "calibration"
        f.attrs["calibration_id"] = "0123456789abcdef0123456789abcdef"
        f.attrs["accepted"] = np.int64(len(accepted))
        f["parameters/names"] = np.array(PARAMETERS, dtype=strings)
        f["parameters/low"] = [0.1, 0.0]
        f["parameters/high"] = [10.0, 0.2]
        f["parameters/default"] = [1.0, 0.05]
        f["accepted/points"] = np.asarray(accepted, dtype=np.float64).reshape(-1, len(PARAMETERS))
        f.attrs["complete"] = np.int64(1)


def run(tmp: pathlib.Path, out: str, *extra: str, files=("s.toml", "t.toml")) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, "run", "-q", "-o", out, *files, *extra], cwd=tmp, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture()
def inputs(tmp_path):
    (tmp_path / "s.toml").write_text(SCENARIOS)
    (tmp_path / "t.toml").write_text(SECOND)
    write_calibration(tmp_path / "cal.h5")
    return tmp_path


def datasets(path) -> dict:
    """Every dataset and every attribute but the ones that name the run's time and command."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for k, v in obj.attrs.items():
                v = np.asarray(v)
                out[f"{name}@{k}"] = v.tobytes() if v.dtype.kind not in "OU" else repr(v.tolist())
            if isinstance(obj, h5py.Dataset):
                value = np.asarray(obj[()])
                out[name] = value.tobytes() if value.dtype.kind != "O" else repr(value.tolist())
        f.visititems(visit)
        out.update({f"/@{k}": str(v) for k, v in f.attrs.items() if k not in VARYING_ATTRIBUTES})
    return out


def test_a_posterior_run_records_its_draws_as_the_contract_says_and_the_draws_change_the_model(inputs):
    p = run(inputs, "r.h5", "-j", "1", "--posterior", "cal.h5", "--draws", "3")
    assert p.returncode == 0, p.stderr
    assert "3 parameter draws from cal.h5 (4 accepted sets, drawn without replacement)" in p.stdout
    with h5py.File(inputs / "r.h5", "r") as f:
        assert int(f.attrs["schema_version"]) == 3
        post = f["posterior"]
        assert [s.decode() if isinstance(s, bytes) else s for s in post["parameters"][()]] == PARAMETERS
        points = post["points"][()]
        assert points.shape == (3, 2) and points.dtype == np.float64
        # Without replacement: three different accepted sets, each a row of the file.
        rows = [int(np.flatnonzero((ACCEPTED == row).all(axis=1))[0]) for row in points]
        assert len(set(rows)) == 3
        assert post.attrs["calibration_id"] == "0123456789abcdef0123456789abcdef"
        assert post.attrs["calibration"] == "cal.h5"
        for name, per_draw in (("base", 2), ("other", 3)):
            g = f["scenarios"][name]
            draw = g["replicate_draw"][()]
            assert draw.dtype == np.int64
            np.testing.assert_array_equal(draw, np.repeat(np.arange(3), per_draw))
            assert int(g.attrs["replicates"]) == 3 * per_draw
            assert g["replicate_seeds"].shape == (3 * per_draw,)
            assert "replicates = {}".format(per_draw) in g["config"][()].decode()
            # The encounters follow each draw's encounter.rate_per_day: the replicates of the
            # draw with the highest rate all have more than those of the lowest.
            encounters = g["totals/encounters"][()]
            by_draw = [encounters[draw == k] for k in range(3)]
            low, high = int(np.argmin(points[:, 0])), int(np.argmax(points[:, 0]))
            assert by_draw[high].min() > by_draw[low].max(), (points, by_draw)
        # Replicate seeds are derived as in any run: the same as an ordinary run of 6 replicates.
    plain = inputs / "plain.toml"
    plain.write_text(SCENARIOS.replace("replicates = 2", "replicates = 6"))
    q = run(inputs, "plain.h5", "-j", "1", files=("plain.toml",))
    assert q.returncode == 0, q.stderr
    with h5py.File(inputs / "r.h5", "r") as f, h5py.File(inputs / "plain.h5", "r") as g:
        np.testing.assert_array_equal(f["scenarios/base/replicate_seeds"][()], g["scenarios/base/replicate_seeds"][()])
        assert "replicate_draw" not in g["scenarios/base"] and "posterior" not in g


def test_a_posterior_run_gives_the_same_datasets_on_one_and_two_threads(inputs):
    for out, threads in (("j1.h5", "1"), ("j2.h5", "2")):
        p = run(inputs, out, "-j", threads, "--posterior", "cal.h5", "--draws", "6")
        assert p.returncode == 0, p.stderr
        assert "drawn with replacement" in p.stdout
    one, two = datasets(inputs / "j1.h5"), datasets(inputs / "j2.h5")
    assert one.keys() == two.keys()
    for key in one:
        assert one[key] == two[key], key
    # Other draws are another run.
    p = run(inputs, "d5.h5", "-j", "2", "--posterior", "cal.h5", "--draws", "5")
    assert p.returncode == 0, p.stderr
    with h5py.File(inputs / "d5.h5", "r") as f:
        assert f["posterior/points"].shape == (5, 2)


MPIRUN_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
              "OMPI_MCA_rmaps_base_oversubscribe": "1"}


def mpirun(tmp: pathlib.Path, ranks: int, out: str, *extra: str, quiet: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", str(ranks), BINARY, "run",
                           *(["-q"] if quiet else []), "-o", out, "s.toml", "t.toml", *extra], cwd=tmp,
                          capture_output=True, text=True, timeout=600, env=dict(os.environ, **MPIRUN_ENV))


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="mpirun not found: the MPI case is not run")
def test_a_posterior_run_under_mpirun_gives_the_same_datasets(inputs):
    p = run(inputs, "j1.h5", "-j", "1", "--posterior", "cal.h5", "--draws", "3")
    assert p.returncode == 0, p.stderr
    reference = datasets(inputs / "j1.h5")
    # 2 ranks of 1 thread, and 2 ranks of 2 threads: units spread over ranks and threads.
    for out, threads in (("mpi.h5", "1"), ("mpi_j2.h5", "2")):
        q = mpirun(inputs, 2, out, "-j", threads, "--posterior", "cal.h5", "--draws", "3")
        assert q.returncode == 0, q.stderr
        assert datasets(inputs / out) == reference, out
        assert not (inputs / f"{out}.work").exists() and not (inputs / f"{out}.lock").exists()
    # Rank 0 alone prints the comparison table.
    assert q.stdout.count("Results written to mpi_j2.h5") == 1, q.stdout


def unit_files(work: pathlib.Path) -> dict:
    """The finished replicates of a run's checkpoints: unit file -> (inode, mtime)."""
    return {str(u.relative_to(work)): (u.stat().st_ino, u.stat().st_mtime_ns) for u in work.glob("p*/r*.unit")}


@pytest.mark.parametrize("resume_on", ["threads", "mpirun"])
def test_a_posterior_run_killed_twice_resumes_with_the_same_command_and_ends_identical(inputs, resume_on):
    """SIGKILL right after the 4th unit file, then after 3 more while resuming
    (tests/fault/fault_inject.c, at the renames that finish unit files: the
    kills fall at the same moment on every machine); the same command then
    finishes, on threads or under mpirun, running only the missing replicates."""
    sys.path.insert(0, str(ROOT / "tests" / "fault"))
    import harness  # noqa: E402  (tests/fault: the harmsim under test and its fault library)

    if resume_on == "mpirun" and shutil.which("mpirun") is None:
        pytest.skip("mpirun not found: the MPI case is not run")
    if not os.path.exists(harness.fault_library()):
        pytest.skip(f"{harness.fault_library()} not built")
    draws = ["--posterior", "cal.h5", "--draws", "3"]  # 3 × 2 + 3 × 3 = 15 replicates
    assert run(inputs, "whole.h5", "-j", "1", *draws).returncode == 0
    args = ["run", "-o", "r.h5", "s.toml", "t.toml", "-j", "2", *draws]
    work = inputs / "r.h5.work"
    first = harness.run(args, inputs, fault="kill-after:rename:4:*/r.h5.work/p*/r*.unit")
    assert first.killed, first
    kept = unit_files(work)
    assert len(kept) >= 4, kept  # (a second thread may finish one more)
    assert not (inputs / "r.h5").exists()

    second = harness.run(args, inputs, fault="kill-after:rename:3:*/r.h5.work/p*/r*.unit")
    assert second.killed, second
    assert f"harmsim: resuming: {len(kept)} of 15 replicates already finished in r.h5.work" in second.stderr
    now = unit_files(work)
    assert len(now) >= len(kept) + 3 and len(now) < 15, now
    for name, identity in kept.items():  # none lost, none run again
        assert now.get(name) == identity, name

    if resume_on == "mpirun":
        last = mpirun(inputs, 2, "r.h5", "-j", "1", *draws, quiet=False)
        last = harness.Outcome(args, last.returncode, last.stdout, last.stderr, 0)
    else:
        last = harness.run(args, inputs)
    assert last.returncode == 0, last
    assert f"harmsim: resuming: {len(now)} of 15 replicates already finished in r.h5.work" in last.stderr
    assert f"({15 - len(now)} replicates run now, {len(now)} taken from the interrupted run)" in last.stdout
    assert not work.exists()
    assert datasets(inputs / "r.h5") == datasets(inputs / "whole.h5")


def one_line_exit_2(p: subprocess.CompletedProcess, *words: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def test_a_damaged_or_wrong_calibration_file_is_refused_in_one_line(inputs):
    data = (inputs / "cal.h5").read_bytes()
    (inputs / "cut.h5").write_bytes(data[: len(data) // 3])
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "cut.h5"), "cut.h5")
    (inputs / "text.h5").write_text("not HDF5\n")
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "text.h5"), "text.h5")
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "missing.h5"), "missing.h5")
    # A results file is not a calibration file.
    assert run(inputs, "plain.h5", files=("s.toml",)).returncode == 0
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "plain.h5"), "plain.h5", "not a calibration file")
    # Unfinished, no accepted sets, an unknown parameter, a value out of its range.
    write_calibration(inputs / "unfinished.h5")
    with h5py.File(inputs / "unfinished.h5", "a") as f:
        del f.attrs["complete"]
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "unfinished.h5"), "unfinished.h5", "not finished")
    write_calibration(inputs / "none.h5", np.zeros((0, 2)))
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "none.h5"), "none.h5", "no accepted parameter sets")
    write_calibration(inputs / "unknown.h5")
    with h5py.File(inputs / "unknown.h5", "a") as f:
        del f["parameters/names"]
        f["parameters/names"] = np.array(["encounter.rate_per_dy", "buyers.violent_share"],
                                         dtype=h5py.string_dtype("utf-8"))
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "unknown.h5"), "unknown.h5", "encounter.rate_per_dy")
    write_calibration(inputs / "range.h5", np.array([[1.0, 1.5]]))
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "range.h5"), "range.h5", "draw 0", "buyers.violent_share")
    # --draws out of range, or without --posterior.
    one_line_exit_2(run(inputs, "r.h5", "--posterior", "cal.h5", "--draws", "0"), "--draws")
    assert run(inputs, "r.h5", "--draws", "3").returncode == 2
    assert not (inputs / "r.h5").exists()
