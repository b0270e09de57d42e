#!/usr/bin/python3
"""The full model's cost per event at 10^6 workers against 2,000 (issue 17,
docs/performance.md), measured so that a change of load hits both sizes.

A single run of the 10^6-worker case lasts a few seconds and its memory
misses compete with whatever else the machine does, while the 2,000-worker
case fits in cache: one run of each, minutes apart, gives a ratio that moves
with the load more than with the code. Here each round runs bench/model_bench
on the baseline at 2,000 workers (365 days after a 90-day warm-up,
--benchmark_min_time=1) and then at 10^6 workers (30 days, one run), and the
median of the rounds' ratios counts, with the medians of each size's
nanoseconds per event. Five rounds by default: on the AMD EPYC guest of 30
November 2026 the host's slow phases (seconds to minutes, a quarter to a
half slower) fell on either size at random, and single rounds of one build
gave 1.07x to 1.94x: most of that was which vCPU each run landed on, so
every run is now on one CPU (--cpu, bench/runs.py). Writes a JSON file that
scripts/bench prints under the model's rows.

    bench/scale_bench.py --model-bench build/release/bench/model_bench --out build/bench/scale.json [--rounds 5] [--cpu N]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from runs import add_cpu_argument, per_event, pin_from

SMALL = "Model/baseline/workers:2000/days:365/warmup:90/manual_time"
LARGE = "Model/baseline/workers:1000000/days:30/warmup:0/manual_time"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-bench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    add_cpu_argument(ap)
    args = ap.parse_args()
    cpu = pin_from(args, ap, "scale_bench")
    rounds = []
    for r in range(args.rounds):
        try:
            small = per_event(args.model_bench, SMALL, 1.0)
            large = per_event(args.model_bench, LARGE, 0.5)
        except RuntimeError as e:
            print(f"scale_bench: {e}", file=sys.stderr)
            return 1
        load = os.getloadavg()[0]
        rounds.append({"small_ns": small, "large_ns": large, "ratio": large / small, "load": load})
        print(f"scale_bench: round {r + 1}: {small:.1f} ns an event at 2,000 workers, {large:.1f} ns at 10^6: "
              f"{large / small:.2f}x (load {load:.2f})", file=sys.stderr)
    result = {
        "context": {"rounds": args.rounds, "small": SMALL, "large": LARGE, "cpu": cpu},
        "rounds": rounds,
        "median": {
            "small_ns": statistics.median(x["small_ns"] for x in rounds),
            "large_ns": statistics.median(x["large_ns"] for x in rounds),
            "ratio": statistics.median(x["ratio"] for x in rounds),
        },
    }
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
