"""harmsim_analysis — read, compare and report harmsim results (docs/output.md).

    import harmsim_analysis as ha
    df = ha.load("results.h5", metrics=["violence_buyer"])   # long DataFrame
    ha.summary("results.h5")        # scenario × metric: mean, 95 % CI, difference to baseline
    ha.odds_ratios("results.h5")    # exposure × outcome odds ratios: crude (Woolf) and sector-adjusted (MH)
    ha.effects("results.h5")        # each policy × key harm: difference, interval, P(policy lowers it)
    ha.acceptability("results.h5", "violence_buyer")   # ranking with P(each is best)
    ha.write_report("results.h5", "report.html")
    ha.load_sweep("sweep.h5")       # sweeps: parameters, point, replicate, metric, value
    ha.plot_sweep("sweep.h5", "violence_buyer", "encounter.rate_per_day")
    ha.sensitivity(["lhs_baseline.h5", "lhs_policy.h5"])   # PRCC of each parameter with each policy's effect
    cal = ha.read_calibration("calibration.h5")   # harmsim calibrate: accepted sets, best point, waves

Uses numpy, h5py, pandas, matplotlib, scipy (the t distribution) and
statsmodels (the odds ratios): Debian packages; run with /usr/bin/python3,
or install it (analysis/README.md).
"""
# Every name is imported from its module when first used (PEP 562), so that
# `import harmsim_analysis` costs nothing: the fit step, which harmsim runs as
# `python3 -m harmsim_analysis.calibrate` once a wave, needs neither pandas nor
# statsmodels, and importing them took 0.4 s of each fit process; plots and
# the report need matplotlib, the rest does not.
_EXPORTS = {
    "io": (
        "SUPPORTED_SCHEMA_VERSIONS",
        "IncompleteResultsError",
        "ResultsError",
        "ResultsInfo",
        "ScenarioInfo",
        "UnsupportedSchemaError",
        "info",
        "load",
        "open_results",
        "ExposureTables",
        "read_exposure",
        "read_stratum_totals",
        "read_summary",
        "read_totals",
    ),
    "sweep": (
        "SUPPORTED_SWEEP_SCHEMA_VERSIONS",
        "SweepInfo",
        "load_sweep",
        "load_sweep_strata",
        "open_sweep",
        "plot_sweep",
        "read_sweep_exposure",
        "sweep_info",
    ),
    "decision": (
        "HIGHER_IS_BETTER",
        "NO_DIRECTION",
        "KEY_HARMS",
        "acceptability",
        "effects",
        "equity_effects",
        "read_draws",
        "uncertainty_note",
    ),
    "stats": (
        "mantel_haenszel_odds_ratio",
        "mean_ci",
        "odds_ratios",
        "strata_summary",
        "summary",
        "t_cdf",
        "t_ppf",
        "welch_ci",
        "woolf_odds_ratio",
    ),
    "calibrate": ("read_calibration", "Calibration", "SUPPORTED_CALIBRATION_SCHEMA_VERSIONS"),
    "plots": ("plot_metric", "plot_comparison", "plot_strata", "plot_tornado"),
    "sensitivity_analysis": ("prcc", "sensitivity", "lhs_design", "points_sweep_toml"),
    "report": ("render_report", "write_report"),
}
_LAZY = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:  # ha.decision and the like, as when the package imported them all
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SUBMODULES = frozenset(_EXPORTS) | {"cli"}


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | _SUBMODULES)


__version__ = "0.1.0"

__all__ = list(_LAZY)
