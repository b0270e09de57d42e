"""Plots, the self-contained HTML report and the harmsim-report command."""
import os
import re
import subprocess

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
