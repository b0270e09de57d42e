#!/usr/bin/python3
"""Soak test of repeated kills: a long command killed with SIGKILL again and
again, at random moments and at the worst ones, then run to the end; the
result must be identical to an uninterrupted run, and no finished unit may
be run again.

    tests/fault/soak.py [--command sweep|run|merge|calibrate ...] [--kills 20] [--seed 1] [--keep DIR]

(scripts/soak runs it with 20 kills per command; tests/python/test_soak.py
runs a short version in CI.) The kills come from a seeded random draw: for
each restart a window, and a moment within it:

  time           SIGKILL after a random delay, whatever harmsim is doing
  unit-torn      inside the append of a unit's record: half of it written (sweep journals, run unit files)
  unit-unsynced  right after a record's write, before its sync
  unit-sync      at the sync of a record
  unit-rename    run unit files: after the sync, before the rename that commits it
  assembly       at the N-th write of the final OUTPUT.partial (N drawn over all of them)
  rename         at the rename of OUTPUT.partial to OUTPUT
  after-rename   between the final rename and the clean-up of OUTPUT.work
  cleanup        inside the clean-up, at the N-th removal

The moments inside harmsim come from tests/fault/fault_inject.c (LD_PRELOAD):
harmsim has no test hook. Every restart but the last also has a backstop
kill at the rename of the final file, so that a timed kill that comes late
still kills. After each kill the soak checks what the command left: for a
sweep, no unit's record twice in its journals (the journals of all earlier
runs are kept until the clean-up); for a run, every unit file that existed
before the kill still the same file (same inode, same time); never a final
file that is not complete. The last run must end with exit 0, say how many
units it resumed, and leave the final file identical (every dataset and
attribute but started_at, finished_at, command_line) to an uninterrupted
run's, and nothing else.

A command is a Driver: its files, its command line, its windows and what it
checks after a kill. `harmsim calibrate` has one (CalibrateDriver): a sweep
per wave, with the same journals, a fit after each, then its output file.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import random
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

BASE = """# A small city for the soak test: about 50 ms a replicate.
[simulation]
days = 60
warmup_days = 10
replicates = 20
seed = 4242

[population]
workers = 2000
buyers = 20000
exploiters = 60
venues = 8

[[scenario]]
name = "soak_base"

[[scenario]]
name = "soak_stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 10
areas = [0, 1]
"""

SWEEP = """base = "base.toml"
scenario = "soak_stings"
replicates = {replicates}
[grid]
"encounter.rate_per_day" = [0.8, 1.2, 1.6, 2.0]
"policy.0.officers" = [10, 25, 40]
"""


class SoakFailure(AssertionError):
    pass


def resumed_units(outcome: harness.Outcome) -> int | None:
    """N of "harmsim: resuming: N of M ... already finished", if the run got that far."""
    match = re.search(r"^harmsim: resuming: (\d+) of \d+ ", outcome.stderr, re.M)
    return int(match.group(1)) if match else None


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SoakFailure(message)


@dataclasses.dataclass
class Kill:
    window: str
    fault: str | None  # fault_inject.c rule
    delay: float | None = None  # seconds, for `time`


class Driver:
    """One command under the soak. Subclasses say what it runs and checks."""

    name = ""
    output = "out.h5"
    unit_windows: tuple[str, ...] = ()  # windows while units remain
    end_windows = ("assembly", "rename", "after-rename", "cleanup")

    def __init__(self, directory: pathlib.Path, threads: int, kills: int):
        self.dir = directory
        self.threads = threads
        self.kills = kills
        self.reference: dict = {}
        self.assembly_writes = 0

    # --- what the command is
    def prepare(self) -> None:
        (self.dir / "base.toml").write_text(BASE)

    def args(self, output: str) -> list[str]:
        raise NotImplementedError

    @property
    def work(self) -> pathlib.Path:
        return self.dir / (self.output + ".work")

    def partial_glob(self, output: str) -> str:
        return f"*/{output}.partial"

    # --- the reference: an uninterrupted run
    def make_reference(self) -> None:
        outcome, counts = harness.count_calls(self.args("reference.h5"), self.dir,
                                              {"assembly": f"write:{self.partial_glob('reference.h5')}"})
        check(outcome.returncode == 0, f"the uninterrupted run failed:\n{outcome}")
        self.reference = harness.contents(self.dir / "reference.h5")
        self.assembly_writes = counts["assembly"]
        check(self.assembly_writes > 0, "the fault library saw no write of the final file (is it loaded?)")

    # --- the windows
    def units_left(self) -> int:
        """Units not yet finished (for the unit windows); 0 for commands without units."""
        return 0

    def fault_for(self, window: str, rng: random.Random) -> Kill:
        out = self.output
        backstop = f"kill:rename:1:*/{out}.partial"
        if window == "time":
            return Kill(window, backstop, delay=rng.uniform(0.02, 0.3))
        if window == "assembly":
            n = rng.randint(1, self.assembly_writes)
            return Kill(window, f"kill:write:{n}:*/{out}.partial;{backstop}")
        if window == "rename":
            return Kill(window, backstop)
        if window == "after-rename":
            return Kill(window, f"kill-after:rename:1:*/{out}.partial")
        if window == "cleanup":
            return Kill(window, f"kill:unlink:{rng.randint(1, 3)}:*/{out}.work*")
        raise ValueError(window)

    def unit_fault(self, window: str, files: str, n: int, sync: int) -> Kill | None:
        """A unit window's kill on the checkpoint records in `files` (a glob):
        inside the n-th write, right after it, at the sync-th sync, at the n-th
        rename; with the backstop at the final rename. None for other windows."""
        rules = {"unit-torn": f"kill-mid:write:{n}:{files}", "unit-unsynced": f"kill-after:write:{n}:{files}",
                 "unit-sync": f"kill:fsync:{sync}:{files}", "unit-rename": f"kill:rename:{n}:{files}"}
        if window not in rules:
            return None
        return Kill(window, f"{rules[window]};kill:rename:1:*/{self.output}.partial")

    # --- after each run
    def observe(self, outcome: harness.Outcome, kill: Kill | None) -> None:
        """Checks what a run left; raises SoakFailure."""
        final = self.dir / self.output
        if final.exists():
            check(harness.looks_complete(final), f"{final.name} exists but is not complete")

    def check_end(self, outcome: harness.Outcome) -> None:
        differences = harness.differences(self.reference, harness.contents(self.dir / self.output))
        check(not differences, "the final file differs from an uninterrupted run's:\n" + "\n".join(differences[:20]))
        left = sorted(p.name for p in self.dir.iterdir())
        expected = sorted(self.expected_files())
        check(left == expected, f"left behind: {left}, expected {expected}")

    def expected_files(self) -> list[str]:
        return ["base.toml", "reference.h5", self.output]


class SweepDriver(Driver):
    """harmsim sweep: 12 points × 10 replicates = 120 units (× 20 = 240 for
    more than 12 kills: a kill at a sync takes half a second of units),
    journals in OUTPUT.work."""

    name = "sweep"
    unit_windows = ("time", "unit-torn", "unit-unsynced", "unit-sync")

    def prepare(self) -> None:
        super().prepare()
        (self.dir / "sweep.toml").write_text(SWEEP.format(replicates=20 if self.kills > 12 else 10))

    def args(self, output: str) -> list[str]:
        return ["sweep", "sweep.toml", "-o", output, "-j", str(self.threads)]

    def expected_files(self) -> list[str]:
        return super().expected_files() + ["sweep.toml"]

    def make_reference(self) -> None:
        super().make_reference()
        # The same run again, killed between its rename and its clean-up: its
        # journals hold every unit's record once (harness.UnitRecords).
        outcome = harness.run(self.args("records.h5"), self.dir, fault="kill-after:rename:1:*/records.h5.partial")
        check(outcome.killed, f"the run for the unit records was not killed:\n{outcome}")
        self.records = harness.UnitRecords(self.dir / "records.h5.work")
        self.units = self.records.count
        for name in ("records.h5", "records.h5.work", "records.h5.lock"):
            path = self.dir / name
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        self.finished: set[int] = set()

    def units_left(self) -> int:
        return self.units - len(self.finished)

    def fault_for(self, window: str, rng: random.Random) -> Kill:
        # The n-th append of this run (counted over its threads), among the
        # units it still has to run; the first sync (one each 0.5 s per thread).
        n = rng.randint(1, max(1, min(4, self.units_left())))
        return self.unit_fault(window, f"*/{self.output}.work/*.journal", n, 1) or super().fault_for(window, rng)

    def observe(self, outcome: harness.Outcome, kill: Kill | None) -> None:
        super().observe(outcome, kill)
        if not self.work.exists() or (self.dir / self.output).exists():
            return  # the file is complete: its checkpoints are being removed
        resumed = resumed_units(outcome)
        check(resumed is None or resumed == len(self.finished),
              f"the run said it resumed {resumed} units, the journals held {len(self.finished)}")
        units, torn = self.records.found_in(self.work)
        repeated = sorted({u for u in units if units.count(u) > 1})
        check(not repeated, f"units {repeated} were run again after they had finished")
        lost = self.finished - set(units)
        check(not lost, f"units {sorted(lost)} had finished and are no longer in the journals")
        self.finished = set(units)
        if kill is not None and kill.window == "unit-torn":
            check(torn >= 1, "no record cut short: the kill missed its window")

class RunDriver(Driver):
    """harmsim run: 2 scenarios × 20 replicates = 40 units, one file each in OUTPUT.work/p<k>/."""

    name = "run"
    unit_windows = ("time", "unit-torn", "unit-unsynced", "unit-sync", "unit-rename")

    def args(self, output: str) -> list[str]:
        return ["run", "base.toml", "-o", output, "-j", str(self.threads)]

    def make_reference(self) -> None:
        super().make_reference()
        self.units = 40
        self.seen: dict[str, tuple[int, int]] = {}  # unit file -> (inode, mtime_ns)
        self.torn = 0

    def unit_files(self) -> dict[str, tuple[int, int]]:
        found = {}
        for path in self.work.glob("p*/r*.unit"):
            stat = path.stat()
            found[str(path.relative_to(self.work))] = (stat.st_ino, stat.st_mtime_ns)
        return found

    def units_left(self) -> int:
        return self.units - len(self.seen)

    def fault_for(self, window: str, rng: random.Random) -> Kill:
        n = rng.randint(1, max(1, min(3, self.units_left())))
        return self.unit_fault(window, f"*/{self.output}.work/p*/r*.unit.tmp*", n, n) or super().fault_for(window, rng)

    def observe(self, outcome: harness.Outcome, kill: Kill | None) -> None:
        super().observe(outcome, kill)
        if not self.work.exists():
            return
        if (self.dir / self.output).exists():
            return  # the file is complete: its checkpoints are being removed
        resumed = resumed_units(outcome)
        check(resumed is None or resumed == len(self.seen),
              f"the run said it resumed {resumed} replicates, {len(self.seen)} unit files were there")
        now = self.unit_files()
        torn = len(list(self.work.glob("p*/r*.unit.tmp*")))  # left by kills inside a write, until the clean-up
        if kill is not None and kill.window == "unit-torn":
            check(torn > self.torn, "no unit file cut short: the kill missed its window")
        self.torn = torn
        for name, identity in self.seen.items():
            check(name in now, f"unit file {name} finished before and is gone")
            check(now[name] == identity, f"unit file {name} was written again after it had finished")
        self.seen = now


class MergeDriver(Driver):
    """harmsim merge of 3 shards of the soak sweep (120 units; written once, beforehand)."""

    name = "merge"
    unit_windows = ()
    end_windows = ("assembly", "rename", "after-rename")

    def prepare(self) -> None:
        super().prepare()
        (self.dir / "sweep.toml").write_text(SWEEP.format(replicates=10))
        for i in (1, 2, 3):
            outcome = harness.run(["sweep", "sweep.toml", "-q", "-j", str(self.threads), "--shard", f"{i}/3",
                                   "-o", f"shard{i}.h5"], self.dir)
            check(outcome.returncode == 0, f"shard {i}/3 failed:\n{outcome}")

    def args(self, output: str) -> list[str]:
        return ["merge", output, "shard1.h5", "shard2.h5", "shard3.h5"]

    def expected_files(self) -> list[str]:
        return super().expected_files() + ["sweep.toml", "shard1.h5", "shard2.h5", "shard3.h5"]


CAL_CITY = """# A small city for the calibration soak.
[simulation]
days = 30
warmup_days = 10
replicates = 2
seed = 77

[population]
workers = 300
buyers = 6000
exploiters = 30
venues = 5

[policing]
contacts_per_year_street = 20

[[scenario]]
name = "baseline"
"""

CAL_TARGETS = """scenarios = "city.toml"

[[target]]
id = "violence"
source = "a wide interval: most points stay, so that both waves run"
use = "calibration"
value = 0.5
interval = [0.0, 1.0]
scenario = "baseline"
kind = "level"
metric = "violence_12m"
"""

CALIBRATION = """targets = "targets.toml"
waves = 2
points = 12
replicates = 2
seed = 3
[parameters]
"encounter.violence_given_violent_buyer" = [0.005, 0.1]
"policing.arrest_per_contact" = [0.01, 0.2]
"""


class CalibrateDriver(Driver):
    """harmsim calibrate: 2 waves of 12 points x 2 replicates (24 units a wave,
    each wave a sweep with its journals in OUTPUT.work/wave<k>/<scenario>.h5.work),
    a fit after each wave (Python, a child of harmsim), then the final file.
    No finished unit is run again: no record twice in a wave's journals; and no
    finished step is done again: every finished file of a wave (its sweep
    files, simulated.h5, fit.h5, emulators.pkl)
    keeps its inode and time until the clean-up (a wave's sweep files go
    once its simulated.h5 is written)."""

    name = "calibrate"
    output = "calibration.h5"
    unit_windows = ("time", "unit-torn", "unit-unsynced", "unit-sync")
    units_per_wave = 24
    waves = 2
    # Attributes and datasets that hold the run's own times (docs/calibration.md).
    timing = ("wall_time_s", "simulation_seconds", "fit_seconds", "seconds")

    def prepare(self) -> None:
        (self.dir / "city.toml").write_text(CAL_CITY)
        (self.dir / "targets.toml").write_text(CAL_TARGETS)
        (self.dir / "cal.toml").write_text(CALIBRATION)

    def args(self, output: str) -> list[str]:
        # An absolute path: the fault rules name the files as "*/NAME", and
        # calibrate opens its output by the path it is given.
        return ["calibrate", "cal.toml", "-o", str(self.dir / output), "-j", str(self.threads)]

    def expected_files(self) -> list[str]:
        return ["cal.toml", "city.toml", "targets.toml", "reference.h5", self.output]

    def make_reference(self) -> None:
        super().make_reference()
        self.reference = self.without_timing(self.reference)
        self.finished_files: dict[str, tuple[int, int]] = {}
        self.records_done = 0

    def without_timing(self, contents: dict) -> dict:
        return {k: v for k, v in contents.items() if not any(t in k for t in self.timing)}

    def journals(self) -> list[pathlib.Path]:
        return sorted(self.work.glob("wave*/*.h5.work/*.journal"))

    def records(self) -> tuple[list[bytes], int]:
        """The whole records in the journals of the wave being simulated, and how many end cut short."""
        whole, torn = [], 0
        for journal in self.journals():
            records, cut = harness.journal_records(journal.read_bytes())
            whole += records
            torn += cut
        return whole, torn

    def finished_waves(self) -> int:
        return len(list(self.work.glob("wave*/simulated.h5")))

    def units_left(self) -> int:
        if not self.work.exists():
            return self.units_per_wave * self.waves
        return max(0, self.units_per_wave * (self.waves - self.finished_waves()) - len(self.records()[0]))

    def fault_for(self, window: str, rng: random.Random) -> Kill:
        n = rng.randint(1, max(1, min(4, self.units_left())))
        if window == "time":  # longer than the base's: a start reads problem.h5 and the fits take seconds
            return Kill(window, f"kill:rename:1:*/{self.output}.partial", delay=rng.uniform(0.2, 4.0))
        journals = f"*/{self.output}.work/wave*/*.h5.work/*.journal"
        return self.unit_fault(window, journals, n, 1) or super().fault_for(window, rng)

    def observe(self, outcome: harness.Outcome, kill: Kill | None) -> None:
        super().observe(outcome, kill)
        if not self.work.exists() or (self.dir / self.output).exists():
            return  # the file is complete: its checkpoints are being removed
        whole, torn = self.records()
        repeated = len(whole) - len(set(whole))
        check(repeated == 0, f"{repeated} unit records written twice: a finished unit was run again")
        if kill is not None and kill.window == "unit-torn" and self.journals():
            check(torn >= 1, "no record cut short: the kill missed its window")
        now = {}
        # (problem.h5 is not among them: each start writes it again from the
        # calibration file, the same bytes, before anything else.)
        for pattern in ("wave*/simulated.h5", "wave*/fit.h5", "wave*/emulators.pkl", "wave*/*.h5"):
            for path in self.work.glob(pattern):
                stat = path.stat()
                now[str(path.relative_to(self.work))] = (stat.st_ino, stat.st_mtime_ns)
        for name, identity in self.finished_files.items():
            if name not in now and self.swept_into_simulated(name, now):
                continue
            check(name in now, f"{name} was finished and is gone")
            check(now[name] == identity, f"{name} was written again after it was finished")
        self.finished_files = now

    @staticmethod
    def swept_into_simulated(name: str, now: dict) -> bool:
        """A wave's sweep file (wave<k>/<scenario>.h5), removed once the wave's simulated.h5 holds what
        calibration reads of it."""
        wave, _, file = name.partition("/")
        return (file.endswith(".h5") and file not in ("simulated.h5", "fit.h5")
                and f"{wave}/simulated.h5" in now)

    def check_end(self, outcome: harness.Outcome) -> None:
        final = self.without_timing(harness.contents(self.dir / self.output))
        differences = harness.differences(self.reference, final)
        check(not differences, "the final file differs from an uninterrupted run's:\n" + "\n".join(differences[:20]))
        left = sorted(p.name for p in self.dir.iterdir())
        expected = sorted(self.expected_files())
        check(left == expected, f"left behind: {left}, expected {expected}")

DRIVERS = {"sweep": SweepDriver, "run": RunDriver, "merge": MergeDriver, "calibrate": CalibrateDriver}


def plan(driver: Driver, kills: int) -> list[str]:
    """The windows of the kills, in order: "unit" (a unit window, chosen as
    the soak goes, while units remain), then extra assembly kills, then the
    end windows once each. With kills = unit windows + end windows (the short
    version) each window is hit once; beyond that a third of the extra kills
    go to the assembly, the rest to the units."""
    ends = list(driver.end_windows)
    extra = kills - len(ends) - len(driver.unit_windows)
    check(extra >= 0, f"{kills} kills are fewer than the {len(ends) + len(driver.unit_windows)} windows of {driver.name}")
    assembly = extra // 3 if driver.unit_windows else extra
    units = kills - len(ends) - assembly
    return ["unit"] * units + ["assembly"] * assembly + ends


def soak(command: str, kills: int, seed: int, directory: pathlib.Path, threads: int = 2,
         log=print) -> dict:
    """Runs the soak of one command in `directory` (empty); returns a summary."""
    rng = random.Random(f"{command}/{seed}")
    driver = DRIVERS[command](directory, threads, kills)
    started = time.monotonic()
    driver.prepare()
    driver.make_reference()
    windows = plan(driver, kills)
    done: list[str] = []
    unit_cycle = list(driver.unit_windows)
    rng.shuffle(unit_cycle)
    index = 0
    while index < len(windows):
        window = windows[index]
        if window == "unit":
            if driver.units_left() <= 1 or not unit_cycle:
                # Every unit finished sooner than planned: the rest at the end.
                windows[index] = "assembly"
                continue
            window = unit_cycle[len(done) % len(unit_cycle)] if len(done) < len(unit_cycle) else rng.choice(unit_cycle)
        if window == "cleanup" and not (driver.dir / driver.output).exists():
            windows.insert(index, "after-rename")
            continue
        kill = driver.fault_for(window, rng)
        args = driver.args(driver.output)
        if kill.delay is not None:
            outcome = harness.run_killed_after(args, directory, kill.delay, fault=kill.fault)
        else:
            outcome = harness.run(args, directory, fault=kill.fault)
        check(outcome.killed, f"kill {index + 1} ({window}) did not kill harmsim:\n{outcome}")
        driver.observe(outcome, kill)
        done.append(window)
        log(f"soak {command}: kill {len(done):2d} {window:<13} {kill.fault or ''}"
            + (f" after {kill.delay:.2f} s" if kill.delay is not None else "")
            + (f"; {driver.units_left()} units left" if driver.unit_windows else ""))
        index += 1
    outcome = harness.run(driver.args(driver.output), directory)
    check(outcome.returncode == 0, f"the run after {len(done)} kills failed:\n{outcome}")
    if done[-1] in ("after-rename", "cleanup"):
        check(re.fullmatch(rf"(.*/)?{re.escape(driver.output)} is already complete: nothing to do\n", outcome.stdout)
              is not None,
              f"after a kill past the final rename the same command should have nothing to do:\n{outcome}")
    driver.observe(outcome, None)
    driver.check_end(outcome)
    seconds = time.monotonic() - started
    log(f"soak {command}: {len(done)} kills, final file identical to an uninterrupted run's"
        + (", no finished unit run again" if driver.unit_windows else "") + f" ({seconds:.1f} s)")
    return {"command": command, "kills": done, "seconds": seconds, "last": outcome}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--command", action="append", choices=sorted(DRIVERS), help="default: every one")
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--keep", type=pathlib.Path, help="work in this directory and keep it")
    args = ap.parse_args()
    for path in (harness.binary(), harness.fault_library()):
        if not os.path.exists(path):
            print(f"soak: {path} not found; build first (scripts/soak does)", file=sys.stderr)
            return 2
    status = 0
    for command in args.command or sorted(DRIVERS):
        if args.keep:
            directory = args.keep / command
            shutil.rmtree(directory, ignore_errors=True)
            directory.mkdir(parents=True)
            context = None
        else:
            context = harness.scratch(f"soak-{command}")
            directory = context.__enter__()
        try:
            soak(command, args.kills, args.seed, directory, args.threads)
        except SoakFailure as failure:
            print(f"soak {command}: FAILED: {failure}", file=sys.stderr)
            status = 1
        finally:
            if context is not None:
                context.__exit__(None, None, None)
    return status


if __name__ == "__main__":
    sys.exit(main())
