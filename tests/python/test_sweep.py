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


def write_sweep(path, replicates=3, kind="sweep", complete=True, schema_version=1, days=5):
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
    df = ha.load_sweep(out, metrics=["arrests_worker"])
    assert list(df.columns[:2]) == ["encounter.violence_given_violent_buyer", "policy.0.officers"]
    assert len(df) == 9 * 4
    means = df.groupby("policy.0.officers")["value"].mean()
    assert list(means.index) == [7, 14, 28]
    assert means[28] > 2 * means[7]  # four times the officers, several times the arrests
    ha.plot_sweep(out, "arrests_worker", "policy.0.officers")
