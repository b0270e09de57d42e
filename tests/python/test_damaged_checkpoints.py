"""Checkpoints are input too: a rerun reads what an interrupted run left in
OUTPUT.work, and a crash, a full disk, a copy or another program can damage
it. Seeded damage to the journals and manifest of an interrupted sweep, and
to the unit files of an interrupted run (bits flipped, cut short, garbage
appended, records repeated or swapped, blocks zeroed, files removed or
replaced by directories): the same command must then either finish with a
file identical to an uninterrupted run's (a damaged unit is run again, never
taken as it is), or refuse with one line and exit 2; never a crash, and
never a wrong result. About 7 s (8 cases per command; HARMSIM_DAMAGE_CASES sets
another number).
"""
import os
import pathlib
import random
import shutil
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
import harness  # noqa: E402

SMALL_CITY = harness.ROOT / "scenarios" / "sweeps" / "small_city.toml"
GRID = f"""base = "{SMALL_CITY}"
scenario = "street_stings"
replicates = 3
[grid]
"encounter.violence_given_violent_buyer" = [0.03, 0.08]
"policy.0.officers" = [7, 28]
"""
RUN = """[simulation]
days = 20
warmup_days = 5
replicates = 4
seed = 5
[population]
workers = 300
buyers = 3000
exploiters = 20
venues = 3
[[scenario]]
name = "damage_base"
[[scenario]]
name = "damage_stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 5
areas = [0, 1]
"""
CASES = int(os.environ.get("HARMSIM_DAMAGE_CASES", "8"))


@pytest.fixture(scope="module", autouse=True)
def built():
    for path in (harness.binary(), harness.fault_library()):
        if not os.path.exists(path):
            pytest.fail(f"{path} not found; build first (scripts/test sets HARMSIM_BINARY)")


def damage(work: pathlib.Path, pattern: str, rng: random.Random) -> str:
    """One seeded damage to the files of `work` matching `pattern`; says what."""
    files = sorted(work.rglob(pattern))
    assert files, f"no {pattern} in {work}"
    target = rng.choice(files)
    data = bytearray(target.read_bytes())
    kind = rng.randrange(9)
    if kind == 0 and data:
        for _ in range(rng.choice([1, 3, 20])):
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        what = "bits flipped"
    elif kind == 1:
        data = data[: rng.randrange(len(data) + 1)]
        what = "cut short"
    elif kind == 2:
        data += bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 5000])))
        what = "garbage appended"
    elif kind == 3 and len(data) > 64:
        i = rng.randrange(len(data) - 64)
        data[i: i + 64] = bytes(64)
        what = "a block zeroed"
    elif kind == 4 and len(data) > 200:
        half = len(data) // 2
        data = data[half:] + data[:half]  # whole records out of place, or records cut in two
        what = "halves swapped"
    elif kind == 5:
        data = data + data  # every record twice
        what = "records repeated"
    elif kind == 6:
        target.unlink()
        return f"{target.name} removed"
    elif kind == 7:
        target.unlink()
        target.mkdir()
        return f"{target.name} a directory"
    else:
        data = bytearray()
        what = "emptied"
    target.write_bytes(bytes(data))
    return f"{target.name}: {what}"


def check_rerun(args, cwd, reference, what):
    outcome = harness.run(args, cwd)
    if outcome.returncode == 0:
        assert harness.differences(reference, harness.contents(cwd / "out.h5")) == [], \
            f"{what}: the rerun took a damaged unit as it was\n{outcome}"
        return "finished"
    assert outcome.returncode == 2, f"{what}: {outcome}"
    lines = outcome.lines()
    assert len(lines) == 1 and lines[0].startswith("harmsim: ") and "out.h5.work" in lines[0], f"{what}: {outcome}"
    return "refused"


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_damaged_checkpoints_are_run_again_or_refused_never_taken(command, tmp_path):
    (tmp_path / "grid.toml").write_text(GRID)
    (tmp_path / "run.toml").write_text(RUN)
    args = {"sweep": ["sweep", "grid.toml", "-q", "-j", "2", "-o"], "run": ["run", "run.toml", "-q", "-j", "2", "-o"]}[command]
    reference_run = harness.run(args + ["reference.h5"], tmp_path)
    assert reference_run.returncode == 0, reference_run
    reference = harness.contents(tmp_path / "reference.h5")
    # Half the units finished, then killed.
    pattern = "*.journal" if command == "sweep" else "p*/r*.unit.tmp*"
    killed = harness.run(args + ["kept.h5"], tmp_path, fault=f"kill:write:5:*/kept.h5.work/{pattern}")
    assert killed.killed, killed
    kept = tmp_path / "kept.h5.work"
    rng = random.Random(f"checkpoints/{command}")
    outcomes = []
    for case in range(CASES):
        directory = tmp_path / f"case{case}"
        directory.mkdir()
        for name in ("grid.toml", "run.toml"):
            shutil.copy(tmp_path / name, directory / name)
        shutil.copytree(kept, directory / "out.h5.work")
        files = "manifest" if case % 4 == 3 else ("*.journal" if command == "sweep" else "r*.unit")
        what = damage(directory / "out.h5.work", files, rng)
        outcomes.append(check_rerun(args + ["out.h5"], directory, reference, what))
        shutil.rmtree(directory)
    assert "finished" in outcomes  # not everything refused


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_checkpoints_of_an_earlier_format_are_refused_in_one_line_and_discarded_with_force(command, tmp_path):
    """A directory an older harmsim left (its records not deflated, its
    manifest of the format before) is refused with one line naming both
    formats, never read; --force discards it and the run ends as an
    uninterrupted one."""
    (tmp_path / "grid.toml").write_text(GRID)
    (tmp_path / "run.toml").write_text(RUN)
    args = {"sweep": ["sweep", "grid.toml", "-q", "-j", "2", "-o"], "run": ["run", "run.toml", "-q", "-j", "2", "-o"]}[command]
    reference_run = harness.run(args + ["reference.h5"], tmp_path)
    assert reference_run.returncode == 0, reference_run
    pattern = "*.journal" if command == "sweep" else "p*/r*.unit.tmp*"
    killed = harness.run(args + ["out.h5"], tmp_path, fault=f"kill:write:5:*/out.h5.work/{pattern}")
    assert killed.killed, killed
    work = tmp_path / "out.h5.work"
    manifest = (work / "manifest").read_text()
    now = {"sweep": "harmsim sweep checkpoints 4", "run": "harmsim run checkpoints 2"}[command]
    before = {"sweep": "harmsim sweep checkpoints 3", "run": "harmsim run checkpoints 1"}[command]
    assert manifest.startswith(now + "\n"), manifest
    (work / "manifest").write_text(manifest.replace(now, before, 1))
    for unit in list(work.rglob("*.journal")) + list(work.rglob("r*.unit")):
        data = bytearray(unit.read_bytes())
        data[7:8] = b"3"  # the magic of a version-3 record
        unit.write_bytes(bytes(data))

    refused = harness.run(args + ["out.h5"], tmp_path)
    assert refused.returncode == 2, refused
    assert refused.lines() == [
        f"harmsim: out.h5.work holds checkpoints in another format, written by another version of harmsim (its "
        f"manifest says `{before}`, this harmsim writes `{now}`); remove the directory, choose another -o, or pass "
        f"--force to discard it"], refused
    assert (work / "manifest").read_text().startswith(before)  # left as it was

    forced = harness.run(args + ["out.h5", "--force"], tmp_path)
    assert forced.returncode == 0, forced
    assert harness.differences(harness.contents(tmp_path / "reference.h5"), harness.contents(tmp_path / "out.h5")) == []
    assert not work.exists()
