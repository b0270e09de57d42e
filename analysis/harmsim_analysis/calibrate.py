"""Bayesian history matching for ``harmsim calibrate`` (docs/calibration.md), and reading its output.

The fit step of one wave, run by ``harmsim calibrate`` as::

    /usr/bin/python3 -m harmsim_analysis.calibrate fit WORKDIR WAVE

reads ``WORKDIR/problem.h5`` (parameters, prior ranges, targets, settings)
and ``WORKDIR/wave<j>/simulated.h5`` for every wave j <= WAVE (the design
and every fitted target's value and Monte-Carlo variance at each point,
computed by harmsim from the wave's sweeps), and writes
``WORKDIR/wave<WAVE>/emulators.pkl`` and ``WORKDIR/wave<WAVE>/fit.h5``, each
under a temporary name, synced and renamed (fit.h5 last: it is what says the
wave is fitted; a fit stopped between the two takes up the emulators it kept
instead of fitting them again).

The method is history matching with Gaussian-process emulators (Vernon,
Goldstein & Bower 2010; Andrianakis et al. 2015):

* inputs are scaled to [0, 1] over the prior box; each target is compared on
  its scale (odds ratios and ratios on the log scale, a change A/B - 1 as
  log(1 + value), the rest as it is);
* per target, an emulator: a linear trend by least squares plus a Gaussian
  process on its residuals (scikit-learn's GaussianProcessRegressor with an
  anisotropic Matern(nu = 2.5) kernel times a constant, plus a WhiteKernel
  nugget that takes up the Monte-Carlo noise of the simulated values;
  normalize_y, fixed random_state, one restart of the optimizer);
* implausibility I_t(x) = d_t(x) / sqrt(Var_emulator + Var_mc + Var_obs): d
  is |z - E[f(x)]| for a target with a finite interval (z its value, or the
  interval's midpoint on the target's scale; Var_obs = (half-width / 2)^2),
  and the distance from the interval for a bound such as [1, inf] (Var_obs =
  0); Var_emulator + Var_mc is the emulator's predictive variance of a
  simulated value, its nugget being the Monte-Carlo variance;
* a point is non-implausible when max_t I_t < cutoff under the emulators of
  every wave so far;
* the region is followed by a sample of it: after wave 1, the points of a
  Latin hypercube over the prior box (scipy.stats.qmc) that survive; after
  wave k, the points of wave k-1's sample that survive wave k's emulators;
  either is then spread uniformly over the region by a random walk (a
  Metropolis sampler whose target is uniform on the region), and the next
  wave's design is a greedy maximin subset of it; all draws are seeded from
  the calibration's seed and the wave;
* the share of the prior box kept: wave 1's surviving share of the
  hypercube, then times the share of each wave's sample that the next
  wave's emulators keep;
* stop after the last wave, when nothing is non-implausible, or when the kept
  share falls by less than 10 % from one wave to the next.

Accepted sets: every simulated point (all waves) whose simulated values are
all non-implausible with Var_obs + Var_mc alone (Var_mc: the point's own
Monte-Carlo variance); ``within`` flags those whose every value lies in its
target's interval. The best point: among the accepted points within every
interval, else among all accepted points, else among all points, the one
with the smallest maximum implausibility (ties: the earliest).

The reader, for any Python user::

    import harmsim_analysis as ha
    cal = ha.read_calibration("calibration.h5")
    cal.accepted          # DataFrame: one column per parameter, then the targets' values, within, wave, index
    cal.best              # Series: the best point's parameters
"""
from __future__ import annotations

import errno
import os
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

#: Values on the log scale are floored here (an odds ratio or ratio of 0).
LOG_FLOOR = 1e-3
#: Fewer simulated values than this: no emulator; the target rules nothing out.
MIN_TRAINING_POINTS = 5
#: The kept share must fall by more than this fraction from one wave to the next to go on.
MIN_SHRINK = 0.10
#: Candidate points per batch: at least this many, and 50 per design point.
MIN_CANDIDATES = 20000
#: Batches drawn at most to find a non-implausible candidate.
MAX_BATCHES = 20
#: A box around a sample is its bounding box widened by this share of its width on each side.
BOX_MARGIN = 0.10
#: The sample of the non-implausible region kept from wave to wave: at least this many points, and 5 per design point.
POOL_MIN = 1000
POOL_PER_POINT = 5
#: Steps of the random walk that spreads the sample over the region.
SPREAD_STEPS = 20

#: Version of the calibration file layout (docs/output.md, "Calibration files") this package reads.
SUPPORTED_CALIBRATION_SCHEMA_VERSIONS = (1,)


class FitError(RuntimeError):
    """A fit that cannot proceed; the message is one line for the user."""


# --- the problem ------------------------------------------------------------------


@dataclass
class Target:
    id: str
    scale: str  # identity, log, log1p
    low: float  # the interval on the target's scale (±inf allowed)
    high: float
    z: float  # the observation on the target's scale (NaN for a bound)
    sd_obs: float  # its standard deviation (0 for a bound)

    @property
    def bound(self) -> bool:
        return not np.isfinite(self.z)


def to_scale(values, scale: str):
    """Values of a target on its scale (NaN stays NaN)."""
    v = np.asarray(values, dtype=np.float64)
    if scale == "identity":
        return v.copy()
    x = v + 1.0 if scale == "log1p" else v
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(x), np.nan, np.log(np.maximum(x, LOG_FLOOR)))


def variance_to_scale(values, variance, scale: str):
    """Monte-Carlo variances of values, on the target's scale (the delta method)."""
    v = np.asarray(values, dtype=np.float64)
    var = np.asarray(variance, dtype=np.float64)
    if scale == "identity":
        return var.copy()
    x = v + 1.0 if scale == "log1p" else v
    with np.errstate(invalid="ignore", divide="ignore"):
        return var / np.maximum(x, LOG_FLOOR) ** 2


def interval_to_scale(low: float, high: float, scale: str):
    if scale == "identity":
        return low, high
    offset = 1.0 if scale == "log1p" else 0.0
    def one(x):
        if x == np.inf:
            return np.inf
        return -np.inf if x + offset <= 0 else float(np.log(x + offset))
    return one(low), one(high)


def make_target(id_, scale, value, low, high) -> Target:
    lo, hi = interval_to_scale(low, high, scale)
    if np.isfinite(lo) and np.isfinite(hi):
        z = float(to_scale([value], scale)[0]) if np.isfinite(value) else 0.5 * (lo + hi)
        return Target(id_, scale, lo, hi, z, (hi - lo) / 4.0)
    return Target(id_, scale, lo, hi, np.nan, 0.0)


def implausibility(target: Target, mean, variance):
    """I = d / sqrt(variance + Var_obs); NaN means are infinitely implausible."""
    m = np.asarray(mean, dtype=np.float64)
    var = np.maximum(np.asarray(variance, dtype=np.float64), 0.0) + target.sd_obs ** 2
    if target.bound:
        d = np.maximum(np.maximum(target.low - m, m - target.high), 0.0)
    else:
        d = np.abs(target.z - m)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(var > 0, d / np.sqrt(np.where(var > 0, var, 1.0)), np.where(d > 0, np.inf, 0.0))
    return np.where(np.isnan(m) | np.isnan(out), np.inf, out)


# --- emulators --------------------------------------------------------------------


class Emulator:
    """A linear trend plus a Gaussian process on its residuals, for one target on its scale."""

    def __init__(self, u: np.ndarray, y: np.ndarray, seed: int):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel

        self.points = len(y)
        self.kernel_text = "none: too few simulated values"
        self.r2 = np.nan
        self.gp = None
        self.constant = float(np.mean(y)) if len(y) else 0.0
        self.spread = float(np.var(y)) if len(y) > 1 else 1.0
        if len(y) < MIN_TRAINING_POINTS:
            self.coefficients = None
            return
        n, p = u.shape
        design = np.hstack([np.ones((n, 1)), u])
        if n > p + 2:
            self.coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
        else:
            self.coefficients = np.zeros(p + 1)
            self.coefficients[0] = self.constant
        residual = y - design @ self.coefficients
        kernel = (ConstantKernel(1.0, (1e-3, 1e3))
                  * Matern(length_scale=np.full(p, 0.5), length_scale_bounds=(0.05, 100.0), nu=2.5)
                  + WhiteKernel(noise_level=0.1, noise_level_bounds=(1e-6, 10.0)))
        self.gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=1,
                                           random_state=seed)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence notes of the optimizer
            self.gp.fit(u, residual)
        self.kernel_text = str(self.gp.kernel_)
        self.r2 = self._loo_r2(u, y, residual)

    def _loo_r2(self, u, y, residual) -> float:
        """Leave-one-out R² of the emulator (Rasmussen & Williams 2006, eq. 5.12), hyperparameters held."""
        gp = self.gp
        std = float(np.atleast_1d(gp._y_train_std)[0])
        mean = float(np.atleast_1d(gp._y_train_mean)[0])
        k = gp.kernel_(u) + gp.alpha * np.eye(len(u))
        try:
            k_inv = np.linalg.inv(k)
        except np.linalg.LinAlgError:
            return np.nan
        a = k_inv @ ((residual - mean) / std)
        loo = a / np.diag(k_inv) * std
        total = float(np.sum((y - y.mean()) ** 2))
        return float(1.0 - np.sum(loo ** 2) / total) if total > 0 else np.nan

    def predict(self, u: np.ndarray):
        """Mean and variance of a simulated value at u (the emulator's predictive variance, nugget included)."""
        if self.gp is None:
            return np.full(len(u), self.constant), np.full(len(u), np.inf)
        design = np.hstack([np.ones((len(u), 1)), u])
        mean, sd = self.gp.predict(u, return_std=True)
        return design @ self.coefficients + mean, sd ** 2


# --- the steps of a wave ------------------------------------------------------------


@dataclass
class Problem:
    parameters: list
    low: np.ndarray
    high: np.ndarray
    targets: list
    target_low: np.ndarray  # the targets' intervals as published (original scale)
    target_high: np.ndarray
    cutoff: float
    seed: int
    waves: int
    points: int


def read_problem(path: str) -> Problem:
    import h5py

    from .io import as_texts

    with h5py.File(path, "r") as f:
        _require_complete(f, path)
        names = as_texts(f["parameters/names"][()])
        ids = as_texts(f["targets/ids"][()])
        scales = as_texts(f["targets/scale"][()])
        value = np.asarray(f["targets/value"][()], dtype=np.float64)
        low = np.asarray(f["targets/low"][()], dtype=np.float64)
        high = np.asarray(f["targets/high"][()], dtype=np.float64)
        targets = [make_target(i, s, v, lo, hi) for i, s, v, lo, hi in zip(ids, scales, value, low, high)]
        return Problem(
            parameters=names,
            low=np.asarray(f["parameters/low"][()], dtype=np.float64),
            high=np.asarray(f["parameters/high"][()], dtype=np.float64),
            targets=targets,
            target_low=low,
            target_high=high,
            cutoff=float(f.attrs["cutoff"]),
            seed=int(f.attrs["seed"]),
            waves=int(f.attrs["waves"]),
            points=int(f.attrs["points"]),
        )


def _require_complete(f, path):
    if "complete" not in f.attrs or int(np.asarray(f.attrs["complete"]).reshape(-1)[0]) != 1:
        raise FitError(f"{path}: not finished (no complete = 1)")


@dataclass
class Simulated:
    points: np.ndarray  # [n, p] parameter values
    values: np.ndarray  # [n, T] on the original scale
    variance: np.ndarray  # [n, T]


def read_simulated(path: str, problem: Problem) -> Simulated:
    import h5py

    with h5py.File(path, "r") as f:
        _require_complete(f, path)
        s = Simulated(np.asarray(f["points"][()], dtype=np.float64), np.asarray(f["values"][()], dtype=np.float64),
                      np.asarray(f["variance"][()], dtype=np.float64))
    p, t = len(problem.parameters), len(problem.targets)
    if s.points.ndim != 2 or s.points.shape[1] != p or s.values.shape != (len(s.points), t) \
            or s.variance.shape != s.values.shape:
        raise FitError(f"{path}: shapes do not match the problem ({p} parameters, {t} targets)")
    return s


def scaled_inputs(problem: Problem, points: np.ndarray) -> np.ndarray:
    return (points - problem.low) / (problem.high - problem.low)


def on_scale(problem: Problem, values: np.ndarray, variance: np.ndarray):
    y = np.column_stack([to_scale(values[:, t], tg.scale) for t, tg in enumerate(problem.targets)]) \
        if values.size else np.zeros(values.shape)
    v = np.column_stack([variance_to_scale(values[:, t], variance[:, t], tg.scale)
                         for t, tg in enumerate(problem.targets)]) if values.size else np.zeros(values.shape)
    return y, np.where(np.isnan(v), 0.0, v)


def simulated_implausibility(problem: Problem, values: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """[n, T]: each simulated value's implausibility with Var_obs + its own Monte-Carlo variance."""
    y, v = on_scale(problem, values, variance)
    out = np.empty(values.shape)
    for t, target in enumerate(problem.targets):
        out[:, t] = implausibility(target, y[:, t], v[:, t])
    return out


def emulated_implausibility(problem: Problem, emulators, u: np.ndarray) -> np.ndarray:
    """[n, T]: implausibility of each target's emulator at u."""
    out = np.empty((len(u), len(problem.targets)))
    for t, (target, emulator) in enumerate(zip(problem.targets, emulators)):
        mean, var = emulator.predict(u)
        out[:, t] = implausibility(target, mean, var)
    return out


def survives(problem: Problem, waves_emulators, u: np.ndarray) -> np.ndarray:
    """Whether each point of u is non-implausible under every wave's emulators (cheap rejection first)."""
    keep = np.ones(len(u), dtype=bool)
    for emulators in waves_emulators:
        for target, emulator in zip(problem.targets, emulators):
            index = np.flatnonzero(keep)
            if index.size == 0:
                return keep
            mean, var = emulator.predict(u[index])
            keep[index[implausibility(target, mean, var) >= problem.cutoff]] = False
    return keep


def latin_hypercube(box_low, box_high, n: int, seed_parts) -> np.ndarray:
    from scipy.stats import qmc

    sampler = qmc.LatinHypercube(d=len(box_low), seed=np.random.default_rng(list(seed_parts)))
    return box_low + sampler.random(n) * (box_high - box_low)


def widened_box(points: np.ndarray):
    """The bounding box of points in [0, 1]^p, widened by BOX_MARGIN of its width on each side."""
    width = points.max(axis=0) - points.min(axis=0)
    return (np.clip(points.min(axis=0) - BOX_MARGIN * width, 0.0, 1.0),
            np.clip(points.max(axis=0) + BOX_MARGIN * width, 0.0, 1.0))


def maximin_subset(candidates: np.ndarray, n: int) -> np.ndarray:
    """Indices of n well-spread candidates: greedy maximin over their own ranges, from the one nearest the centre."""
    if len(candidates) <= n:
        return np.arange(len(candidates))
    lo, hi = candidates.min(axis=0), candidates.max(axis=0)
    x = (candidates - lo) / np.where(hi > lo, hi - lo, 1.0)
    chosen = [int(np.argmin(np.sum((x - x.mean(axis=0)) ** 2, axis=1)))]
    nearest = np.sum((x - x[chosen[0]]) ** 2, axis=1)
    for _ in range(n - 1):
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.sum((x - x[nxt]) ** 2, axis=1))
    return np.array(sorted(chosen))


def accepted_sets(problem: Problem, simulated: list):
    """The accepted points of every wave so far, and the best point (docs/calibration.md)."""
    rows = []
    for w, s in enumerate(simulated, start=1):
        imp = simulated_implausibility(problem, s.values, s.variance)
        worst = imp.max(axis=1) if imp.size else np.full(len(s.values), np.inf)
        with np.errstate(invalid="ignore"):
            within = np.all((s.values >= problem.target_low) & (s.values <= problem.target_high), axis=1)
        for i in range(len(s.values)):
            rows.append((w, i, float(worst[i]), bool(within[i])))
    accepted = [r for r in rows if r[2] < problem.cutoff]
    pool = [r for r in accepted if r[3]] or accepted or [r for r in rows if np.isfinite(r[2])]
    best = min(pool, key=lambda r: (r[2], r[0], r[1])) if pool else None
    return accepted, best


def fit_wave(workdir: str, wave: int) -> dict:
    """The fit step of one wave; returns what it wrote to fit.h5."""
    started = time.monotonic()
    problem = read_problem(os.path.join(workdir, "problem.h5"))
    simulated = [read_simulated(os.path.join(workdir, f"wave{j}", "simulated.h5"), problem)
                 for j in range(1, wave + 1)]
    earlier = [load_or_fit_emulators(workdir, problem, simulated, j) for j in range(1, wave)]
    # A fit stopped after its emulators were written (fit.h5 is written last)
    # takes them up again: they are what fitting again would give, bit for bit.
    path = os.path.join(workdir, f"wave{wave}", "emulators.pkl")
    emulators = load_emulators(path, problem)
    if emulators is None:
        emulators = fit_emulators(problem, simulated, earlier, wave)
        write_atomically(path, pickle.dumps(emulators))
    all_emulators = earlier + [emulators]

    n_params = len(problem.parameters)
    batch = max(MIN_CANDIDATES, 50 * problem.points)
    if wave == 1:
        # A Latin hypercube over the prior box (more batches while none
        # survives): the share it keeps, and the first sample of the region.
        references, imps = [], []
        for b in range(MAX_BATCHES):
            references.append(latin_hypercube(np.zeros(n_params), np.ones(n_params), batch, (problem.seed, wave, b)))
            imps.append(emulated_implausibility(problem, emulators, references[-1]))
            if (imps[-1].max(axis=1) < problem.cutoff).any():
                break
        reference, imp = np.vstack(references), np.vstack(imps)
        previous_share = 1.0
    else:
        # The previous wave's sample of its region, uniform over it: the share
        # of it this wave's emulators keep is the share of the region kept.
        reference, previous_share = read_pool(os.path.join(workdir, f"wave{wave - 1}", "fit.h5"))
        imp = emulated_implausibility(problem, emulators, reference)
    keep = imp.max(axis=1) < problem.cutoff
    alone = (imp < problem.cutoff).mean(axis=0) if len(reference) else np.zeros(len(problem.targets))
    kept_share = previous_share * float(keep.mean()) if len(reference) else 0.0
    pool = reference[keep]
    if wave > 1 and not len(pool) and len(reference):
        # Nothing of the previous sample is left: a last look, Latin
        # hypercubes over its widened box, before the calibration fails.
        low, high = widened_box(reference)
        for b in range(MAX_BATCHES):
            more = latin_hypercube(low, high, batch, (problem.seed, wave, b))
            pool = more[survives(problem, all_emulators, more)]
            if len(pool):
                kept_share = float(np.prod(high - low)) * len(pool) / batch
                break

    stop_reason = ""
    if not len(pool):
        stop_reason = "empty"
    elif wave >= problem.waves:
        stop_reason = "waves"
    elif wave >= 2 and kept_share > (1.0 - MIN_SHRINK) * previous_share:
        stop_reason = "converged"

    next_points = np.zeros((0, n_params))
    if not stop_reason:
        pool = spread(problem, all_emulators, pool, max(POOL_MIN, POOL_PER_POINT * problem.points),
                      np.random.default_rng([problem.seed, wave, 2]))
        chosen = pool[maximin_subset(pool, problem.points)]
        next_points = np.clip(problem.low + chosen * (problem.high - problem.low), problem.low, problem.high)

    wave_sim = simulated[-1]
    imp = simulated_implausibility(problem, wave_sim.values, wave_sim.variance)
    accepted, best = accepted_sets(problem, simulated)
    result = {
        "wave": wave,
        "kept_share": kept_share,
        "stop_reason": stop_reason,
        "candidates": len(reference),
        "non_implausible": int(keep.sum()),
        "implausibility": imp.max(axis=1) if imp.size else np.zeros(0),
        "target_implausibility": imp,
        "emulator_r2": np.array([e.r2 for e in emulators], dtype=np.float64),
        "emulator_points": np.array([e.points for e in emulators], dtype=np.int64),
        "target_kept_share": np.asarray(alone, dtype=np.float64),
        "kernels": [e.kernel_text for e in emulators],
        "next_points": next_points,
        "pool": pool if not stop_reason else np.zeros((0, n_params)),
        "accepted": accepted,
        "best": best,
        "cutoff": problem.cutoff,
    }
    result["seconds"] = time.monotonic() - started
    write_fit(os.path.join(workdir, f"wave{wave}", "fit.h5"), result)
    return result


def training_set(problem: Problem, simulated: list, earlier: list, wave: int):
    """Points of waves <= `wave` inside the region the earlier waves left (all of wave 1's at first)."""
    u = np.vstack([scaled_inputs(problem, s.points) for s in simulated[:wave]])
    values = np.vstack([s.values for s in simulated[:wave]])
    variance = np.vstack([s.variance for s in simulated[:wave]])
    inside = survives(problem, earlier, u) if earlier else np.ones(len(u), dtype=bool)
    y, _ = on_scale(problem, values[inside], variance[inside])
    return u[inside], y


def fit_jobs(tasks: int) -> int:
    """Processes for the emulator fits: HARMSIM_FIT_JOBS (harmsim calibrate passes its -j), at most one per target."""
    try:
        jobs = int(os.environ.get("HARMSIM_FIT_JOBS", "1"))
    except ValueError:
        jobs = 1
    return max(1, min(jobs, tasks))


def _die_with_parent(parent: int) -> None:
    """Initializer of a fit process: it is killed with the fit step, however that ends."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the pool still ends with the fit step when it exits normally
        pass
    if os.getppid() != parent:
        os._exit(1)


def _fit_one(task) -> "Emulator":
    u, y, seed = task
    return Emulator(u, y, seed=seed)


def fit_emulators(problem: Problem, simulated: list, earlier: list, wave: int) -> list:
    """One emulator per target. The targets are fitted in fit_jobs() processes at once: each fit depends on
    its own data and seed only, so the emulators are the same bits however many processes fit them."""
    u, y = training_set(problem, simulated, earlier, wave)
    tasks = []
    for t in range(len(problem.targets)):
        ok = np.isfinite(y[:, t])
        tasks.append((u[ok], y[ok, t], (problem.seed * 1000003 + wave * 1009 + t) % (2 ** 32)))
    jobs = fit_jobs(len(tasks))
    if jobs == 1:
        return [_fit_one(task) for task in tasks]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"),
                             initializer=_die_with_parent, initargs=(os.getpid(),)) as pool:
        return list(pool.map(_fit_one, tasks))


def load_emulators(path: str, problem: Problem):
    """The emulators a fit step kept in `path`, or None when the file is missing or damaged."""
    try:
        with open(path, "rb") as f:
            emulators = pickle.load(f)
        if isinstance(emulators, list) and len(emulators) == len(problem.targets) \
                and all(isinstance(e, Emulator) for e in emulators):
            return emulators
    except Exception:  # noqa: BLE001 - a missing or damaged file (whatever pickle makes of it) is refitted
        pass
    return None


def load_or_fit_emulators(workdir: str, problem: Problem, simulated: list, wave: int) -> list:
    """Wave `wave`'s emulators as its fit step kept them (refitted, identically, if the file is gone)."""
    emulators = load_emulators(os.path.join(workdir, f"wave{wave}", "emulators.pkl"), problem)
    if emulators is not None:
        return emulators
    earlier = [load_or_fit_emulators(workdir, problem, simulated, j) for j in range(1, wave)]
    return fit_emulators(problem, simulated, earlier, wave)


def read_pool(path: str):
    """The sample of the non-implausible region a wave's fit kept (scaled to [0, 1]), and its kept share."""
    import h5py

    with h5py.File(path, "r") as f:
        _require_complete(f, path)
        return np.asarray(f["pool"][()], dtype=np.float64), float(f.attrs["kept_share"])


def spread(problem: Problem, waves_emulators, pool: np.ndarray, n: int, rng) -> np.ndarray:
    """n points spread uniformly over the non-implausible region, from the sample `pool` of it.

    A random-walk Metropolis sampler whose target is uniform on the region
    (a move is accepted when it stays inside the prior box and
    non-implausible), started from n draws of the pool; the steps are normal,
    of the pool's spread per parameter, scaled towards a quarter of the moves
    accepted. A region found by a handful of points is so filled out before a
    design is chosen in it.
    """
    x = pool[rng.integers(len(pool), size=n)].copy()
    scale, step = np.maximum(pool.std(axis=0) if len(pool) > 1 else np.zeros(pool.shape[1]), 0.02), 0.5
    for _ in range(SPREAD_STEPS):
        proposal = x + rng.normal(size=x.shape) * scale * step
        ok = np.all((proposal >= 0.0) & (proposal <= 1.0), axis=1)
        index = np.flatnonzero(ok)
        ok[index] = survives(problem, waves_emulators, proposal[index])
        x[ok] = proposal[ok]
        step = float(np.clip(step * np.exp(ok.mean() - 0.25), 0.05, 2.0))
        scale = np.maximum(x.std(axis=0), 0.01)
    return x


def write_atomically(path: str, data: bytes) -> None:
    directory = os.path.dirname(path) or "."
    fd, temporary = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_directory(directory)


def _sync_directory(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_fit(path: str, r: dict) -> None:
    """fit.h5 of a wave, under a temporary name, synced and renamed; complete = 1 written last."""
    import h5py

    directory = os.path.dirname(path) or "."
    fd, temporary = tempfile.mkstemp(prefix="fit.h5.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        with h5py.File(temporary, "w", track_order=False) as f:
            f.attrs["wave"] = np.int64(r["wave"])
            f.attrs["kept_share"] = np.float64(r["kept_share"])
            f.attrs["stop"] = np.int64(1 if r["stop_reason"] else 0)
            f.attrs["stop_reason"] = r["stop_reason"]
            f.attrs["candidates"] = np.int64(r["candidates"])
            f.attrs["non_implausible"] = np.int64(r["non_implausible"])
            f.attrs["seconds"] = np.float64(r["seconds"])
            f["implausibility"] = np.asarray(r["implausibility"], dtype=np.float64)
            f["target_implausibility"] = np.asarray(r["target_implausibility"], dtype=np.float64)
            f["emulator_r2"] = r["emulator_r2"]
            f["emulator_points"] = r["emulator_points"]
            f["target_kept_share"] = r["target_kept_share"]
            f["kernels"] = np.array(r["kernels"], dtype=h5py.string_dtype("utf-8"))
            f["next_points"] = np.asarray(r["next_points"], dtype=np.float64)
            f["pool"] = np.asarray(r["pool"], dtype=np.float64)
            accepted = r["accepted"]
            f["accepted_wave"] = np.array([a[0] for a in accepted], dtype=np.int64)
            f["accepted_index"] = np.array([a[1] for a in accepted], dtype=np.int64)
            f["accepted_implausibility"] = np.array([a[2] for a in accepted], dtype=np.float64)
            f["accepted_within"] = np.array([1 if a[3] else 0 for a in accepted], dtype=np.uint8)
            best = r["best"]
            f.attrs["best_wave"] = np.int64(best[0] if best else -1)
            f.attrs["best_index"] = np.int64(best[1] if best else -1)
            f.attrs["best_implausibility"] = np.float64(best[2] if best else np.inf)
            f.attrs["best_within"] = np.int64(1 if best and best[3] else 0)
            f.attrs["best_accepted"] = np.int64(1 if best and best[2] < r["cutoff"] else 0)
            f.flush()
            f.attrs["complete"] = np.int64(1)
        with open(temporary, "rb") as f:
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
    _sync_directory(directory)


# --- reading a calibration file -----------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """A calibration file (docs/output.md, "Calibration files") as DataFrames.

    * ``parameters``: index ``name`` (``section.key``), columns ``low``, ``high`` (the prior range) and
      ``default`` (the parameter table's default when the calibration ran);
    * ``targets``: index ``id``, columns ``value`` (NaN for a bound), ``low``, ``high``, ``scale``,
      ``quantity``, ``source``, ``description``;
    * ``waves``: one row per simulated point of every wave: ``wave``, ``index``, one column per
      parameter, one per target (its simulated value), ``implausibility``;
    * ``kept_share``: Series by wave, the share of the prior box not implausible after it;
    * ``emulator_r2``: DataFrame wave × target, leave-one-out R² of the emulators;
    * ``accepted``: the accepted points: one column per parameter, one per target (simulated value),
      ``implausibility``, ``within`` (bool), ``wave``, ``index``;
    * ``best``: Series, the best point's parameter values (empty values as NaN when no point qualified);
      ``best_values``: Series by target; ``best_info``: dict of ``wave``, ``index``, ``accepted``,
      ``within``, ``implausibility``;
    * ``attributes``: the root attributes (method, cutoff, seed, stop_reason, ...).

    ``points()`` gives the accepted sets as the [n, p] float64 array the file holds, with
    ``parameter_names`` in the same order (``section.key``), for drawing parameter sets.
    """

    path: str
    parameter_names: list
    parameters: "object"
    targets: "object"
    waves: "object"
    kept_share: "object"
    emulator_r2: "object"
    accepted: "object"
    best: "object"
    best_values: "object"
    best_info: dict
    attributes: dict

    def points(self) -> np.ndarray:
        return self.accepted[self.parameter_names].to_numpy(dtype=np.float64)


def read_calibration(path) -> Calibration:
    """Read a finished calibration file written by ``harmsim calibrate`` (refuses unfinished ones)."""
    import h5py
    import pandas as pd

    from .io import IncompleteResultsError, ResultsError, UnsupportedSchemaError, as_text, as_texts, file_kind

    path = os.fspath(path)
    if path.endswith(".partial"):
        raise IncompleteResultsError(f"{path}: a '.partial' file is an unfinished calibration; rerun the same "
                                     "`harmsim calibrate` command to finish it")
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such calibration file", path)
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ResultsError(f"{path}: cannot be read as an HDF5 file ({exc})") from None
    with f:
        kind = file_kind(f)
        if kind != "calibration":
            raise ResultsError(f"{path}: not a calibration file (file_kind {kind!r})")
        if "complete" not in f.attrs or int(np.asarray(f.attrs["complete"]).reshape(-1)[0]) != 1:
            raise IncompleteResultsError(f"{path}: not a finished calibration (no root attribute complete = 1)")
        version = int(np.asarray(f.attrs.get("schema_version", -1)).reshape(-1)[0])
        if version not in SUPPORTED_CALIBRATION_SCHEMA_VERSIONS:
            raise UnsupportedSchemaError(f"{path}: calibration schema_version {version} is not supported by this "
                                         f"analysis package (it reads "
                                         f"{', '.join(map(str, SUPPORTED_CALIBRATION_SCHEMA_VERSIONS))})")
        try:
            names = as_texts(f["parameters/names"][()])
            ids = as_texts(f["targets/ids"][()])
            parameters = pd.DataFrame({
                "low": f["parameters/low"][()], "high": f["parameters/high"][()],
                "default": f["parameters/default"][()]}, index=pd.Index(names, name="name"))
            targets = pd.DataFrame({
                "value": f["targets/value"][()], "low": f["targets/low"][()], "high": f["targets/high"][()],
                "scale": as_texts(f["targets/scale"][()]), "quantity": as_texts(f["targets/quantity"][()]),
                "source": as_texts(f["targets/source"][()]),
                "description": as_texts(f["targets/description"][()])}, index=pd.Index(ids, name="id"))
            frames, shares, r2 = [], {}, {}
            wave_names = sorted(f["waves"].keys(), key=lambda k: int(k[1:]))
            for name in wave_names:
                g = f["waves"][name]
                k = int(name[1:])
                frame = pd.DataFrame(np.asarray(g["points"][()], dtype=np.float64).reshape(-1, len(names)),
                                     columns=names)
                values = np.asarray(g["values"][()], dtype=np.float64).reshape(len(frame), len(ids))
                for t, target in enumerate(ids):
                    frame[target] = values[:, t]
                frame["implausibility"] = g["implausibility"][()]
                frame.insert(0, "index", np.arange(len(frame), dtype=np.int64))
                frame.insert(0, "wave", np.full(len(frame), k, dtype=np.int64))
                frames.append(frame)
                shares[k] = float(g.attrs["kept_share"])
                r2[k] = np.asarray(g["emulator_r2"][()], dtype=np.float64)
            waves = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["wave", "index"])
            a = f["accepted"]
            accepted = pd.DataFrame(np.asarray(a["points"][()], dtype=np.float64).reshape(-1, len(names)),
                                    columns=names)
            values = np.asarray(a["values"][()], dtype=np.float64).reshape(len(accepted), len(ids))
            for t, target in enumerate(ids):
                accepted[target] = values[:, t]
            accepted["implausibility"] = a["implausibility"][()]
            accepted["within"] = np.asarray(a["within"][()]).astype(bool)
            accepted["wave"] = np.asarray(a["wave"][()], dtype=np.int64)
            accepted["index"] = np.asarray(a["index"][()], dtype=np.int64)
            b = f["best"]
            best = pd.Series(np.asarray(b["point"][()], dtype=np.float64), index=names, name="best")
            best_values = pd.Series(np.asarray(b["values"][()], dtype=np.float64), index=ids, name="best")
            best_info = {key: (float(b.attrs[key]) if key == "implausibility" else int(b.attrs[key]))
                         for key in ("wave", "index", "accepted", "within", "implausibility")}
            attributes = {key: (as_text(v) if isinstance(v, (str, bytes, np.bytes_)) else np.asarray(v).item())
                          for key, v in f.attrs.items()}
        except KeyError as exc:
            raise ResultsError(f"{path}: missing a dataset required by docs/output.md ({exc})") from None
    return Calibration(
        path=path, parameter_names=names, parameters=parameters, targets=targets, waves=waves,
        kept_share=pd.Series(shares, name="kept_share").rename_axis("wave"),
        emulator_r2=pd.DataFrame.from_dict(r2, orient="index", columns=ids).rename_axis("wave"),
        accepted=accepted, best=best, best_values=best_values, best_info=best_info, attributes=attributes)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 3 or argv[0] != "fit" or not argv[2].isdigit():
        print("usage: python3 -m harmsim_analysis.calibrate fit WORKDIR WAVE", file=sys.stderr)
        return 2
    try:
        import h5py  # noqa: F401
        import scipy  # noqa: F401
        import sklearn  # noqa: F401
    except ImportError as exc:
        print(f"harmsim: calibrate: the fit needs Debian's python3-sklearn, python3-scipy and python3-h5py "
              f"({exc})", file=sys.stderr)
        return 1
    try:
        fit_wave(argv[1], int(argv[2]))
    except FitError as exc:
        print(f"harmsim: calibrate: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(f"harmsim: calibrate: cannot write in {argv[1]}: {exc.strerror}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    # Run as the package's module, so that the pickled emulators name their
    # class harmsim_analysis.calibrate.Emulator, not __main__.Emulator.
    from harmsim_analysis.calibrate import main as _main

    sys.exit(_main())
