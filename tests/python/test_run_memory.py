"""`harmsim run` holds the series of one scenario at a time (docs/errors.md
"Memory that does not fit"): replicates are kept in their unit files, not in
memory, and the results file is written a scenario at a time from them.

A run of 8 scenarios whose daily series dominate its memory (a tiny
population over 365 days: 2.8 MiB of series a replicate, 227 MiB in all)
must peak far below the series of all of them. The peak is the child's
maximum resident set size (os.wait4), less that of a run of one replicate
of the same shape (the program, its libraries and a thread's buffers), and
the bound is half the series of all: rank 0 keeping every series again
(as before) holds 240 MiB, twice the bound; holding one scenario's (28
MiB) and the buffers of two threads, 51 MiB, half of it. No timing. About
5 s.
"""
from __future__ import annotations

import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))

SCENARIOS = 8
REPLICATES = 10
DAYS = 365
METRICS = 51          # sim/model/metrics.hpp, kMetricCount
STRATA = 37 + 3       # strata_count(communities = 3)
SERIES_BYTES = METRICS * DAYS * STRATA * 4  # one replicate's series in memory

SHAPE = f"""[simulation]
days = {DAYS}
warmup_days = 0
replicates = {{replicates}}
seed = 17
[population]
workers = 60
buyers = 300
exploiters = 4
venues = 1
communities = 3
"""


def write_run(path: pathlib.Path, scenarios: int, replicates: int) -> None:
    path.write_text(SHAPE.format(replicates=replicates) +
                    "".join(f'[[scenario]]\nname = "s{k}"\n' for k in range(scenarios)))


def peak_rss_bytes(args: list[str], cwd: pathlib.Path) -> int:
    """Runs harmsim and returns its maximum resident set size; fails on a non-zero exit."""
    with open(cwd / "stdout.txt", "wb") as out, open(cwd / "stderr.txt", "wb") as err:
        child = subprocess.Popen([BINARY, *args], cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0, (cwd / "stderr.txt").read_text()
    return usage.ru_maxrss * 1024  # KiB on Linux


@pytest.mark.skipif(not os.path.exists(BINARY), reason=f"{BINARY} not built")
def test_a_run_holds_the_series_of_one_scenario_at_a_time_not_of_all(tmp_path):
    write_run(tmp_path / "one.toml", 1, 1)
    write_run(tmp_path / "many.toml", SCENARIOS, REPLICATES)
    program = peak_rss_bytes(["run", "-q", "one.toml", "-o", "one.h5", "-j", "2"], tmp_path)
    peak = peak_rss_bytes(["run", "-q", "many.toml", "-o", "many.h5", "-j", "2"], tmp_path)
    every_series = SCENARIOS * REPLICATES * SERIES_BYTES
    one_scenario = REPLICATES * SERIES_BYTES
    assert (tmp_path / "many.h5").exists() and not (tmp_path / "many.h5.work").exists()
    held = peak - program
    assert held < 0.5 * every_series, (
        f"peak {peak / 2**20:.0f} MiB, {held / 2**20:.0f} MiB above a run of one replicate: more than half the "
        f"{every_series / 2**20:.0f} MiB of series of every replicate (one scenario's: {one_scenario / 2**20:.0f} MiB)")
