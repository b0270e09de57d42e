"""Statistics for comparing scenarios.

The distributions come from Debian's python3-scipy (``scipy.stats.t``,
``scipy.stats.norm``) and the odds ratios and their variances from
python3-statsmodels (``Table2x2``, ``StratifiedTable``); both are imported
only when a statistic is computed, so that ``import harmsim_analysis`` and
the report's error messages stay quick.

Public table functions:

* :func:`summary` — per scenario × metric: mean of the per-replicate horizon
  totals with a 95 % t-interval, and the difference to the baseline with a
  Welch 95 % interval.
* :func:`odds_ratios` — exposure × outcome odds ratios pooled over
  replicates: crude, with Woolf intervals (Haldane–Anscombe correction for
  zero cells), and sector-adjusted (Mantel–Haenszel, Robins–Breslow–Greenland
  interval, computed by statsmodels).
* :func:`strata_summary` — a metric's horizon value by equity stratum group
  (community, sector, documentation, age, area kind), per scenario.
"""
from __future__ import annotations

import math
import os
from typing import Sequence

import numpy as np
import pandas as pd

from . import io as _io

# --------------------------------------------------------------------------- distributions

#: 97.5 % quantile of the standard normal distribution (the "1.96"), as
#: ``scipy.stats.norm.ppf(0.975)`` gives it; a literal so that it can be a
#: default argument without importing scipy when this module is imported.
Z_975 = 1.959963984540054


def _scipy_stats():
    """``scipy.stats``, imported when first needed: it takes a noticeable part of a second."""
    from scipy import stats

    return stats


def _check_df(df: float) -> None:
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive (got {df})")


def t_cdf(t: float, df: float) -> float:
    """Distribution function of Student's t with ``df`` > 0 degrees of freedom (inf = normal).

    ``scipy.stats.t.cdf`` (scipy.special.stdtr).
    """
    if math.isnan(t) or math.isnan(df):
        return math.nan
    _check_df(df)
    return float(_scipy_stats().t.cdf(t, df))


def t_ppf(p: float, df: float) -> float:
    """Quantile of Student's t: the ``x`` with ``t_cdf(x, df) == p`` (df = inf: normal).

    ``scipy.stats.t.ppf``, then Newton steps on ``scipy.stats.t.cdf``: Debian
    12's scipy (1.10) finds the quantile with cdflib's root finder, whose
    relative tolerance is 1e-8 (t.ppf(0.95, 30) is 1.69726089436 instead of
    1.69726088659), while its distribution function is good to about 1e-14.
    One or two steps from there give the quantile to machine precision, so
    intervals do not depend on the scipy version beyond the last digits.
    The steps work on the lower tail (``1 - p`` is exact for p >= 0.5), so
    ``t_ppf(1 - p) == -t_ppf(p)``.
    """
    if math.isnan(p) or math.isnan(df):
        return math.nan
    _check_df(df)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must be in [0, 1] (got {p})")
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    stats = _scipy_stats()
    lower = 1.0 - p if p > 0.5 else p
    x = float(stats.t.ppf(lower, df))
    with np.errstate(all="ignore"):
        for _ in range(3):
            density = float(stats.t.pdf(x, df))
            if not (math.isfinite(x) and density > 0.0 and math.isfinite(density)):
                break
            step = (float(stats.t.cdf(x, df)) - lower) / density
            x -= step
            if abs(step) <= 2e-16 * abs(x):
                break
    return -x if p > 0.5 else x


def norm_ppf(p: float) -> float:
    """Quantile of the standard normal distribution (``scipy.stats.norm.ppf``)."""
    return float(_scipy_stats().norm.ppf(p))


# --------------------------------------------------------------------------- intervals


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval of the mean: ``(mean, low, high)``.

    ``mean ± t_{(1+level)/2, n-1} · s/√n`` (what ``scipy.stats.t.interval``
    gives, with :func:`t_ppf`'s quantile). With one value the interval is
    ``(nan, nan)``; with no value everything is nan; with no spread it is the
    mean itself.
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(np.mean(x))
    if n < 2:
        return mean, math.nan, math.nan
    se = float(np.std(x, ddof=1)) / math.sqrt(n)
    if se == 0.0:
        return mean, mean, mean
    half = t_ppf(0.5 + level / 2.0, n - 1) * se
    return mean, mean - half, mean + half


def welch_ci(x, y, level: float = 0.95) -> tuple[float, float, float, float]:
    """Difference of means ``mean(x) - mean(y)`` with a Welch t-interval.

    Returns ``(diff, low, high, df)`` where df is the Welch–Satterthwaite
    degrees of freedom, ``(vx + vy)² / (vx²/(nx−1) + vy²/(ny−1))`` with
    ``v = s²/n`` (statsmodels' ``CompareMeans.dof_satt``; scipy 1.10's
    ``ttest_ind(equal_var=False)`` gives no interval), and the quantile is
    :func:`t_ppf`'s. Both samples need at least two values, else the
    interval is nan; if both samples are constant the interval is the
    difference itself (df = inf).
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.size == 0 or y.size == 0:
        return math.nan, math.nan, math.nan, math.nan
    diff = float(np.mean(x) - np.mean(y))
    if x.size < 2 or y.size < 2:
        return diff, math.nan, math.nan, math.nan
    vx = float(np.var(x, ddof=1)) / x.size
    vy = float(np.var(y, ddof=1)) / y.size
    se2 = vx + vy
    if not math.isfinite(se2):
        return diff, math.nan, math.nan, math.nan
    if se2 == 0.0:
        return diff, diff, diff, math.inf
    df = se2 * se2 / (vx * vx / (x.size - 1) + vy * vy / (y.size - 1))
    half = t_ppf(0.5 + level / 2.0, df) * math.sqrt(se2)
    return diff, diff - half, diff + half, df


def woolf_odds_ratio(a: float, b: float, c: float, d: float, z: float = Z_975):
    """Odds ratio ``ad/bc`` of a 2×2 table with a Woolf (log) interval.

    Cells: a = exposed with outcome, b = exposed without, c = unexposed with,
    d = unexposed without. If any cell is zero, 0.5 is added to all four
    (Haldane–Anscombe correction) before the ratio and its interval are
    computed. If a whole margin is empty (no exposed, no unexposed, no one
    with or no one without the outcome) the ratio is not identifiable and
    nan is returned.

    The ratio and the standard error of its logarithm,
    ``sqrt(1/a + 1/b + 1/c + 1/d)``, are statsmodels' ``Table2x2``; the
    interval is ``exp(ln OR ± z·se)``. The correction is applied here and the
    table is given with ``shift_zeros=False``: statsmodels' own
    ``shift_zeros`` replaces only the zero cells by 0.5 (statsmodels issue
    #7011), which is not Haldane–Anscombe.

    Returns ``(odds_ratio, low, high, corrected)``.
    """
    a, b, c, d = (float(v) for v in (a, b, c, d))
    if min(a + b, c + d, a + c, b + d) <= 0:
        return math.nan, math.nan, math.nan, False
    from statsmodels.stats.contingency_tables import Table2x2

    corrected = min(a, b, c, d) == 0
    if corrected:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    table = Table2x2(np.array([[a, b], [c, d]]), shift_zeros=False)
    ratio = float(table.oddsratio)
    se = float(table.log_oddsratio_se)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), corrected


# --------------------------------------------------------------------------- tables

SUMMARY_COLUMNS = ["scenario", "metric", "kind", "mean", "ci_low", "ci_high", "diff", "diff_low", "diff_high",
                   "p_better", "basis"]
ODDS_COLUMNS = ["scenario", "exposure", "outcome", "odds_ratio", "ci_low", "ci_high", "n", "corrected",
                "mh_odds_ratio", "mh_ci_low", "mh_ci_high", "mh_strata"]


def summary(path, baseline: str | None = None, metrics=None, level: float = 0.95) -> pd.DataFrame:
    """Scenario comparison from the per-replicate horizon totals (``totals/<metric>``).

    One row per scenario × metric (scenarios in run order, metrics in file
    order) with columns ``scenario, metric, kind, mean, ci_low, ci_high,
    diff, diff_low, diff_high``:

    * ``mean`` and ``ci_low``/``ci_high``: mean over replicates of the horizon
      total (sum of a count, mean of a level or share) and its t-interval,
      from 0 at the lowest (no metric is negative; as harmsim's table);
    * ``diff`` and ``diff_low``/``diff_high``: mean minus the baseline's mean
      with a Welch interval. The baseline is the first scenario of
      ``/scenario_names`` unless ``baseline`` names another; its own row has
      ``diff = 0`` and nan bounds;
    * ``p_better``: the probability that the scenario is better than the
      baseline for this metric (lower, or higher for
      :data:`harmsim_analysis.HIGHER_IS_BETTER`; NaN for
      :data:`harmsim_analysis.NO_DIRECTION`), and ``basis``: ``draws``
      when both scenarios record each replicate's parameter draw
      (``replicate_draw``, docs/output.md), in which case ``diff`` and its
      interval are also over draws, paired by draw; else ``replicates``
      (Monte Carlo noise only). See :func:`harmsim_analysis.decision.compare`.
    """
    from . import decision as _decision

    path = os.fspath(path)
    meta = _io.info(path)
    if baseline is None:
        baseline = meta.baseline
    _io._select(baseline, meta.scenarios, "scenario", path)
    metric_sel = _io._select(metrics, meta.metrics, "metric", path)
    totals = _io.read_totals(path, metric_sel)
    draws = _decision.read_draws(path)
    rows = []
    for scen in meta.scenarios:
        for metric in metric_sel:
            x = totals[scen].get(metric)
            if x is None:
                continue
            mean, lo, hi = mean_ci(x, level)
            lo = max(lo, 0.0) if math.isfinite(lo) else lo  # no metric is negative
            base = totals[baseline].get(metric)
            paired = draws[scen] is not None and draws[baseline] is not None
            basis = "draws" if paired else "replicates"
            if scen == baseline:
                diff, dlo, dhi, p_better = 0.0, math.nan, math.nan, math.nan
            elif base is None:
                diff, dlo, dhi, p_better = math.nan, math.nan, math.nan, math.nan
            else:
                c = _decision.compare(x, base, _decision.better_direction(metric), draws[scen], draws[baseline],
                                      level)
                diff, dlo, dhi, p_better, basis = c["diff"], c["diff_low"], c["diff_high"], c["p_better"], c["basis"]
            rows.append((scen, metric, meta.kinds.get(metric, ""), mean, lo, hi, diff, dlo, dhi, p_better, basis))
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def mantel_haenszel_odds_ratio(tables, z: float = Z_975):
    """Mantel–Haenszel odds ratio over strata with the Robins–Breslow–Greenland interval.

    ``tables`` is ``[K, 4]``: each stratum's cells ``a, b, c, d`` (exposed
    with and without the outcome, unexposed with and without). Strata with
    no one in them carry no information and are left out. The pooled
    ``OR_MH = Σ(a·d/n) / Σ(b·c/n)`` and the variance of its logarithm by
    Robins, Breslow and Greenland (1986), which holds with sparse strata,
    come from statsmodels' ``StratifiedTable``; the interval is
    ``exp(ln OR_MH ± z·se)``. No continuity correction: when ``Σ(a·d/n)`` or
    ``Σ(b·c/n)`` is zero the ratio is not estimable and ``nan`` is returned.

    Returns ``(odds_ratio, low, high, strata_used)``.
    """
    from statsmodels.stats.contingency_tables import StratifiedTable

    cells = np.asarray(tables, dtype=np.float64).reshape(-1, 4)
    cells = cells[cells.sum(axis=1) > 0]
    n = cells.sum(axis=1)
    if cells.shape[0] == 0 or not (np.sum(cells[:, 0] * cells[:, 3] / n) > 0
                                   and np.sum(cells[:, 1] * cells[:, 2] / n) > 0):
        return math.nan, math.nan, math.nan, int(cells.shape[0])
    table = StratifiedTable(cells.reshape(-1, 2, 2).transpose(1, 2, 0))  # 2 × 2 × K
    ratio = float(table.oddsratio_pooled)
    se = float(table.logodds_pooled_se)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), int(cells.shape[0])


def odds_ratios(path, z: float = Z_975) -> pd.DataFrame:
    """Exposure × outcome odds ratios per scenario, pooled over replicates: crude and sector-adjusted.

    The ``exposure`` dataset [R, K, E, O, 4] (K = 3 sectors; schema 2) is summed
    over replicates. For each scenario × exposure × outcome:

    * the **crude** OR of the table pooled over sectors too (a =
      exposed_outcome, b = exposed_no_outcome, c = unexposed_outcome, d =
      unexposed_no_outcome): OR = ad/bc with the Woolf interval
      exp(ln OR ± 1.96·sqrt(1/a + 1/b + 1/c + 1/d)). If any of the four cells
      is zero, 0.5 is added to all four (Haldane–Anscombe) and ``corrected``
      is True; if a whole margin is zero the OR is nan;
    * the **sector-adjusted** Mantel–Haenszel OR over the sector tables with
      the Robins–Breslow–Greenland interval (:func:`mantel_haenszel_odds_ratio`),
      as surveys report adjusted ORs; ``mh_strata`` is the number of sectors
      with anyone in them. Schema-1 files have no sector axis: these columns
      are nan (and ``mh_strata`` 0).

    Columns: ``scenario, exposure, outcome, odds_ratio, ci_low, ci_high, n,
    corrected, mh_odds_ratio, mh_ci_low, mh_ci_high, mh_strata`` where ``n``
    is the number of workers in the pooled table.
    """
    path = os.fspath(path)
    exposure = _io.read_exposure(path)
    rows = []
    for scen, tables in exposure.items():
        by_stratum = tables.counts.astype(np.uint64).sum(axis=0)  # [K, E, O, 4]
        cells = tables.cells
        order = [cells.index(c) for c in _io.DEFAULT_CELLS] if set(cells) == set(_io.DEFAULT_CELLS) else [0, 1, 2, 3]
        by_stratum = by_stratum[..., order]
        pooled = by_stratum.sum(axis=0)  # [E, O, 4]
        for ei, exp_name in enumerate(tables.exposures):
            for oi, out_name in enumerate(tables.outcomes):
                a, b, c, d = (int(v) for v in pooled[ei, oi])
                ratio, lo, hi, corrected = woolf_odds_ratio(a, b, c, d, z)
                if tables.stratified:
                    mh, mh_lo, mh_hi, used = mantel_haenszel_odds_ratio(by_stratum[:, ei, oi, :], z)
                else:
                    mh, mh_lo, mh_hi, used = math.nan, math.nan, math.nan, 0
                rows.append((scen, exp_name, out_name, ratio, lo, hi, a + b + c + d, corrected,
                             mh, mh_lo, mh_hi, used))
    frame = pd.DataFrame(rows, columns=ODDS_COLUMNS)
    frame["n"] = frame["n"].astype(np.int64)
    frame["mh_strata"] = frame["mh_strata"].astype(np.int64)
    return frame


# --------------------------------------------------------------------------- strata

#: Components of a cell stratum name "SECTOR/DOC/AGE/AREAKIND".
CELL_DIMENSIONS = ("sector", "documentation", "age", "area")
STRATA_DIMENSIONS = ("community",) + CELL_DIMENSIONS


def strata_groups(strata: Sequence[str], by: str) -> dict[str, list[int]]:
    """Map each group of dimension ``by`` to the indices of the strata it pools.

    ``by="community"`` uses the ``community/K`` strata as they are; ``sector``,
    ``documentation``, ``age`` and ``area`` pool the ``SECTOR/DOC/AGE/AREAKIND``
    cells that share that component; ``by="all"`` is the one group ``all``
    (the whole population, in the same units as the groups).
    """
    if by == "all":
        return {"all": [list(strata).index("all")]} if "all" in strata else {}
    if by not in STRATA_DIMENSIONS:
        raise ValueError(f"unknown strata dimension '{by}'; use one of {', '.join(STRATA_DIMENSIONS)}")
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(strata):
        parts = name.split("/")
        if by == "community":
            if len(parts) == 2 and parts[0] == "community":
                groups.setdefault(name, []).append(i)
        elif len(parts) == 4:
            groups.setdefault(parts[CELL_DIMENSIONS.index(by)], []).append(i)
    return groups


def _is_mean_like(metric: str, kind: str) -> bool:
    """Whether a metric's strata combine as a worker-weighted mean rather than a sum."""
    return kind == "share" or metric.endswith("_mean")


def strata_per_replicate(path, metric: str, by: str = "community", rate: bool | None = None,
                         weight_metric: str = "workers_active") -> tuple[dict, str]:
    """Every replicate's horizon value of ``metric`` in each stratum group of dimension ``by``.

    Returns ``({scenario: {group: float64 array [R]}}, unit)``, replicates in
    file order (NaN where a group had no worker-days), formed as
    :func:`strata_summary` describes.
    """
    path = os.fspath(path)
    out: dict = {}
    with _io.open_results(path) as f:
        meta = _io._read_info(f, path)
        _io._select(metric, meta.metrics, "metric", path)
        kind = meta.kinds.get(metric, "")
        groups = strata_groups(meta.strata, by)
        has_weight = weight_metric in meta.metrics
        if rate is None:
            rate = kind == "count" and has_weight
        if rate and not has_weight:
            raise ValueError(f"{path}: rate=True needs metric '{weight_metric}' for worker-days")
        mean_like = _is_mean_like(metric, kind)
        if kind == "count":
            unit = "per 1000 worker-days" if rate else "total over horizon"
        elif mean_like:
            unit = "horizon mean (worker-weighted)" if has_weight else "horizon mean"
        else:
            unit = "horizon mean"
        for scen in meta.scenarios:
            series = f["scenarios"][scen].get("series")
            if series is None or metric not in series:
                continue
            need_weight = has_weight and (rate or mean_like)
            per_rep = {g: [] for g in groups}
            values_iter = _io.read_series_by_replicate(f, scen, metric)
            weight_iter = _io.read_series_by_replicate(f, scen, weight_metric) if need_weight else None
            for block in values_iter:  # [D, S]
                w = next(weight_iter) if need_weight else None
                for g, idx in groups.items():
                    v = block[:, idx]
                    if kind == "count":
                        total = float(v.sum())
                        if rate:
                            wd = float(w[:, idx].sum())
                            total = 1000.0 * total / wd if wd > 0 else math.nan
                        per_rep[g].append(total)
                    elif mean_like:
                        if need_weight:
                            ww = w[:, idx]
                            den = ww.sum(axis=1)
                            daily = np.where(den > 0, (v * ww).sum(axis=1) / np.where(den > 0, den, 1), np.nan)
                        else:
                            daily = v.mean(axis=1)
                        per_rep[g].append(float(np.nanmean(daily)) if np.isfinite(daily).any() else math.nan)
                    else:
                        per_rep[g].append(float(v.sum(axis=1).mean()))
            out[scen] = {g: np.asarray(values, dtype=np.float64) for g, values in per_rep.items()}
    return out, unit


def strata_summary(path, metric: str, by: str = "community", rate: bool | None = None,
                   weight_metric: str = "workers_active", level: float = 0.95) -> pd.DataFrame:
    """A metric's horizon value per scenario and stratum group, with t-intervals over replicates.

    Per replicate, the strata of a group are combined day by day and then over
    the horizon, the way ``totals`` are formed for stratum ``all``:

    * ``count`` metrics are summed; with ``rate=True`` (the default for counts
      when ``workers_active`` is in the file) they are divided by the group's
      worker-days and given per 1000 worker-days, so groups of different size
      compare;
    * ``share`` metrics and means (names ending in ``_mean``) are averaged
      with the group's ``workers_active`` as weights (unweighted if the file
      has no ``workers_active``);
    * other ``level`` metrics are summed over strata and averaged over days.

    Columns: ``scenario, group, mean, ci_low, ci_high, n, unit``.
    """
    per_scenario, unit = strata_per_replicate(path, metric, by=by, rate=rate, weight_metric=weight_metric)
    rows = []
    for scen, groups in per_scenario.items():
        for g, x in groups.items():
            x = x[np.isfinite(x)]
            m, lo, hi = mean_ci(x, level)
            rows.append((scen, g, m, lo, hi, int(x.size), unit))
    return pd.DataFrame(rows, columns=["scenario", "group", "mean", "ci_low", "ci_high", "n", "unit"])
