#!/usr/bin/python3
"""Two builds of one benchmark program timed against each other, in ABBA order.

This machine's speed moves by 10-20 % over tens of minutes (docs/performance.md),
so two builds are compared by running them by turns. The order matters too:
run one after the other, the second run of a pair of the 10^6-worker case is
3-6 ns faster than the first even when both are the same program (30 November
2026, five rounds of one build against a copy of itself). So odd rounds run
BEFORE then AFTER, even rounds AFTER then BEFORE, and what counts is the
median of the rounds' differences, with how many rounds AFTER was faster.
Every run is on one CPU (--cpu, bench/runs.py): on a shared machine one vCPU
can be a quarter slower than the other for minutes, and unpinned runs landed
on either, so that a round compared the CPUs more than the builds.

    bench/ab_bench.py [--case model|large|phold|NAME] [--rounds 6] [--cpu N] [--out FILE.json] BEFORE AFTER

BEFORE and AFTER are copies of bench/model_bench (cases model, large) or
bench/phold_bench (case phold) from two builds; NAME is any case of theirs.
  model  the baseline at 2,000 workers, 365 days after a 90-day warm-up
  large  the baseline at 10^6 workers, 30 days
  phold  BM_Phold/lps:1024/per_lp:16
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from runs import add_cpu_argument, per_event, pin_from

CASES = {
    "model": ("Model/baseline/workers:2000/days:365/warmup:90/manual_time", 0.7),
    "large": ("Model/baseline/workers:1000000/days:30/warmup:0/manual_time", 0.5),
    "phold": ("BM_Phold/lps:1024/per_lp:16", 0.7),
}


def compare(before: str, after: str, case: str, min_time: float, rounds: int, cpu: int | None) -> dict:
    out = []
    for r in range(rounds):
        order = [("before", before), ("after", after)]
        if r % 2 == 1:
            order.reverse()
        ns = {name: per_event(program, case, min_time) for name, program in order}
        out.append({"before_ns": ns["before"], "after_ns": ns["after"], "first": order[0][0],
                    "load": os.getloadavg()[0]})
        print(f"ab_bench: round {r + 1} ({order[0][0]} first): before {ns['before']:.2f} ns, "
              f"after {ns['after']:.2f} ns (load {out[-1]['load']:.2f})", file=sys.stderr)
    differences = [x["after_ns"] - x["before_ns"] for x in out]
    before_median = statistics.median(x["before_ns"] for x in out)
    return {
        "context": {"case": case, "min_time": min_time, "rounds": rounds, "before": before, "after": after,
                    "cpu": cpu},
        "rounds": out,
        "median": {
            "before_ns": before_median,
            "after_ns": statistics.median(x["after_ns"] for x in out),
            "difference_ns": statistics.median(differences),
            "difference_percent": 100.0 * statistics.median(differences) / before_median,
        },
        "after_faster_rounds": sum(1 for d in differences if d < 0),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--case", default="model", help="model, large, phold or a case name (default model)")
    ap.add_argument("--rounds", type=int, default=6, help="rounds, each running both builds (default 6)")
    ap.add_argument("--min-time", type=float, help="--benchmark_min_time of each run (default by case)")
    ap.add_argument("--out", help="also write the rounds and medians here, as JSON")
    add_cpu_argument(ap)
    args = ap.parse_args()
    if args.rounds < 2:
        ap.error(f"--rounds: expected 2 or more (each order at least once), found {args.rounds}")
    for program in (args.before, args.after):
        if not os.access(program, os.X_OK):
            ap.error(f"{program}: expected an executable benchmark program, found none")
    cpu = pin_from(args, ap, "ab_bench")
    case, min_time = CASES.get(args.case, (args.case, 0.7))
    if args.min_time is not None:
        min_time = args.min_time
    try:
        result = compare(args.before, args.after, case, min_time, args.rounds, cpu)
    except RuntimeError as e:
        print(f"ab_bench: {e}", file=sys.stderr)
        return 1
    m = result["median"]
    print(f"{case}: before {m['before_ns']:.2f} ns, after {m['after_ns']:.2f} ns (medians of {args.rounds} rounds); "
          f"after - before {m['difference_ns']:+.2f} ns ({m['difference_percent']:+.1f} %), median of the rounds' "
          f"differences; after faster in {result['after_faster_rounds']} of {args.rounds} rounds")
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
