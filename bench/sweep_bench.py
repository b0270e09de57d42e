#!/usr/bin/python3
"""Sweep throughput and its scaling (issue #9, docs/performance.md "Sweep scaling").

Runs `harmsim sweep` on two sweeps, each with one thread (`-j 1`), two
threads (`-j 2`) and two MPI ranks of one thread (`mpirun -n 2`, skipped with
a note when mpirun is missing or harmsim was built without MPI):

* realistic    bench/sweeps/realistic.toml: the default 2,000-worker city at
               365 days, units of about 0.1 s, what modellers run;
* small_units  bench/sweeps/small_units.toml: 900 units of a few ms, the
               worst case, where the sweep's own costs weigh most.

Each run is timed from process start to exit (start-up, checks, checkpoints
and assembly of the HDF5 file included). `rounds` rounds run the modes
interleaved (j1, j2, mpi, j1, j2, mpi, ...) so that a change of load hits
every mode alike; the median round counts. Efficiency is (units/s at 2) /
(2 × units/s at 1). The datasets of every run are checked to be identical.

Writes Google Benchmark's JSON (context + benchmarks; time in s,
items_per_second = units/s, counters `units`, `speedup`, `efficiency`,
`cpu_s`) and prints a short table. Run with Debian's python3:

    /usr/bin/python3 bench/sweep_bench.py --harmsim build/release/harmsim --out build/bench/sweep_bench.json
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SWEEPS = {
    "realistic": os.path.join(ROOT, "bench", "sweeps", "realistic.toml"),
    "small_units": os.path.join(ROOT, "bench", "sweeps", "small_units.toml"),
}
MODES = ("j1", "j2", "mpi2")
CASE = {"j1": "threads:1", "j2": "threads:2", "mpi2": "mpi_ranks:2"}
LABEL = {"j1": "-j 1", "j2": "-j 2", "mpi2": "mpirun -n 2"}


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return platform.processor() or "unknown"


def mpirun_prefix() -> list[str] | None:
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        return None
    prefix = [mpirun, "-n", "2"]
    if os.geteuid() == 0:  # containers run as root; Open MPI refuses without this
        prefix.insert(1, "--allow-run-as-root")
    return prefix


def command(harmsim: str, mode: str, sweep: str, out: str) -> list[str]:
    base = [harmsim, "sweep", sweep, "-o", out, "-q"]
    if mode == "j1":
        return base + ["-j", "1"]
    if mode == "j2":
        return base + ["-j", "2"]
    return mpirun_prefix() + base + ["-j", "1"]


def run_once(harmsim: str, mode: str, sweep: str, out: str) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the whole process tree)."""
    for leftover in (out, out + ".work", out + ".partial"):
        if os.path.isdir(leftover):
            shutil.rmtree(leftover)
        elif os.path.exists(leftover):
            os.remove(leftover)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(command(harmsim, mode, sweep, out), capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command(harmsim, mode, sweep, out))} exited {proc.returncode}:\n{proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def datasets_digest(path: str) -> str:
    """A digest of every dataset under /points (not the run's own timestamps)."""
    import h5py  # Debian's python3-h5py

    digest = hashlib.sha256()
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                digest.update(name.encode())
                value = obj[()]
                if getattr(value, "dtype", None) is not None and value.dtype.kind == "O":
                    # Variable-length strings: their text, not the addresses
                    # an object array holds.
                    for item in value.ravel():
                        digest.update(item if isinstance(item, bytes) else str(item).encode())
                        digest.update(b"\0")
                else:
                    digest.update(value.tobytes() if hasattr(value, "tobytes") else repr(value).encode())
        f["points"].visititems(visit)
    return digest.hexdigest()


def units_of(harmsim_out: str) -> int:
    import h5py

    with h5py.File(harmsim_out, "r") as f:
        return sum(int(g.attrs["replicates"]) for g in f["points"].values())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--harmsim", default=os.path.join(ROOT, "build", "release", "harmsim"))
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "sweep_bench.json"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sweeps", default="realistic,small_units", help="comma-separated: " + ",".join(SWEEPS))
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: " + ",".join(MODES))
    args = parser.parse_args()

    env_note = ""
    modes = [m for m in MODES if m in args.modes.split(",")]
    if "mpi2" in modes and mpirun_prefix() is None:
        modes.remove("mpi2")
        env_note = "mpirun -n 2 skipped: no mpirun on PATH"
    if os.geteuid() == 0:
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        os.environ.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")

    names = [s for s in args.sweeps.split(",") if s]
    load_before = os.getloadavg()
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    units: dict[str, int] = {}
    identical: dict[str, bool] = {}
    scratch = tempfile.mkdtemp(prefix="harmsim-sweep-bench-")
    try:
        for name in names:
            digests = set()
            for r in range(args.rounds):
                for mode in list(modes):
                    out = os.path.join(scratch, f"{name}-{mode}.h5")
                    try:
                        wall, cpu = run_once(args.harmsim, mode, SWEEPS[name], out)
                    except RuntimeError as e:
                        if mode != "mpi2":
                            raise
                        modes.remove("mpi2")
                        env_note = "mpirun -n 2 skipped: " + str(e).strip().splitlines()[-1]
                        continue
                    results.setdefault((name, mode), []).append((wall, cpu))
                    if r == 0:
                        units[name] = units_of(out)
                        digests.add(datasets_digest(out))
                    print(f"sweep_bench: {name} {mode} round {r + 1}: {wall:.2f} s wall, {cpu:.2f} s cpu "
                          f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr)
            identical[name] = len(digests) == 1
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    benchmarks = []
    table = []
    for name in names:
        rate1 = None
        for mode in MODES:
            runs = results.get((name, mode))
            if not runs:
                continue
            walls = [w for w, _ in runs]
            wall = statistics.median(walls)
            cpu = statistics.median(c for _, c in runs)
            rate = units[name] / wall
            if mode == "j1":
                rate1 = rate
            workers = 1 if mode == "j1" else 2
            speedup = rate / rate1 if rate1 else None  # None: -j 1 was not run
            efficiency = speedup / workers if speedup else None
            run_name = f"Sweep/{name}/{CASE[mode]}"
            common = {
                "run_name": run_name, "threads": 1, "iterations": 1, "time_unit": "s",
                "units": units[name], "identical": 1.0 if identical[name] else 0.0,
            }
            for i, (w, c) in enumerate(runs):
                benchmarks.append({
                    "name": run_name, "family_index": names.index(name), "run_type": "iteration",
                    "repetitions": len(runs), "repetition_index": i, **common,
                    "real_time": w, "cpu_time": c, "items_per_second": units[name] / w,
                    "cpu_s": c,
                })
            benchmarks.append({
                "name": run_name + "_median", "family_index": names.index(name), "run_type": "aggregate",
                "aggregate_name": "median", "repetitions": len(runs), **common,
                "real_time": wall, "cpu_time": cpu, "items_per_second": rate, "cpu_s": cpu,
                **({"speedup": speedup, "efficiency": efficiency} if speedup else {}),
            })
            table.append((name, mode, units[name], wall, cpu, rate, efficiency, walls))

    context = {
        "date": datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "executable": os.path.abspath(args.harmsim) + " sweep",
        "num_cpus": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_avg": list(load_before),
        "load_avg_end": list(os.getloadavg()),
        "library_build_type": "release",
        "rounds": args.rounds,
        "note": env_note,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=2)
        f.write("\n")

    print(f"\nsweep_bench ({args.rounds} round{'s' if args.rounds != 1 else ''}, median; "
          f"efficiency = rate at 2 / (2 × rate at 1))")
    print(f"{'sweep':12} {'run':12} {'units':>6} {'wall s':>7} {'cpu s':>7} {'units/s':>8} {'effic.':>7}  rounds (wall s)")
    for name, mode, n, wall, cpu, rate, eff, walls in table:
        print(f"{name:12} {LABEL[mode]:12} {n:6d} {wall:7.2f} {cpu:7.2f} {rate:8.1f} "
              f"{'' if mode == 'j1' or eff is None else f'{eff:6.1%}':>7}  {', '.join(f'{w:.2f}' for w in walls)}")
    for name in names:
        if not identical[name]:
            print(f"WARNING: {name}: the runs wrote different datasets", file=sys.stderr)
    if env_note:
        print(f"note: {env_note}")
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
