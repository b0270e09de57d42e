"""Which uncertain parameters drive a policy's effect: partial rank correlation over a Latin hypercube.

The method is Marino, Hogue, Ray and Kirschner (2008), "A methodology for
performing global uncertainty and sensitivity analysis in systems biology",
J Theor Biol 254:178–196: sample the uncertain parameters by Latin
hypercube, run the model at every point, rank-transform parameters and
outcome, and for each parameter correlate the residuals of its ranks and of
the outcome's ranks after a linear regression on the ranks of all the other
parameters. The partial rank correlation coefficient (PRCC) measures a
monotone relation between the parameter and the outcome with the other
parameters' effects removed; its test statistic
``t = r·√((N − 2 − p) / (1 − r²))`` has Student's t distribution with
``N − 2 − p`` degrees of freedom under no relation (p = the number of other
parameters, N the number of points).

The outcome is a policy's **effect**: at each point of a sweep, the mean
over replicates of the policy scenario minus that of the baseline scenario,
from two sweep files with the same design (same sweep file but for
``scenario``; each parameter's column is drawn from its own stream, so a
policy's sweep may add its own parameters, ``policy.N.key``, and the shared
columns stay equal). With one sweep file the outcome is the metric itself.

    import harmsim_analysis as ha
    table = ha.sensitivity(["lhs_baseline.h5", "lhs_street_stings.h5"])
    ha.plot_tornado(table, "street_stings", "violence_buyer")

Designs made here (:func:`lhs_design`, :func:`points_sweep_toml`) use
``scipy.stats.qmc.LatinHypercube``; ``harmsim sweep`` makes its own in
``[lhs]`` sweeps.
"""
from __future__ import annotations

import math
import os
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import decision as _decision
from . import sweep as _sweep

PRCC_COLUMNS = ["scenario", "metric", "outcome", "parameter", "prcc", "p_value", "n"]


def prcc(parameters, outcome, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Partial rank correlation of each column of ``parameters`` [N, P] with ``outcome`` [N].

    Ranks are average ranks (``scipy.stats.rankdata``). Columns that do not
    vary carry no information and get NaN. Returns a DataFrame with
    ``parameter, prcc, p_value, n`` (two-sided p-value of the t test above;
    NaN when ``N − 2 − p < 1``).
    """
    from scipy import stats

    x = np.asarray(parameters, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    y = np.asarray(outcome, dtype=np.float64).reshape(-1)
    if x.shape[0] != y.size:
        raise ValueError(f"{x.shape[0]} parameter rows for {y.size} outcomes")
    names = list(names) if names is not None else [f"x{j}" for j in range(x.shape[1])]
    if len(names) != x.shape[1]:
        raise ValueError(f"{len(names)} names for {x.shape[1]} parameters")
    finite = np.isfinite(y) & np.isfinite(x).all(axis=1)
    x, y = x[finite], y[finite]
    n = y.size
    varies = np.array([np.ptp(x[:, j]) > 0 for j in range(x.shape[1])]) if n else np.zeros(x.shape[1], bool)
    used = np.flatnonzero(varies)
    rx = np.column_stack([stats.rankdata(x[:, j]) for j in used]) if used.size else np.zeros((n, 0))
    ry = stats.rankdata(y) if n else y
    rows = []
    p_others = used.size - 1
    df = n - 2 - p_others
    for j, name in enumerate(names):
        if not varies[j] or n < 3 or np.ptp(ry) == 0:
            rows.append((name, math.nan, math.nan, n))
            continue
        k = int(np.searchsorted(used, j))
        others = np.column_stack([np.ones(n), np.delete(rx, k, axis=1)])
        res_x = rx[:, k] - others @ np.linalg.lstsq(others, rx[:, k], rcond=None)[0]
        res_y = ry - others @ np.linalg.lstsq(others, ry, rcond=None)[0]
        denom = math.sqrt(float(res_x @ res_x) * float(res_y @ res_y))
        r = float(res_x @ res_y) / denom if denom > 0 else math.nan
        r = max(-1.0, min(1.0, r)) if math.isfinite(r) else r
        if df >= 1 and math.isfinite(r):
            if abs(r) >= 1.0:
                p = 0.0
            else:
                t = r * math.sqrt(df / (1.0 - r * r))
                p = float(2.0 * stats.t.sf(abs(t), df))
        else:
            p = math.nan
        rows.append((name, r, p, n))
    return pd.DataFrame(rows, columns=["parameter", "prcc", "p_value", "n"])


# --------------------------------------------------------------------------- sweeps


def _point_means(path: str, metrics) -> tuple[_sweep.SweepInfo, pd.DataFrame]:
    meta = _sweep.sweep_info(path)
    frame = _sweep.load_sweep(path, metrics=metrics)
    means = frame.groupby(["point", "metric"], observed=True)["value"].mean().unstack("metric")
    return meta, means.reindex(range(len(meta.design_values)))


def _check_same_design(base: _sweep.SweepInfo, other: _sweep.SweepInfo) -> None:
    if len(base.design_values) != len(other.design_values):
        raise ValueError(f"{other.path} has {len(other.design_values)} points and {base.path} "
                         f"{len(base.design_values)}: a policy's sweep must have the baseline's design")
    shared = [p for p in base.parameters if p in other.parameters]
    if not shared:
        raise ValueError(f"{other.path} and {base.path} share no swept parameter")
    for p in shared:
        a = base.design_values[p].to_numpy()
        b = other.design_values[p].to_numpy()
        if not np.allclose(a, b, rtol=1e-12, atol=0.0):
            k = int(np.flatnonzero(~np.isclose(a, b, rtol=1e-12, atol=0.0))[0])
            raise ValueError(f"{other.path} and {base.path} differ in '{p}' at point p{k} ({b[k]} against {a[k]}): "
                             "make both sweeps from one sweep file, changing only `scenario` (and adding the "
                             "policy's own parameters), with the same seed and points")


def sensitivity(sweeps, baseline: str | None = None, metrics=None) -> pd.DataFrame:
    """PRCC of every swept parameter against each policy's effect on each metric.

    ``sweeps`` is one sweep file or several with the same design, one per
    scenario (the scenario is the sweep's ``/design`` attribute
    ``scenario``). The baseline is the file whose scenario is ``baseline``
    (default: a scenario named ``baseline``, else the first file); for every
    other file the outcome at each point is the policy's mean over replicates
    minus the baseline's (``outcome = "effect"``). With one file the outcome
    is the metric's mean itself (``outcome = "level"``). ``metrics`` defaults
    to the key harms (:data:`harmsim_analysis.KEY_HARMS`) the files have.

    Columns: :data:`PRCC_COLUMNS`, one row per scenario × metric × parameter
    (the policy's parameters, in its sweep's order).
    """
    paths = [os.fspath(sweeps)] if isinstance(sweeps, (str, os.PathLike)) else [os.fspath(p) for p in sweeps]
    if not paths:
        raise ValueError("no sweep file given")
    infos = [_sweep.sweep_info(p) for p in paths]
    scenarios = [i.scenario for i in infos]
    if len(set(scenarios)) != len(scenarios):
        raise ValueError(f"two sweep files of one scenario: {', '.join(scenarios)}; give one per scenario")
    if metrics is None:
        common = [m for m in infos[0].metrics if all(m in i.metrics for i in infos)]
        metrics = _decision.key_harms(common) or common[:1]
    elif isinstance(metrics, str):
        metrics = [metrics]
    rows = []
    if len(paths) == 1:
        meta, means = _point_means(paths[0], metrics)
        for metric in metrics:
            table = prcc(meta.design_values.to_numpy(), means[metric].to_numpy(), meta.parameters)
            for r in table.itertuples(index=False):
                rows.append((meta.scenario, metric, "level", r.parameter, r.prcc, r.p_value, r.n))
        return pd.DataFrame(rows, columns=PRCC_COLUMNS)
    if baseline is None:
        baseline = "baseline" if "baseline" in scenarios else scenarios[0]
    if baseline not in scenarios:
        raise ValueError(f"no sweep of the baseline scenario '{baseline}' among {', '.join(scenarios)}")
    b = scenarios.index(baseline)
    base_meta, base_means = _point_means(paths[b], metrics)
    for i, path in enumerate(paths):
        if i == b:
            continue
        _check_same_design(base_meta, infos[i])
        meta, means = _point_means(path, metrics)
        for metric in metrics:
            effect = means[metric].to_numpy() - base_means[metric].to_numpy()
            table = prcc(meta.design_values.to_numpy(), effect, meta.parameters)
            for r in table.itertuples(index=False):
                rows.append((meta.scenario, metric, "effect", r.parameter, r.prcc, r.p_value, r.n))
    return pd.DataFrame(rows, columns=PRCC_COLUMNS)


# --------------------------------------------------------------------------- designs


def lhs_design(ranges: Mapping[str, Sequence[float]], points: int, seed: int = 1,
               integers: Sequence[str] = ()) -> pd.DataFrame:
    """A Latin hypercube over ``ranges`` (``{"section.key": (low, high)}``) with ``scipy.stats.qmc``.

    ``points`` rows, one column per parameter in the order given, from
    ``qmc.LatinHypercube(d, seed=seed)`` scaled to the ranges. A parameter
    named in ``integers`` takes the floor of a draw on ``[low, high + 1)``, so
    each whole number of its range is equally likely (as ``harmsim sweep``'s
    own ``[lhs]`` does).
    """
    from scipy.stats import qmc

    names = list(ranges)
    if not names:
        raise ValueError("no parameter ranges")
    low = np.array([float(ranges[n][0]) for n in names])
    high = np.array([float(ranges[n][1]) for n in names])
    if np.any(high < low):
        bad = names[int(np.flatnonzero(high < low)[0])]
        raise ValueError(f"range of '{bad}' has high < low")
    is_int = np.array([n in set(integers) for n in names])
    upper = np.where(is_int, high + 1.0, high)
    unit = qmc.LatinHypercube(d=len(names), seed=seed).random(points)
    values = low + unit * (upper - low)
    values[:, is_int] = np.minimum(np.floor(values[:, is_int]), high[is_int])
    return pd.DataFrame(values, columns=names)


def points_sweep_toml(design: pd.DataFrame, base: str, scenario: str, replicates: int,
                      integers: Sequence[str] = ()) -> str:
    """A sweep file (docs/sweeps.md, ``[points]``) that runs ``design``'s rows with ``harmsim sweep``."""
    lines = ["# Points of a Latin hypercube made by harmsim_analysis.lhs_design (scipy.stats.qmc)",
             f'base = "{base}"', f'scenario = "{scenario}"', f"replicates = {int(replicates)}", "", "[points]"]
    for name in design.columns:
        col = design[name].to_numpy()
        text = ", ".join(str(int(v)) if name in set(integers) else repr(float(v)) for v in col)
        lines.append(f'"{name}" = [{text}]')
    return "\n".join(lines) + "\n"
