"""Reading sweep files (``sweep.h5``) written by ``harmsim sweep`` or ``harmsim merge``.

The layout is docs/output.md, "Sweep files"::

    import harmsim_analysis as ha
    df = ha.load_sweep("sweep.h5", metrics=["violence_buyer"])
    # columns: one per swept parameter, then point, replicate, metric, value
    df.groupby(["encounter.rate_per_day", "metric"])["value"].mean()
    ha.plot_sweep("sweep.h5", "violence_buyer", "encounter.rate_per_day")

Like :func:`harmsim_analysis.open_results`, every reader refuses a file that
is not finished (``*.partial``, no ``complete = 1``), a shard that still needs
``harmsim merge``, and a sweep schema version this package does not know.
"""
from __future__ import annotations

import errno
import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterable, Iterator

import h5py
import numpy as np
import pandas as pd

from .io import (
    ExposureTables,
    IncompleteResultsError,
    ResultsError,
    UnsupportedSchemaError,
    _exposure_tables,
    _select,
    as_text,
    as_texts,
    file_kind,
)

#: Versions of the sweep layout (docs/output.md, "Sweep files") this package reads.
#: Version 2 added each point's ``exposure``, ``stratum_totals`` and ``strata``.
SUPPORTED_SWEEP_SCHEMA_VERSIONS = (1, 2)


@dataclass(frozen=True)
class SweepInfo:
    """Everything in a sweep file except the per-replicate numbers."""

    path: str
    sweep_id: str
    design: str  # "grid" or "lhs"
    scenario: str  # the base scenario
    replicates: int
    parameters: list  # swept parameter names, in file order
    design_values: pd.DataFrame  # index: point; one column per parameter
    metrics: list
    kinds: dict  # metric -> "count" | "level" | "share"
    attributes: dict  # root attributes as text
    base_config: str  # the resolved base scenario as TOML


@contextmanager
def open_sweep(path) -> Iterator[h5py.File]:
    """Open a finished sweep file read-only, or raise a clear error naming it."""
    path = os.fspath(path)
    if path.endswith(".partial"):
        raise IncompleteResultsError(
            f"{path}: a '.partial' file is an unfinished sweep; rerun the same `harmsim sweep` command to finish it"
        )
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such sweep file", path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read as an HDF5 file ({exc})") from None
    with f:
        kind = file_kind(f)
        if kind is None or "sweep_id" not in f.attrs:
            raise ResultsError(f"{path}: not a sweep file (use harmsim_analysis.load for results.h5)")
        if kind == "sweep-shard":
            shard = as_text(f.attrs["shard"]) if "shard" in f.attrs else "?"
            raise ResultsError(
                f"{path}: shard {shard} of a sweep; join the shards first with `harmsim merge OUT shard*.h5`"
            )
        if kind != "sweep":
            raise ResultsError(f"{path}: not a sweep file (file_kind {kind!r})")
        if "complete" not in f.attrs or int(np.asarray(f.attrs["complete"]).reshape(-1)[0]) != 1:
            raise IncompleteResultsError(f"{path}: not a finished sweep (no root attribute complete = 1)")
        version = int(np.asarray(f.attrs.get("schema_version", -1)).reshape(-1)[0])
        if version not in SUPPORTED_SWEEP_SCHEMA_VERSIONS:
            raise UnsupportedSchemaError(
                f"{path}: sweep schema_version {version} is not supported by this analysis package "
                f"(it reads {', '.join(map(str, SUPPORTED_SWEEP_SCHEMA_VERSIONS))})"
            )
        yield f


def _read_sweep_info(f: h5py.File, path: str) -> SweepInfo:
    try:
        parameters = as_texts(f["design/parameters"][()])
        values = np.asarray(f["design/values"][()], dtype=np.float64).reshape(-1, len(parameters))
        metrics = as_texts(f["metrics/name"][()])
        kinds = dict(zip(metrics, as_texts(f["metrics/kind"][()])))
        base_config = as_text(f["design/base_config"][()])
    except KeyError as exc:
        raise ResultsError(f"{path}: missing a dataset required by docs/output.md ({exc})") from None
    design = f["design"].attrs
    attributes = {}
    for key in f.attrs:
        value = f.attrs[key]
        attributes[key] = as_text(value) if np.asarray(value).size == 1 else str(value)
    frame = pd.DataFrame(values, columns=parameters)
    frame.index.name = "point"
    return SweepInfo(
        path=path,
        sweep_id=as_text(f.attrs["sweep_id"]),
        design=as_text(design["kind"]) if "kind" in design else "",
        scenario=as_text(design["scenario"]) if "scenario" in design else "",
        replicates=int(np.asarray(design.get("replicates", 0)).reshape(-1)[0]),
        parameters=parameters,
        design_values=frame,
        metrics=metrics,
        kinds=kinds,
        attributes=attributes,
        base_config=base_config,
    )


def sweep_info(path) -> SweepInfo:
    """The design, metrics and version stamp of a sweep file."""
    path = os.fspath(path)
    with open_sweep(path) as f:
        return _read_sweep_info(f, path)


def load_sweep(path, metrics: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Horizon totals of every point and replicate as a long DataFrame.

    Columns: one per swept parameter (named as in the sweep file, e.g.
    ``encounter.rate_per_day``; float64), then ``point`` and ``replicate``
    (0-based integers), ``metric`` (categorical) and ``value`` (float64: the
    replicate's horizon sum of a ``count`` metric, horizon mean of a ``level``
    or ``share``, stratum ``all``; ``/points/p<k>/totals``). ``metrics=None``
    means every metric.
    """
    path = os.fspath(path)
    with open_sweep(path) as f:
        meta = _read_sweep_info(f, path)
        chosen = _select(metrics, meta.metrics, "metric", path)
        parts = {"point": [], "replicate": [], "metric": [], "value": []}
        n_points = len(meta.design_values)
        for k in range(n_points):
            group = f["points"].get(f"p{k}")
            if group is None:
                raise ResultsError(f"{path}: no group /points/p{k} for point {k} of /design/values")
            for mi, metric in enumerate(chosen):
                if metric not in group["totals"]:
                    raise ResultsError(f"{path}: point p{k} has no totals for metric '{metric}'")
                values = np.asarray(group["totals"][metric][()], dtype=np.float64)
                n = values.size
                parts["point"].append(np.full(n, k, dtype=np.int64))
                parts["replicate"].append(np.arange(n, dtype=np.int64))
                parts["metric"].append(np.full(n, mi, dtype=np.int32))
                parts["value"].append(values)

    def cat(arrays, dtype):
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    point = cat(parts["point"], np.int64)
    frame = {name: meta.design_values[name].to_numpy()[point] for name in meta.parameters}
    frame["point"] = point
    frame["replicate"] = cat(parts["replicate"], np.int64)
    frame["metric"] = pd.Categorical.from_codes(cat(parts["metric"], np.int32), categories=chosen)
    frame["value"] = cat(parts["value"], np.float64)
    return pd.DataFrame(frame)


def _points(f: h5py.File, path: str, n_points: int, dataset: str):
    """Each point's group, refusing a sweep that lacks ``dataset`` (schema 1)."""
    for k in range(n_points):
        group = f["points"].get(f"p{k}")
        if group is None:
            raise ResultsError(f"{path}: no group /points/p{k} for point {k} of /design/values")
        if dataset not in group:
            version = int(np.asarray(f.attrs.get("schema_version", -1)).reshape(-1)[0])
            raise ResultsError(f"{path}: point p{k} has no {dataset} (sweep schema_version {version}; "
                               "sweeps keep it from version 2 on: run the sweep again with this harmsim)")
        yield k, group


def read_sweep_exposure(path) -> dict:
    """``{point: ExposureTables}``: every point's exposure tables (sweep schema 2)."""
    path = os.fspath(path)
    with open_sweep(path) as f:
        meta = _read_sweep_info(f, path)
        return {k: _exposure_tables(g["exposure"], f"{path}: points/p{k}/exposure")
                for k, g in _points(f, path, len(meta.design_values), "exposure")}


def load_sweep_strata(path, metrics: str | Iterable[str] | None = None, strata=None) -> pd.DataFrame:
    """Horizon totals of every point, replicate and stratum (sweep schema 2) as a long DataFrame.

    Like :func:`load_sweep`, with a column ``stratum`` (categorical, from each
    point's ``strata``), read from ``/points/p<k>/stratum_totals``. ``strata``
    selects strata by name (default: every one); a stratum a point lacks (a
    ``community/K`` beyond its communities) raises ``ValueError``.
    """
    path = os.fspath(path)
    with open_sweep(path) as f:
        meta = _read_sweep_info(f, path)
        chosen = _select(metrics, meta.metrics, "metric", path)
        metric_index = [meta.metrics.index(m) for m in chosen]
        names: list[str] = []
        parts = {"point": [], "replicate": [], "metric": [], "stratum": [], "value": []}
        for k, group in _points(f, path, len(meta.design_values), "stratum_totals"):
            point_strata = as_texts(group["strata"][()])
            picked = _select(strata, point_strata, f"stratum of point p{k}", path)
            columns = [point_strata.index(s) for s in picked]
            for s in picked:
                if s not in names:
                    names.append(s)
            codes = np.array([names.index(s) for s in picked], dtype=np.int32)
            values = np.asarray(group["stratum_totals"][()], dtype=np.float64)[:, metric_index][:, :, columns]
            n_rep = values.shape[0]
            parts["point"].append(np.full(values.size, k, dtype=np.int64))
            parts["replicate"].append(np.repeat(np.arange(n_rep, dtype=np.int64), len(chosen) * len(picked)))
            parts["metric"].append(np.tile(np.repeat(np.arange(len(chosen), dtype=np.int32), len(picked)), n_rep))
            parts["stratum"].append(np.tile(codes, n_rep * len(chosen)))
            parts["value"].append(values.reshape(-1))

    def cat(arrays, dtype):
        return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)

    point = cat(parts["point"], np.int64)
    frame = {name: meta.design_values[name].to_numpy()[point] for name in meta.parameters}
    frame["point"] = point
    frame["replicate"] = cat(parts["replicate"], np.int64)
    frame["metric"] = pd.Categorical.from_codes(cat(parts["metric"], np.int32), categories=chosen)
    frame["stratum"] = pd.Categorical.from_codes(cat(parts["stratum"], np.int32), categories=names)
    frame["value"] = cat(parts["value"], np.float64)
    return pd.DataFrame(frame)


def plot_sweep(path, metric: str, parameter: str, ax=None):
    """A metric's mean over replicates at every point against one swept parameter.

    Each point of the design is a dot (its mean horizon total, stratum
    ``all``) with a 95 % t-interval whisker across its replicates; the line
    joins the means over all points that share a value of ``parameter`` (in a
    grid: averaged over the other parameters). Returns the Axes.
    """
    from . import plots as _plots
    from . import stats as _stats

    path = os.fspath(path)
    meta = sweep_info(path)
    if parameter not in meta.parameters:
        _select([parameter], meta.parameters, "swept parameter", path)  # raises with a suggestion
    frame = load_sweep(path, metrics=[metric])
    if ax is None:
        ax = _plots.new_figure().add_subplot()
    per_point = []
    for k, group in frame.groupby("point", sort=True):
        mean, low, high = _stats.mean_ci(group["value"].to_numpy())
        per_point.append((float(group[parameter].iloc[0]), mean, low, high))
    x = np.array([p[0] for p in per_point])
    mean = np.array([p[1] for p in per_point])
    low = np.array([p[2] for p in per_point])
    high = np.array([p[3] for p in per_point])
    has_ci = ~np.isnan(low)
    color = _plots._PALETTE[0]
    if has_ci.any():
        ax.errorbar(x[has_ci], mean[has_ci], yerr=[mean[has_ci] - low[has_ci], high[has_ci] - mean[has_ci]],
                    fmt="none", ecolor=color, alpha=0.35, linewidth=1)
    ax.scatter(x, mean, s=16, color=color, zorder=3, label="point mean (95 % CI over replicates)")
    by_value = pd.Series(mean).groupby(x).mean()
    if len(by_value) < len(x) or meta.design == "grid":
        ax.plot(by_value.index.to_numpy(), by_value.to_numpy(), color=_plots._PALETTE[1], linewidth=1.6,
                label=f"mean over points at each {parameter}")
    ax.set_xlabel(parameter)
    kind = meta.kinds.get(metric, "")
    ax.set_ylabel(f"{metric} ({'horizon total' if kind == 'count' else 'horizon mean'})")
    ax.set_title(f"{metric} vs {parameter} — {meta.scenario}, {meta.design}, {len(x)} points", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    return ax
