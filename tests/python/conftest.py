"""Synthetic results files that follow docs/output.md (schema version 2, or 1) exactly.

The numbers are known by construction so the tests can assert them:

* series value = metric_index·1e5 + scenario_index·1e4 + replicate·1e3 + day·100 + stratum_index
  (exact in float32 for the small sizes used here), unless a test passes ``series_fn``;
* totals are formed from stratum ``all`` as the contract says (sum of a count,
  mean of a level/share) unless a test passes ``totals``;
* stratum totals (schema 2) are formed from every stratum the same way;
* exposure tables are ``default_exposure`` (schema 2: by sector, three
  outcomes; schema 1: pooled, two outcomes) unless a test passes ``exposure``.
"""
from __future__ import annotations

import os
import sys

import h5py
import numpy as np
import pytest

ANALYSIS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "analysis")
sys.path.insert(0, os.path.abspath(ANALYSIS))

METRICS = [  # (name, kind, description) — a subset of MODEL.md §5
    ("encounters", "count", "paid encounters"),
    ("violence_buyer", "count", "violent incidents by buyers"),
    ("arrests_worker", "count", "workers arrested"),
    ("arrests_buyer", "count", "buyers arrested"),
    ("workers_active", "level", "active workers"),
    ("income_mean", "level", "mean 30-day income of active workers"),
    ("violence_12m", "share", "active workers with any violence in the last 365 days"),
    ("share_isolated", "share", "active street workers working in isolated areas"),
]
SECTORS = ("street", "venue", "online")
DOCS = ("documented", "undocumented")
AGES = ("adult", "minor")
AREAS = ("central", "peripheral", "isolated")
STAT_NAMES = ("mean", "sd", "q025", "q500", "q975")
EXPOSURES = ("arrested_180d", "displaced_180d", "policed_180d")
OUTCOMES = ("violence_180d", "buyer_violence_180d", "condomless_180d")
OUTCOMES_V1 = ("violence_180d", "condomless_180d")
EXPOSURE_STRATA = ("street", "venue", "online")
#: The arrested_180d × violence_180d tables by sector of default_exposure: they
#: pool to a=20, b=80, c=10, d=90 (the crude table of the hand-computed tests).
SECTOR_TABLES = {"street": (12, 28, 2, 18), "venue": (5, 30, 4, 36), "online": (3, 22, 4, 36)}
CELLS = ("exposed_outcome", "exposed_no_outcome", "unexposed_outcome", "unexposed_no_outcome")

VERSION_STAMP = {
    "harmsim_version": "0.1.0-test",
    "git_commit": "abc123def456",
    "command_line": "harmsim run scenarios/baseline.toml scenarios/sting.toml --replicates 5",
    "started_at": "2024-05-01T10:00:00Z",
    "finished_at": "2024-05-01T10:05:42Z",
}


def strata_names(communities: int = 3) -> list[str]:
    names = ["all"]
    for sector in SECTORS:  # order of cell_stratum() in sim/model/metrics.hpp
        for doc in DOCS:
            for age in AGES:
                for area in AREAS:
                    names.append(f"{sector}/{doc}/{age}/{area}")
    names += [f"community/{k}" for k in range(1, communities + 1)]
    return names


def default_series(scenario_index: int, metric_index: int, replicates: int, days: int, n_strata: int):
    r = np.arange(replicates)[:, None, None]
    d = np.arange(days)[None, :, None]
    s = np.arange(n_strata)[None, None, :]
    return (metric_index * 1e5 + scenario_index * 1e4 + r * 1e3 + d * 100 + s).astype(np.float32)


def default_exposure(replicates: int, schema_version: int = 2) -> np.ndarray:
    """Per-replicate tables whose pooled arrested_180d × violence_180d table is a=20, b=80, c=10, d=90.

    Schema 2 ([R, 3 sectors, 3, 3, 4]): that table is split by sector as
    SECTOR_TABLES (replicate 0 holds all of it); the other tables are the
    schema-1 ones below, in sector ``street``, with the outcome
    ``buyer_violence_180d`` all ones per replicate.
    """
    v1 = default_exposure_v1(replicates)
    if schema_version == 1:
        return v1
    counts = np.zeros((replicates, 3, 3, 3, 4), dtype=np.uint64)
    counts[:, 0, :, 0, :] = v1[:, :, 0, :]  # violence_180d
    counts[:, 0, :, 2, :] = v1[:, :, 1, :]  # condomless_180d
    counts[:, 0, :, 1, :] = 1  # buyer_violence_180d
    counts[:, :, 0, 0, :] = 0
    for k, sector in enumerate(EXPOSURE_STRATA):
        counts[0, k, 0, 0, :] = SECTOR_TABLES[sector]
    return counts


def default_exposure_v1(replicates: int) -> np.ndarray:
    """Schema 1 ([R, 3, 2, 4]): pooled arrested_180d × violence_180d a=20, b=80, c=10, d=90 over replicates."""
    counts = np.zeros((replicates, 3, 2, 4), dtype=np.uint64)
    base = np.array([20, 80, 10, 90], dtype=np.uint64)
    for r in range(replicates):
        counts[r, :, :, :] = 1  # other tables: all ones per replicate
    # split the hand-computed table across replicates: replicate 0 gets all but r-1 units of each cell
    counts[:, 0, 0, :] = 0
    counts[0, 0, 0, :] = base - (replicates - 1)
    counts[1:, 0, 0, :] = 1
    # displaced_180d × violence_180d: a zero cell (a=0, b=50, c=10, d=40 pooled)
    counts[:, 1, 0, :] = 0
    counts[0, 1, 0, :] = [0, 50, 10, 40]
    # policed_180d × violence_180d: an empty margin (no one exposed)
    counts[:, 2, 0, :] = 0
    counts[0, 2, 0, :] = [0, 0, 30, 70]
    return counts


def _strings(values, mode):
    if mode == "fixed":
        return np.array([v.encode("utf-8") for v in values])  # fixed-length 'S' dtype
    return np.array(list(values), dtype=h5py.string_dtype("utf-8"))


def _attr_string(value, mode):
    return np.bytes_(value.encode("utf-8")) if mode == "fixed" else value


def write_results(
    path,
    scenarios=("baseline", "sting", "decriminalization"),
    replicates=5,
    days=10,
    communities=3,
    metrics=METRICS,
    series_fn=None,
    totals=None,
    exposure=None,
    complete=1,
    schema_version=2,
    string_mode="vlen",
    descriptions=None,
    configs=None,
    write_complete=True,
    draws=None,
):
    """Write a contract-conforming results file; return its path as str.

    ``replicates`` may be an int or a dict scenario -> R. ``totals`` is a dict
    scenario -> {metric: values}; ``exposure`` a dict scenario -> uint64
    [R,3,3,3,4] (schema 1: [R,3,2,4]). Schema 1 files have no ``stratum_totals``
    and no sector axis. ``draws`` is a dict scenario -> int [R]: each
    replicate's parameter draw, written as ``replicate_draw`` (docs/output.md,
    "Parameter draws").
    """
    path = os.fspath(path)
    strata = strata_names(communities)
    n_strata = len(strata)
    with h5py.File(path, "w") as f:
        f.attrs["schema_version"] = np.int64(schema_version)
        for key, value in VERSION_STAMP.items():
            f.attrs[key] = _attr_string(value, string_mode)
        f.create_dataset("metrics/name", data=_strings([m[0] for m in metrics], string_mode))
        f.create_dataset("metrics/kind", data=_strings([m[1] for m in metrics], string_mode))
        f.create_dataset("metrics/description", data=_strings([m[2] for m in metrics], string_mode))
        f.create_dataset("strata", data=_strings(strata, string_mode))
        f.create_dataset("scenario_names", data=_strings(list(scenarios), string_mode))
        for si, name in enumerate(scenarios):
            n_rep = replicates[name] if isinstance(replicates, dict) else replicates
            g = f.create_group(f"scenarios/{name}")
            desc = (descriptions or {}).get(name, f"synthetic scenario {name}")
            g.attrs["description"] = _attr_string(desc, string_mode)
            g.attrs["seed"] = np.uint64(1000 + si)
            g.attrs["replicates"] = np.int64(n_rep)
            g.attrs["days"] = np.int64(days)
            g.attrs["warmup_days"] = np.int64(30)
            config = (configs or {}).get(name, f'[scenario]\nname = "{name}"\nreplicates = {n_rep}\ndays = {days}\n')
            if string_mode == "fixed":
                g.create_dataset("config", data=np.bytes_(config.encode("utf-8")))
            else:
                g.create_dataset("config", data=config, dtype=h5py.string_dtype("utf-8"))
            g.create_dataset("replicate_seeds", data=np.arange(n_rep, dtype=np.uint64) + 77)
            g.create_dataset("events", data=np.full(n_rep, 12345, dtype=np.uint64))
            if draws is not None and name in draws:
                g.create_dataset("replicate_draw", data=np.asarray(draws[name], dtype=np.int64))
            by_stratum = np.zeros((n_rep, len(metrics), n_strata))
            for mi, (metric, kind, _) in enumerate(metrics):
                if series_fn is None:
                    values = default_series(si, mi, n_rep, days, n_strata)
                else:
                    values = np.asarray(series_fn(si, metric, n_rep, days, strata), dtype=np.float32)
                assert values.shape == (n_rep, days, n_strata)
                g.create_dataset(
                    f"series/{metric}", data=values, dtype=np.float32, chunks=(1, days, n_strata),
                    shuffle=True, compression="gzip",
                )
                v64 = values.astype(np.float64)
                summ = np.stack([
                    v64.mean(axis=0),
                    v64.std(axis=0, ddof=1) if n_rep > 1 else np.zeros(v64.shape[1:]),
                    np.percentile(v64, 2.5, axis=0),
                    np.percentile(v64, 50, axis=0),
                    np.percentile(v64, 97.5, axis=0),
                ])
                ds = g.create_dataset(f"summary/{metric}", data=summ, dtype=np.float64)
                ds.attrs["statistics"] = _strings(STAT_NAMES, string_mode)
                by_stratum[:, mi, :] = v64.sum(axis=1) if kind == "count" else v64.mean(axis=1)
                if totals is not None and metric in totals.get(name, {}):
                    tot = np.asarray(totals[name][metric], dtype=np.float64)
                else:
                    tot = by_stratum[:, mi, 0]
                g.create_dataset(f"totals/{metric}", data=tot, dtype=np.float64)
            if schema_version >= 2:
                g.create_dataset("stratum_totals", data=by_stratum, dtype=np.float64)
            if exposure is not None and name in exposure:
                exp = exposure[name]
            else:
                exp = default_exposure(n_rep, 1 if schema_version == 1 else 2)
            ds = g.create_dataset("exposure", data=np.asarray(exp, dtype=np.uint64), dtype=np.uint64)
            if schema_version >= 2:
                ds.attrs["strata"] = _strings(EXPOSURE_STRATA, string_mode)
            ds.attrs["exposures"] = _strings(EXPOSURES, string_mode)
            ds.attrs["outcomes"] = _strings(OUTCOMES if schema_version >= 2 else OUTCOMES_V1, string_mode)
            ds.attrs["cells"] = _strings(CELLS, string_mode)
        if write_complete:
            f.attrs["complete"] = np.int64(complete)  # the last thing written
    return path


@pytest.fixture
def make_results(tmp_path):
    """Factory: ``make_results(name="results.h5", **write_results kwargs) -> path``."""

    def make(name="results.h5", **kwargs):
        return write_results(tmp_path / name, **kwargs)

    return make


@pytest.fixture
def results(make_results):
    return make_results()


@pytest.fixture(scope="module")
def report_results(tmp_path_factory):
    """One small file for the (slower) report and plotting tests of a module."""
    path = tmp_path_factory.mktemp("report") / "results.h5"
    return write_results(
        path,
        descriptions={"sting": "a <b>sting</b> & more"},
        configs={"baseline": '[scenario]\nname = "baseline"\nnote = "x < y && z > 0"\n'},
    )
