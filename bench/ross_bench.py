#!/usr/bin/python3
"""ROSS's sequential PHOLD beside harmsim's (issue 17, docs/performance.md "ROSS").

Builds the `phold` model of ROSS (https://github.com/ROSS-org/ROSS) from a
ROSS source tree found outside harmsim's sources, in Release (`-O3 -DNDEBUG`,
`CC=mpicc`, ROSS's default options: splay-tree queue, random tie-breaker),
and runs it sequentially on the configuration of
`BM_Phold/lps:1024/per_lp:16` of bench/phold_bench:

    phold --synch=1 --nlp=1024 --start-events=16 --mean=2.0 --lookahead=1.0 --remote=0.25 --end=1250

ROSS's phold subtracts the lookahead from --mean, so --mean=2.0 is harmsim's
lookahead 1 + Exp(mean 1). --end=1250 is 10.2 million events (16,384 pending
events, each handled once per 2 time units on average), 4-8 s here. phold
runs directly, a singleton MPI process (no mpirun needed for one rank). Both
programs run on one CPU (--cpu, bench/runs.py).
ROSS's rate is its own "Net Events Processed" over its "Running Time" (the
wall time of its scheduler loop, set-up excluded), what it prints as "Event
Rate (events/sec)". Each round runs ROSS once and then that
benchmark of phold_bench once (--benchmark_min_time=3), so a change of load
hits both; the median of the rounds counts. harmsim's rate here is also per
wall second (Google Benchmark's events_per_s is per CPU second; the two agree
on an idle machine). `cpu_share` is the CPU seconds of a run over its wall
seconds (for ROSS, of the whole process, start-up included): below 0.9 the
machine was busy.

Where the ROSS sources are looked for, in order:
  1. $ROSS_SOURCE: a ROSS source tree, or a git directory of ROSS (a bare
     repository or a checkout's .git, exported at HEAD into build/ross/src);
  2. build/ross-src in this checkout (ignored by git), e.g.
     `git clone https://github.com/ROSS-org/ROSS build/ross-src`;
  3. ../ROSS beside this checkout.
Without one, or when mpicc is missing or the build or a run fails, it prints
one line saying it skips ROSS and why, writes that reason to the JSON and
exits 0: harmsim's build and benchmarks never need ROSS. The build lives in
build/ross/build (kept between runs; ninja rebuilds what changed; the log is
build/ross/build.log) and runs in build/ross/run (where phold leaves its
ross.csv and ross_all_lp_stats/). ROSS 8.1.1 at dc3a6a0 builds unpatched with Debian
12's GCC 12.2 and Open MPI 4.1 (with its defaults; USE_RAND_TIEBREAKER=OFF
does not compile at that commit).

Writes Google Benchmark's JSON (context + benchmarks): per round an
`iteration` entry for `ROSS_Phold/lps:1024/per_lp:16` and for
`BM_Phold/lps:1024/per_lp:16`, then a `median` aggregate of each; fields
`events_per_s` (per wall second), `per_event` (s), `events`, `real_time`
(s), `cpu_share`; the ROSS median also has `harmsim_over_ross`, the ratio of
the two medians. The context names the ROSS source, commit and build, the
harmsim commit and the commands.

    /usr/bin/python3 bench/ross_bench.py --phold-bench build/release/bench/phold_bench --out build/bench/ross.json
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time

from runs import add_cpu_argument, cpu_from, pin

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASE = "lps:1024/per_lp:16"
HARMSIM_NAME = f"BM_Phold/{CASE}"
ROSS_NAME = f"ROSS_Phold/{CASE}"
# harmsim's constants (bench/phold_bench.cpp): lookahead 1, Exp(mean 1), remote 0.25.
ROSS_ARGS = ["--synch=1", "--nlp=1024", "--start-events=16", "--mean=2.0", "--lookahead=1.0", "--remote=0.25"]


class Skip(Exception):
    """Why ROSS is not measured in this run."""


def rel(path: str) -> str:
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def git(*args: str) -> str | None:
    proc = subprocess.run(["git", *args], capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def find_source(work: str) -> tuple[str, str]:
    """The ROSS source tree to build and the commit it is (or 'unknown')."""
    env = os.environ.get("ROSS_SOURCE")
    candidates = [env] if env else [os.path.join(ROOT, "build", "ross-src"), os.path.join(os.path.dirname(ROOT), "ROSS")]
    for path in candidates:
        path = os.path.abspath(path)
        if os.path.isfile(os.path.join(path, "core", "ross.h")):
            commit = git("-C", path, "rev-parse", "HEAD") if os.path.exists(os.path.join(path, ".git")) else None
            return path, commit or "unknown"
        commit = git("--git-dir", path, "rev-parse", "--verify", "HEAD^{commit}") if os.path.isdir(path) else None
        if commit:  # a git directory (bare, or a checkout's .git)
            return export(path, commit, os.path.join(work, "src")), commit
    if env:
        raise Skip(f"ROSS_SOURCE={env} is neither a ROSS source tree (core/ross.h) nor a git repository of one")
    raise Skip(f"no ROSS source at {' or '.join(rel(os.path.abspath(c)) for c in candidates)}; "
               "set ROSS_SOURCE to a ROSS source tree or git repository")


def export(git_dir: str, commit: str, dest: str) -> str:
    """HEAD of a bare repository, extracted once per commit."""
    stamp = dest + ".commit"
    if os.path.isfile(os.path.join(dest, "core", "ross.h")) and os.path.exists(stamp) and open(stamp).read() == commit:
        return dest
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    archive = subprocess.Popen(["git", "--git-dir", git_dir, "archive", commit], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", dest], stdin=archive.stdout, check=True)
    if archive.wait() != 0 or not os.path.isfile(os.path.join(dest, "core", "ross.h")):
        raise Skip(f"{git_dir} at {commit[:12]} holds no ROSS source tree (core/ross.h)")
    with open(stamp, "w") as f:
        f.write(commit)
    return dest


def build(source: str, work: str, jobs: str) -> str:
    """ROSS's phold in Release with mpicc, in build/ross/build; returns the binary."""
    for tool in ("mpicc", "cmake", "ninja"):
        if shutil.which(tool) is None:
            raise Skip(f"no {tool} on PATH (Debian: libopenmpi-dev, cmake, ninja-build)")
    build_dir = os.path.join(work, "build")
    log_path = os.path.join(work, "build.log")
    cache = os.path.join(build_dir, "CMakeCache.txt")
    if os.path.exists(cache) and f"CMAKE_HOME_DIRECTORY:INTERNAL={source}\n" not in open(cache).read():
        shutil.rmtree(build_dir)  # configured from another source tree
    steps = []
    if not os.path.exists(os.path.join(build_dir, "build.ninja")):
        steps.append(["cmake", "-S", source, "-B", build_dir, "-G", "Ninja", "-Wno-dev",
                      "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_C_FLAGS_RELEASE=-O3 -DNDEBUG",
                      "-DCMAKE_C_COMPILER=mpicc", "-DROSS_BUILD_MODELS=ON", "-DROSS_BUILD_TESTING=OFF"])
    steps.append(["cmake", "--build", build_dir, "--target", "phold", "--", "-j", jobs])
    with open(log_path, "w") as log:
        for step in steps:
            log.write("$ " + " ".join(step) + "\n")
            log.flush()
            if subprocess.run(step, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                if step[1] == "-S":
                    shutil.rmtree(build_dir, ignore_errors=True)  # configure again next time
                raise Skip(f"its build failed (see {rel(log_path)})")
    return os.path.join(build_dir, "models", "phold", "phold")


def run_child(cmd: list[str], cwd: str | None = None) -> tuple[str, float, float]:
    """Output, wall seconds and CPU seconds (user + system) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"{os.path.basename(cmd[0])} exited {proc.returncode}: {tail[0]}")
    return proc.stdout, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def run_ross(phold: str, end: float, work: str) -> dict:
    # phold writes ross.csv and ross_all_lp_stats/ into its working directory.
    run_dir = os.path.join(work, "run")
    os.makedirs(run_dir, exist_ok=True)
    out, wall, cpu = run_child([phold, *ROSS_ARGS, f"--end={end:g}"], cwd=run_dir)
    events = re.search(r"Net Events Processed\s+(\d+)", out)
    seconds = re.search(r"Running Time = ([0-9.]+) seconds", out)
    reported = re.search(r"Event Rate \(events/sec\)\s+([0-9.]+)", out)
    if not (events and seconds):
        raise RuntimeError("no 'Net Events Processed' or 'Running Time' in phold's output")
    n, s = int(events.group(1)), float(seconds.group(1))
    return {"events": n, "real_time": s, "events_per_s": n / s, "per_event": s / n,
            "ross_event_rate": float(reported.group(1)) if reported else None,
            "process_wall_s": wall, "cpu_share": cpu / wall}


def run_harmsim(phold_bench: str, min_time: float) -> dict:
    out, _, _ = run_child([phold_bench, f"--benchmark_filter=^{HARMSIM_NAME}$",
                           f"--benchmark_min_time={min_time:g}", "--benchmark_format=json"])
    b = json.loads(out)["benchmarks"][0]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    real, cpu = b["real_time"] * scale * b["iterations"], b["cpu_time"] * scale * b["iterations"]
    events = b["events_per_s"] * cpu  # events_per_s is per CPU second
    return {"events": round(events), "real_time": real, "events_per_s": events / real, "per_event": real / events,
            "events_per_cpu_s": b["events_per_s"], "cpu_share": cpu / real}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phold-bench", default=os.path.join(ROOT, "build", "release", "bench", "phold_bench"))
    parser.add_argument("--out", default=os.path.join(ROOT, "build", "bench", "ross.json"))
    parser.add_argument("--work", default=os.path.join(ROOT, "build", "ross"), help="where ROSS is built")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--end", type=float, default=1250.0, help="ROSS's --end (8,192 events per time unit)")
    parser.add_argument("--min-time", type=float, default=3.0, help="phold_bench's --benchmark_min_time")
    add_cpu_argument(parser)
    args = parser.parse_args()
    cpu = cpu_from(args, parser)  # checked now, pinned once ROSS is built
    os.makedirs(args.work, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)

    harmsim_commit = git("-C", ROOT, "rev-parse", "--short", "HEAD") or "unknown"
    if git("-C", ROOT, "status", "--porcelain", "--untracked-files=no"):
        harmsim_commit += "-dirty"
    context = {
        "date": datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "num_cpus": os.cpu_count(),
        "load_avg": list(os.getloadavg()),
        "harmsim_commit": harmsim_commit,
        "harmsim_command": f"{rel(args.phold_bench)} --benchmark_filter=^{HARMSIM_NAME}$ --benchmark_min_time={args.min_time:g}",
        "rounds": args.rounds,
    }
    runs: dict[str, list[dict]] = {ROSS_NAME: [], HARMSIM_NAME: []}
    try:
        source, commit = find_source(args.work)
        version = open(os.path.join(source, ".version")).read().strip() if os.path.exists(os.path.join(source, ".version")) else "unknown"
        context.update({"ross_source": source, "ross_commit": commit, "ross_version": version,
                        "ross_build": "CMAKE_BUILD_TYPE=Release (-O3 -DNDEBUG), CC=mpicc, ROSS defaults "
                                      "(splay queue, USE_RAND_TIEBREAKER=ON, ROSS_timing=ON)",
                        "mpicc": subprocess.run(["mpicc", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
                        if shutil.which("mpicc") else None})
        print(f"ross_bench: building ROSS {version} ({commit[:12]}) from {rel(source)} in {rel(args.work)}", file=sys.stderr)
        phold = build(source, args.work, os.environ.get("HARMSIM_BUILD_JOBS", "2"))
        # Both programs on one CPU, once ROSS is built (bench/runs.py).
        context["cpu"] = pin(cpu, "ross_bench")
        context["ross_command"] = " ".join([rel(phold), *ROSS_ARGS, f"--end={args.end:g}"])
        for r in range(args.rounds):
            try:
                ross = run_ross(phold, args.end, args.work)
            except RuntimeError as e:
                raise Skip(f"its phold failed: {e}")
            harmsim = run_harmsim(args.phold_bench, args.min_time)
            runs[ROSS_NAME].append(ross)
            runs[HARMSIM_NAME].append(harmsim)
            print(f"ross_bench: round {r + 1}: ROSS {ross['events_per_s'] / 1e6:.2f} M events/s "
                  f"({ross['events']} events in {ross['real_time']:.2f} s), harmsim {harmsim['events_per_s'] / 1e6:.2f} M "
                  f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr)
    except Skip as why:
        print(f"scripts/bench: skipping ROSS: {why}", file=sys.stderr)
        context["skipped"] = str(why)
        runs = {ROSS_NAME: [], HARMSIM_NAME: []}

    benchmarks = []
    medians = {}
    for family, (name, rows) in enumerate(runs.items()):
        for i, row in enumerate(rows):
            benchmarks.append({"name": name, "run_name": name, "family_index": family, "run_type": "iteration",
                               "repetitions": len(rows), "repetition_index": i, "threads": 1, "time_unit": "s",
                               **row})
        if rows:
            medians[name] = {key: statistics.median(row[key] for row in rows)
                             for key in ("events", "real_time", "events_per_s", "per_event", "cpu_share")}
    if medians:
        medians[ROSS_NAME]["harmsim_over_ross"] = medians[HARMSIM_NAME]["events_per_s"] / medians[ROSS_NAME]["events_per_s"]
        for family, name in enumerate(runs):
            benchmarks.append({"name": name + "_median", "run_name": name, "family_index": family,
                               "run_type": "aggregate", "aggregate_name": "median", "repetitions": len(runs[name]),
                               "threads": 1, "time_unit": "s", **medians[name]})
    context["load_avg_end"] = list(os.getloadavg())
    with open(args.out, "w") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=2)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
