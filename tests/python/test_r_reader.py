"""analysis/R/read_results.R (hdf5r) reads what harmsim_analysis.load() reads, number for number.

The files are the synthetic ones of conftest.py, whose every value encodes its
replicate, day and stratum, with a different number of replicates per
scenario (one of them a single replicate, the case where an array dimension
of extent 1 could be dropped): a dimension read in the wrong order cannot give
the same table. Needs Rscript (r-base-core) and hdf5r (r-cran-hdf5r); skipped
only when Rscript is missing.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import textwrap

import numpy as np
import pandas as pd
import pytest

import harmsim_analysis as ha
from conftest import ANALYSIS, write_results

RSCRIPT = shutil.which("Rscript")
SCRIPT = os.path.join(os.path.abspath(ANALYSIS), "R", "read_results.R")
REPLICATES = {"baseline": 5, "sting": 1, "decriminalization": 3}
STRATA = ["community/2", "all", "street/undocumented/minor/isolated"]

pytestmark = pytest.mark.skipif(
    RSCRIPT is None, reason="Rscript not found: install r-base-core and r-cran-hdf5r (scripts/deps.sh lists them)")


def rscript(*args, cwd=None):
    return subprocess.run([RSCRIPT, "--vanilla", *args], capture_output=True, text=True, timeout=180, cwd=cwd)


def read_csv(text_or_path) -> pd.DataFrame:
    source = io.StringIO(text_or_path) if "\n" in str(text_or_path) else text_or_path
    return pd.read_csv(source, dtype={"scenario": str, "metric": str, "stratum": str, "value": np.float64}, keep_default_na=False)


def as_plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as strings and integers as int64, to compare with what a CSV gives back."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype(str)
        elif out[column].dtype.kind in "iu":
            out[column] = out[column].astype(np.int64)
    return out.reset_index(drop=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    where = tmp_path_factory.mktemp("r")
    return {
        "results": write_results(where / "results.h5", replicates=REPLICATES),
        "fixed": write_results(where / "fixed.h5", string_mode="fixed"),
        "v1": write_results(where / "v1.h5", schema_version=1),
        "unfinished": write_results(where / "unfinished.h5", complete=0),
        "dir": where,
    }


@pytest.fixture(scope="module")
def from_r(files):
    """One R session that source()s the script, as an R user would, and writes what it read."""
    out = files["dir"] / "from_r"
    out.mkdir()
    program = textwrap.dedent(f"""
        source({SCRIPT!r})
        save <- function(table, name) {{
          table$value <- sprintf("%.17g", table$value)
          write.csv(table, file.path({str(out)!r}, name), row.names = FALSE)
        }}
        path <- {files["results"]!r}
        save(harmsim_load(path, metrics = c("violence_buyer", "workers_active"),
                          strata = c({", ".join(repr(s) for s in STRATA)})), "selected.csv")
        save(harmsim_load(path, metrics = "income_mean", strata = NULL, scenarios = c("sting", "baseline")),
             "every_stratum.csv")
        save(harmsim_totals(path), "totals.csv")
        save(harmsim_totals({files["v1"]!r}, metrics = "encounters"), "totals_v1.csv")
        daily <- harmsim_load(path, metrics = "violence_buyer")
        means <- aggregate(value ~ scenario, data = daily, FUN = mean)
        save(means, "means.csv")
        fixed <- harmsim_info({files["fixed"]!r})
        writeLines(c(fixed$metrics, fixed$strata, fixed$scenarios), file.path({str(out)!r}, "fixed_names.txt"))
    """)
    proc = rscript("-e", program)
    assert proc.returncode == 0, proc.stderr
    return out


def test_r_reads_the_long_table_of_selected_metrics_and_strata(files, from_r):
    want = ha.load(files["results"], metrics=["violence_buyer", "workers_active"], strata=STRATA)
    got = read_csv(from_r / "selected.csv")
    assert len(got) == sum(REPLICATES.values()) * 10 * 2 * 3
    pd.testing.assert_frame_equal(got, as_plain(want))


def test_r_reads_every_stratum_of_a_single_replicate_scenario(files, from_r):
    want = ha.load(files["results"], metrics=["income_mean"], strata=None, scenarios=["sting", "baseline"])
    got = read_csv(from_r / "every_stratum.csv")
    assert len(got) == (1 + 5) * 10 * 40
    pd.testing.assert_frame_equal(got, as_plain(want))


def totals_table(path, metrics=None) -> pd.DataFrame:
    return pd.DataFrame(
        [(scen, r, metric, value) for scen, by_metric in ha.read_totals(path, metrics).items()
         for metric, values in by_metric.items() for r, value in enumerate(values)],
        columns=["scenario", "replicate", "metric", "value"])


def test_r_reads_the_horizon_totals(files, from_r):
    got = read_csv(from_r / "totals.csv")
    assert len(got) == sum(REPLICATES.values()) * 8
    pd.testing.assert_frame_equal(got, totals_table(files["results"]))
    pd.testing.assert_frame_equal(read_csv(from_r / "totals_v1.csv"), totals_table(files["v1"], ["encounters"]))


def test_r_and_pandas_give_the_same_mean(files, from_r):
    daily = ha.load(files["results"], metrics=["violence_buyer"])
    want = daily.groupby("scenario", observed=True)["value"].mean()
    got = read_csv(from_r / "means.csv").set_index("scenario")["value"]
    assert list(got.index) == list(want.index) == list(REPLICATES)
    assert got.to_numpy() == pytest.approx(want.to_numpy(), rel=1e-15)
    # the baseline's mean: 1e5 (metric 1) + mean replicate 2 · 1e3 + mean day 4.5 · 100
    assert got["baseline"] == 1e5 + 2e3 + 450


def test_r_reads_fixed_length_strings(files, from_r):
    meta = ha.info(files["fixed"])
    names = (from_r / "fixed_names.txt").read_text().splitlines()
    assert names == meta.metrics + meta.strata + meta.scenarios


def test_the_command_line_writes_a_csv(files):
    proc = rscript(SCRIPT, files["results"], "--metric", "encounters", "--stratum", "community/1",
                   "--scenario", "decriminalization")
    assert proc.returncode == 0, proc.stderr
    want = ha.load(files["results"], metrics="encounters", strata="community/1", scenarios="decriminalization")
    pd.testing.assert_frame_equal(read_csv(proc.stdout), as_plain(want))


def test_an_unfinished_file_is_refused_with_its_name(files):
    proc = rscript(SCRIPT, files["unfinished"], "--totals")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip() == (f"read_results.R: error: {files['unfinished']}: not a finished harmsim result "
                                   "(no root attribute complete = 1; the run was interrupted or is still writing)")
