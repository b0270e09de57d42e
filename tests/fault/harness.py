"""What the fault tests share: the harmsim under test and the fault library
beside it, running harmsim with a fault (tests/fault/fault_inject.c), small
filesystems, the contents of an HDF5 file, and the finished units of a
sweep's journals.

Used by tests/fault/soak.py (scripts/soak), tests/python/test_soak.py and
tests/python/test_faults.py. Run with Debian's /usr/bin/python3 (h5py).
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]


def binary() -> str:
    """The harmsim under test: $HARMSIM_BINARY (scripts/test sets it), else build/release."""
    return os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))


def fault_library() -> str:
    """tests/fault/fault_inject.c as built beside the harmsim under test (tests/CMakeLists.txt)."""
    return os.environ.get("HARMSIM_FAULT_LIBRARY", os.path.join(os.path.dirname(binary()), "harmsim_fault_inject.so"))


@dataclasses.dataclass
class Outcome:
    args: list
    returncode: int  # the exit code, or -N for signal N
    stdout: str
    stderr: str
    seconds: float

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    def lines(self) -> list[str]:
        return self.stderr.splitlines()

    def __str__(self) -> str:
        return (f"harmsim {' '.join(map(str, self.args))}: exit {self.returncode} in {self.seconds:.2f} s\n"
                f"stdout:\n{self.stdout}\nstderr:\n{self.stderr}")


def fault_env(fault: str | None = None, counts: str | os.PathLike | None = None) -> dict:
    """The environment of a harmsim run with a fault rule (fault_inject.c's
    HARMSIM_FAULT), and where to write the counts of `count` rules."""
    env = dict(os.environ)
    if fault is not None or counts is not None:
        env["LD_PRELOAD"] = fault_library()
    if fault is not None:
        env["HARMSIM_FAULT"] = fault
    if counts is not None:
        env["HARMSIM_FAULT_COUNTS"] = str(counts)
    return env


def start(args, cwd, fault: str | None = None, counts=None) -> subprocess.Popen:
    return subprocess.Popen([binary(), *map(str, args)], cwd=cwd, env=fault_env(fault, counts),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen, args, started: float, timeout: float = 120) -> Outcome:
    out, err = process.communicate(timeout=timeout)
    return Outcome(list(args), process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                   time.monotonic() - started)


def run(args, cwd, fault: str | None = None, counts=None, timeout: float = 120) -> Outcome:
    """`harmsim ARGS` in `cwd`, with a fault rule if given."""
    started = time.monotonic()
    return finish(start(args, cwd, fault, counts), args, started, timeout)


def run_killed_after(args, cwd, seconds: float, fault: str | None = None, timeout: float = 120) -> Outcome:
    """`harmsim ARGS`, sent SIGKILL after `seconds` unless it ended before."""
    started = time.monotonic()
    process = start(args, cwd, fault)
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
    return finish(process, args, started, timeout)


def count_calls(args, cwd, rules: dict[str, str]) -> tuple[Outcome, dict[str, int]]:
    """Runs `harmsim ARGS` counting the calls of each rule ({name: "CALL:GLOB"});
    returns the outcome and {name: calls}."""
    with tempfile.TemporaryDirectory() as scratch:
        counts = pathlib.Path(scratch) / "counts"
        spec = ";".join(f"count:{rule.split(':', 1)[0]}:1:{rule.split(':', 1)[1]}" for rule in rules.values())
        outcome = run(args, cwd, fault=spec, counts=counts)
        lines = counts.read_text().splitlines() if counts.exists() else []
    # Every process that loads the library writes its counts when it ends
    # (harmsim, and the children it starts, such as calibrate's fits): summed.
    totals: dict[str, int] = {}
    for line in lines:
        call, glob, n = line.split(" ")
        totals[f"{call}:{glob}"] = totals.get(f"{call}:{glob}", 0) + int(n)
    found = {name: totals.get(rule, 0) for name, rule in rules.items()}
    return outcome, found


# --- HDF5 contents ------------------------------------------------------------------

# Root attributes that differ between two runs of the same command (docs/output.md).
VARYING = {"started_at", "finished_at", "command_line"}


def contents(path) -> dict:
    """Every dataset and attribute of an HDF5 file as bytes, by path, except
    the root attributes that legitimately differ between runs."""
    found = {}

    def value_bytes(value) -> bytes:
        array = np.asarray(value)
        if array.dtype.kind == "O":
            return repr([v if isinstance(v, bytes) else str(v).encode() for v in array.ravel()]).encode()
        return array.dtype.str.encode() + repr(array.shape).encode() + array.tobytes()

    with h5py.File(path, "r") as f:
        for name, value in f.attrs.items():
            if name not in VARYING:
                found[f"/@{name}"] = value_bytes(value)

        def visit(name, obj):
            for attr, value in obj.attrs.items():
                found[f"/{name}@{attr}"] = value_bytes(value)
            if isinstance(obj, h5py.Dataset):
                found[f"/{name}"] = value_bytes(obj[()])

        f.visititems(visit)
    return found


def differences(a: dict, b: dict) -> list[str]:
    """What differs between two contents(): missing, extra, or other bytes."""
    out = [f"only in the first: {k}" for k in sorted(a.keys() - b.keys())]
    out += [f"only in the second: {k}" for k in sorted(b.keys() - a.keys())]
    out += [f"differs: {k}" for k in sorted(a.keys() & b.keys()) if a[k] != b[k]]
    return out


def complete_flag(path) -> int | None:
    with h5py.File(path, "r") as f:
        return int(f.attrs["complete"]) if "complete" in f.attrs else None


def looks_complete(path) -> bool:
    """True if `path` is a readable HDF5 file with complete = 1 (a .partial
    cut short by a failure is often not readable at all)."""
    try:
        return complete_flag(path) == 1
    except OSError:
        return False


# --- the finished units of a sweep ---------------------------------------------------


# The layout of a unit record (sim/io/checkpoint.cpp, record version 4):
# magic, byte-order mark, a 32-byte id, ten header words of which the last is
# the number of bytes of (deflated) data that follow, the data, a checksum.
RECORD_MAGIC = b"HSWUNIT4"
RECORD_HEADER = 8 + 8 + 32 + 10 * 8


def journal_records(data: bytes) -> tuple[list[bytes], int]:
    """The whole records of a journal's bytes, in order, and 1 if it ends in
    a record cut short (a writer killed inside its append), else 0. Records
    differ in length (their data are deflated): each header says its own."""
    records, at = [], 0
    while at < len(data):
        if len(data) - at < RECORD_HEADER:
            return records, 1
        assert data[at: at + len(RECORD_MAGIC)] == RECORD_MAGIC, f"at byte {at}: not a unit record"
        stored = int.from_bytes(data[at + RECORD_HEADER - 8: at + RECORD_HEADER], sys.byteorder)
        end = at + RECORD_HEADER + stored + 8
        if end > len(data):
            return records, 1
        records.append(data[at:end])
        at = end
    return records, 0


class UnitRecords:
    """The records of finished units as an uninterrupted sweep wrote them,
    to recognise them in the journals of an interrupted one: a unit's record
    is the same bytes whoever writes it (the results are deterministic, the
    record holds no time or process id, and deflate at a fixed level gives
    the same bytes for the same data). A run killed between its rename and
    its clean-up leaves those journals; their records are the reference."""

    def __init__(self, work: pathlib.Path):
        self.unit_of = {}  # record bytes -> its index in the reference
        for journal in sorted(work.glob("*.journal")):
            records, torn = journal_records(journal.read_bytes())
            assert not torn, f"{journal}: a record cut short in the reference"
            for record in records:
                self.unit_of.setdefault(record, len(self.unit_of))
        assert self.unit_of, f"{work}: no journal of unit records"
        self.count = len(self.unit_of)

    def found_in(self, work: pathlib.Path) -> tuple[list[int], int]:
        """The units whose whole record is in the journals of `work` (with
        repeats, if any was written twice), and how many journals end in a
        record cut short (a writer killed inside its append)."""
        units, torn = [], 0
        for journal in sorted(work.glob("*.journal")):
            records, cut = journal_records(journal.read_bytes())
            for i, record in enumerate(records):
                unit = self.unit_of.get(record)
                # Only a journal's last record may be cut short (its writer
                # died in the append); a whole record unknown is damage.
                assert unit is not None, f"{journal}: record {i}: not a record of this sweep"
                units.append(unit)
            torn += cut
        return units, torn


# --- small filesystems ---------------------------------------------------------------


class SmallDisk:
    """A tmpfs of `size` mounted on `where` (root only; CI may lack the
    privilege, then `mounted` is False and the caller skips), with a filler
    file that leaves a chosen number of bytes free."""

    def __init__(self, where: pathlib.Path, size: str):
        self.where = pathlib.Path(where)
        self.where.mkdir(parents=True, exist_ok=True)
        self.mounted = False
        if os.geteuid() == 0 and shutil.which("mount"):
            result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(self.where)],
                                    capture_output=True)
            self.mounted = result.returncode == 0
        self.why = "" if self.mounted else "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)"

    def free(self) -> int:
        stat = os.statvfs(self.where)
        return stat.f_bavail * stat.f_frsize

    def leave_free(self, nbytes: int) -> None:
        """Grows (or shrinks) the filler until `nbytes` (rounded down to pages) are free."""
        filler = self.where / ".filler"
        current = filler.stat().st_size if filler.exists() else 0
        page = os.statvfs(self.where).f_frsize
        target = current + self.free() - nbytes
        target -= target % page
        with open(filler, "ab") as f:
            f.truncate(0)
            f.seek(0)
            block = b"x" * (1 << 20)
            left = target
            while left > 0:
                left -= f.write(block[: min(left, len(block))])

    def empty(self) -> None:
        (self.where / ".filler").unlink(missing_ok=True)

    def close(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.where)], check=False)
            self.mounted = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def scratch(tag: str):
    path = pathlib.Path(tempfile.mkdtemp(prefix=f"harmsim-{tag}-"))
    try:
        yield path
    finally:
        for sub in sorted(path.rglob("*"), reverse=True):
            if sub.is_mount():
                subprocess.run(["umount", "-l", str(sub)], check=False)
        shutil.rmtree(path, ignore_errors=True)
