"""`harmsim targets FILE` (docs/targets.md) run as a user would: its results
are those of `harmsim run`, on any number of threads; it reports calibration
and validation targets apart and exits 0 when targets are missed; a mistake in
the targets file is one line and exit 2, with nothing written."""
from __future__ import annotations

import os
import pathlib
import subprocess

import h5py
import numpy as np
import pytest

import harmsim_analysis as ha

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))

SCENARIOS = """
[simulation]
days = 60
warmup_days = 20
replicates = 3
seed = 11
[population]
workers = 400
buyers = 8000
exploiters = 40
venues = 6

[[scenario]]
name = "baseline"

[[scenario]]
name = "stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 10
officers = 40
areas = [0, 1]
"""

TARGETS = """
scenarios = "small.toml"

[[target]]
id = "violence"
source = "Deering et al. 2014"
use = "calibration"
value = 0.45
interval = [0.32, 0.55]
scenario = "baseline"
kind = "level"
metric = "violence_12m"

[[target]]
id = "arrests_central"
source = "by construction: the stings are in central areas 0 and 1"
use = "calibration"
interval = [0.5, 1]
scenario = "stings"
kind = "total"
metric = "arrests_worker"
stratum = "area/central"
compare = "ratio"
over = { stratum = "all" }

[[target]]
id = "policed_violence"
source = "Platt et al. 2018"
use = "validation"
value = 2.99
interval = [1.96, 4.57]
scenario = "stings"
kind = "odds_ratio"
exposure = "policed_180d"
outcome = "violence_180d"
"""


@pytest.fixture
def work(tmp_path):
    if not os.path.exists(BINARY):
        pytest.fail(f"harmsim binary not found at {BINARY}; build it first (scripts/test sets HARMSIM_BINARY)")
    (tmp_path / "small.toml").write_text(SCENARIOS)
    (tmp_path / "targets.toml").write_text(TARGETS)
    return tmp_path


def harmsim(work, *args):
    return subprocess.run([BINARY, *args], cwd=work, capture_output=True, text=True, timeout=300)


def datasets(path, group):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                out[name] = obj[()]
        f[group].visititems(visit)
    return out


def test_results_are_those_of_harmsim_run_on_any_number_of_threads(work):
    t = harmsim(work, "targets", "targets.toml", "-q", "-j", "1", "-o", "t.h5")
    assert t.returncode == 0, t.stderr
    r = harmsim(work, "run", "small.toml", "-q", "-j", "2", "-o", "r.h5")
    assert r.returncode == 0, r.stderr
    for scenario in ("baseline", "stings"):
        a = datasets(work / "t.h5", f"scenarios/{scenario}")
        b = datasets(work / "r.h5", f"scenarios/{scenario}")
        assert sorted(a) == sorted(b)
        assert {"exposure", "stratum_totals", "series/violence_12m", "totals/arrests_worker"} <= set(a)
        for name in a:
            assert np.array_equal(a[name], b[name]), f"{scenario}/{name} differs"
    # The sector-adjusted OR in the table is the one the analysis package computes from the file.
    table = t.stdout
    ors = ha.odds_ratios(work / "t.h5")
    row = ors[(ors.scenario == "stings") & (ors.exposure == "policed_180d") & (ors.outcome == "violence_180d")].iloc[0]
    line = next(l for l in table.splitlines() if l.startswith("policed_violence"))
    assert f"{row['mh_odds_ratio']:.3g}" in line.split()
    assert f"[{row['mh_ci_low']:.3g}," in line


def test_the_table_is_the_same_on_one_or_two_threads_and_reports_uses_apart(work):
    one = harmsim(work, "targets", "targets.toml", "-q", "-j", "1")
    two = harmsim(work, "targets", "targets.toml", "-q", "-j", "2")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert one.stderr == "" and two.stderr == ""

    def stable(text):
        return [line for line in text.splitlines() if not line.startswith("Scenarios: ")]

    assert stable(one.stdout) == stable(two.stdout)
    lines = one.stdout.splitlines()
    calibration = lines.index(next(l for l in lines if l.startswith("Calibration targets")))
    validation = lines.index(next(l for l in lines if l.startswith("Validation targets")))
    assert calibration < validation
    assert lines[calibration].endswith(" of 2 within")
    assert lines[validation].endswith(" of 1 within")
    assert [l.split()[0] for l in lines[calibration + 3:calibration + 5]] == ["violence", "arrests_central"]
    assert lines[validation + 3].split()[0] == "policed_violence"
    arrests = next(l for l in lines if l.startswith("arrests_central"))
    assert arrests.endswith("yes")  # most arrests are in the central areas the stings target
    assert not os.path.exists(work / "results.h5")  # nothing written without -o


def test_a_missed_target_still_exits_0_and_says_why(work):
    text = TARGETS.replace("interval = [0.5, 1]", "interval = [0, 0.5]")
    (work / "targets.toml").write_text(text)
    p = harmsim(work, "targets", "targets.toml", "-q", "-j", "2")
    assert p.returncode == 0, p.stderr
    assert next(l for l in p.stdout.splitlines() if l.startswith("arrests_central")).endswith("NO")
    assert any(l.startswith("  arrests_central (") and l.endswith("above the interval") for l in p.stdout.splitlines())


def test_a_mistake_in_the_targets_file_is_one_line_and_exit_2_with_nothing_written(work):
    (work / "targets.toml").write_text(TARGETS.replace('metric = "violence_12m"', 'metric = "violence_12"'))
    before = sorted(os.listdir(work))
    p = harmsim(work, "targets", "targets.toml", "-o", "t.h5")
    assert p.returncode == 2
    assert p.stdout == ""
    assert p.stderr == ("harmsim: targets.toml:12:10: error: key `target.metric`: expected a metric name of "
                        "docs/output.md, found \"violence_12\"; in target `violence`; did you mean `violence_12m`?\n")
    assert sorted(os.listdir(work)) == before
    missing = harmsim(work, "targets", "nothing.toml")
    assert missing.returncode == 2
    assert missing.stderr == "harmsim: nothing.toml: error: expected a readable targets file, found none could be opened\n"


def test_an_existing_results_file_is_not_replaced_without_force(work):
    (work / "t.h5").write_text("not a results file")
    p = harmsim(work, "targets", "targets.toml", "-q", "-o", "t.h5")
    assert p.returncode == 2
    assert p.stderr == "harmsim: t.h5 exists; choose another name with -o or pass --force to replace it\n"
    assert harmsim(work, "targets", "targets.toml", "-q", "-o", "t.h5", "--force").returncode == 0
    assert ha.info(work / "t.h5").scenarios == ["baseline", "stings"]


def test_markdown_cells_escape_a_bar_in_free_text(work):
    (work / "targets.toml").write_text(TARGETS.replace('source = "Platt et al. 2018"', 'source = "Platt | Grenfell 2018"'))
    p = harmsim(work, "targets", "targets.toml", "-q", "--markdown")
    assert p.returncode == 0, p.stderr
    row = next(l for l in p.stdout.splitlines() if l.startswith("| `policed_violence` |"))
    assert "| Platt \\| Grenfell 2018 |" in row
    import re
    assert len(re.split(r"(?<!\\)\|", row)) == 8 + 2  # eight cells between the outer bars
