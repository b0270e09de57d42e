"""Plots, the self-contained HTML report and the harmsim-report command."""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from matplotlib.figure import Figure

import harmsim_analysis as ha
from conftest import ANALYSIS, VERSION_STAMP

SCRIPT = os.path.join(os.path.abspath(ANALYSIS), "harmsim-report")
SCENARIOS = ["baseline", "sting", "decriminalization"]


@pytest.fixture(scope="module")
def report_html(report_results, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "report.html"
    assert ha.write_report(report_results, out) == str(out)
    return out.read_text(encoding="utf-8")


def test_report_names_every_scenario(report_html):
    for name in SCENARIOS:
        assert f"<h4>{name}</h4>" in report_html  # its definition, under Details
        assert report_html.count(name) >= 3  # scenario table, comparison table, definition


def test_report_carries_the_version_stamp(report_html):
    for key in ("harmsim_version", "git_commit", "command_line", "finished_at"):
        assert key in report_html
        assert VERSION_STAMP[key] in report_html


def test_report_is_self_contained(report_html):
    assert report_html.count("data:image/png;base64,") >= 4
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", report_html, re.I)
    assert "<script" not in report_html.lower()
    assert "<link" not in report_html.lower()


def test_report_tables(report_html):
    assert "difference to baseline" in report_html  # header names the baseline scenario
    assert "arrested_180d" in report_html and "violence_180d" in report_html
    assert "2.250" in report_html  # the hand-computed odds ratio
    assert "0.03819 *" in report_html  # the Haldane–Anscombe corrected one, marked
    assert "Haldane" in report_html


def test_report_escapes_text(report_html):
    assert "a &lt;b&gt;sting&lt;/b&gt; &amp; more" in report_html
    assert "x &lt; y &amp;&amp; z &gt; 0" in report_html
    assert "<b>sting</b>" not in report_html


def test_plot_metric(report_results):
    ax = ha.plot_metric(report_results, "violence_buyer")
    assert [line.get_label() for line in ax.get_lines()] == SCENARIOS
    # the mean line is summary/<metric> mean: replicate mean adds 2000 to the base value
    assert ax.get_lines()[1].get_ydata()[3] == pytest.approx(1e5 + 1e4 + 2000 + 300)
    assert len(ax.collections) == 3  # one band per scenario
    fig = Figure()
    ax2 = fig.add_subplot()
    assert ha.plot_metric(report_results, "violence_12m", stratum="community/1", ax=ax2) is ax2
    assert "community/1" in ax2.get_title()


def test_plot_comparison_and_strata(report_results):
    fig = ha.plot_comparison(report_results, ["violence_buyer", "arrests_worker"])
    assert isinstance(fig, Figure)
    visible = [a for a in fig.axes if a.get_visible()]
    assert len(visible) == 2
    heights = [p.get_height() for p in visible[0].patches]
    table = ha.summary(report_results, metrics=["violence_buyer"])
    assert heights == pytest.approx(list(table["mean"]))
    fig = ha.plot_strata(report_results, "violence_buyer", by=("community", "sector"))
    assert [a.get_title() for a in fig.axes] == ["violence_buyer by community", "violence_buyer by sector"]
    assert len(fig.axes[0].patches) == 3 * 3  # three communities × three scenarios


def run_cli(*args):
    return subprocess.run([SCRIPT, *args], capture_output=True, text=True, timeout=120)


def test_cli_missing_file(tmp_path):
    missing = str(tmp_path / "nope.h5")
    proc = run_cli(missing, "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 2
    assert missing in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.html").exists()


def test_cli_incomplete_file(make_results, tmp_path):
    path = make_results("r.h5", complete=0)
    proc = run_cli(path, "-o", str(tmp_path / "r.html"))
    assert proc.returncode == 2
    assert "not a finished" in proc.stderr and path in proc.stderr
    partial = make_results("results.h5.partial")
    assert run_cli(partial).returncode == 2


def test_cli_writes_report(report_results, tmp_path):
    out = tmp_path / "out.html"
    proc = run_cli(report_results, "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "data:image/png;base64," in out.read_text(encoding="utf-8")


# ----------------------------------------------------------------- the answer first

def _sections(html: str) -> list:
    """``(id, text)`` of each top-level <section> in document order."""
    return re.findall(r"<section id='([a-z-]+)'>(.*?)</section>", html, re.S)


def test_the_first_section_is_the_probability_table_and_the_forest_plot(report_html):
    sections = _sections(report_html)
    assert [s for s, _ in sections] == ["answer", "equity", "details"]
    assert report_html.index("<section id='answer'>") < report_html.index("<table")  # no table before it
    answer = sections[0][1]
    assert "id='probability-table'" in answer and "id='forest'" in answer and "id='ranking'" in answer
    # one forest row per policy and key harm of the file (violence_buyer, violence_12m, arrests_worker)
    assert answer.count("class='frow ") == 2 * 3
    assert re.findall(r"<div class='fblock'><h3>(\w+)", answer) == ["violence_buyer", "violence_12m",
                                                                    "arrests_worker"]
    # a file without draws says that its certainty is Monte Carlo noise only, before the numbers
    assert answer.index("Monte Carlo noise only") < answer.index("id='probability-table'")


def test_cells_are_coloured_by_the_probability_that_the_policy_lowers_the_harm(make_results, tmp_path):
    rng = np.random.default_rng(2)
    base = 100 + rng.normal(0, 1, 8)
    path = make_results(scenarios=("baseline", "helps", "harms", "unclear"), replicates=8, totals={
        "baseline": {"violence_buyer": base},
        "helps": {"violence_buyer": base - 30},
        "harms": {"violence_buyer": base + 30},
        "unclear": {"violence_buyer": base[::-1].copy()},
    })
    html = ha.render_report(path)
    table = re.search(r"id='probability-table'>(.*?)</table>", html, re.S).group(1)
    rows = {m.group(1).replace("<wbr>", ""): m.group(2)
            for m in re.finditer(r"<tr><td class='t'>(.*?)</td>(.*?)</tr>", table, re.S)}
    first_cell = {k: re.search(r"<td class='(p-\w+)'[^>]*><b>([^<]*)</b>", v).groups() for k, v in rows.items()}
    assert first_cell["helps"] == ("p-help2", "▼ −30 %")
    assert first_cell["harms"] == ("p-harm2", "▲ +30 %")
    assert first_cell["unclear"][0] == "p-none"
    # ranking: the helpful policy first, nearly sure to be best
    ranking = re.search(r"id='ranking'>(.*?)</table>", html, re.S).group(1)
    assert re.search(r"<td>1</td><td class='t'>helps</td>", ranking)


def test_a_file_with_parameter_draws_says_the_probabilities_are_over_draws(make_results):
    draws = np.repeat(np.arange(4), 2)
    path = make_results(scenarios=("baseline", "sting"), replicates=8, draws={"baseline": draws, "sting": draws})
    html = ha.render_report(path)
    assert "over 4 parameter draws" in html and "Monte Carlo noise only" not in html.split("id='details'")[0]


def test_the_report_ranks_by_the_harm_the_reader_names_and_adds_sensitivity_from_sweeps(report_results, tmp_path):
    from test_sensitivity import write_sweep

    design = ha.lhs_design({"encounter.rate_per_day": (0.5, 2.0), "heat.half_life_days": (7, 42)}, 12, seed=1)
    base = write_sweep(tmp_path / "b.h5", "baseline", design, lambda m, row, r: row["heat.half_life_days"])
    policy = write_sweep(tmp_path / "p.h5", "sting", design,
                         lambda m, row, r: row["heat.half_life_days"] + row["encounter.rate_per_day"] ** 2)
    html = ha.render_report(report_results, rank_by="arrests_worker", sweeps=[base, policy])
    assert [s for s, _ in _sections(html)] == ["answer", "equity", "sensitivity", "details"]
    assert "Ranking by arrests_worker" in html and "For whom: the effect on arrests_worker" in html
    sensitivity = dict(_sections(html))["sensitivity"]
    assert "tornado plot: sting, arrests_worker" in sensitivity  # the tornado is for the harm ranked by
    assert "<b>+1.00</b>" in sensitivity  # the rate drives the effect perfectly
    with pytest.raises(ValueError, match="no metric named 'arrests_wroker'"):
        ha.render_report(report_results, rank_by="arrests_wroker")


def test_cli_options_for_ranking_and_sweeps(report_results, tmp_path):
    out = tmp_path / "ranked.html"
    proc = run_cli(report_results, "-o", str(out), "--rank-by", "arrests_worker")
    assert proc.returncode == 0, proc.stderr
    assert "Ranking by arrests_worker" in out.read_text(encoding="utf-8")
    proc = run_cli(report_results, "-o", str(out), "--sweep", str(tmp_path / "missing.h5"))
    assert proc.returncode == 2 and proc.stderr.strip().endswith("missing.h5: no such file")


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
@pytest.mark.parametrize("width", [1400, 400])
def test_the_first_screen_shows_the_coloured_table_at_desktop_and_phone_width(report_html, tmp_path, width):
    """Headless Chromium renders the report; the first screen holds the coloured probability table."""
    from matplotlib.image import imread

    page = tmp_path / "report.html"
    page.write_text(report_html, encoding="utf-8")
    shot = tmp_path / f"shot_{width}.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", f"--window-size={width},1600", page.as_uri()],
                   capture_output=True, timeout=120, cwd=tmp_path)
    assert shot.exists(), "chromium wrote no screenshot"
    pixels = imread(str(shot))[:, :, :3]
    assert pixels.shape[:2] == (1600, width)
    very_likely_harms = np.array([0xb3, 0x28, 0x3d]) / 255.0  # the sting raises every harm: p-harm2 cells
    hits = np.all(np.abs(pixels - very_likely_harms) < 0.02, axis=2)
    assert hits.sum() > 500, "the coloured probability table is not on the first screen"


def test_a_file_with_only_the_baseline_still_reports(make_results):
    html = ha.render_report(make_results(scenarios=("baseline",)))
    assert "no policy to compare" in html
    assert [s for s, _ in _sections(html)] == ["answer", "equity", "details"]


def test_report_compares_the_shares_policing_moves(report_results, tmp_path, monkeypatch):
    # The comparison plot shows, beside the harms counted, the share of street
    # workers working in isolated areas when the file has it: people displaced,
    # through which policing raises violence (the synthetic file has
    # share_isolated, not share_displaced).
    from harmsim_analysis import plots, report

    plotted = []
    original = plots.plot_comparison

    def spy(path, metrics, **kwargs):
        plotted.append(list(metrics))
        return original(path, metrics, **kwargs)

    monkeypatch.setattr(plots, "plot_comparison", spy)
    ha.write_report(report_results, tmp_path / "report.html")
    assert plotted, "the report draws a comparison plot"
    assert "share_isolated" in plotted[0]
    assert "share_displaced" not in plotted[0]  # not in the file: not asked for
    assert plotted[0] == [m for m in report.COMPARISON_METRICS if m in ha.info(report_results).metrics]


def test_a_policy_that_lowers_a_harm_in_most_groups_but_raises_it_overall_is_flagged():
    """Simpson's paradox: a sting lowers buyer violence within most areas and raises it overall, by moving
    workers into isolated areas. The equity section says so, once per policy and dimension."""
    import pandas as pd

    from harmsim_analysis import report

    frames = {
        "area": pd.DataFrame({"scenario": ["sting"] * 3 + ["outreach"] * 3,
                              "group": ["central", "peripheral", "isolated"] * 2,
                              "diff": [-0.45, 0.16, -12.7, -1.0, -2.0, 0.5]}),
        "sector": pd.DataFrame({"scenario": ["sting"] * 3, "group": ["street", "venue", "online"],
                                "diff": [3.0, 0.1, 0.0]}),
    }
    overall = pd.DataFrame({"scenario": ["sting", "outreach"], "diff": [539.0, -40.0]})
    notes = report._reversals(frames, overall, "violence_buyer")
    assert len(notes) == 1
    assert "sting" in notes[0] and "rises overall" in notes[0] and "by area" in notes[0]
    assert "Simpson" in notes[0]


def test_cli_refuses_to_rank_by_a_count_with_no_better_direction(report_results, tmp_path):
    proc = run_cli(report_results, "-o", str(tmp_path / "r.html"), "--rank-by", "encounters")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--rank-by encounters" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "r.html").exists()
