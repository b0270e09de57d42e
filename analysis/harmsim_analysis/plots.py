"""Plots of a results file with matplotlib.

Figures are built with ``matplotlib.figure.Figure`` and the Agg canvas, never
through pyplot, so importing this module does not change the backend of an
interactive session and works on machines without a display. Each function
returns the Figure (``plot_metric`` returns the Axes it drew on); save it with
``fig.savefig("x.png")``. In Jupyter a returned Figure displays itself.
"""
from __future__ import annotations

import io as _bytes_io
import os
from typing import Sequence

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import io as _io
from . import stats as _stats

_PALETTE = ["#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c", "#8d6e63", "#ef6c00", "#546e7a"]


def scenario_colors(scenarios: Sequence[str]) -> dict:
    """One fixed colour per scenario (by run order), shared by every plot."""
    return {s: _PALETTE[i % len(_PALETTE)] for i, s in enumerate(scenarios)}


def new_figure(width: float = 7.0, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (for embedding)."""
    buf = _bytes_io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _label(meta: _io.ResultsInfo, metric: str) -> str:
    kind = meta.kinds.get(metric, "")
    unit = {"count": "per day", "level": "", "share": "share"}.get(kind, "")
    return f"{metric} ({unit})" if unit else metric


def plot_metric(path, metric: str, stratum: str = "all", ax=None):
    """A metric's daily mean over replicates per scenario, with the 2.5–97.5 % band.

    The band is the across-replicate 2.5 and 97.5 % quantiles of the daily
    value (``summary/<metric>``): where single replicates fall, not an
    interval for the mean. Returns the Axes.
    """
    path = os.fspath(path)
    meta = _io.info(path)
    curves = _io.read_summary(path, metric, stratum)
    if ax is None:
        ax = new_figure().add_subplot()
    colors = scenario_colors(meta.scenarios)
    for scen, frame in curves.items():
        c = colors[scen]
        day = frame["day"].to_numpy()
        if "q025" in frame and "q975" in frame:
            ax.fill_between(day, frame["q025"], frame["q975"], color=c, alpha=0.18, linewidth=0)
        ax.plot(day, frame["mean"], color=c, linewidth=1.6, label=scen)
    title = metric if stratum == "all" else f"{metric} — {stratum}"
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("day (after warm-up)")
    ax.set_ylabel(_label(meta, metric))
    ax.grid(alpha=0.3)
    if curves:
        ax.legend(fontsize=8, frameon=False, title="mean; band:\n2.5–97.5 % of\nreplicates", title_fontsize=7,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), alignment="left")
    return ax


def plot_comparison(path, metrics: Sequence[str], baseline: str | None = None, ncols: int = 3) -> Figure:
    """One panel per metric: scenario means of the horizon totals with 95 % t-interval whiskers."""
    path = os.fspath(path)
    if isinstance(metrics, str):
        metrics = [metrics]
    meta = _io.info(path)
    table = _stats.summary(path, baseline=baseline, metrics=list(metrics))
    colors = scenario_colors(meta.scenarios)
    n = max(len(metrics), 1)
    ncols = max(1, min(ncols, n))
    nrows = (n + ncols - 1) // ncols
    fig = new_figure(3.4 * ncols, 2.9 * nrows)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for i, metric in enumerate(metrics):
        ax = axes[i // ncols][i % ncols]
        rows = table[table["metric"] == metric]
        x = np.arange(len(rows))
        means = rows["mean"].to_numpy()
        lo = np.nan_to_num(means - rows["ci_low"].to_numpy())
        hi = np.nan_to_num(rows["ci_high"].to_numpy() - means)
        ax.bar(x, means, color=[colors[s] for s in rows["scenario"]], alpha=0.85)
        ax.errorbar(x, means, yerr=[lo, hi], fmt="none", ecolor="black", elinewidth=1, capsize=3)
        ax.set_xticks(x, list(rows["scenario"]), rotation=30, ha="right", fontsize=8)
        kind = meta.kinds.get(metric, "")
        sub = {"count": "total over horizon", "level": "horizon mean", "share": "horizon mean share"}.get(kind, "")
        ax.set_title(f"{metric}\n({sub})" if sub else metric, fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    for j in range(len(metrics), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    fig.suptitle("Scenario means with 95 % intervals of the mean (t, across replicates)", fontsize=10)
    return fig


def plot_strata(path, metric: str, by: Sequence[str] = ("community", "sector"), rate: bool | None = None) -> Figure:
    """Equity comparison: a metric by stratum group (one panel per dimension), bars per scenario.

    ``by`` lists dimensions among community, sector, documentation, age and
    area; see :func:`harmsim_analysis.stats.strata_summary` for how strata are
    pooled (counts default to a rate per 1000 worker-days).
    """
    path = os.fspath(path)
    if isinstance(by, str):
        by = [by]
    meta = _io.info(path)
    colors = scenario_colors(meta.scenarios)
    fig = new_figure(max(4.0, 4.2 * len(by)), 3.6)
    axes = fig.subplots(1, len(by), squeeze=False)[0]
    for ax, dim in zip(axes, by):
        table = _stats.strata_summary(path, metric, by=dim, rate=rate)
        groups = list(dict.fromkeys(table["group"]))
        scens = [s for s in meta.scenarios if s in set(table["scenario"])]
        width = 0.8 / max(len(scens), 1)
        x = np.arange(len(groups))
        for k, scen in enumerate(scens):
            rows = table[table["scenario"] == scen].set_index("group").reindex(groups)
            means = rows["mean"].to_numpy()
            lo = np.nan_to_num(means - rows["ci_low"].to_numpy())
            hi = np.nan_to_num(rows["ci_high"].to_numpy() - means)
            pos = x - 0.4 + width * (k + 0.5)
            ax.bar(pos, means, width=width, color=colors[scen], alpha=0.85, label=scen)
            ax.errorbar(pos, means, yerr=[lo, hi], fmt="none", ecolor="black", elinewidth=0.8, capsize=2)
        ax.set_xticks(x, groups, rotation=30, ha="right", fontsize=8)
        unit = table["unit"].iloc[0] if len(table) else ""
        ax.set_title(f"{metric} by {dim}", fontsize=10)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
        if not groups:
            ax.text(0.5, 0.5, f"no {dim} strata in this file", ha="center", va="center", transform=ax.transAxes)
        elif len(table) and np.allclose(np.nan_to_num(table["mean"].to_numpy()), 0.0):
            ax.text(0.5, 0.5, "all zero (recorded in stratum 'all' only?)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=8, color="gray")
    axes[-1].legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle("Equity strata: means with 95 % intervals across replicates", fontsize=10)
    return fig


#: Colours of a policy's direction: helps (lowers a harm) and harms, as in the report.
HELPS_COLOR = "#1b6ca8"
HARMS_COLOR = "#d1495b"


def plot_tornado(table, scenario: str | None = None, metric: str | None = None, ax=None, alpha: float = 0.05):
    """A tornado plot of a :func:`harmsim_analysis.sensitivity` table: one bar per parameter.

    Bars are the partial rank correlation coefficients of one scenario and
    metric (default: the table's first), sorted with the largest ``|PRCC|``
    on top; bars with ``p_value >= alpha`` are pale and hatched. Returns the
    Axes.
    """
    if scenario is None:
        scenario = table["scenario"].iloc[0]
    if metric is None:
        metric = table["metric"].iloc[0]
    rows = table[(table["scenario"] == scenario) & (table["metric"] == metric)]
    rows = rows.assign(order=rows["prcc"].abs().fillna(-1.0)).sort_values("order", kind="stable")
    if ax is None:
        ax = new_figure(7.0, 0.45 * max(len(rows), 2) + 1.4).add_subplot()
    y = np.arange(len(rows))
    values = rows["prcc"].fillna(0.0).to_numpy()
    significant = (rows["p_value"] < alpha).to_numpy()
    colors = [HARMS_COLOR if v > 0 else HELPS_COLOR for v in values]
    bars = ax.barh(y, values, color=colors, height=0.6)
    for bar, sig in zip(bars, significant):
        if not sig:
            bar.set_alpha(0.35)
            bar.set_hatch("//")
    ax.set_yticks(y, rows["parameter"].tolist(), fontsize=9)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_xlim(-1.0, 1.0)
    outcome = rows["outcome"].iloc[0] if len(rows) else "effect"
    what = f"effect of {scenario} on {metric}" if outcome == "effect" else f"{metric} in {scenario}"
    ax.set_xlabel("partial rank correlation (PRCC): > 0, the parameter raises it", fontsize=9)
    n = int(rows["n"].iloc[0]) if len(rows) else 0
    ax.set_title(f"{what}\n{n} points; pale, hatched: p ≥ {alpha:g}", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return ax
