"""Reading ``results.h5`` as written by ``harmsim run`` (docs/output.md).

Every public reader goes through :func:`open_results`, which refuses a file
that is not a finished result (still named ``*.partial`` or without the root
attribute ``complete = 1``) or whose ``schema_version`` this package does not
know.
"""
from __future__ import annotations

import difflib
import errno
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, NamedTuple, Sequence

import h5py
import numpy as np

if TYPE_CHECKING:  # imported where a table is made: the fit step reads files through this module without it
    import pandas as pd

#: Versions of docs/output.md this package reads. Version 2 added the sector
#: axis and the outcome ``buyer_violence_180d`` to ``exposure``, and
#: ``stratum_totals``. Version 3 added, in runs over a calibration's parameter
#: draws (``harmsim run --posterior``), ``replicate_draw`` and ``/posterior``;
#: its other files are laid out as version 2's.
SUPPORTED_SCHEMA_VERSIONS = (1, 2, 3)

#: Root attributes that stamp a result with the program that made it.
VERSION_ATTRIBUTES = ("harmsim_version", "git_commit", "command_line", "started_at", "finished_at")

#: Defaults for the axis names of the ``exposure`` dataset, used only when the
#: dataset lacks its ``exposures`` / ``outcomes`` / ``cells`` attributes.
DEFAULT_EXPOSURES = ("arrested_180d", "displaced_180d", "policed_180d")
DEFAULT_OUTCOMES = ("violence_180d", "buyer_violence_180d", "condomless_180d")
DEFAULT_OUTCOMES_V1 = ("violence_180d", "condomless_180d")
#: The strata of the exposure tables (schema 2): the worker's sector on the last day.
DEFAULT_EXPOSURE_STRATA = ("street", "venue", "online")
DEFAULT_CELLS = ("exposed_outcome", "exposed_no_outcome", "unexposed_outcome", "unexposed_no_outcome")
DEFAULT_STATISTICS = ("mean", "sd", "q025", "q500", "q975")


class ResultsError(ValueError):
    """A results file that cannot be read as a harmsim result."""


class IncompleteResultsError(ResultsError):
    """A results file that is not finished (``*.partial`` or ``complete != 1``)."""


class UnsupportedSchemaError(ResultsError):
    """A results file written under a ``schema_version`` this package does not read."""


# --------------------------------------------------------------------------- text


def as_text(value) -> str:
    """Decode an HDF5 string (variable or fixed length, bytes or str) to ``str``."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise TypeError(f"expected a scalar string, got an array of shape {value.shape}")
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8", errors="replace").rstrip("\x00")
    return str(value)


def as_texts(values) -> list[str]:
    """Decode a 1-D HDF5 string array (or a single string) to a list of ``str``."""
    arr = np.asarray(values)
    if arr.ndim == 0:
        return [as_text(arr[()])]
    return [as_text(v) for v in arr.reshape(-1)]


def _scalar(value):
    arr = np.asarray(value)
    if arr.size != 1:
        raise TypeError(f"expected a scalar, got shape {arr.shape}")
    return arr.reshape(-1)[0]


def _int_attr(attrs, name: str, default=None):
    if name not in attrs:
        return default
    try:
        return int(_scalar(attrs[name]))
    except (TypeError, ValueError):
        return default


# --------------------------------------------------------------------------- opening


def _check_finished(f: h5py.File, path: str) -> None:
    if "complete" not in f.attrs:
        raise IncompleteResultsError(
            f"{path}: not a finished harmsim result (no root attribute 'complete'; "
            "the run was interrupted or is still writing)"
        )
    try:
        complete = _scalar(f.attrs["complete"])
        done = int(complete) == 1
    except (TypeError, ValueError):
        done, complete = False, f.attrs["complete"]
    if not done:
        raise IncompleteResultsError(
            f"{path}: not a finished harmsim result (root attribute complete = {complete!r}, expected 1)"
        )
    version = _int_attr(f.attrs, "schema_version")
    if version is None:
        raise UnsupportedSchemaError(f"{path}: no root attribute 'schema_version'; not a harmsim result")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
        raise UnsupportedSchemaError(
            f"{path}: schema_version {version} is not supported by this analysis package "
            f"(it reads {supported}); use the analysis/ of the harmsim that wrote the file"
        )


@contextmanager
def open_results(path) -> Iterator[h5py.File]:
    """Open a finished results file read-only, or raise a clear error naming it.

    Raises ``FileNotFoundError`` for a missing file, :class:`IncompleteResultsError`
    for ``*.partial`` files and files without ``complete = 1``,
    :class:`UnsupportedSchemaError` for an unknown ``schema_version`` and
    :class:`ResultsError` for anything that is not an HDF5 file.
    """
    path = os.fspath(path)
    if path.endswith(".partial"):
        raise IncompleteResultsError(
            f"{path}: a '.partial' file is an unfinished run (docs/output.md); "
            "rerun the same command to finish it"
        )
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such results file", path)
    if os.path.isdir(path):
        raise ResultsError(f"{path}: is a directory, not a results file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read as an HDF5 file ({exc})") from None
    with f:
        _check_kind(f, path)
        _check_finished(f, path)
        yield f


#: What to do with the other files harmsim writes, when one is given where a
#: results file is read (their root attribute ``file_kind``; docs/output.md).
_OTHER_KINDS = {
    "sweep": "a sweep file of `harmsim sweep`, not a results file of `harmsim run`; read it with "
             "harmsim_analysis.load_sweep, or add it to a report with `harmsim report RESULTS.h5 --sweep` "
             "(or `harmsim report sensitivity`)",
    "sweep-shard": "a shard of a sweep, not a results file of `harmsim run`; join the shards with "
                   "`harmsim merge OUT shard*.h5` and read the sweep with harmsim_analysis.load_sweep",
    "calibration": "a calibration file of `harmsim calibrate`, not a results file of `harmsim run`; read it "
                   "with harmsim_analysis.read_calibration, or run its parameter draws with "
                   "`harmsim run --posterior`",
}


def file_kind(f: h5py.File) -> str | None:
    """The root attribute ``file_kind`` of a file harmsim wrote (``sweep``, ``sweep-shard``,
    ``calibration``), or None: results files of ``harmsim run`` have none."""
    return as_text(f.attrs["file_kind"]) if "file_kind" in f.attrs else None


def _check_kind(f: h5py.File, path: str) -> None:
    kind = file_kind(f)
    if kind is not None:
        raise ResultsError(f"{path}: {_OTHER_KINDS.get(kind, f'not a results file (file_kind {kind!r})')}")


# --------------------------------------------------------------------------- metadata


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    description: str
    seed: int | None
    replicates: int | None
    days: int | None
    warmup_days: int | None
    config: str


@dataclass(frozen=True)
class ResultsInfo:
    """Everything in a results file except the numbers."""

    path: str
    schema_version: int
    attributes: dict  # root attributes as text (version stamp)
    metrics: list  # metric names in file order
    kinds: dict  # metric -> "count" | "level" | "share"
    descriptions: dict  # metric -> one line
    strata: list  # stratum names in file order ("all" first)
    scenarios: list  # scenario names in run order; the first is the baseline
    scenario_info: dict = field(default_factory=dict)  # name -> ScenarioInfo

    @property
    def baseline(self) -> str:
        return self.scenarios[0]


def _read_info(f: h5py.File, path: str) -> ResultsInfo:
    try:
        metrics = as_texts(f["metrics/name"][()])
        kinds_list = as_texts(f["metrics/kind"][()])
        descr_list = (
            as_texts(f["metrics/description"][()]) if "metrics/description" in f else [""] * len(metrics)
        )
        strata = as_texts(f["strata"][()])
        scenarios = as_texts(f["scenario_names"][()])
    except KeyError as exc:
        raise ResultsError(f"{path}: missing a dataset required by docs/output.md ({exc})") from None
    if len(kinds_list) != len(metrics):
        raise ResultsError(f"{path}: /metrics/kind has {len(kinds_list)} entries for {len(metrics)} metrics")
    attributes = {}
    for key in f.attrs:
        try:
            value = f.attrs[key]
            attributes[key] = as_text(value) if np.asarray(value).size == 1 else str(value)
        except (TypeError, OSError):
            pass
    scen_info = {}
    for name in scenarios:
        if f"scenarios/{name}" not in f:
            raise ResultsError(f"{path}: scenario '{name}' is listed in /scenario_names but has no group")
        g = f["scenarios"][name]
        config = as_text(g["config"][()]) if "config" in g else ""
        scen_info[name] = ScenarioInfo(
            name=name,
            description=as_text(g.attrs["description"]) if "description" in g.attrs else "",
            seed=_int_attr(g.attrs, "seed"),
            replicates=_int_attr(g.attrs, "replicates"),
            days=_int_attr(g.attrs, "days"),
            warmup_days=_int_attr(g.attrs, "warmup_days"),
            config=config,
        )
    return ResultsInfo(
        path=path,
        schema_version=_int_attr(f.attrs, "schema_version"),
        attributes=attributes,
        metrics=metrics,
        kinds=dict(zip(metrics, kinds_list)),
        descriptions=dict(zip(metrics, descr_list)),
        strata=strata,
        scenarios=scenarios,
        scenario_info=scen_info,
    )


def info(path) -> ResultsInfo:
    """Names, kinds, strata, scenarios and the version stamp of a results file."""
    with open_results(path) as f:
        return _read_info(f, os.fspath(path))


def _select(requested, available: Sequence[str], what: str, path: str) -> list[str]:
    """Validate a user selection against the names in the file; keep order, drop repeats."""
    if requested is None:
        return list(available)
    if isinstance(requested, str):
        requested = [requested]
    chosen: list[str] = []
    for name in requested:
        if name not in available:
            near = difflib.get_close_matches(str(name), list(available), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            raise ValueError(f"{path}: no {what} named '{name}'{hint}")
        if name not in chosen:
            chosen.append(name)
    return chosen


# --------------------------------------------------------------------------- load


def load(
    path,
    metrics: str | Iterable[str] | None = None,
    strata: str | Iterable[str] | None = ("all",),
    scenarios: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Daily series as a long DataFrame.

    Columns: ``scenario, replicate, day, metric, stratum, value``; one row per
    scenario × metric × replicate × day × stratum. ``scenario``, ``metric`` and
    ``stratum`` are categoricals (in the order selected), ``replicate`` and
    ``day`` are 0-based integers (day 0 is the first reported day, after the
    warm-up), ``value`` is float64.

    ``metrics=None`` means every metric, ``strata=None`` every stratum,
    ``scenarios=None`` every scenario. Unknown names raise ``ValueError``.
    """
    import pandas as pd

    path = os.fspath(path)
    with open_results(path) as f:
        meta = _read_info(f, path)
        metric_sel = _select(metrics, meta.metrics, "metric", path)
        strata_sel = _select(strata, meta.strata, "stratum", path)
        scen_sel = _select(scenarios, meta.scenarios, "scenario", path)

        idx = np.array([meta.strata.index(s) for s in strata_sel], dtype=np.int64)
        order = np.argsort(idx, kind="stable")
        sorted_idx = idx[order]
        inverse = np.empty_like(order)
        inverse[order] = np.arange(order.size)
        take_all = sorted_idx.size == len(meta.strata)
        identity = bool(np.array_equal(idx, np.arange(idx.size)))
        k = idx.size
        stratum_codes = np.arange(k, dtype=np.int16 if k < 32000 else np.int32)

        parts = {name: [] for name in ("scenario", "replicate", "day", "metric", "value", "stratum")}
        for si, scen in enumerate(scen_sel):
            series = f["scenarios"][scen].get("series")
            for mi, metric in enumerate(metric_sel):
                if series is None or metric not in series:
                    raise ResultsError(f"{path}: scenario '{scen}' has no series for metric '{metric}'")
                ds = series[metric]
                if ds.ndim != 3 or ds.shape[2] != len(meta.strata):
                    raise ResultsError(
                        f"{path}: scenarios/{scen}/series/{metric} has shape {ds.shape}, "
                        f"expected [R, D, {len(meta.strata)}]"
                    )
                if take_all:
                    arr = ds[()]
                    if not identity:
                        arr = arr[:, :, idx]
                elif k == 0:
                    arr = np.empty(ds.shape[:2] + (0,), dtype=ds.dtype)
                else:
                    # h5py wants increasing indices: read sorted, then restore the order asked for
                    arr = ds[:, :, sorted_idx.tolist()][:, :, inverse]
                n_rep, n_day, _ = arr.shape
                n = n_rep * n_day * k
                parts["scenario"].append(np.full(n, si, dtype=np.int16))
                parts["metric"].append(np.full(n, mi, dtype=np.int16))
                parts["replicate"].append(np.repeat(np.arange(n_rep, dtype=np.int64), n_day * k))
                parts["day"].append(np.tile(np.repeat(np.arange(n_day, dtype=np.int64), k), n_rep))
                parts["stratum"].append(np.tile(stratum_codes, n_rep * n_day))
                parts["value"].append(np.asarray(arr, dtype=np.float64).reshape(-1))

    def cat(name, dtype):
        return np.concatenate(parts[name]) if parts[name] else np.empty(0, dtype=dtype)

    return pd.DataFrame(
        {
            "scenario": pd.Categorical.from_codes(cat("scenario", np.int16), categories=scen_sel),
            "replicate": cat("replicate", np.int64),
            "day": cat("day", np.int64),
            "metric": pd.Categorical.from_codes(cat("metric", np.int16), categories=metric_sel),
            "stratum": pd.Categorical.from_codes(cat("stratum", np.int16), categories=strata_sel),
            "value": cat("value", np.float64),
        }
    )


# --------------------------------------------------------------------------- raw pieces


def read_totals(path, metrics=None) -> dict:
    """``{scenario: {metric: float64 array [R]}}`` from ``/scenarios/<s>/totals``."""
    path = os.fspath(path)
    with open_results(path) as f:
        meta = _read_info(f, path)
        metric_sel = _select(metrics, meta.metrics, "metric", path)
        out = {}
        for scen in meta.scenarios:
            g = f["scenarios"][scen].get("totals")
            out[scen] = {
                m: np.asarray(g[m][()], dtype=np.float64).reshape(-1)
                for m in metric_sel
                if g is not None and m in g
            }
        return out


def read_summary(path, metric: str, stratum: str = "all") -> dict:
    """``{scenario: DataFrame(day, mean, sd, q025, q500, q975)}`` from ``summary/<metric>``."""
    import pandas as pd

    path = os.fspath(path)
    with open_results(path) as f:
        meta = _read_info(f, path)
        _select(metric, meta.metrics, "metric", path)
        _select(stratum, meta.strata, "stratum", path)
        s_idx = meta.strata.index(stratum)
        out = {}
        for scen in meta.scenarios:
            g = f["scenarios"][scen].get("summary")
            if g is None or metric not in g:
                continue
            ds = g[metric]
            if ds.ndim != 3 or ds.shape[0] != len(DEFAULT_STATISTICS) or ds.shape[2] != len(meta.strata):
                raise ResultsError(
                    f"{path}: scenarios/{scen}/summary/{metric} has shape {ds.shape}, "
                    f"expected [{len(DEFAULT_STATISTICS)}, D, {len(meta.strata)}]"
                )
            block = np.asarray(ds[:, :, s_idx], dtype=np.float64)  # [5, D]
            frame = pd.DataFrame({"day": np.arange(block.shape[1])})
            # docs/output.md fixes the order (mean, sd, 2.5 %, 50 %, 97.5 %); the
            # 'statistics' attribute only labels it, so columns are named by position.
            for i, name in enumerate(DEFAULT_STATISTICS):
                frame[name] = block[i]
            out[scen] = frame
        return out


class ExposureTables(NamedTuple):
    """The exposure × outcome 2×2 tables of one scenario (docs/output.md).

    ``counts`` is uint64 ``[R, K, E, O, 4]``: replicate, stratum, exposure,
    outcome, cell. ``strata`` names the K strata (the sector on the last day,
    ``street, venue, online``); ``stratified`` is False for schema-1 files,
    whose tables have no strata: they are read as one stratum ``all``.
    """

    counts: np.ndarray
    strata: list
    exposures: list
    outcomes: list
    cells: list
    stratified: bool


def read_exposure(path) -> dict:
    """``{scenario: ExposureTables}`` from ``/scenarios/<s>/exposure`` (schema 1 or 2)."""
    path = os.fspath(path)
    with open_results(path) as f:
        meta = _read_info(f, path)
        out = {}
        for scen in meta.scenarios:
            g = f["scenarios"][scen]
            if "exposure" not in g:
                continue
            out[scen] = _exposure_tables(g["exposure"], f"{path}: scenarios/{scen}/exposure")
        return out


def _exposure_tables(ds, where: str) -> ExposureTables:
    """The tables of an ``exposure`` dataset of a results or sweep file, either schema."""
    counts = np.asarray(ds[()])
    stratified = counts.ndim == 5
    if counts.ndim not in (4, 5):
        raise ResultsError(f"{where} has shape {counts.shape}, expected [R, 3, 3, 3, 4] (or [R, 3, 2, 4])")
    exposures = as_texts(ds.attrs["exposures"]) if "exposures" in ds.attrs else list(DEFAULT_EXPOSURES)
    default_outcomes = DEFAULT_OUTCOMES if stratified else DEFAULT_OUTCOMES_V1
    outcomes = as_texts(ds.attrs["outcomes"]) if "outcomes" in ds.attrs else list(default_outcomes)
    cells = as_texts(ds.attrs["cells"]) if "cells" in ds.attrs else list(DEFAULT_CELLS)
    if stratified:
        strata = as_texts(ds.attrs["strata"]) if "strata" in ds.attrs else list(DEFAULT_EXPOSURE_STRATA)
    else:
        strata = ["all"]
        counts = counts[:, None]
    if counts.shape[1:] != (len(strata), len(exposures), len(outcomes), len(cells)) or len(cells) != 4:
        raise ResultsError(
            f"{where} has shape {counts.shape}, which does not match its axis names ({len(strata)} strata, "
            f"{len(exposures)} exposures, {len(outcomes)} outcomes, {len(cells)} cells)"
        )
    return ExposureTables(counts, strata, exposures, outcomes, cells, stratified)


def read_stratum_totals(path, metrics=None) -> dict:
    """``{scenario: DataFrame}`` of every replicate's horizon total in every stratum.

    Columns: ``replicate, metric, stratum, value``: the horizon sum of a
    ``count``, the horizon mean of a ``level`` or ``share``, as ``totals`` are
    for stratum ``all``. Schema 2 stores them (``stratum_totals``); for a
    schema-1 file they are formed from the series by the same rule.
    """
    import pandas as pd

    path = os.fspath(path)
    with open_results(path) as f:
        meta = _read_info(f, path)
        metric_sel = _select(metrics, meta.metrics, "metric", path)
        out = {}
        for scen in meta.scenarios:
            g = f["scenarios"][scen]
            blocks = []  # [R, S] per metric
            if "stratum_totals" in g:
                ds = g["stratum_totals"]
                if ds.ndim != 3 or ds.shape[1:] != (len(meta.metrics), len(meta.strata)):
                    raise ResultsError(
                        f"{path}: scenarios/{scen}/stratum_totals has shape {ds.shape}, "
                        f"expected [R, {len(meta.metrics)}, {len(meta.strata)}]"
                    )
                values = np.asarray(ds[()], dtype=np.float64)
                blocks = [values[:, meta.metrics.index(m), :] for m in metric_sel]
            else:
                for m in metric_sel:
                    series = np.asarray(g["series"][m][()], dtype=np.float64)  # [R, D, S]
                    blocks.append(series.sum(axis=1) if meta.kinds.get(m) == "count" else series.mean(axis=1))
            n_rep = blocks[0].shape[0] if blocks else 0
            n_strata = len(meta.strata)
            frame = pd.DataFrame({
                "replicate": np.tile(np.repeat(np.arange(n_rep, dtype=np.int64), n_strata), len(metric_sel)),
                "metric": pd.Categorical.from_codes(
                    np.repeat(np.arange(len(metric_sel), dtype=np.int32), n_rep * n_strata), categories=metric_sel),
                "stratum": pd.Categorical.from_codes(
                    np.tile(np.arange(n_strata, dtype=np.int32), n_rep * len(metric_sel)), categories=meta.strata),
                "value": np.concatenate([b.reshape(-1) for b in blocks]) if blocks else np.zeros(0),
            })
            out[scen] = frame
        return out


def read_series_by_replicate(f: h5py.File, scenario: str, metric: str) -> Iterator[np.ndarray]:
    """Yield ``[D, S]`` float64 blocks of ``series/<metric>``, one replicate at a time.

    The series are chunked one replicate per chunk, so this reads each chunk once
    and never holds more than one replicate in memory.
    """
    ds = f["scenarios"][scenario]["series"][metric]
    for r in range(ds.shape[0]):
        yield np.asarray(ds[r], dtype=np.float64)
