"""load_sweep / plot_sweep on a synthetic sweep file that follows docs/output.md
("Sweep files") and, when HARMSIM_BINARY is set (scripts/test), on a real one."""
from __future__ import annotations

import os
import subprocess

import h5py
import numpy as np
import pytest

import harmsim_analysis as ha

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
METRICS = [("encounters", "count"), ("violence_buyer", "count"), ("workers_active", "level")]
PARAMETERS = ["encounter.rate_per_day", "population.workers"]
VALUES = np.array([[0.5, 100], [0.5, 200], [1.0, 100], [1.0, 200]], dtype=np.float64)


def total(point: int, metric_index: int, replicate: int) -> float:
    return 1000.0 * metric_index + 10.0 * point + replicate


STRATA = ["all", "street/documented/adult/central", "community/0"]


def stratum_total(point: int, metric_index: int, replicate: int, stratum: int) -> float:
    return total(point, metric_index, replicate) + 0.25 * stratum


def write_sweep(path, replicates=3, kind="sweep", complete=True, schema_version=2, days=5):
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int64(schema_version)
        f.attrs["file_kind"] = kind
        for key in ("harmsim_version", "git_commit", "command_line", "started_at", "finished_at"):
            f.attrs[key] = "test"
        f.attrs["sweep_id"] = "0123456789abcdef0123456789abcdef"
        f.attrs["per_replicate"] = np.int64(0)
        if kind == "sweep-shard":
            f.attrs["shard"] = "1/2"
        f.create_dataset("metrics/name", data=np.array([m for m, _ in METRICS], dtype=strings))
        f.create_dataset("metrics/kind", data=np.array([k for _, k in METRICS], dtype=strings))
        f.create_dataset("metrics/description", data=np.array(["x"] * len(METRICS), dtype=strings))
        d = f.create_group("design")
        d.attrs["kind"] = "grid"
        d.attrs["seed"] = np.uint64(1)
        d.attrs["scenario"] = "street_stings"
        d.attrs["replicates"] = np.int64(replicates)
        d.create_dataset("parameters", data=np.array(PARAMETERS, dtype=strings))
        d.create_dataset("values", data=VALUES)
        d.create_dataset("base_config", data='name = "street_stings"\n', dtype=strings)
        for k in range(len(VALUES)):
            g = f.create_group(f"points/p{k}")
            g.attrs["stream"] = f"street_stings/p{k}"
            g.attrs["replicates"] = np.int64(replicates)
            g.attrs["days"] = np.int64(days)
            g.create_dataset("replicate_seeds", data=np.arange(replicates, dtype=np.uint64))
            g.create_dataset("events", data=np.arange(replicates, dtype=np.uint64))
            for mi, (metric, _) in enumerate(METRICS):
                g.create_dataset(f"totals/{metric}", data=[total(k, mi, r) for r in range(replicates)])
                g.create_dataset(f"summary/{metric}", data=np.zeros((5, days)))
            if schema_version >= 2:
                g.create_dataset("strata", data=np.array(STRATA, dtype=strings))
                g.create_dataset("stratum_totals", data=[[[stratum_total(k, mi, r, st) for st in range(len(STRATA))]
                                                          for mi in range(len(METRICS))] for r in range(replicates)])
                tables = np.zeros((replicates, 3, 3, 3, 4), dtype=np.uint64)
                tables[:, :, :, :, 0] = k + 1  # exposed with the outcome: the point's number + 1
                tables[:, :, :, :, 3] = 10
                ds = g.create_dataset("exposure", data=tables)
                ds.attrs["strata"] = np.array(["street", "venue", "online"], dtype=strings)
        if complete:
            f.attrs["complete"] = np.int64(1)
    return str(path)


def test_load_sweep_has_a_column_per_parameter_and_one_row_per_point_replicate_metric(tmp_path):
    path = write_sweep(tmp_path / "sweep.h5")
    df = ha.load_sweep(path)
    assert list(df.columns) == PARAMETERS + ["point", "replicate", "metric", "value"]
    assert len(df) == len(VALUES) * 3 * len(METRICS)
    assert list(df["metric"].cat.categories) == [m for m, _ in METRICS]
    for row in df.itertuples(index=False):
        point, replicate, metric, value = row[2], row[3], row[4], row[5]
        assert value == total(point, [m for m, _ in METRICS].index(metric), replicate)
        assert row[0] == VALUES[point, 0] and row[1] == VALUES[point, 1]
    one = ha.load_sweep(path, metrics="violence_buyer")
    assert set(one["metric"]) == {"violence_buyer"} and len(one) == 12
    info = ha.sweep_info(path)
    assert info.parameters == PARAMETERS and info.design == "grid" and info.replicates == 3
    assert info.design_values.shape == (4, 2)


def test_load_sweep_refuses_unfinished_files_shards_and_results_files(tmp_path, make_results):
    with pytest.raises(ha.IncompleteResultsError):
        ha.load_sweep(write_sweep(tmp_path / "x.h5", complete=False))
    partial = tmp_path / "y.h5.partial"
    write_sweep(partial)
    with pytest.raises(ha.IncompleteResultsError, match="rerun"):
        ha.load_sweep(partial)
    with pytest.raises(ha.ResultsError, match="harmsim merge"):
        ha.load_sweep(write_sweep(tmp_path / "shard.h5", kind="sweep-shard"))
    with pytest.raises(ha.UnsupportedSchemaError):
        ha.load_sweep(write_sweep(tmp_path / "v9.h5", schema_version=9))
    with pytest.raises(ha.ResultsError, match="not a sweep file"):
        ha.load_sweep(make_results())
    with pytest.raises(ValueError, match="did you mean 'violence_buyer'"):
        ha.load_sweep(write_sweep(tmp_path / "z.h5"), metrics=["violence_buyr"])


def test_stratum_totals_and_exposure_tables_of_every_point(tmp_path):
    path = write_sweep(tmp_path / "sweep.h5")
    df = ha.load_sweep_strata(path, metrics=["violence_buyer"], strata=["community/0", "all"])
    assert list(df.columns) == PARAMETERS + ["point", "replicate", "metric", "stratum", "value"]
    assert len(df) == len(VALUES) * 3 * 2
    assert list(df["stratum"].cat.categories) == ["community/0", "all"]
    for row in df.itertuples(index=False):
        point, replicate, stratum, value = row[2], row[3], row[5], row[6]
        assert value == stratum_total(point, 1, replicate, STRATA.index(stratum))
    # Stratum "all" is the totals load_sweep gives.
    every = ha.load_sweep_strata(path, metrics="workers_active")
    alls = every[every.stratum == "all"].reset_index(drop=True)
    assert list(alls["value"]) == list(ha.load_sweep(path, metrics="workers_active")["value"])
    with pytest.raises(ValueError, match="did you mean 'community/0'"):
        ha.load_sweep_strata(path, strata=["community/O"])
    exposure = ha.read_sweep_exposure(path)
    assert sorted(exposure) == [0, 1, 2, 3]
    assert exposure[2].counts.shape == (3, 3, 3, 3, 4) and exposure[2].strata == ["street", "venue", "online"]
    assert int(exposure[2].counts[0, 1, 2, 0, 0]) == 3


def test_a_schema_1_sweep_still_loads_but_has_no_strata(tmp_path):
    path = write_sweep(tmp_path / "v1.h5", schema_version=1)
    assert len(ha.load_sweep(path)) == len(VALUES) * 3 * len(METRICS)
    with pytest.raises(ha.ResultsError, match="no stratum_totals .*schema_version 1"):
        ha.load_sweep_strata(path)
    with pytest.raises(ha.ResultsError, match="no exposure"):
        ha.read_sweep_exposure(path)


def test_plot_sweep_draws_point_means_against_the_parameter(tmp_path):
    path = write_sweep(tmp_path / "sweep.h5")
    ax = ha.plot_sweep(path, "violence_buyer", "population.workers")
    dots = ax.collections[-1].get_offsets()
    # Point k's mean over replicates 0, 1, 2 is 1000 + 10 k + 1.
    assert sorted(map(tuple, np.asarray(dots))) == sorted((VALUES[k, 1], 1000 + 10 * k + 1.0) for k in range(4))
    line = ax.lines[-1]
    assert list(line.get_xdata()) == [100, 200]
    assert list(line.get_ydata()) == [(1001 + 1021) / 2, (1011 + 1031) / 2]  # averaged over the other parameter
    with pytest.raises(ValueError, match="did you mean 'population.workers'"):
        ha.plot_sweep(path, "violence_buyer", "population.worker")


@pytest.mark.skipif(not os.environ.get("HARMSIM_BINARY"), reason="HARMSIM_BINARY not set (scripts/test sets it)")
def test_a_real_grid_sweep_loads_with_its_design(tmp_path):
    sweep = os.path.join(ROOT, "scenarios", "sweeps", "example_grid.toml")
    out = tmp_path / "grid.h5"
    subprocess.run([os.environ["HARMSIM_BINARY"], "sweep", sweep, "-o", str(out), "-q", "-j", "2"], check=True)
    df = ha.load_sweep(out, metrics=["operation_arrests"])
    assert list(df.columns[:2]) == ["encounter.violence_given_violent_buyer", "policy.0.officers"]
    assert len(df) == 9 * 4
    means = df.groupby("policy.0.officers")["value"].mean()
    assert list(means.index) == [7, 14, 28]
    assert means[28] > 2 * means[7]  # four times the officers, several times the operation's arrests
    ha.plot_sweep(out, "arrests_worker", "policy.0.officers")
    # Each point's stratum totals: "all" is the totals, the cells add up to it.
    strata = ha.load_sweep_strata(out, metrics=["arrests_worker"])
    alls = strata[strata.stratum == "all"]
    assert list(alls["value"]) == list(ha.load_sweep(out, metrics=["arrests_worker"])["value"])
    cells = strata[strata.stratum.str.count("/") == 3].groupby(["point", "replicate"])["value"].sum()
    assert cells.to_numpy() == pytest.approx(alls["value"].to_numpy())
    exposure = ha.read_sweep_exposure(out)
    assert exposure[0].counts.shape == (4, 3, 3, 3, 4)
