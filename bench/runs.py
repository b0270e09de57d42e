#!/usr/bin/python3
"""Runs of one benchmark case, on one CPU (docs/performance.md, "Against the
goals of issue 17 on the AMD EPYC guest").

On a shared virtual machine one vCPU can run a quarter slower than the other
for minutes at a time (on the AMD EPYC guest of 30 November 2026: the model
at 2,000 workers 73-75 ns an event on one, 92-101 on the other, and which one
was slow changed within the hour), and each new process lands on either. Runs
compared with each other (two builds by turns, 2,000 workers against 10^6,
harmsim against ROSS) must share a CPU, or the comparison is of the CPUs.
bench/ab_bench.py, bench/scale_bench.py and bench/ross_bench.py pin
themselves, and so every program they start, to one CPU (--cpu; by default
the first this process may use; -1 leaves them unpinned).

Run as a program, it probes every CPU this process may use with a short model
run, two turns each, and prints the number of the CPU whose faster turn was
faster, for scripts/bench to run its single-threaded benchmarks on:

    bench/runs.py --probe build/release/bench/model_bench [--out build/bench/pin.json]

Any per-event timing is relative to the CPU it ran on: the probe's figures are
printed beside the table.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

PROBE_CASE = "Model/baseline/workers:2000/days:30/warmup:0/manual_time"
PROBE_MIN_TIME = 0.3


def allowed_cpus() -> list[int]:
    return sorted(os.sched_getaffinity(0))


def per_event(program: str, case: str, min_time: float, cpu: int | None = None) -> float:
    """Nanoseconds per event of one run of a benchmark case (its first
    iteration row), on `cpu` if given."""
    pin_child = None if cpu is None else (lambda: os.sched_setaffinity(0, {cpu}))
    try:
        p = subprocess.run([program, f"--benchmark_filter=^{case}$", f"--benchmark_min_time={min_time}",
                            "--benchmark_format=json"], capture_output=True, text=True, preexec_fn=pin_child)
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"{program} could not be started: {e}") from None
    if p.returncode != 0:
        raise RuntimeError(f"{program} failed (exit {p.returncode}): {p.stderr.strip()[-400:]}")
    try:
        rows = [b for b in json.loads(p.stdout)["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RuntimeError(f"{program} did not answer in Google Benchmark's JSON: {p.stdout.strip()[:200]!r}") from None
    if not rows or "per_event" not in rows[0]:
        raise RuntimeError(f"{program} has no case {case} with a per_event counter")
    return rows[0]["per_event"] * 1e9


def add_cpu_argument(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--cpu", type=int, help="run every benchmark on this CPU (default: the first this process may "
                                            "use; -1: unpinned)")


def cpu_from(args: argparse.Namespace, ap: argparse.ArgumentParser) -> int | None:
    """args.cpu, checked, or the first allowed CPU when it is None; None for -1."""
    cpus = allowed_cpus()
    cpu = cpus[0] if args.cpu is None else args.cpu
    if cpu == -1:
        return None
    if cpu not in cpus:
        ap.error(f"--cpu: expected -1 or one of the CPUs this process may use ({', '.join(map(str, cpus))}), "
                 f"found {cpu}")
    return cpu


def pin(cpu: int | None, who: str) -> int | None:
    """Pins this process (and so what it starts) to `cpu`; nothing for None."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
        print(f"{who}: every run on CPU {cpu}", file=sys.stderr)
    return cpu


def pin_from(args: argparse.Namespace, ap: argparse.ArgumentParser, who: str) -> int | None:
    """pin(cpu_from(args, ap)): returns the CPU, or None."""
    return pin(cpu_from(args, ap), who)


def probe(program: str, cpus: list[int], turns: int = 2) -> dict[int, float]:
    """The faster of `turns` short model runs on each CPU, in ns an event
    (the CPUs taken by turns, so that a change of load hits them all)."""
    best: dict[int, float] = {}
    for _ in range(turns):
        for cpu in cpus:
            ns = per_event(program, PROBE_CASE, PROBE_MIN_TIME, cpu)
            best[cpu] = min(ns, best.get(cpu, ns))
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probe", required=True, metavar="MODEL_BENCH", help="a model_bench program")
    ap.add_argument("--out", help="also write the probe's figures here, as JSON")
    args = ap.parse_args()
    if not os.access(args.probe, os.X_OK):
        ap.error(f"--probe: expected an executable model_bench program, found none at {args.probe}")
    cpus = allowed_cpus()
    try:
        ns = probe(args.probe, cpus)
    except RuntimeError as e:
        print(f"runs: {e}", file=sys.stderr)
        return 1
    chosen = min(cpus, key=lambda c: ns[c])
    print("runs: probe " + ", ".join(f"CPU {c} {ns[c]:.1f} ns" for c in cpus) + f": single-threaded benchmarks on "
          f"CPU {chosen}", file=sys.stderr)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"case": PROBE_CASE, "min_time": PROBE_MIN_TIME, "ns_per_event": {str(c): ns[c] for c in cpus},
                       "cpu": chosen}, f, indent=2)
    print(chosen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
