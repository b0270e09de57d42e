"""The answer with its certainty: does a policy lower a harm, by how much, and how sure are we?

An analyst's question is "which policy lowers harm, for whom, and how sure
are we?". This module answers it from a results file:

* :func:`effects` — for each policy scenario and each key harm, the
  difference to the baseline (absolute and relative) with an interval, and
  the probability that the policy makes that harm better (lower, for a harm);
* :func:`acceptability` — the policies ranked by one metric the analyst
  names, with the probability that each is the best (an acceptability
  analysis, as in health economics);
* :func:`equity_effects` — the same difference and probability within each
  equity group (sector, documentation, age, community).

Where the uncertainty comes from
--------------------------------
A results file written by ``harmsim run --posterior`` records, for every
replicate, the parameter draw it used (``/scenarios/<name>/replicate_draw``,
docs/output.md). Then scenarios are **paired by draw**: for each draw the
policy's mean over its replicates in that draw is compared with the
baseline's in the same draw, and the interval and the probability are taken
over draws. They then cover uncertainty about the parameters as the
calibration left it (plus the Monte Carlo noise of the replicates within a
draw, which widens them a little).

Without draws (every file written by ``harmsim run`` without
``--posterior``) every replicate ran at the same parameters: the interval is
Welch's, and the probability is that of the expected difference being below
zero given the replicates (Student's t with the Welch–Satterthwaite degrees
of freedom). Both then cover **Monte Carlo noise only**: more replicates
drive the probability towards 0 or 1 whether or not the parameters are
right. :func:`uncertainty_note` says so in words, and the report prints it.
"""
from __future__ import annotations

import math
import os
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from . import io as _io
from . import stats as _stats

#: The harms the report leads with, in this order, where the file has them
#: (MODEL.md §5 names). Lower is better for all of them.
KEY_HARMS = (
    "violence_buyer", "violence_exploiter", "violence_police", "violence_12m",
    "arrests_worker", "deportations", "housing_lost", "condomless_acts", "victims_exploited",
)

#: Metrics where more is better.
HIGHER_IS_BETTER = frozenset({
    "victims_identified", "victims_identified_police", "victims_identified_services",
    "victims_identified_investigation", "minors_identified", "operation_victims_identified",
    "operation_minors_identified", "exits_helped", "debts_repaid", "income_mean", "outreach_contacts",
})

#: Metrics with no better direction: counts of activity whose rise or fall
#: is good or bad only with what drives it (more detention releases follow
#: more detentions, more referrals after arrest follow more arrests, more
#: housing regained follows more housing lost; fewer encounters are less
#: exposure and less income; exits, entries, buyer and exploiter arrests,
#: the market's size). Their comparisons carry no probability of being
#: better (``p_better`` is NaN), and they cannot rank scenarios. Every other
#: metric is a harm: less is better.
NO_DIRECTION = frozenset({
    "encounters", "arrests_buyer", "arrests_exploiter", "detention_releases", "exits", "entries",
    "operation_arrests", "workers_active", "exploiters_active", "venues_open", "buyer_demand",
    "referrals_post_arrest", "operation_referrals", "housing_regained",
})

#: The dataset of a scenario group that records each replicate's parameter
#: draw (docs/output.md, "Parameter draws"); absent in files without draws.
DRAW_DATASET = "replicate_draw"

EFFECT_COLUMNS = [
    "scenario", "metric", "kind", "better", "basis", "n", "baseline_mean", "mean",
    "diff", "diff_low", "diff_high", "rel", "rel_low", "rel_high", "p_better",
]
ACCEPTABILITY_COLUMNS = ["scenario", "mean", "diff", "p_best", "expected_rank", "rank", "basis", "n"]


def better_direction(metric: str, higher_is_better: Iterable[str] | None = None) -> str:
    """``"higher"`` if more of ``metric`` is better (:data:`HIGHER_IS_BETTER`, or the
    ``higher_is_better`` given), ``"none"`` if neither is (:data:`NO_DIRECTION`), else ``"lower"``."""
    higher = HIGHER_IS_BETTER if higher_is_better is None else frozenset(higher_is_better)
    if metric in higher:
        return "higher"
    return "none" if metric in NO_DIRECTION else "lower"


def ranking_sign(metric: str, higher_is_better: Iterable[str] | None = None) -> float:
    """1 if the lowest ``metric`` ranks best, −1 if the highest does; ``ValueError`` for a metric
    with no better direction (:data:`NO_DIRECTION`), which cannot rank scenarios."""
    direction = better_direction(metric, higher_is_better)
    if direction == "none":
        raise ValueError(f"{metric}: a count of activity with no better direction, neither good nor bad in itself, "
                         "cannot rank the policies; give a harm (such as violence_buyer) or a metric where more is "
                         "better (such as victims_identified)")
    return 1.0 if direction == "lower" else -1.0


def key_harms(metrics: Sequence[str]) -> list[str]:
    """The :data:`KEY_HARMS` a file has, in that order."""
    return [m for m in KEY_HARMS if m in metrics]


# --------------------------------------------------------------------------- draws


def read_draws(path) -> dict:
    """``{scenario: int64 array [R] or None}``: the parameter draw of each replicate.

    ``None`` for a scenario whose group has no ``replicate_draw`` (files
    written without ``--posterior``, schema versions 1 and 2). A dataset
    whose length is not the scenario's number of replicates is refused.
    """
    path = os.fspath(path)
    with _io.open_results(path) as f:
        meta = _io._read_info(f, path)
        out = {}
        for scen in meta.scenarios:
            g = f["scenarios"][scen]
            if DRAW_DATASET not in g:
                out[scen] = None
                continue
            draws = np.asarray(g[DRAW_DATASET][()]).reshape(-1)
            if draws.dtype.kind not in "iu":
                raise _io.ResultsError(f"{path}: scenarios/{scen}/{DRAW_DATASET} is {draws.dtype}, expected integers")
            totals = g.get("totals")
            n_rep = None
            if totals is not None and len(totals):
                n_rep = totals[next(iter(totals))].shape[0]
            if n_rep is not None and draws.size != n_rep:
                raise _io.ResultsError(
                    f"{path}: scenarios/{scen}/{DRAW_DATASET} has {draws.size} entries for {n_rep} replicates")
            out[scen] = draws.astype(np.int64)
        return out


def uncertainty_note(basis: str, n: int | None = None) -> str:
    """One plain sentence on what the intervals and probabilities cover."""
    if basis == "draws":
        count = f"{n} " if n else ""
        return (f"Intervals and probabilities are over {count}parameter draws from the calibration, each "
                "policy paired with the baseline at the same draw: they include uncertainty about the model's "
                "parameters (and the Monte Carlo noise within each draw), not uncertainty about the model's "
                "structure.")
    return ("This file has no parameter draws: every replicate ran with the same parameters, so the intervals "
            "and probabilities cover Monte Carlo noise only — not uncertainty about the parameters or the "
            "model. Run with --posterior for an answer that includes parameter uncertainty.")


# --------------------------------------------------------------------------- one comparison


def _per_draw_means(values: np.ndarray, draws: np.ndarray) -> dict:
    frame = pd.Series(values).groupby(draws).mean()
    return {int(d): float(v) for d, v in frame.items()}


def compare(policy, baseline, better: str = "lower", policy_draws=None, baseline_draws=None,
            level: float = 0.95) -> dict:
    """The difference ``policy − baseline`` of one metric, with its interval and probability.

    ``policy`` and ``baseline`` are per-replicate horizon values. With both
    ``policy_draws`` and ``baseline_draws`` (the draw of each replicate), the
    comparison is paired by draw (see the module's docstring): ``diff`` is the
    mean over the draws both have of the per-draw difference of means, the
    interval its ``(1 ± level)/2`` quantiles over draws, ``p_better`` the
    share of draws where the policy is better (a tie counts half). Otherwise
    ``diff`` is the difference of means with a Welch interval and
    ``p_better`` is ``P(T < −diff/se)`` (``T`` Student's t with the
    Welch–Satterthwaite degrees of freedom; for ``better="higher"`` the other
    tail): the probability, given the replicates, that the expected value at
    these parameters is better under the policy. For ``better="none"`` (a
    metric with no better direction) ``p_better`` is NaN.

    ``rel`` is ``diff`` over the baseline's mean, with an interval: over draws,
    the quantiles of the per-draw relative differences; without draws,
    Fieller's interval for the ratio of the two means (independent samples,
    the Welch t quantile of the difference), less 1: it excludes 0 exactly
    when the difference's interval does, and it is cut at −100 % (no metric
    is negative). Where the baseline's mean is not clearly away from 0 the
    interval is unbounded: NaN.

    Returns a dict with ``basis`` (``"draws"`` or ``"replicates"``), ``n``
    (draws or policy replicates), ``baseline_mean``, ``mean``, ``diff``,
    ``diff_low``, ``diff_high``, ``rel``, ``rel_low``, ``rel_high``,
    ``p_better``.
    """
    if better not in ("lower", "higher", "none"):
        raise ValueError(f"better must be 'lower', 'higher' or 'none' (got {better!r})")
    x = np.asarray(policy, dtype=np.float64).reshape(-1)
    y = np.asarray(baseline, dtype=np.float64).reshape(-1)
    sign = 1.0 if better == "lower" else -1.0
    directed = better != "none"  # else p_better is NaN
    nan = math.nan
    if policy_draws is not None and baseline_draws is not None:
        px = _per_draw_means(x, np.asarray(policy_draws).reshape(-1))
        py = _per_draw_means(y, np.asarray(baseline_draws).reshape(-1))
        common = sorted(set(px) & set(py))
        if not common:
            raise ValueError("the policy and the baseline share no parameter draw; they cannot be paired")
        mx = np.array([px[d] for d in common])
        my = np.array([py[d] for d in common])
        effect = mx - my
        lo_q, hi_q = (1.0 - level) / 2.0, (1.0 + level) / 2.0
        diff = float(np.mean(effect))
        base_mean = float(np.mean(my))
        better_share = (np.sum(sign * effect < 0) + 0.5 * np.sum(effect == 0)) / effect.size if directed else nan
        with np.errstate(divide="ignore", invalid="ignore"):
            rel_draw = effect / my
        rel_draw = rel_draw[np.isfinite(rel_draw)]
        rel = diff / base_mean if base_mean != 0 else nan
        return dict(
            basis="draws", n=int(effect.size), baseline_mean=base_mean, mean=float(np.mean(mx)), diff=diff,
            diff_low=float(np.quantile(effect, lo_q)), diff_high=float(np.quantile(effect, hi_q)),
            rel=rel,
            rel_low=float(np.quantile(rel_draw, lo_q)) if rel_draw.size else nan,
            rel_high=float(np.quantile(rel_draw, hi_q)) if rel_draw.size else nan,
            p_better=float(better_share),
        )

    out = dict(basis="replicates", n=int(x.size), baseline_mean=float(np.mean(y)) if y.size else nan,
               mean=float(np.mean(x)) if x.size else nan)
    diff, lo, hi, df = _stats.welch_ci(x, y, level)
    out.update(diff=diff, diff_low=lo, diff_high=hi, rel=nan, rel_low=nan, rel_high=nan, p_better=nan)
    if x.size < 2 or y.size < 2 or math.isnan(diff):
        if x.size and y.size:
            out["rel"] = diff / out["baseline_mean"] if out["baseline_mean"] != 0 else nan
        return out
    vx = float(np.var(x, ddof=1)) / x.size
    vy = float(np.var(y, ddof=1)) / y.size
    se = math.sqrt(vx + vy)
    if not directed:
        pass
    elif se == 0.0:
        out["p_better"] = 1.0 if sign * diff < 0 else (0.0 if sign * diff > 0 else 0.5)
    else:
        out["p_better"] = _stats.t_cdf(-sign * diff / se, df)
    mb, mp = out["baseline_mean"], out["mean"]
    if mb != 0:
        out["rel"] = mp / mb - 1.0
        low, high = _fieller(mp, vx, mb, vy, _stats.t_ppf(0.5 + level / 2.0, df))
        out.update(rel_low=max(low - 1.0, -1.0), rel_high=high - 1.0)
    return out


def _fieller(mp: float, vp: float, mb: float, vb: float, t: float) -> tuple:
    """Fieller's interval for mp/mb from independent means with variances vp, vb: the ratios R with
    (mp − R·mb)² ≤ t²·(vp + R²·vb). (NaN, NaN) when mb is not clearly away from 0 (unbounded)."""
    a = mb * mb - t * t * vb
    if a <= 0.0:
        return math.nan, math.nan
    # b² − ac ≥ t²·mp²·vb ≥ 0 when a > 0: the roots are real.
    root = t * math.sqrt(max(mp * mp * vb + mb * mb * vp - t * t * vp * vb, 0.0))
    return (mp * mb - root) / a, (mp * mb + root) / a


# --------------------------------------------------------------------------- tables


def _resolve(path, baseline, metrics, default_metrics):
    path = os.fspath(path)
    meta = _io.info(path)
    if baseline is None:
        baseline = meta.baseline
    _io._select(baseline, meta.scenarios, "scenario", path)
    if metrics is None:
        metrics = default_metrics(meta.metrics)
    metric_sel = _io._select(metrics, meta.metrics, "metric", path)
    return path, meta, baseline, metric_sel


def effects(path, baseline: str | None = None, metrics=None, level: float = 0.95,
            higher_is_better: Iterable[str] | None = None) -> pd.DataFrame:
    """Each policy's effect on each metric (default: the :data:`KEY_HARMS` the file has).

    One row per policy scenario (every scenario but the baseline, in run
    order) × metric, with the columns of :data:`EFFECT_COLUMNS`: ``better``
    (``lower``, ``higher`` or ``none``: :func:`better_direction`), ``basis`` (``draws`` when both scenarios record
    parameter draws, else ``replicates``), ``n``, the baseline's and the
    policy's means of the per-replicate horizon totals, ``diff`` with its
    interval, ``rel`` (``diff`` over the baseline's mean, a fraction) with its
    interval and ``p_better``, the probability that the policy is better for
    this metric. See :func:`compare` for how each is computed.
    """
    path, meta, baseline, metric_sel = _resolve(path, baseline, metrics, key_harms)
    totals = _io.read_totals(path, metric_sel)
    draws = read_draws(path)
    rows = []
    for scen in meta.scenarios:
        if scen == baseline:
            continue
        for metric in metric_sel:
            x, y = totals[scen].get(metric), totals[baseline].get(metric)
            if x is None or y is None:
                continue
            better = better_direction(metric, higher_is_better)
            c = compare(x, y, better, draws[scen], draws[baseline], level)
            rows.append(dict(scenario=scen, metric=metric, kind=meta.kinds.get(metric, ""), better=better, **c))
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


def _samples(per_scenario: dict, draws: dict, n_sim: int, seed: int):
    """A [K, n_scenarios] matrix of plausible values of each scenario's expected metric, and the basis.

    Paired by draw when every scenario records draws (rows: the draws they
    all share); otherwise ``n_sim`` values of each scenario's mean from the
    t distribution of its replicates (mean + se·T with n − 1 degrees of
    freedom), independent across scenarios, with a fixed seed.
    """
    names = list(per_scenario)
    if all(draws.get(s) is not None for s in names):
        means = [_per_draw_means(per_scenario[s], draws[s]) for s in names]
        common = sorted(set.intersection(*(set(m) for m in means)))
        if common:
            return np.array([[m[d] for m in means] for d in common]), "draws", len(common)
    rng = np.random.default_rng(seed)
    columns = []
    n_min = min(v.size for v in per_scenario.values())
    for s in names:
        v = per_scenario[s]
        mean = float(np.mean(v))
        if v.size < 2:
            columns.append(np.full(n_sim, mean))
            continue
        se = float(np.std(v, ddof=1)) / math.sqrt(v.size)
        columns.append(mean + se * rng.standard_t(v.size - 1, size=n_sim))
    return np.column_stack(columns), "replicates", n_min


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks within each row (1 = smallest; ties get their average rank), as
    ``scipy.stats.rankdata(method="average")`` per row, without a Python loop over rows."""
    less = (values[:, None, :] < values[:, :, None]).sum(axis=2)
    equal = (values[:, None, :] == values[:, :, None]).sum(axis=2)
    return 1.0 + less + 0.5 * (equal - 1)


def acceptability(path, metric: str, baseline: str | None = None, scenarios=None, include_baseline: bool = True,
                  higher_is_better: Iterable[str] | None = None, n_sim: int = 20000, seed: int = 1) -> pd.DataFrame:
    """Rank the scenarios by ``metric`` with the probability that each is the best.

    With parameter draws in every scenario the probability is the share of
    the shared draws in which the scenario has the best mean (lowest for a
    harm; ties split evenly), as in a cost-effectiveness acceptability
    analysis. Without draws it is over the Monte Carlo uncertainty of each
    scenario's mean only (``n_sim`` values from each mean's t distribution,
    seed ``seed``; deterministic).

    Columns :data:`ACCEPTABILITY_COLUMNS`: ``mean`` over replicates, ``diff``
    to the baseline's mean, ``p_best``, ``expected_rank`` (1 = best, averaged
    over draws), ``rank`` (of ``mean``, 1 = best), ``basis``, ``n`` (draws, or
    the fewest replicates of a scenario). Sorted by ``rank``.
    """
    path, meta, baseline, (metric,) = _resolve(path, baseline, [metric], None)
    chosen = _io._select(scenarios, meta.scenarios, "scenario", path)
    if include_baseline and baseline not in chosen:
        chosen = [baseline] + chosen
    if not include_baseline:
        chosen = [s for s in chosen if s != baseline]
    if not chosen:
        raise ValueError(f"{path}: no scenario to rank")
    totals = _io.read_totals(path, [metric])
    per_scenario = {s: totals[s][metric] for s in chosen if metric in totals[s]}
    draws = read_draws(path)
    sims, basis, n = _samples(per_scenario, draws, n_sim, seed)
    sign = ranking_sign(metric, higher_is_better)
    from scipy.stats import rankdata

    ranks = _average_ranks(sign * sims)  # 1 = best
    best = ranks == ranks.min(axis=1, keepdims=True)
    p_best = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
    base_mean = float(np.mean(totals[baseline][metric])) if metric in totals[baseline] else math.nan
    names = list(per_scenario)
    means = np.array([float(np.mean(per_scenario[s])) for s in names])
    frame = pd.DataFrame(dict(
        scenario=names, mean=means, diff=means - base_mean, p_best=p_best,
        expected_rank=ranks.mean(axis=0),
        rank=rankdata(sign * means, method="min").astype(np.int64), basis=basis, n=n,
    ), columns=ACCEPTABILITY_COLUMNS)
    return frame.sort_values(["rank", "expected_rank"], kind="stable").reset_index(drop=True)


def equity_effects(path, metric: str, by: str = "sector", baseline: str | None = None, level: float = 0.95,
                   higher_is_better: Iterable[str] | None = None) -> pd.DataFrame:
    """Each policy's effect on ``metric`` within each equity group of dimension ``by``.

    Groups and units are those of :func:`harmsim_analysis.strata_summary`
    (counts per 1000 worker-days of the group, shares and means weighted by
    active workers). Columns: ``scenario, group, unit`` and those of
    :func:`compare` (``basis``, ``diff`` with interval, ``p_better``...).
    """
    path, meta, baseline, (metric,) = _resolve(path, baseline, [metric], None)
    per_rep, unit = _stats.strata_per_replicate(path, metric, by=by)
    draws = read_draws(path)
    better = better_direction(metric, higher_is_better)
    rows = []
    for scen in meta.scenarios:
        if scen == baseline or scen not in per_rep or baseline not in per_rep:
            continue
        for group, x in per_rep[scen].items():
            y = per_rep[baseline].get(group)
            if y is None:
                continue
            keep_x, keep_y = np.isfinite(x), np.isfinite(y)
            dx = draws[scen][keep_x] if draws[scen] is not None else None
            dy = draws[baseline][keep_y] if draws[baseline] is not None else None
            if not keep_x.any() or not keep_y.any():
                continue
            try:
                c = compare(x[keep_x], y[keep_y], better, dx, dy, level)
            except ValueError:
                continue
            rows.append(dict(scenario=scen, group=group, unit=unit, metric=metric, better=better, **c))
    columns = ["scenario", "group", "unit", "metric", "better"] + EFFECT_COLUMNS[4:]
    return pd.DataFrame(rows, columns=columns)
