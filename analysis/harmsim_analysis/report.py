"""A self-contained HTML report of a results file.

``write_report("results.h5", "report.html")`` writes ONE file: styles inline,
plots embedded as base64 PNG, no scripts and no external links, so it can be
mailed or archived as it is.

It leads with the answer: a forest plot of each policy's effect on the key
harms with intervals, and a table coloured by direction and by the
probability that the policy lowers each harm (:mod:`harmsim_analysis.decision`),
with the ranking by one harm; then the equity breakdown; then, given sweep
files, the sensitivity of each effect to the uncertain parameters (tornado
plots); then the details (run, scenarios, every metric, odds ratios, plots
over time, scenario definitions). The forest plot and the tables are HTML
and CSS, so their text stays readable at any width, a phone's included.
"""
from __future__ import annotations

import base64
import html
import math
import os
import tempfile

import numpy as np

from . import decision as _decision
from . import io as _io
from . import plots as _plots
from . import stats as _stats

#: Metrics shown in the comparison plot, in this order, when the file has them:
#: with the harms counted, the share of street workers police have displaced
#: from their usual area and the share working in isolated areas (people, where
#: ``displacements`` counts moves), through which policing raises violence.
COMPARISON_METRICS = (
    "violence_buyer", "violence_exploiter", "violence_police", "violence_12m",
    "arrests_worker", "arrests_buyer", "arrests_exploiter", "deportations",
    "victims_identified", "victims_arrested_missed", "housing_lost", "condomless_acts",
    "share_displaced", "share_isolated", "income_mean",
)
#: Metrics shown over time: among them the street workers in isolated areas and
#: those displaced (away from their home area), people rather than moves.
SERIES_METRICS = ("violence_12m", "arrests_worker", "victims_identified", "workers_active",
                  "share_isolated", "share_displaced", "income_mean")
#: Metrics shown by equity strata.
STRATA_METRICS = ("violence_buyer", "violence_12m")
STRATA_DIMENSIONS = ("community", "sector")
#: Equity groups of the breakdown of each policy's effect, in this order.
EQUITY_DIMENSIONS = ("sector", "documentation", "age", "area", "community")
#: The harm policies are ranked by unless the reader names another.
DEFAULT_RANK_METRIC = "violence_buyer"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1240px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #f2f2f2; } td.t, th.t { text-align: left; }
tr.first td { border-top: 2px solid #999; }
.sig { font-weight: bold; } .muted { color: #777; }
.stamp td, .stamp th { text-align: left; } code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; }
pre { background: #f7f7f7; border: 1px solid #ddd; padding: 0.7em; overflow-x: auto; font-size: 0.8em; }
img { max-width: 100%; display: block; margin: 0.5em 0 1.5em; }
.note { font-size: 0.85em; color: #444; }
.basis { border-left: 4px solid #edae49; background: #fff8e6; padding: 0.5em 0.8em; font-size: 0.9em; }
.basis.draws { border-color: #2e933c; background: #eef7ef; }
.scroll { overflow-x: auto; max-width: 100%; }
/* probability of helping: blue helps, red harms, grey unclear; words and arrows carry it too */
.p-help2 { background: #1b6ca8; color: #fff; } .p-help1 { background: #cfe3f3; }
.p-none { background: #f1f1f1; } .p-harm1 { background: #f6d3d8; } .p-harm2 { background: #b3283d; color: #fff; }
.ptable td, .ptable th { text-align: center; vertical-align: middle; }
.ptable td.t, .ptable th.t { text-align: left; }
.ptable td { min-width: 4.5em; } .ptable th { font-size: 0.95em; }
.ptable td b, .ptable td small { white-space: nowrap; } .ptable small { font-size: 0.8em; }
.ptable th.t, .ptable td.t { position: sticky; left: 0; background: #fff; z-index: 1; }
.ptable th.t { background: #f2f2f2; }
.legend span { display: inline-block; padding: 1px 6px; margin: 2px 4px 2px 0; font-size: 0.8em; border-radius: 3px; }
.forest { margin: 0.5em 0 1.5em; }
.fblock { margin: 0 0 0.9em; }
.fblock h3 { font-size: 0.95em; margin: 0.6em 0 0.2em; }
.fblock h3 small { font-weight: normal; color: #666; }
.frow { display: grid; grid-template-columns: 11em 1fr 14em 8.5em; gap: 0 0.6em; align-items: center;
        font-size: 0.85em; padding: 1px 0; }
.flabel { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.ftrack { position: relative; height: 1.1em; background: #fafafa; border: 1px solid #eee; }
.fzero { position: absolute; top: -2px; bottom: -2px; width: 0; border-left: 1px dashed #555; }
.fci { position: absolute; top: 45%; height: 3px; min-width: 2px; }
.fdot { position: absolute; top: 50%; width: 9px; height: 9px; margin: -5px 0 0 -5px; border-radius: 50%; }
.fval { text-align: right; white-space: nowrap; } .fp { text-align: right; white-space: nowrap; }
.c-help2 .fci, .c-help2 .fdot { background: #1b6ca8; } .c-help1 .fci, .c-help1 .fdot { background: #6fa8d6; }
.c-none .fci, .c-none .fdot { background: #888; }
.c-harm1 .fci, .c-harm1 .fdot { background: #e08a97; } .c-harm2 .fci, .c-harm2 .fdot { background: #b3283d; }
.faxis { display: grid; grid-template-columns: 11em 1fr 14em 8.5em; gap: 0 0.6em; font-size: 0.75em; color: #666; }
.faxis .ends { display: flex; justify-content: space-between; }
.pbar { display: inline-block; height: 0.7em; background: #1b6ca8; vertical-align: middle; margin-right: 4px; }
nav.toc { font-size: 0.9em; } nav.toc a { margin-right: 1em; }
@media (max-width: 640px) {
  body { margin: 1em auto; padding: 0 0.6em; }
  .frow, .faxis { grid-template-columns: 1fr auto; }
  .frow .flabel { grid-column: 1 / 3; font-weight: bold; }
  .frow .ftrack { grid-column: 1 / 3; }
  .faxis .ends { grid-column: 1 / 3; } .faxis > div:empty { display: none; }
  table { font-size: 0.78em; }
  h1 { font-size: 1.3em; } h2 { font-size: 1.25em; }
  /* plots keep most of their size and scroll sideways, so their text stays readable */
  .figure { overflow-x: auto; } .figure img { max-width: none; width: 620px; }
}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def fmt(x) -> str:
    """A number for a table: about four significant digits, '—' for nan."""
    if x is None:
        return "—"
    try:
        x = float(x)
    except (TypeError, ValueError):
        return _e(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    if -3 <= mag < 7:
        return f"{x:,.{max(0, 3 - mag)}f}"
    return f"{x:.3e}"


def _interval(lo, hi) -> str:
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)):
        return "—"
    return f"{fmt(lo)} to {fmt(hi)}"


def _img(fig, alt: str) -> str:
    data = base64.b64encode(_plots.figure_png(fig)).decode("ascii")
    return f'<div class="figure"><img alt="{_e(alt)}" src="data:image/png;base64,{data}"></div>'


def _present(wanted, available, fallback: int):
    chosen = [m for m in wanted if m in available]
    return chosen if chosen else list(available)[:fallback]


def _stamp_table(meta: _io.ResultsInfo) -> str:
    rows = []
    for key in ("harmsim_version", "git_commit", "command_line", "started_at", "finished_at", "schema_version"):
        value = meta.attributes.get(key, "")
        cell = f"<code>{_e(value)}</code>" if key == "command_line" else _e(value)
        rows.append(f'<tr><th class="t">{_e(key)}</th><td class="t">{cell}</td></tr>')
    return '<table class="stamp">' + "".join(rows) + "</table>"


def _scenario_table(meta: _io.ResultsInfo, baseline: str) -> str:
    head = ("<tr><th class='t'>scenario</th><th class='t'>description</th><th>replicates</th>"
            "<th>days</th><th>warm-up days</th><th>seed</th></tr>")
    rows = []
    for name in meta.scenarios:
        s = meta.scenario_info[name]
        label = _e(name) + (" <span class='muted'>(baseline)</span>" if name == baseline else "")
        rows.append(
            f"<tr><td class='t'>{label}</td><td class='t'>{_e(s.description)}</td>"
            f"<td>{_e(s.replicates)}</td><td>{_e(s.days)}</td><td>{_e(s.warmup_days)}</td><td>{_e(s.seed)}</td></tr>"
        )
    return "<table>" + head + "".join(rows) + "</table>"


def _comparison_table(meta: _io.ResultsInfo, table, baseline: str) -> str:
    head = (
        "<tr><th class='t'>metric</th><th class='t'>kind</th><th class='t'>scenario</th><th>mean</th>"
        f"<th>95 % CI</th><th>difference to {_e(baseline)}</th><th>95 % interval</th>"
        "<th>P(better)</th></tr>"
    )
    rows = []
    for metric in dict.fromkeys(table["metric"]):
        block = table[table["metric"] == metric]
        for i, (_, r) in enumerate(block.iterrows()):
            first = i == 0
            lead = (
                f"<td class='t' rowspan='{len(block)}'>"
                f"<b>{_e(metric)}</b><br><span class='muted'>{_e(meta.descriptions.get(metric, ''))}</span></td>"
                f"<td class='t' rowspan='{len(block)}'>{_e(r['kind'])}</td>"
                if first else ""
            )
            sig = (not math.isnan(r["diff_low"]) and (r["diff_low"] > 0 or r["diff_high"] < 0))
            diff_cls = " class='sig'" if sig else ""
            diff = "ref" if r["scenario"] == baseline else fmt(r["diff"])
            rows.append(
                f"<tr{' class=first' if first else ''}>{lead}<td class='t'>{_e(r['scenario'])}</td>"
                f"<td>{fmt(r['mean'])}</td><td>{_interval(r['ci_low'], r['ci_high'])}</td>"
                f"<td{diff_cls}>{diff}</td><td{diff_cls}>{_interval(r['diff_low'], r['diff_high'])}</td>"
                f"<td>{'' if r['scenario'] == baseline else _prob(r['p_better'], r['basis'])}</td></tr>"
            )
    return "<table>" + head + "".join(rows) + "</table>"


def _odds_table(table) -> str:
    if table.empty:
        return "<p class='muted'>No exposure tables in this file.</p>"
    head = ("<tr><th class='t'>scenario</th><th class='t'>exposure</th><th class='t'>outcome</th>"
            "<th>odds ratio</th><th>95 % CI (Woolf)</th><th>sector-adjusted (MH)</th><th>95 % CI (RBG)</th>"
            "<th>workers (pooled)</th></tr>")
    rows = []
    prev = None
    for _, r in table.iterrows():
        first = r["scenario"] != prev
        prev = r["scenario"]
        mark = " *" if r.get("corrected", False) else ""
        rows.append(
            f"<tr{' class=first' if first else ''}><td class='t'>{_e(r['scenario'])}</td>"
            f"<td class='t'>{_e(r['exposure'])}</td><td class='t'>{_e(r['outcome'])}</td>"
            f"<td>{fmt(r['odds_ratio'])}{mark}</td><td>{_interval(r['ci_low'], r['ci_high'])}</td>"
            f"<td>{fmt(r.get('mh_odds_ratio', float('nan')))}</td>"
            f"<td>{_interval(r.get('mh_ci_low', float('nan')), r.get('mh_ci_high', float('nan')))}</td>"
            f"<td>{_e(r['n'])}</td></tr>"
        )
    return "<table>" + head + "".join(rows) + "</table>"


def _pclass(p) -> str:
    """The colour class of a probability that a policy helps."""
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "none"
    if p >= 0.95:
        return "help2"
    if p >= 0.8:
        return "help1"
    if p <= 0.05:
        return "harm2"
    if p <= 0.2:
        return "harm1"
    return "none"


_PWORDS = {"help2": "very likely helps", "help1": "likely helps", "none": "unclear",
           "harm1": "likely harms", "harm2": "very likely harms"}


def _breakable(name: str) -> str:
    """A metric name that may wrap after its underscores (narrow table headers)."""
    return "_<wbr>".join(_e(part) for part in str(name).split("_"))


def _legend() -> str:
    return ("<p class='legend note'>Colour = probability that the policy makes the harm better (lower): "
            + "".join(f"<span class='p-{c}'>{w} ({r})</span>" for c, w, r in (
                ("help2", "very likely helps", "≥ 0.95"), ("help1", "likely helps", "0.8–0.95"),
                ("none", "unclear", "0.2–0.8"), ("harm1", "likely harms", "0.05–0.2"),
                ("harm2", "very likely harms", "≤ 0.05")))
            + " ▼ lower than the baseline, ▲ higher.</p>")


def _pct(x) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    v = 100.0 * x
    text = f"{v:+.0f}" if abs(v) >= 10 else f"{v:+.1f}"
    return text.replace("-", "−") + " %"


def _short(x) -> str:
    """A number in at most about three significant digits (``1,234``, ``12.3``, ``0.123``)."""
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 0.01:
        return f"{x:.3g}"
    return f"{x:.2g}"


def _signed(x) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return (("+" if x > 0 else "") + _short(x)).replace("-", "−")


def _uses_relative(block) -> bool:
    return bool(len(block)) and bool(block["rel"].notna().all()) and bool(
        (block["baseline_mean"].abs() > 0).all())


def _effect_text(r, relative: bool) -> tuple[str, str]:
    """(estimate, interval) of one effect row as text."""
    if relative:
        return _pct(r["rel"]), f"{_pct(r['rel_low'])} to {_pct(r['rel_high'])}".replace(" %", "", 1)
    return _signed(r["diff"]), f"{_signed(r['diff_low'])} to {_signed(r['diff_high'])}"


def _arrow(diff) -> str:
    if diff is None or not math.isfinite(diff) or diff == 0:
        return ""
    return "▼ " if diff < 0 else "▲ "


def _forest(meta: _io.ResultsInfo, table) -> str:
    """A forest plot in HTML and CSS: per harm, one row per policy with its estimate and interval."""
    parts = ["<div class='forest' id='forest'>"]
    for metric in dict.fromkeys(table["metric"]):
        block = table[table["metric"] == metric]
        relative = _uses_relative(block)
        lo_col, hi_col, mid_col = ("rel_low", "rel_high", "rel") if relative else ("diff_low", "diff_high", "diff")
        values = np.concatenate([block[c].to_numpy(dtype=float) for c in (lo_col, hi_col, mid_col)] + [[0.0]])
        values = values[np.isfinite(values)]
        lo, hi = float(values.min()), float(values.max())
        pad = 0.06 * (hi - lo) if hi > lo else 1.0
        lo, hi = lo - pad, hi + pad
        if relative:
            lo = max(lo, -1.0)  # nothing falls by more than all of it

        def pos(v):
            return 100.0 * (min(max(v, lo), hi) - lo) / (hi - lo)

        unit = "change from the baseline" if relative else ("difference to the baseline, " + (
            "total over the horizon" if block["kind"].iloc[0] == "count" else "horizon mean"))
        parts.append(f"<div class='fblock'><h3>{_e(metric)} <small>— {_e(meta.descriptions.get(metric, ''))}; "
                     f"{_e(unit)}</small></h3>")
        for _, r in block.iterrows():
            cls = _pclass(r["p_better"])
            est, interval = _effect_text(r, relative)
            mid, a, b = r[mid_col], r[lo_col], r[hi_col]
            track = f"<span class='fzero' style='left:{pos(0.0):.2f}%'></span>"
            if math.isfinite(a) and math.isfinite(b):
                track += f"<span class='fci' style='left:{pos(a):.2f}%;width:{max(pos(b) - pos(a), 0.3):.2f}%'></span>"
            if math.isfinite(mid):
                track += f"<span class='fdot' style='left:{pos(mid):.2f}%'></span>"
            parts.append(
                f"<div class='frow c-{cls}' title='{_e(_PWORDS[cls])}'><div class='flabel'>{_e(r['scenario'])}</div>"
                f"<div class='ftrack'>{track}</div>"
                f"<div class='fval'>{_arrow(r['diff'])}{est} <small>({interval})</small></div>"
                f"<div class='fp'>{_pword(r['better'])} {_prob(r['p_better'], r['basis'])}</div></div>")
        left = _pct(lo) if relative else _signed(lo)
        right = _pct(hi) if relative else _signed(hi)
        parts.append(f"<div class='faxis'><div></div><div class='ends'><span>{left}</span>"
                     f"<span>0 at the dashed line</span><span>{right}</span></div><div></div><div></div></div>")
        parts.append("</div>")
    parts.append("</div>")
    return "".join(parts)


def _reversals(frames: dict, overall, metric: str) -> list:
    """A note for each policy whose overall effect on ``metric`` goes the other way from its effect
    in most groups of a dimension: the policy moves workers between the groups (a sting pushes street
    workers into isolated areas), so the groups' changes do not add up to the whole. ``overall`` is
    the effect in the stratum ``all`` in the groups' units (per 1000 worker-days for a count), so
    that a policy that only shrinks or grows the population is not taken for one."""
    notes = []
    for _, o in overall.iterrows():
        if not math.isfinite(o["diff"]) or o["diff"] == 0:
            continue
        sign = 1.0 if o["diff"] > 0 else -1.0
        for dim, frame in frames.items():
            diffs = frame.loc[frame["scenario"] == o["scenario"], "diff"].to_numpy(dtype=float)
            diffs = diffs[np.isfinite(diffs)]
            against, along = int(np.sum(sign * diffs < 0)), int(np.sum(sign * diffs > 0))
            if against >= 2 and against > along:
                notes.append(
                    f"<p class='note'><b>{_e(o['scenario'])}</b>: {_e(metric)} "
                    f"{'rises' if sign > 0 else 'falls'} overall ({_signed(o['diff'])} {_e(o.get('unit', ''))}) "
                    f"but {'falls' if sign > 0 else 'rises'} in most groups by {_e(dim)}. The policy moves workers "
                    "between these groups (for example into isolated areas), so the groups' own changes do not add "
                    "up to the whole (Simpson's paradox): the overall effect is the one for the whole "
                    "population.</p>")
    return notes


def _pword(better: str) -> str:
    """What a probability beside an effect is of: P(lower) for a harm, P(higher) where more is
    better; nothing for a metric with no better direction (its probability is always "—")."""
    return {"lower": "P(lower)", "higher": "P(higher)"}.get(better, "")


def _baseline_named(baseline: str) -> str:
    """"the baseline" with its scenario's name, unless that name is "baseline" itself."""
    return "the baseline" if baseline == "baseline" else f"the baseline <b>{_e(baseline)}</b>"


def _prob(p, basis: str = "replicates") -> str:
    """A probability as text. Over draws it is a share of finitely many draws, shown as it is (0.00, 1.00);
    over replicates, where it is never exactly 0 or 1, the tails are shown as bounds."""
    if p is None or not math.isfinite(p):
        return "—"
    if basis == "draws":
        return f"{p:.2f}"
    if p > 0.999:
        return "&gt; 0.999"
    if p < 0.001:
        return "&lt; 0.001"
    return f"{p:.2f}" if 0.01 <= p <= 0.99 else f"{p:.3f}"


def _probability_table(table, scenarios) -> str:
    """Policies × key harms: the effect, coloured by the probability that the policy lowers the harm."""
    metrics = list(dict.fromkeys(table["metric"]))
    relative = {m: _uses_relative(table[table["metric"] == m]) for m in metrics}
    head = "<tr><th class='t'>policy</th>" + "".join(f"<th>{_breakable(m)}</th>" for m in metrics) + "</tr>"
    rows = []
    for scen in scenarios:
        cells = []
        for m in metrics:
            hit = table[(table["scenario"] == scen) & (table["metric"] == m)]
            if hit.empty:
                cells.append("<td>—</td>")
                continue
            r = hit.iloc[0]
            cls = _pclass(r["p_better"])
            est, _ = _effect_text(r, relative[m])
            cells.append(f"<td class='p-{cls}' title='{_e(_PWORDS[cls])}'><b>{_arrow(r['diff'])}{est}</b><br>"
                         f"<small>{_pword(r['better'])} {_prob(r['p_better'], r['basis'])}</small></td>")
        rows.append(f"<tr><td class='t'>{_breakable(scen)}</td>{''.join(cells)}</tr>")
    return ("<div class='scroll'><table class='ptable' id='probability-table'>" + head + "".join(rows)
            + "</table></div>")


def _ranking_table(rank, metric: str, baseline: str) -> str:
    head = ("<tr><th>rank</th><th class='t'>scenario</th><th>mean</th>"
            f"<th>difference to {_e(baseline)}</th><th class='t'>P(best)</th><th>expected rank</th></tr>")
    rows = []
    for _, r in rank.iterrows():
        width = max(0.0, min(1.0, float(r["p_best"]))) * 6.0
        label = _e(r["scenario"]) + (" <span class='muted'>(baseline)</span>" if r["scenario"] == baseline else "")
        rows.append(f"<tr><td>{int(r['rank'])}</td><td class='t'>{label}</td><td>{fmt(r['mean'])}</td>"
                    f"<td>{_signed(r['diff']) if r['scenario'] != baseline else 'ref'}</td>"
                    f"<td class='t'><span class='pbar' style='width:{width:.2f}em'></span>"
                    f"{_prob(r['p_best'], r['basis'])}</td>"
                    f"<td>{r['expected_rank']:.2f}</td></tr>")
    return "<div class='scroll'><table id='ranking'>" + head + "".join(rows) + "</table></div>"


def _equity_table(frames: dict, scenarios, metric: str) -> str:
    """Groups (by dimension) × policies: the effect on ``metric`` within each group, coloured like the table above."""
    head = "<tr><th class='t'>group</th>" + "".join(f"<th>{_breakable(s)}</th>" for s in scenarios) + "</tr>"
    rows = []
    unit = ""
    for dim, frame in frames.items():
        if frame.empty:
            continue
        unit = frame["unit"].iloc[0]
        rows.append(f"<tr class='first'><td class='t' colspan='{len(scenarios) + 1}'><b>by {_e(dim)}</b></td></tr>")
        for group in dict.fromkeys(frame["group"]):
            cells = []
            for scen in scenarios:
                hit = frame[(frame["scenario"] == scen) & (frame["group"] == group)]
                if hit.empty:
                    cells.append("<td>—</td>")
                    continue
                r = hit.iloc[0]
                cls = _pclass(r["p_better"])
                cells.append(f"<td class='p-{cls}' title='{_e(_PWORDS[cls])}'><b>{_arrow(r['diff'])}"
                             f"{_signed(r['diff'])}</b><br>"
                             f"<small>{_pword(r['better'])} {_prob(r['p_better'], r['basis'])}</small></td>")
            rows.append(f"<tr><td class='t'>{_e(group)}</td>{''.join(cells)}</tr>")
    if not rows:
        return "<p class='muted'>No equity strata in this file.</p>"
    direction = _decision.better_direction(metric)
    probability = ("" if direction == "none" else
                   f", and the probability that the policy {'raises' if direction == 'higher' else 'lowers'} it in "
                   "that group")
    return (f"<p class='note'>Difference to the baseline in <b>{_e(metric)}</b>, {_e(unit)} of the group"
            f"{probability}.</p>"
            "<div class='scroll'><table class='ptable' id='equity-table'>" + head + "".join(rows)
            + "</table></div>")


def _prcc_table(table, scenario: str) -> str:
    """Parameters × harms: the PRCC with one policy's effect, bold when p < 0.05."""
    block = table[table["scenario"] == scenario]
    metrics = list(dict.fromkeys(block["metric"]))
    head = "<tr><th class='t'>parameter</th>" + "".join(f"<th>{_breakable(m)}</th>" for m in metrics) + "</tr>"
    rows = []
    for param in dict.fromkeys(block["parameter"]):
        cells = []
        for m in metrics:
            hit = block[(block["metric"] == m) & (block["parameter"] == param)]
            if hit.empty or not math.isfinite(hit["prcc"].iloc[0]):
                cells.append("<td>—</td>")
                continue
            v, pv = float(hit["prcc"].iloc[0]), float(hit["p_value"].iloc[0])
            strong = pv < 0.05
            cls = ("p-harm2" if v > 0 else "p-help2") if strong and abs(v) >= 0.5 else (
                ("p-harm1" if v > 0 else "p-help1") if strong else "")
            cells.append(f"<td class='{cls}'>{'<b>' if strong else ''}{v:+.2f}{'</b>' if strong else ''}</td>")
        rows.append(f"<tr><td class='t'>{_e(param)}</td>{''.join(cells)}</tr>")
    return "<div class='scroll'><table class='ptable'>" + head + "".join(rows) + "</table></div>"


def _sensitivity_section(sweeps, rank_by: str) -> list:
    from . import sensitivity_analysis as _sens

    table = _sens.sensitivity(sweeps)
    parts = [
        "<section id='sensitivity'><h2>Which uncertain parameters drive each effect</h2>",
        "<p class='note'>Partial rank correlation coefficients (PRCC; Marino et al. 2008) of each swept "
        "parameter with each policy's effect (its mean minus the baseline's at the same point of the Latin "
        "hypercube), from the sweep files "
        + ", ".join(f"<code>{_e(os.path.basename(p))}</code>" for p in sweeps)
        + ". A PRCC near +1 means that the more of the parameter, the larger the effect (for a harm: the worse "
        "the policy); near −1, the smaller; bold (and coloured): p &lt; 0.05. The tornado plots show the "
        f"effect on <b>{_e(rank_by)}</b>; the tables every key harm.</p>",
    ]
    if table.empty:
        parts.append("<p class='muted'>The sweeps gave no result.</p></section>")
        return parts
    for scenario in dict.fromkeys(table["scenario"]):
        parts.append(f"<h3>{_e(scenario)}</h3>")
        metrics = list(dict.fromkeys(table[table["scenario"] == scenario]["metric"]))
        metric = rank_by if rank_by in metrics else metrics[0]
        ax = _plots.plot_tornado(table, scenario, metric)
        parts.append(_img(ax.figure, f"tornado plot: {scenario}, {metric}"))
        parts.append(_prcc_table(table, scenario))
    parts.append("</section>")
    return parts


def render_report(path, baseline: str | None = None, rank_by: str | None = None, sweeps=None) -> str:
    """The report as an HTML string.

    ``rank_by`` names the harm the policies are ranked by (default
    ``violence_buyer``, else the first key harm in the file); ``sweeps``, a
    list of sweep files with one design (one per scenario), adds the
    sensitivity section.
    """
    path = os.fspath(path)
    meta = _io.info(path)
    if baseline is None:
        baseline = meta.baseline
    _io._select(baseline, meta.scenarios, "scenario", path)
    harms = _decision.key_harms(meta.metrics)
    if rank_by is None:
        directed = [m for m in meta.metrics if _decision.better_direction(m) != "none"]
        rank_by = DEFAULT_RANK_METRIC if DEFAULT_RANK_METRIC in meta.metrics else (harms or directed or meta.metrics)[0]
    _io._select(rank_by, meta.metrics, "metric", path)
    effects = _decision.effects(path, baseline=baseline, metrics=harms) if harms else None
    policies = [s for s in meta.scenarios if s != baseline]
    comparison = _stats.summary(path, baseline=baseline)
    odds = _stats.odds_ratios(path)
    title = f"harmsim results — {os.path.basename(path)}"
    version = meta.attributes.get("harmsim_version", "?")
    commit = meta.attributes.get("git_commit", "?")
    finished = meta.attributes.get("finished_at", "?")
    # The note speaks of draws only when every comparison was paired by draw.
    have_effects = effects is not None and len(effects) > 0
    basis = "draws" if have_effects and bool((effects["basis"] == "draws").all()) else "replicates"
    n_basis = int(effects["n"].min()) if have_effects else None

    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='muted'>harmsim {_e(version)} · commit {_e(commit)} · finished {_e(finished)}</p>",
        "<nav class='toc'><a href='#answer'>The answer</a><a href='#equity'>Equity</a>"
        + ("<a href='#sensitivity'>Sensitivity</a>" if sweeps else "")
        + "<a href='#details'>Details</a></nav>",
        "<section id='answer'>",
        f"<h2>Does each policy lower harm, compared with {_e(baseline)}?</h2>",
        f"<p class='basis {basis}'><b>How sure:</b> {_e(_decision.uncertainty_note(basis, n_basis))}</p>",
    ]
    if have_effects:
        parts += [
            "<p class='note'>Each policy's effect on each key harm over the whole horizon, as the change from "
            f"{_baseline_named(baseline)}, and P(lower), the probability that the policy lowers that harm. "
            "Below, the same effects as a forest plot: the dot is the estimate, the bar its 95 % interval, left of "
            "the dashed line is lower.</p>",
            _legend(),
            _probability_table(effects, policies),
            "<h3>Each effect with its interval</h3>",
            _forest(meta, effects),
        ]
    elif not policies:
        parts.append(f"<p class='muted'>This file holds only the baseline {_e(baseline)}: no policy to compare "
                     "with it.</p>")
    else:
        parts.append("<p class='muted'>This file has none of the key harms "
                     f"({_e(', '.join(_decision.KEY_HARMS))}).</p>")
    rank = _decision.acceptability(path, rank_by, baseline=baseline)
    parts += [
        f"<h3>Ranking by {_e(rank_by)}</h3>",
        "<p class='note'>Scenarios ordered by their mean; P(best) is the probability that the scenario has the "
        f"{'lowest' if _decision.better_direction(rank_by) == 'lower' else 'highest'} {_e(rank_by)} of all "
        + ("(the share of parameter draws in which it does)" if rank["basis"].iloc[0] == "draws" else
           "given the Monte Carlo noise of the replicates only")
        + ": an acceptability analysis as in health economics.</p>",
        _ranking_table(rank, rank_by, baseline),
        "</section>",
    ]

    parts += ["<section id='equity'>", f"<h2>For whom: the effect on {_e(rank_by)} by group</h2>"]
    frames = {}
    for dim in EQUITY_DIMENSIONS:
        try:
            frames[dim] = _decision.equity_effects(path, rank_by, by=dim, baseline=baseline)
        except (ValueError, KeyError):
            continue
    parts.append(_equity_table(frames, policies, rank_by))
    parts += _reversals(frames, _decision.equity_effects(path, rank_by, by="all", baseline=baseline), rank_by)
    parts.append("<p class='note'>Strata pooled by dimension. Counts are given per 1000 worker-days of the group "
                 "so groups of different size compare; shares and means are weighted by active workers. Bars are "
                 "means over replicates with 95 % t-intervals.</p>")
    for metric in _present(STRATA_METRICS, meta.metrics, 1):
        parts.append(_img(_plots.plot_strata(path, metric, by=STRATA_DIMENSIONS), f"{metric} by strata"))
    parts.append("</section>")

    if sweeps:
        parts += _sensitivity_section([os.fspath(p) for p in sweeps], rank_by)

    parts += [
        "<section id='details'><h2>Details</h2>",
        "<h3>Run</h3>",
        _stamp_table(meta),
        "<h3>Scenarios</h3>",
        _scenario_table(meta, baseline),
        "<h3>Every metric, every scenario</h3>",
        "<p class='note'>Per replicate, each metric is reduced to one horizon value (the sum of a daily "
        "<i>count</i>, the mean of a daily <i>level</i> or <i>share</i>, stratum <code>all</code>). "
        "<b>mean</b> is the mean of these over replicates with a 95 % Student-t interval of the mean (from 0 at "
        "the lowest, as no metric is negative); "
        f"the <b>difference</b> is to {_baseline_named(baseline)} with a 95 % interval and "
        "<b>P(better)</b> the probability that the scenario is better than the baseline (lower, or higher for "
        "metrics such as victims identified or income; none, shown —, for counts of activity that are neither "
        "good nor bad in themselves, such as encounters, exits, or buyer and exploiter arrests): "
        + ("over parameter draws, paired by draw. " if basis == "draws" else
           "a Welch interval and Student's t over replicates. ")
        + "Differences whose interval excludes 0 are in bold. The means' intervals describe simulation "
        "(Monte Carlo) uncertainty"
        + (" and parameter uncertainty together.</p>" if basis == "draws" else
           ", given the model and its parameters, not uncertainty about the parameters.</p>"),
        "<div class='scroll'>" + _comparison_table(meta, comparison, baseline) + "</div>",
    ]

    comp_metrics = _present(COMPARISON_METRICS, meta.metrics, 9)
    if comp_metrics:
        parts.append(_img(_plots.plot_comparison(path, comp_metrics, baseline=baseline), "scenario comparison"))

    parts += [
        "<h3>Exposure and harm: odds ratios</h3>",
        "<p class='note'>Among workers active on the last day, as a cross-sectional survey would ask: "
        "exposure in the last 180 days against outcome in the same window. Tables are pooled over "
        "replicates; OR = ad/bc with a Woolf interval exp(ln OR ± 1.96·√(1/a+1/b+1/c+1/d)). "
        "* marks a table with a zero cell, where 0.5 was added to all four cells "
        "(Haldane–Anscombe correction); “—” means a whole margin is empty. The sector-adjusted ratio is "
        "the Mantel–Haenszel odds ratio over the street, venue and online tables, as surveys report "
        "adjusted ratios, with the Robins–Breslow–Greenland interval (no correction; “—” when it cannot "
        "be estimated).</p>",
        "<div class='scroll'>" + _odds_table(odds) + "</div>",
        "<h3>Over time</h3>",
        "<p class='note'>Daily mean over replicates; the band holds the middle 95 % of replicates "
        "(2.5 and 97.5 % quantiles, computed by the engine), not an interval for the mean.</p>",
    ]
    for metric in _present(SERIES_METRICS, meta.metrics, 4):
        ax = _plots.plot_metric(path, metric)
        parts.append(_img(ax.figure, f"{metric} over time"))

    parts.append("<h3>Scenario definitions</h3>")
    parts.append("<p class='note'>The fully resolved configuration of each scenario, defaults included, "
                 "as stored in the results file.</p>")
    for name in meta.scenarios:
        s = meta.scenario_info[name]
        parts.append(f"<h4>{_e(name)}</h4>")
        if s.description:
            parts.append(f"<p>{_e(s.description)}</p>")
        parts.append(f"<pre>{_e(s.config)}</pre>")

    parts.append("</section>")
    parts.append(f"<p class='muted'>Source: {_e(os.path.abspath(path))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(path, out_html, baseline: str | None = None, rank_by: str | None = None, sweeps=None) -> str:
    """Write the self-contained HTML report of ``path`` to ``out_html``; return the output path.

    The file appears only once complete (written beside the target, then renamed).
    """
    return write_html(render_report(path, baseline=baseline, rank_by=rank_by, sweeps=sweeps), out_html)


def write_html(text: str, out_html) -> str:
    """Write ``text`` to ``out_html`` atomically (beside the target, then renamed); return the output path."""
    out_html = os.fspath(out_html)
    directory = os.path.dirname(os.path.abspath(out_html))
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html.tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out_html)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return out_html
