"""The short version of scripts/soak: a sweep, a run, a merge and a calibration each killed
with SIGKILL once in every window (tests/fault/soak.py: during units, inside
a checkpoint's write, before and at its sync, during the final assembly, at
and after the final rename, inside the clean-up), then run to the end. The
final file must be identical to an uninterrupted run's, no finished unit may
run again, and nothing but the output may be left. About 35 s; scripts/soak
runs 20 kills per command.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
import harness  # noqa: E402
import soak  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def built():
    for path in (harness.binary(), harness.fault_library()):
        if not os.path.exists(path):
            pytest.fail(f"{path} not found; build first (scripts/test sets HARMSIM_BINARY)")


@pytest.mark.parametrize("command", sorted(soak.DRIVERS))
def test_killed_in_every_window_and_finished_identical_with_no_unit_run_again(command, tmp_path):
    driver = soak.DRIVERS[command]
    kills = len(driver.unit_windows) + len(driver.end_windows)  # each window once
    summary = soak.soak(command, kills, seed=1, directory=tmp_path, log=lambda line: None)
    assert len(summary["kills"]) == kills
    assert set(summary["kills"]) == set(driver.unit_windows) | set(driver.end_windows)
