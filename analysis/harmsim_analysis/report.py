"""A self-contained HTML report of a results file.

``write_report("results.h5", "report.html")`` writes ONE file: styles inline,
plots embedded as base64 PNG, no scripts and no external links, so it can be
mailed or archived as it is.
"""
from __future__ import annotations

import base64
import html
import math
import os
import tempfile

from . import io as _io
from . import plots as _plots
from . import stats as _stats

#: Metrics shown in the comparison plot, in this order, when the file has them.
COMPARISON_METRICS = (
    "violence_buyer", "violence_exploiter", "violence_police", "violence_12m",
    "arrests_worker", "arrests_buyer", "arrests_exploiter", "deportations",
    "victims_identified", "victims_arrested_missed", "housing_lost", "condomless_acts",
)
#: Metrics shown over time.
SERIES_METRICS = ("violence_12m", "arrests_worker", "victims_identified", "workers_active",
                  "share_isolated", "income_mean")
#: Metrics shown by equity strata.
STRATA_METRICS = ("violence_buyer", "violence_12m")
STRATA_DIMENSIONS = ("community", "sector")

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
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
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


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
        f"<th>95 % CI</th><th>difference to {_e(baseline)}</th><th>95 % CI (Welch)</th></tr>"
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
                f"<td{diff_cls}>{diff}</td><td{diff_cls}>{_interval(r['diff_low'], r['diff_high'])}</td></tr>"
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


def render_report(path, baseline: str | None = None) -> str:
    """The report as an HTML string."""
    path = os.fspath(path)
    meta = _io.info(path)
    if baseline is None:
        baseline = meta.baseline
    comparison = _stats.summary(path, baseline=baseline)
    odds = _stats.odds_ratios(path)
    title = f"harmsim results — {os.path.basename(path)}"
    version = meta.attributes.get("harmsim_version", "?")
    commit = meta.attributes.get("git_commit", "?")
    finished = meta.attributes.get("finished_at", "?")

    parts = [
        "<!DOCTYPE html>",
        "<html lang='en'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p class='muted'>harmsim {_e(version)} · commit {_e(commit)} · finished {_e(finished)}</p>",
        "<h2>Run</h2>",
        _stamp_table(meta),
        "<h2>Scenarios</h2>",
        _scenario_table(meta, baseline),
        "<h2>Comparison of scenarios</h2>",
        "<p class='note'>Per replicate, each metric is reduced to one horizon value (the sum of a daily "
        "<i>count</i>, the mean of a daily <i>level</i> or <i>share</i>, stratum <code>all</code>). "
        "<b>mean</b> is the mean of these over replicates with a 95 % Student-t interval of the mean; "
        f"the <b>difference</b> is to the baseline <b>{_e(baseline)}</b> with a Welch 95 % interval. "
        "Differences whose interval excludes 0 are in bold. Intervals describe simulation (Monte Carlo) "
        "uncertainty given the model and its parameters, not uncertainty about the parameters.</p>",
        _comparison_table(meta, comparison, baseline),
    ]

    comp_metrics = _present(COMPARISON_METRICS, meta.metrics, 9)
    if comp_metrics:
        parts.append(_img(_plots.plot_comparison(path, comp_metrics, baseline=baseline), "scenario comparison"))

    parts += [
        "<h2>Exposure and harm: odds ratios</h2>",
        "<p class='note'>Among workers active on the last day, as a cross-sectional survey would ask: "
        "exposure in the last 180 days against outcome in the same window. Tables are pooled over "
        "replicates; OR = ad/bc with a Woolf interval exp(ln OR ± 1.96·√(1/a+1/b+1/c+1/d)). "
        "* marks a table with a zero cell, where 0.5 was added to all four cells "
        "(Haldane–Anscombe correction); “—” means a whole margin is empty. The sector-adjusted ratio is "
        "the Mantel–Haenszel odds ratio over the street, venue and online tables, as surveys report "
        "adjusted ratios, with the Robins–Breslow–Greenland interval (no correction; “—” when it cannot "
        "be estimated).</p>",
        _odds_table(odds),
        "<h2>Over time</h2>",
        "<p class='note'>Daily mean over replicates; the band holds the middle 95 % of replicates "
        "(2.5 and 97.5 % quantiles, computed by the engine), not an interval for the mean.</p>",
    ]
    for metric in _present(SERIES_METRICS, meta.metrics, 4):
        ax = _plots.plot_metric(path, metric)
        parts.append(_img(ax.figure, f"{metric} over time"))

    parts += [
        "<h2>Equity strata</h2>",
        "<p class='note'>Strata pooled by dimension. Counts are given per 1000 worker-days of the group so "
        "groups of different size compare; shares and means are weighted by active workers. Bars are "
        "means over replicates with 95 % t-intervals.</p>",
    ]
    for metric in _present(STRATA_METRICS, meta.metrics, 1):
        parts.append(_img(_plots.plot_strata(path, metric, by=STRATA_DIMENSIONS), f"{metric} by strata"))

    parts.append("<h2>Scenario definitions</h2>")
    parts.append("<p class='note'>The fully resolved configuration of each scenario, defaults included, "
                 "as stored in the results file.</p>")
    for name in meta.scenarios:
        s = meta.scenario_info[name]
        parts.append(f"<h3>{_e(name)}</h3>")
        if s.description:
            parts.append(f"<p>{_e(s.description)}</p>")
        parts.append(f"<pre>{_e(s.config)}</pre>")

    parts.append(f"<p class='muted'>Source: {_e(os.path.abspath(path))}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def write_report(path, out_html, baseline: str | None = None) -> str:
    """Write the self-contained HTML report of ``path`` to ``out_html``; return the output path.

    The file appears only once complete (written beside the target, then renamed).
    """
    return write_html(render_report(path, baseline=baseline), out_html)


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
