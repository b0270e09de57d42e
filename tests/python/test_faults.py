"""A full disk at the worst moment, and two harmsim processes at once.

ENOSPC during the final HDF5 assembly of a run, a sweep and a merge: the
command stops with exit 1 and one line that names the file, the system's
reason and how much room the file needs; an older complete file of that name
survives untouched; the checkpoints stay, and once there is room the same
command finishes without running any unit again, identical to an
uninterrupted run. Two disks: a tmpfs filled to leave room for the
checkpoints and half the final file (a real ENOSPC; needs root and
CAP_SYS_ADMIN, skipped otherwise), and the fault library's ENOSPC on the
writes of OUTPUT.partial (tests/fault/fault_inject.c; any user).

Concurrency: a second `harmsim sweep` on a shard that is still being
written, a `merge` of a shard still being written, and a `report` on a
`.partial` are each refused with one line, and the first command finishes
as if alone.
"""
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
import harness  # noqa: E402

SMALL_CITY = harness.ROOT / "scenarios" / "sweeps" / "small_city.toml"
# 4 points × 3 replicates of the small city: 12 units of about 20 ms.
GRID = f"""base = "{SMALL_CITY}"
scenario = "street_stings"
replicates = 3
[grid]
"encounter.violence_given_violent_buyer" = [0.03, 0.08]
"policy.0.officers" = [7, 28]
"""
# Another sweep (for the older complete file that a --force run replaces).
OTHER_GRID = GRID.replace("replicates = 3", "replicates = 2")
RUN = """[simulation]
days = 30
warmup_days = 5
replicates = 4
seed = 99
[population]
workers = 800
buyers = 8000
exploiters = 40
venues = 5
[[scenario]]
name = "full_base"
[[scenario]]
name = "full_stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 7
areas = [0, 1]
"""
OTHER_RUN = RUN.replace("replicates = 4", "replicates = 2")
PAGE = 4096


@pytest.fixture(scope="module", autouse=True)
def built():
    for path in (harness.binary(), harness.fault_library()):
        if not os.path.exists(path):
            pytest.fail(f"{path} not found; build first (scripts/test sets HARMSIM_BINARY)")


def disk_bytes(path: pathlib.Path) -> int:
    """Room the files under `path` take on a tmpfs: each rounded up to pages."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(-(-p.stat().st_size // PAGE) * PAGE for p in files)


def needed(line: str) -> float:
    match = re.search(r"needs up to ([0-9.]+) (KiB|MiB|GiB)", line)
    assert match, f"the message says no size: {line}"
    return float(match.group(1)) * {"KiB": 1024, "MiB": 1024**2, "GiB": 1024**3}[match.group(2)]


class Command:
    """One of the three commands, writing `disk/out.h5`."""

    def __init__(self, name: str, directory: pathlib.Path):
        self.name = name
        self.dir = directory
        (directory / "grid.toml").write_text(GRID)
        (directory / "other.toml").write_text(OTHER_GRID)
        (directory / "run.toml").write_text(RUN)
        (directory / "other_run.toml").write_text(OTHER_RUN)
        if name == "merge":
            for i in (1, 2):
                assert harness.run(["sweep", "grid.toml", "-q", "-j", "2", "--shard", f"{i}/2", "-o", f"s{i}.h5"],
                                   directory).returncode == 0

    def args(self, output: str, other: bool = False) -> list[str]:
        if self.name == "run":
            return ["run", "-q", "-j", "2", "-o", output, "other_run.toml" if other else "run.toml"]
        if self.name == "sweep":
            return ["sweep", "-q", "-j", "2", "-o", output, "other.toml" if other else "grid.toml"]
        if other:  # an older merge: the whole sweep of another grid
            return ["sweep", "-q", "-j", "2", "-o", output, "other.toml"]
        return ["merge", "-q", output, "s1.h5", "s2.h5"]

    def reference(self) -> tuple[dict, int, int]:
        """The uninterrupted output's contents and size, and the room its
        checkpoints take (from a run killed between its rename and its clean-up)."""
        outcome = harness.run(self.args("reference.h5"), self.dir)
        assert outcome.returncode == 0, outcome
        size = (self.dir / "reference.h5").stat().st_size
        checkpoints = 0
        if self.name != "merge":
            outcome = harness.run(self.args("kept.h5"), self.dir, fault="kill-after:rename:1:*/kept.h5.partial")
            assert outcome.killed, outcome
            checkpoints = disk_bytes(self.dir / "kept.h5.work") + PAGE  # and the manifest's page
        return harness.contents(self.dir / "reference.h5"), size, checkpoints


@pytest.mark.parametrize("disk", ["tmpfs", "injected"])
@pytest.mark.parametrize("command", ["run", "sweep", "merge"])
def test_a_full_disk_during_the_final_assembly_keeps_the_old_file_and_the_checkpoints_and_says_how_much_room(
        command, disk, tmp_path):
    c = Command(command, tmp_path)
    reference, size, checkpoints = c.reference()
    with harness.SmallDisk(tmp_path / "disk", "32m") as small:
        if disk == "tmpfs" and not small.mounted:
            pytest.skip(small.why)
        # An older complete file of the same name, which --force replaces only
        # once the new one is complete.
        assert harness.run(c.args("disk/out.h5", other=True), tmp_path).returncode == 0
        old = (tmp_path / "disk" / "out.h5").read_bytes()
        args = c.args("disk/out.h5") + ["--force"]
        if disk == "tmpfs":
            # Room for the checkpoints and half of the final file.
            small.leave_free(checkpoints + size // 2)
            outcome = harness.run(args, tmp_path)
        else:
            _, counts = harness.count_calls(c.args("counted.h5"), tmp_path, {"writes": "write:*/counted.h5.partial"})
            outcome = harness.run(args, tmp_path, fault=f"enospc:write:{counts['writes'] // 2}+:*/disk/out.h5.partial")
        assert outcome.returncode == 1, outcome
        lines = outcome.lines()
        assert len(lines) == 1, outcome
        line = lines[0]
        assert line.startswith(("harmsim: disk/out.h5.partial: cannot ", "harmsim: merge: disk/out.h5.partial: cannot ")), line
        assert "No space left on device (errno 28)" in line
        assert needed(line) >= size, f"the message says {needed(line):.0f} bytes, the file takes {size}"
        assert "disk/out.h5.partial included" in line
        if command == "merge":
            assert line.endswith("; free space and rerun the same command"), line
        else:
            assert line.endswith("are kept in disk/out.h5.work; rerun the same command to resume"), line
        # The older file is untouched, the new one is only a .partial.
        assert (tmp_path / "disk" / "out.h5").read_bytes() == old
        assert (tmp_path / "disk" / "out.h5.partial").exists()
        assert not harness.looks_complete(tmp_path / "disk" / "out.h5.partial")

        # Room again: the same command finishes, running no unit again.
        small.empty()
        again = harness.run([a for a in args if a != "-q"], tmp_path)
        assert again.returncode == 0, again
        if command == "sweep":
            assert "harmsim: resuming: 12 of 12 units already finished in disk/out.h5.work\n" in again.stderr
        if command == "run":
            assert "harmsim: resuming: 8 of 8 replicates already finished in disk/out.h5.work\n" in again.stderr
            assert "(0 replicates run now, 8 taken from the interrupted run)" in again.stdout
        assert harness.differences(reference, harness.contents(tmp_path / "disk" / "out.h5")) == []
        assert sorted(p.name for p in (tmp_path / "disk").iterdir() if p.name != ".filler") == ["out.h5"]


def start_stopped(args, cwd, window: str) -> "harness.subprocess.Popen":
    """`harmsim ARGS` stopped (SIGSTOP) at the first write matching `window`,
    lock and all, until the caller sends SIGCONT."""
    process = harness.start(args, cwd, fault=f"stop:write:1:{window}")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(f"/proc/{process.pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "T":
                return process
        assert process.poll() is None, harness.finish(process, args, 0)
        time.sleep(0.005)
    process.kill()
    raise AssertionError(f"harmsim {args} never reached {window}")


def resume(process, args) -> harness.Outcome:
    os.kill(process.pid, signal.SIGCONT)
    return harness.finish(process, args, time.monotonic())


BUSY = "is being written by another harmsim process ({}.lock is held)"


def test_a_second_sweep_of_the_same_shard_is_refused_and_the_first_loses_nothing(tmp_path):
    (tmp_path / "grid.toml").write_text(GRID)
    assert harness.run(["sweep", "grid.toml", "-q", "--shard", "2/2", "-o", "ref.h5"], tmp_path).returncode == 0
    args = ["sweep", "grid.toml", "-q", "-j", "1", "--shard", "2/2", "-o", "s2.h5"]
    first = start_stopped(args, tmp_path, "*/s2.h5.work/*.journal")  # a unit finished, not yet kept
    for second_args in (args, args + ["--force"]):
        second = harness.run(second_args, tmp_path)
        assert second.returncode == 2, second
        assert second.stderr == f"harmsim: s2.h5 {BUSY.format('s2.h5')}; wait for it to finish, or choose another name\n"
    done = resume(first, args)
    assert done.returncode == 0, done
    assert harness.differences(harness.contents(tmp_path / "ref.h5"), harness.contents(tmp_path / "s2.h5")) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.toml", "ref.h5", "s2.h5"]


@pytest.mark.parametrize("moment", ["units", "assembly"])
def test_a_merge_of_a_shard_still_being_written_is_refused_and_writes_nothing(moment, tmp_path):
    (tmp_path / "grid.toml").write_text(GRID)
    assert harness.run(["sweep", "grid.toml", "-q", "--shard", "1/2", "-o", "s1.h5"], tmp_path).returncode == 0
    assert harness.run(["sweep", "grid.toml", "-q", "-o", "whole.h5"], tmp_path).returncode == 0
    args = ["sweep", "grid.toml", "-q", "-j", "1", "--shard", "2/2", "-o", "s2.h5"]
    if moment == "assembly":
        # An older s2.h5, complete, is being replaced: it must not be merged either.
        assert harness.run(args, tmp_path).returncode == 0
        args = args + ["--force"]
    window = "*/s2.h5.work/*.journal" if moment == "units" else "*/s2.h5.partial"
    first = start_stopped(args, tmp_path, window)
    merge = harness.run(["merge", "out.h5", "s1.h5", "s2.h5"], tmp_path)
    assert merge.returncode == 2, merge
    assert merge.stderr == f"harmsim: merge: s2.h5 {BUSY.format('s2.h5')}; wait for it to finish, then merge\n"
    assert not list(tmp_path.glob("out.h5*"))
    done = resume(first, args)
    assert done.returncode == 0, done
    merged = harness.run(["merge", "out.h5", "s1.h5", "s2.h5"], tmp_path)
    assert merged.returncode == 0, merged
    assert harness.differences(harness.contents(tmp_path / "whole.h5"), harness.contents(tmp_path / "out.h5")) == []


def test_a_report_on_a_partial_still_being_written_is_refused_and_the_run_loses_nothing(tmp_path):
    (tmp_path / "run.toml").write_text(RUN)
    assert harness.run(["run", "-q", "-j", "2", "-o", "ref.h5", "run.toml"], tmp_path).returncode == 0
    args = ["run", "-q", "-j", "2", "-o", "out.h5", "run.toml"]
    # Stopped inside its results file (the first scenario's group).
    _, counts = harness.count_calls(["run", "-q", "-j", "2", "-o", "c.h5", "run.toml"], tmp_path,
                                    {"writes": "write:*/c.h5.partial"})
    process = harness.start(args, tmp_path, fault=f"stop:write:{counts['writes'] // 2}:*/out.h5.partial")
    deadline = time.monotonic() + 60
    while not (tmp_path / "out.h5.partial").exists() or open(f"/proc/{process.pid}/stat").read().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.005)
    for target in ("out.h5.partial", "out.h5"):
        report = harness.run(["report", target, "-o", "report.html"], tmp_path)
        assert report.returncode == 2, report
        assert report.stderr == (f"harmsim-report: error: {target}: out.h5 is being written by another harmsim "
                                 "process (out.h5.lock is held); wait for it to finish\n"), report
    assert not (tmp_path / "report.html").exists()
    done = resume(process, args)
    assert done.returncode == 0, done
    assert harness.differences(harness.contents(tmp_path / "ref.h5"), harness.contents(tmp_path / "out.h5")) == []
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("c.h5")) == ["out.h5", "ref.h5", "run.toml"]


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_unit_that_cannot_be_written_stops_the_command_with_one_line(command, tmp_path):
    """Threads: the failing unit named in one line that also says where the
    finished units are (a sweep used to add a second line)."""
    c = Command(command, tmp_path)
    outcome = harness.run(c.args("out.h5"), tmp_path, fault="enospc:write:2+:*/out.h5.work/*")
    assert outcome.returncode == 1, outcome
    lines = outcome.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "No space left on device" in lines[0]
    assert "kept in out.h5.work; rerun the same command to resume" in lines[0]


@pytest.mark.skipif(shutil.which("mpirun") is None, reason="mpirun not found: the MPI case is not run")
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_failure_on_another_rank_is_said_once_by_rank_0_naming_the_rank(command, tmp_path):
    """Under mpirun, only rank 1 cannot write its units: rank 0 says so in one
    line, naming rank 1, and rank 1 says nothing itself."""
    c = Command(command, tmp_path)
    wrapper = tmp_path / "rank1_full.sh"
    wrapper.write_text("#!/bin/sh\n"
                       'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then\n'
                       f'  export LD_PRELOAD="{harness.fault_library()}"\n'
                       '  export HARMSIM_FAULT="enospc:write:1+:*/out.h5.work/*"\n'
                       "fi\n"
                       f'exec "{harness.binary()}" "$@"\n')
    wrapper.chmod(0o755)
    args = c.args("out.h5")
    args[args.index("-j") + 1] = "1"
    p = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", "2", str(wrapper), *args],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert p.returncode != 0
    ours = [line for line in p.stderr.splitlines() if line.startswith("harmsim:")]
    assert len(ours) == 1, p.stderr
    assert ours[0].startswith("harmsim: rank 1 of 2: "), ours
    assert "No space left on device" in ours[0]
    assert "kept in out.h5.work; rerun the same command to resume" in ours[0]
