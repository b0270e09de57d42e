"""Statistics for comparing scenarios.

The Student t quantile is computed here (it was written when scipy was not
among the project's dependencies): the t distribution function from the
regularized incomplete beta function (Lentz's continued fraction, as in
Numerical Recipes §6.4), inverted by bisection to machine precision. The
Mantel–Haenszel odds ratio and its variance come from Debian's
python3-statsmodels, imported only when they are computed.

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

_EPS = 1e-15
_FPMIN = 1e-300
_MAXIT = 100000

#: 97.5 % quantile of the standard normal distribution (the "1.96").
Z_975 = 1.959963984540054


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction for the incomplete beta function (modified Lentz)."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < _FPMIN:
        d = _FPMIN
    d = 1.0 / d
    h = d
    for m in range(1, _MAXIT + 1):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        if abs(d) < _FPMIN:
            d = _FPMIN
        c = 1.0 + aa / c
        if abs(c) < _FPMIN:
            c = _FPMIN
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        if abs(d) < _FPMIN:
            d = _FPMIN
        c = 1.0 + aa / c
        if abs(c) < _FPMIN:
            c = _FPMIN
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < _EPS:
            return h
    raise ArithmeticError(f"incomplete beta continued fraction did not converge (a={a}, b={b}, x={x})")


#: Above this many degrees of freedom the t quantile comes from the Cornish–Fisher
#: expansion around the normal one; the omitted terms are then below 1e-20.
_LARGE_DF = 1e5


def _cornish_fisher(z: float, df: float) -> float:
    """t quantile from the normal quantile z (Abramowitz & Stegun 26.7.5)."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df


def _cornish_fisher_slope(z: float, df: float) -> float:
    z2 = z * z
    d1 = (3 * z2 + 1) / 4
    d2 = ((25 * z2 + 48) * z2 + 3) / 96
    d3 = (((21 * z2 + 95) * z2 + 51) * z2 - 15) / 384
    d4 = ((((711 * z2 + 5432) * z2 + 7410) * z2 - 5760) * z2 - 945) / 92160
    return 1.0 + (d1 + (d2 + (d3 + d4 / df) / df) / df) / df


def _lgamma_ratio(a: float, b: float) -> float:
    """ln Γ(a+b) − ln Γ(a), without the cancellation of two large lgamma values."""
    if a < 1e3:
        return math.lgamma(a + b) - math.lgamma(a)
    # Stirling series of both terms, subtracted term by term
    ab = a + b
    value = (a - 0.5) * math.log1p(b / a) + b * math.log(ab) - b
    for coef, power in ((1 / 12, 1), (-1 / 360, 3), (1 / 1260, 5), (-1 / 1680, 7)):
        value += coef * (ab ** -power - a ** -power)
    return value


def _betainc(a: float, b: float, x: float, y: float, log_x: float, log_y: float) -> float:
    """I_x(a, b) with y = 1 − x and both logarithms supplied accurately by the caller."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    if a >= b:
        log_beta = _lgamma_ratio(a, b) - math.lgamma(b)
    else:
        log_beta = _lgamma_ratio(b, a) - math.lgamma(a)
    front = math.exp(log_beta + a * log_x + b * log_y)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, y) / b


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b) for a, b > 0, 0 <= x <= 1."""
    if not (a > 0 and b > 0):
        raise ValueError(f"betainc needs a, b > 0 (got a={a}, b={b})")
    if math.isnan(x):
        return math.nan
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    return _betainc(a, b, x, 1.0 - x, math.log(x), math.log1p(-x))


def _t_upper_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    if math.isinf(df):
        return 0.5 * math.erfc(t / math.sqrt(2.0))
    if t == 0.0:
        return 0.5
    if df > _LARGE_DF and t < 38.0:
        # The continued fraction needs ~sqrt(df) terms near the centre; for
        # large df invert the Cornish–Fisher expansion instead (Newton).
        z = t
        for _ in range(50):
            step = (_cornish_fisher(z, df) - t) / _cornish_fisher_slope(z, df)
            z -= step
            if abs(step) <= 1e-16 * max(1.0, abs(z)):
                break
        return 0.5 * math.erfc(z / math.sqrt(2.0))
    # I_x(df/2, 1/2) with x = df/(df+t²) and 1-x = t²/(df+t²), each formed without cancellation
    r = t * t / df
    x = 1.0 / (1.0 + r)
    y = r / (1.0 + r)
    log_x = -math.log1p(r)
    log_y = math.log(r) - math.log1p(r) if r > 0 else -math.inf
    return 0.5 * _betainc(df / 2.0, 0.5, x, y, log_x, log_y)


def t_cdf(t: float, df: float) -> float:
    """Distribution function of Student's t with ``df`` > 0 degrees of freedom (inf = normal)."""
    if math.isnan(t) or math.isnan(df):
        return math.nan
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive (got {df})")
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = _t_upper_tail(abs(t), df)
    return 1.0 - tail if t >= 0 else tail


def t_ppf(p: float, df: float) -> float:
    """Quantile of Student's t: the ``x`` with ``t_cdf(x, df) == p`` (df = inf: normal)."""
    if math.isnan(p) or math.isnan(df):
        return math.nan
    if df <= 0:
        raise ValueError(f"degrees of freedom must be positive (got {df})")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"probability must be in [0, 1] (got {p})")
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    if not math.isinf(df) and df > _LARGE_DF:
        return _cornish_fisher(t_ppf(p, math.inf), df)
    target = 1.0 - p if p > 0.5 else p  # upper tail probability of |quantile|
    lo, hi = 0.0, 1.0
    while _t_upper_tail(hi, df) > target:
        lo, hi = hi, hi * 2.0
        if hi > 1e300:
            break
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _t_upper_tail(mid, df) > target:
            lo = mid
        else:
            hi = mid
    x = 0.5 * (lo + hi)
    return x if p > 0.5 else -x


def norm_ppf(p: float) -> float:
    """Quantile of the standard normal distribution."""
    return t_ppf(p, math.inf)


# --------------------------------------------------------------------------- intervals


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided t-interval of the mean: ``(mean, low, high)``.

    With one value the interval is ``(nan, nan)``; with no value everything is nan.
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
    degrees of freedom. Both samples need at least two values, else the
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

    Returns ``(odds_ratio, low, high, corrected)``.
    """
    a, b, c, d = (float(v) for v in (a, b, c, d))
    if min(a + b, c + d, a + c, b + d) <= 0:
        return math.nan, math.nan, math.nan, False
    corrected = min(a, b, c, d) == 0
    if corrected:
        a, b, c, d = a + 0.5, b + 0.5, c + 0.5, d + 0.5
    ratio = (a * d) / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se), corrected


# --------------------------------------------------------------------------- tables

SUMMARY_COLUMNS = ["scenario", "metric", "kind", "mean", "ci_low", "ci_high", "diff", "diff_low", "diff_high"]
ODDS_COLUMNS = ["scenario", "exposure", "outcome", "odds_ratio", "ci_low", "ci_high", "n", "corrected",
                "mh_odds_ratio", "mh_ci_low", "mh_ci_high", "mh_strata"]


def summary(path, baseline: str | None = None, metrics=None, level: float = 0.95) -> pd.DataFrame:
    """Scenario comparison from the per-replicate horizon totals (``totals/<metric>``).

    One row per scenario × metric (scenarios in run order, metrics in file
    order) with columns ``scenario, metric, kind, mean, ci_low, ci_high,
    diff, diff_low, diff_high``:

    * ``mean`` and ``ci_low``/``ci_high``: mean over replicates of the horizon
      total (sum of a count, mean of a level or share) and its t-interval;
    * ``diff`` and ``diff_low``/``diff_high``: mean minus the baseline's mean
      with a Welch interval. The baseline is the first scenario of
      ``/scenario_names`` unless ``baseline`` names another; its own row has
      ``diff = 0`` and nan bounds.
    """
    path = os.fspath(path)
    meta = _io.info(path)
    if baseline is None:
        baseline = meta.baseline
    _io._select(baseline, meta.scenarios, "scenario", path)
    metric_sel = _io._select(metrics, meta.metrics, "metric", path)
    totals = _io.read_totals(path, metric_sel)
    rows = []
    for scen in meta.scenarios:
        for metric in metric_sel:
            x = totals[scen].get(metric)
            if x is None:
                continue
            mean, lo, hi = mean_ci(x, level)
            base = totals[baseline].get(metric)
            if scen == baseline:
                diff, dlo, dhi = 0.0, math.nan, math.nan
            elif base is None:
                diff, dlo, dhi = math.nan, math.nan, math.nan
            else:
                diff, dlo, dhi, _ = welch_ci(x, base, level)
            rows.append((scen, metric, meta.kinds.get(metric, ""), mean, lo, hi, diff, dlo, dhi))
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
    cells that share that component.
    """
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
    path = os.fspath(path)
    rows = []
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
            for g in groups:
                x = np.asarray(per_rep[g])
                x = x[np.isfinite(x)]
                m, lo, hi = mean_ci(x, level)
                rows.append((scen, g, m, lo, hi, int(x.size), unit))
    return pd.DataFrame(rows, columns=["scenario", "group", "mean", "ci_low", "ci_high", "n", "unit"])
