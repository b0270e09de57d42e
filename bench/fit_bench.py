#!/usr/bin/python3
"""The emulator fits of a calibration wave on one and on two processes (docs/performance.md "Calibration fits").

`harmsim calibrate` fits one Gaussian-process emulator per calibration target
after each wave (analysis/harmsim_analysis/calibrate.py, `fit_emulators`),
in as many processes as the run has threads (HARMSIM_FIT_JOBS). This times
that step on a synthetic wave shaped like the project's calibration
(scenarios/calibration.toml: 23 parameters, 9 targets), `--points` simulated
points per target, each target a smooth function of a few parameters plus
Monte-Carlo-like noise, with HARMSIM_FIT_JOBS=1 and =2, `--rounds` rounds
alternating. The emulators of the two must predict the same bits on a probe
set (the fits are independent and seeded per target); the benchmark fails
otherwise.

Writes Google Benchmark's JSON (context + benchmarks; time in s, counters
`targets`, `points`, `speedup`) and prints a short table:

    /usr/bin/python3 bench/fit_bench.py --out build/bench/fit_bench.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import socket
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "analysis"))

from harmsim_analysis import calibrate  # noqa: E402

PARAMETERS = 23  # scenarios/calibration.toml
TARGETS = 9


def synthetic_wave(points: int, seed: int = 20181121):
    """Inputs in [0, 1]^23 and 9 targets' values on their scales."""
    rng = np.random.default_rng(seed)
    u = rng.random((points, PARAMETERS))
    columns = []
    for t in range(TARGETS):
        a, b, c = (3 * t) % PARAMETERS, (3 * t + 1) % PARAMETERS, (3 * t + 2) % PARAMETERS
        value = np.log(1.5 + u[:, a]) + 0.5 * np.sin(3.0 * u[:, b]) * u[:, c] + 0.2 * u[:, (a + 5) % PARAMETERS]
        columns.append(value + 0.05 * rng.normal(size=points))
    return u, np.column_stack(columns)


def fit(u, y, jobs: int):
    """fit_emulators on the synthetic wave with `jobs` processes; (seconds, emulators)."""
    os.environ["HARMSIM_FIT_JOBS"] = str(jobs)
    calibrate.training_set = lambda problem, simulated, earlier, wave: (u, y)

    class Problem:
        targets = list(range(TARGETS))
        seed = 1

    start = time.perf_counter()
    emulators = calibrate.fit_emulators(Problem(), [], [], 1)
    return time.perf_counter() - start, emulators


def predictions(emulators, probe):
    return np.concatenate([np.concatenate(e.predict(probe)) for e in emulators])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "fit_bench.json"))
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()

    u, y = synthetic_wave(args.points)
    probe = np.random.default_rng(7).random((500, PARAMETERS))
    times: dict[int, list[float]] = {1: [], 2: []}
    reference = None
    load_before = os.getloadavg()
    for r in range(args.rounds):
        for jobs in (1, 2):
            seconds, emulators = fit(u, y, jobs)
            times[jobs].append(seconds)
            got = predictions(emulators, probe)
            if reference is None:
                reference = got
            elif not np.array_equal(got, reference):
                print(f"fit_bench: the emulators fitted with {jobs} processes differ from those with 1", file=sys.stderr)
                return 1
            print(f"fit_bench: {TARGETS} targets x {args.points} points, {jobs} process(es), round {r + 1}: "
                  f"{seconds:.1f} s (load {os.getloadavg()[0]:.2f})", file=sys.stderr)

    one, two = statistics.median(times[1]), statistics.median(times[2])
    benchmarks = []
    for jobs, median in ((1, one), (2, two)):
        benchmarks.append({
            "name": f"Fit/targets:{TARGETS}/points:{args.points}/processes:{jobs}",
            "run_name": f"Fit/targets:{TARGETS}/points:{args.points}/processes:{jobs}",
            "run_type": "aggregate", "aggregate_name": "median", "iterations": args.rounds,
            "real_time": median, "cpu_time": median, "time_unit": "s",
            "targets": TARGETS, "points": args.points, "speedup": one / median, "identical": 1.0,
        })
    context = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host_name": socket.gethostname(), "executable": "bench/fit_bench.py",
        "num_cpus": os.cpu_count(), "cpu_model": platform.processor(),
        "load_avg": list(load_before), "rounds": args.rounds,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=1)
    print(f"{'case':44} {'s':>7} {'speedup':>8}")
    for b in benchmarks:
        print(f"{b['run_name']:44} {b['real_time']:7.1f} {b['speedup']:7.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
