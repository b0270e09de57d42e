"""load(), info() and the refusal of unfinished or unknown files."""
import h5py
import numpy as np
import pandas as pd
import pytest

import harmsim_analysis as ha
from conftest import METRICS, strata_names

METRIC_NAMES = [m[0] for m in METRICS]
SCENARIOS = ["baseline", "sting", "decriminalization"]
R, D = 5, 10


def expected(scenario, replicate, day, metric, stratum):
    return (METRIC_NAMES.index(metric) * 1e5 + SCENARIOS.index(scenario) * 1e4 + replicate * 1e3
            + day * 100 + strata_names().index(stratum))


def test_load_default_is_stratum_all_for_every_metric(results):
    df = ha.load(results)
    assert list(df.columns) == ["scenario", "replicate", "day", "metric", "stratum", "value"]
    assert len(df) == len(SCENARIOS) * len(METRIC_NAMES) * R * D
    assert set(df["stratum"]) == {"all"}
    assert list(df["scenario"].cat.categories) == SCENARIOS
    assert list(df["metric"].cat.categories) == METRIC_NAMES
    assert df["value"].dtype == np.float64
    assert sorted(df["replicate"].unique()) == list(range(R))
    assert sorted(df["day"].unique()) == list(range(D))
    # every value is the one written
    want = [expected(s, r, d, m, st) for s, r, d, m, st in
            zip(df["scenario"], df["replicate"], df["day"], df["metric"], df["stratum"])]
    np.testing.assert_array_equal(df["value"].to_numpy(), np.array(want))


def test_load_one_value(results):
    df = ha.load(results, metrics=["violence_buyer"], strata=None)
    row = df[(df.scenario == "sting") & (df.replicate == 2) & (df.day == 3) & (df.stratum == "community/2")]
    assert len(row) == 1
    assert row["value"].iloc[0] == 1 * 1e5 + 1 * 1e4 + 2 * 1e3 + 3 * 100 + 38  # community/2 is stratum 38


def test_load_all_strata_shape(results):
    df = ha.load(results, metrics="encounters", strata=None)
    n_strata = len(strata_names())
    assert n_strata == 40
    assert len(df) == len(SCENARIOS) * R * D * n_strata
    assert list(df["stratum"].cat.categories) == strata_names()


def test_load_keeps_the_order_of_selected_strata_and_scenarios(results):
    df = ha.load(results, metrics=["income_mean"], strata=["community/3", "all", "street/undocumented/minor/isolated"],
                 scenarios=["decriminalization", "baseline"])
    assert list(df["stratum"].cat.categories) == ["community/3", "all", "street/undocumented/minor/isolated"]
    assert list(df["scenario"].cat.categories) == ["decriminalization", "baseline"]
    assert len(df) == 2 * R * D * 3
    for _, r in df.sample(25, random_state=1).iterrows():
        assert r["value"] == expected(r["scenario"], r["replicate"], r["day"], r["metric"], r["stratum"])
    # the cell stratum index follows sim/model/metrics.hpp cell_stratum(): street, undocumented, minor, isolated
    assert strata_names().index("street/undocumented/minor/isolated") == 1 + ((0 * 2 + 1) * 2 + 1) * 3 + 2


def test_load_all_strata_reordered(results):
    names = list(reversed(strata_names()))
    df = ha.load(results, metrics=["encounters"], strata=names, scenarios="baseline")
    first = df[(df.replicate == 0) & (df.day == 0)]
    np.testing.assert_array_equal(first["value"].to_numpy(), np.arange(39, -1, -1, dtype=float))


def test_load_pivots_in_pandas(results):
    df = ha.load(results, metrics=["violence_buyer"])
    wide = df.pivot_table(index="day", columns="scenario", values="value", aggfunc="mean", observed=True)
    # mean over replicates 0..4 adds 2000 to the replicate-0 value
    assert wide.loc[4, "sting"] == 1e5 + 1e4 + 2000 + 400


def test_load_unknown_metric_names_the_nearest(results):
    with pytest.raises(ValueError, match="violence_buyer"):
        ha.load(results, metrics=["violence_buyers"])
    with pytest.raises(ValueError, match="stratum"):
        ha.load(results, strata=["nowhere"])


def test_fixed_length_strings_read_the_same(make_results):
    a = ha.load(make_results("vlen.h5"), metrics=["arrests_worker"], strata=None)
    b = ha.load(make_results("fixed.h5", string_mode="fixed"), metrics=["arrests_worker"], strata=None)
    pd.testing.assert_frame_equal(a, b)
    meta = ha.info(make_results("fixed2.h5", string_mode="fixed"))
    assert meta.attributes["git_commit"] == "abc123def456"
    assert meta.scenario_info["sting"].config.startswith("[scenario]")


def test_info(results):
    meta = ha.info(results)
    assert meta.scenarios == SCENARIOS
    assert meta.baseline == "baseline"
    assert meta.metrics == METRIC_NAMES
    assert meta.kinds["violence_12m"] == "share"
    assert meta.strata[0] == "all"
    s = meta.scenario_info["sting"]
    assert (s.replicates, s.days, s.warmup_days, s.seed) == (R, D, 30, 1001)
    assert 'name = "sting"' in s.config
    assert meta.attributes["harmsim_version"] == "0.1.0-test"


# ------------------------------------------------------------------ refusal


def test_refuses_complete_zero(make_results):
    path = make_results("r.h5", complete=0)
    with pytest.raises(ha.IncompleteResultsError, match="complete") as err:
        ha.load(path)
    assert path in str(err.value)


def test_refuses_missing_complete(make_results):
    path = make_results("r.h5", write_complete=False)
    with pytest.raises(ha.IncompleteResultsError) as err:
        ha.summary(path)
    assert path in str(err.value)
    assert isinstance(err.value, ValueError)


def test_refuses_partial_name_even_if_complete(make_results):
    path = make_results("results.h5.partial")
    with h5py.File(path, "r") as f:
        assert f.attrs["complete"] == 1
    with pytest.raises(ha.IncompleteResultsError, match=r"\.partial") as err:
        ha.load(path)
    assert path in str(err.value)
    with pytest.raises(ha.IncompleteResultsError):
        ha.odds_ratios(path)


def test_refuses_unknown_schema_version(make_results):
    path = make_results("r.h5", schema_version=4)
    with pytest.raises(ha.UnsupportedSchemaError, match="schema_version 4") as err:
        ha.load(path)
    assert path in str(err.value)


def test_reads_schema_1_and_2_exposure_tables(make_results):
    new = ha.read_exposure(make_results("v2.h5"))["sting"]
    assert new.stratified and new.strata == ["street", "venue", "online"]
    assert new.counts.shape == (5, 3, 3, 3, 4)
    assert new.outcomes == ["violence_180d", "buyer_violence_180d", "condomless_180d"]
    assert list(new.counts[:, :, 0, 0, :].sum(axis=(0, 1))) == [20, 80, 10, 90]
    old = ha.read_exposure(make_results("v1.h5", schema_version=1))["sting"]
    assert not old.stratified and old.strata == ["all"]
    assert old.counts.shape == (5, 1, 3, 2, 4)
    assert old.outcomes == ["violence_180d", "condomless_180d"]
    assert list(old.counts[:, 0, 0, 0, :].sum(axis=0)) == [20, 80, 10, 90]


def test_stratum_totals_are_read_from_schema_2_and_formed_from_the_series_of_schema_1(make_results):
    new = ha.read_stratum_totals(make_results("v2.h5"), metrics=["encounters", "violence_12m"])
    old = ha.read_stratum_totals(make_results("v1.h5", schema_version=1), metrics=["encounters", "violence_12m"])
    for frame in (new["sting"], old["sting"]):
        assert list(frame.columns) == ["replicate", "metric", "stratum", "value"]
        assert len(frame) == 5 * 2 * (1 + 36 + 3)
        one = frame[(frame.metric == "encounters") & (frame.replicate == 3) & (frame.stratum == "community/2")]
        # encounters (metric 0), scenario 1, replicate 3, stratum 38: summed over days 0..9
        assert one["value"].iloc[0] == pytest.approx(10 * (1e4 + 3e3 + 38) + 100 * 45)
        share = frame[(frame.metric == "violence_12m") & (frame.replicate == 0) & (frame.stratum == "all")]
        assert share["value"].iloc[0] == pytest.approx(6e5 + 1e4 + 100 * 4.5)  # a share: the mean over days
    assert new["sting"]["value"].to_numpy() == pytest.approx(old["sting"]["value"].to_numpy())


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        ha.load(tmp_path / "nope.h5")


def test_not_hdf5(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_text("not hdf5")
    with pytest.raises(ha.ResultsError, match="HDF5"):
        ha.load(path)


def test_read_summary_and_totals(results):
    curves = ha.read_summary(results, "violence_buyer", "community/1")
    frame = curves["sting"]
    assert list(frame.columns) == ["day", "mean", "sd", "q025", "q500", "q975"]
    # values over replicates are base + 1000·r, r = 0..4
    base = 1e5 + 1e4 + 3 * 100 + 37
    assert frame.loc[3, "mean"] == pytest.approx(base + 2000)
    assert frame.loc[3, "sd"] == pytest.approx(1000 * np.sqrt(2.5))
    assert frame.loc[3, "q025"] == pytest.approx(base + 100)
    totals = ha.read_totals(results, ["encounters"])
    # count: horizon sum of stratum all, replicate r: sum_d (1e4·s + 1e3·r + 100·d)
    assert totals["baseline"]["encounters"][1] == pytest.approx(10 * 1000 + 100 * 45)


def test_the_fit_step_imports_neither_pandas_nor_matplotlib():
    """harmsim runs `python3 -m harmsim_analysis.calibrate` for every wave's fit: the package
    imports its modules when first used, and the file readers the fit uses need no pandas."""
    import os
    import subprocess
    import sys

    from conftest import ANALYSIS

    code = ("import sys, harmsim_analysis, harmsim_analysis.calibrate\n"
            "from harmsim_analysis.io import as_texts, open_results\n"
            "print(sorted(m for m in ('pandas', 'matplotlib', 'statsmodels', 'scipy') if m in sys.modules))\n"
            "harmsim_analysis.summary\n"  # a name of the package: its module (stats) now, and pandas with it
            "print('pandas' in sys.modules)\n")
    env = dict(os.environ, PYTHONPATH=os.path.abspath(ANALYSIS))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.splitlines() == ["[]", "True"]


@pytest.mark.parametrize("kind, advice", [("sweep", "load_sweep"), ("sweep-shard", "harmsim merge"),
                                          ("calibration", "read_calibration"), ("other", "file_kind 'other'")])
def test_another_kind_of_harmsim_file_is_named_with_what_reads_it(tmp_path, kind, advice):
    path = tmp_path / f"{kind}.h5"
    with h5py.File(path, "w") as f:
        f.attrs["file_kind"] = kind
        f.attrs["complete"] = 1
    for read in (ha.load, ha.info, ha.summary):
        with pytest.raises(ha.ResultsError, match=advice) as err:
            read(path)
        assert str(err.value).startswith(f"{path}: ")
