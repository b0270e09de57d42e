"""Partial rank correlation (Marino et al. 2008) on data whose drivers are known, from arrays and from sweep files."""
from __future__ import annotations

import os
import subprocess

import h5py
import numpy as np
import pandas as pd
import pytest

import harmsim_analysis as ha
from conftest import ANALYSIS

SCRIPT = os.path.join(os.path.abspath(ANALYSIS), "harmsim-report")


def _prcc_by_inverse_correlation(x, y):
    """PRCC from the inverse of the rank correlation matrix: −C⁻¹_jy / √(C⁻¹_jj C⁻¹_yy), a second route."""
    from scipy.stats import rankdata

    ranks = np.column_stack([rankdata(c) for c in np.column_stack([x, y]).T])
    inv = np.linalg.inv(np.corrcoef(ranks, rowvar=False))
    k = x.shape[1]
    return np.array([-inv[j, k] / np.sqrt(inv[j, j] * inv[k, k]) for j in range(k)])


def test_prcc_recovers_monotone_relations_and_gives_about_zero_for_a_noise_parameter():
    design = ha.lhs_design({"rate": (0.0, 1.0), "half_life": (7.0, 42.0), "noise": (0.0, 1.0)}, 300, seed=5)
    rng = np.random.default_rng(5)
    x = design.to_numpy()
    # non-linear and interacting but monotone: rising in rate, falling in half_life; "noise" plays no part
    y = np.exp(3.0 * x[:, 0]) * 50.0 / x[:, 1] + rng.normal(0.0, 0.5, len(x))
    table = ha.prcc(x, y, design.columns).set_index("parameter")
    assert table.loc["rate", "prcc"] > 0.9 and table.loc["rate", "p_value"] < 1e-50
    assert table.loc["half_life", "prcc"] < -0.85 and table.loc["half_life", "p_value"] < 1e-50
    assert abs(table.loc["noise", "prcc"]) < 0.12 and table.loc["noise", "p_value"] > 0.05
    assert set(table["n"]) == {300}
    # the same coefficients by the inverse correlation matrix of the ranks
    assert table["prcc"].to_numpy() == pytest.approx(_prcc_by_inverse_correlation(x, y), abs=1e-10)
    # Pearson's correlation on the raw values understates the monotone but curved relation PRCC finds
    assert np.corrcoef(x[:, 0], y)[0, 1] < table.loc["rate", "prcc"] - 0.1


def test_prcc_p_values_of_a_parameter_without_effect_are_uniform():
    """Under no relation the t test (N − 2 − p degrees of freedom) rejects at 5 % about 5 % of the time."""
    rng = np.random.default_rng(9)
    p_values = []
    for _ in range(400):
        x = rng.uniform(size=(40, 3))
        y = x[:, 0] + rng.normal(0.0, 0.3, 40)
        p_values.append(ha.prcc(x, y).set_index("parameter").loc["x2", "p_value"])
    assert 0.025 < np.mean(np.array(p_values) < 0.05) < 0.08
    assert 0.4 < np.median(p_values) < 0.6


def test_prcc_of_a_parameter_that_does_not_vary_is_nan():
    x = np.column_stack([np.linspace(0, 1, 20), np.full(20, 3.0)])
    table = ha.prcc(x, 2 * x[:, 0], ["a", "fixed"]).set_index("parameter")
    assert table.loc["a", "prcc"] == pytest.approx(1.0)
    assert np.isnan(table.loc["fixed", "prcc"]) and np.isnan(table.loc["fixed", "p_value"])


def test_lhs_design_puts_one_point_in_each_stratum_and_respects_integer_ranges():
    design = ha.lhs_design({"a": (2.0, 4.0), "workers": (300, 309)}, 10, seed=3, integers=["workers"])
    strata = np.floor((design["a"].to_numpy() - 2.0) / 0.2).astype(int)
    assert sorted(strata) == list(range(10))
    assert sorted(design["workers"].astype(int)) == list(range(300, 310))  # 10 integers, 10 points: each once
    text = ha.points_sweep_toml(design, "../compare.toml", "street_stings", 4, integers=["workers"])
    assert '[points]\n"a" = [' in text and '"workers" = [' in text and "replicates = 4" in text
    assert ha.lhs_design({"a": (0, 1)}, 5, seed=1).equals(ha.lhs_design({"a": (0, 1)}, 5, seed=1))


# ----------------------------------------------------------------- from sweep files

METRICS = [("violence_buyer", "count"), ("arrests_worker", "count")]


def write_sweep(path, scenario, design: pd.DataFrame, totals_fn, replicates=2):
    """A sweep file (docs/output.md, "Sweep files") whose totals are ``totals_fn(metric, row, r)``."""
    strings = h5py.string_dtype("utf-8")
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int64(2)
        f.attrs["file_kind"] = "sweep"
        for key in ("harmsim_version", "git_commit", "command_line", "started_at", "finished_at"):
            f.attrs[key] = "test"
        f.attrs["sweep_id"] = "0123456789abcdef0123456789abcdef"
        f.attrs["per_replicate"] = np.int64(0)
        f.create_dataset("metrics/name", data=np.array([m for m, _ in METRICS], dtype=strings))
        f.create_dataset("metrics/kind", data=np.array([k for _, k in METRICS], dtype=strings))
        f.create_dataset("metrics/description", data=np.array(["x"] * len(METRICS), dtype=strings))
        d = f.create_group("design")
        d.attrs["kind"] = "lhs"
        d.attrs["seed"] = np.uint64(1)
        d.attrs["scenario"] = scenario
        d.attrs["replicates"] = np.int64(replicates)
        d.create_dataset("parameters", data=np.array(list(design.columns), dtype=strings))
        d.create_dataset("values", data=design.to_numpy())
        d.create_dataset("base_config", data=f'name = "{scenario}"\n', dtype=strings)
        for k, row in enumerate(design.to_dict("records")):
            g = f.create_group(f"points/p{k}")
            g.attrs["replicates"] = np.int64(replicates)
            for metric, _ in METRICS:
                g.create_dataset(f"totals/{metric}", data=[totals_fn(metric, row, r) for r in range(replicates)])
        f.attrs["complete"] = np.int64(1)
    return str(path)


@pytest.fixture
def paired_sweeps(tmp_path):
    """Baseline and policy sweeps over one design. The baseline's violence rises steeply with
    ``encounter.rate_per_day``; the policy adds an effect that falls with ``policy.0.officers``
    and does not depend on the rate. ``heat.half_life_days`` plays no part."""
    shared = ha.lhs_design({"encounter.rate_per_day": (0.5, 2.0), "heat.half_life_days": (7, 42)}, 60, seed=2)
    officers = ha.lhs_design({"policy.0.officers": (5, 30)}, 60, seed=8)
    policy_design = pd.concat([shared, officers], axis=1)
    rng = np.random.default_rng(1)
    noise = {k: rng.normal(0.0, 0.5, 4) for k in range(60)}

    def base_value(metric, row, r):
        return 100.0 * row["encounter.rate_per_day"] ** 2 + (metric == "arrests_worker") * 10.0

    def policy_value(metric, row, r):
        effect = -row["policy.0.officers"] if metric == "violence_buyer" else 0.0
        k = int(np.flatnonzero(policy_design["policy.0.officers"].to_numpy() == row["policy.0.officers"])[0])
        return base_value(metric, row, r) + effect + noise[k][r]

    base = write_sweep(tmp_path / "base.h5", "baseline", shared, base_value)
    policy = write_sweep(tmp_path / "policy.h5", "street_stings", policy_design, policy_value)
    return base, policy, tmp_path


def test_sensitivity_finds_what_drives_a_policys_effect_not_the_harms_level(paired_sweeps):
    base, policy, _ = paired_sweeps
    table = ha.sensitivity([policy, base])  # order does not matter: the baseline is found by name
    assert set(table["scenario"]) == {"street_stings"} and set(table["outcome"]) == {"effect"}
    vb = table[table.metric == "violence_buyer"].set_index("parameter")
    assert list(vb.index) == ["encounter.rate_per_day", "heat.half_life_days", "policy.0.officers"]
    assert vb.loc["policy.0.officers", "prcc"] < -0.95 and vb.loc["policy.0.officers", "p_value"] < 1e-10
    # the rate drives the level of violence but cancels in the effect
    assert abs(vb.loc["encounter.rate_per_day", "prcc"]) < 0.3
    assert abs(vb.loc["heat.half_life_days", "prcc"]) < 0.3
    # With one sweep, the level itself: there the rate is everything.
    level = ha.sensitivity(base, metrics="violence_buyer").set_index("parameter")
    assert set(level["outcome"]) == {"level"}
    assert level.loc["encounter.rate_per_day", "prcc"] == pytest.approx(1.0)


def test_sweeps_of_different_designs_are_refused(paired_sweeps, tmp_path):
    base, _, _ = paired_sweeps
    other = ha.lhs_design({"encounter.rate_per_day": (0.5, 2.0), "heat.half_life_days": (7, 42)}, 60, seed=99)
    stranger = write_sweep(tmp_path / "other.h5", "street_stings", other, lambda m, row, r: 1.0)
    with pytest.raises(ValueError, match="differ in 'encounter.rate_per_day' at point p0"):
        ha.sensitivity([base, stranger])


def test_tornado_puts_the_strongest_parameter_on_top(paired_sweeps):
    base, policy, _ = paired_sweeps
    table = ha.sensitivity([base, policy])
    ax = ha.plot_tornado(table, "street_stings", "violence_buyer")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "policy.0.officers"  # barh draws the last row on top
    widths = [abs(p.get_width()) for p in ax.patches]
    assert widths == sorted(widths)


def test_the_sensitivity_command_writes_the_table_and_a_tornado_per_policy_and_harm(paired_sweeps):
    base, policy, tmp = paired_sweeps
    out = tmp / "sens"
    proc = subprocess.run([SCRIPT, "sensitivity", base, policy, "-o", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "street_stings, effect on violence_buyer: policy.0.officers -" in proc.stdout
    table = pd.read_csv(out / "prcc.csv")
    assert list(table.columns) == ["scenario", "metric", "outcome", "parameter", "prcc", "p_value", "n"]
    assert sorted(os.listdir(out)) == ["prcc.csv", "tornado_street_stings_arrests_worker.png",
                                       "tornado_street_stings_violence_buyer.png"]
    refused = subprocess.run([SCRIPT, "sensitivity", str(tmp / "missing.h5")], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"harmsim-report sensitivity: error: {tmp / 'missing.h5'}: no such file"


@pytest.mark.skipif(not os.environ.get("HARMSIM_BINARY"), reason="HARMSIM_BINARY not set (scripts/test sets it)")
def test_real_sweeps_find_that_more_officers_make_a_sting_arrest_more(tmp_path):
    """Two small Latin hypercube sweeps of small_city.toml, baseline and street_stings, one sweep file apart."""
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    city = os.path.join(root, "scenarios", "sweeps", "small_city.toml")
    paths = []
    for scenario in ("baseline", "street_stings"):
        text = (f'base = "{city}"\nscenario = "{scenario}"\nreplicates = 1\nseed = 3\n[lhs]\npoints = 16\n'
                '[lhs.ranges]\n"encounter.rate_per_day" = [0.5, 2.0]\n"heat.half_life_days" = [7, 42]\n')
        if scenario == "street_stings":
            text += '"policy.0.officers" = [5, 30]\n'
        (tmp_path / f"{scenario}.toml").write_text(text)
        out = tmp_path / f"{scenario}.h5"
        subprocess.run([os.environ["HARMSIM_BINARY"], "sweep", str(tmp_path / f"{scenario}.toml"), "-o", str(out),
                        "-q", "-j", "1"], check=True, timeout=300)
        paths.append(str(out))
    table = ha.sensitivity(paths, metrics=["operation_arrests"]).set_index("parameter")
    assert table.loc["policy.0.officers", "prcc"] > 0.7 and table.loc["policy.0.officers", "p_value"] < 0.01
    assert set(table["n"]) == {16}
