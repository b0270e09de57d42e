"""bench/ab_bench.py: two builds timed by turns, in ABBA order, and judged by
the median of the rounds' differences. Run here on stand-in programs that
answer like Google Benchmark and log the order they were run in.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "ab_bench.py"


def program(path: pathlib.Path, text: str) -> pathlib.Path:
    """An executable file at `path` holding `text`."""
    path.write_text(text)
    path.chmod(0o755)
    return path


def fake_bench(path: pathlib.Path, log: pathlib.Path, values_ns: list[float]) -> pathlib.Path:
    """A program that logs its name and the filter it got, and reports the
    next of `values_ns` as its per_event (seconds, as Google Benchmark's JSON
    has it)."""
    state = path.with_suffix(".count")
    return program(path, f"""#!{sys.executable}
import json, pathlib, sys
state = pathlib.Path({str(state)!r})
n = int(state.read_text()) if state.exists() else 0
state.write_text(str(n + 1))
values = {values_ns!r}
flt = [a for a in sys.argv[1:] if a.startswith("--benchmark_filter=")][0].split("=", 1)[1]
with open({str(log)!r}, "a") as f:
    f.write({path.name!r} + " " + flt + "\\n")
print(json.dumps({{"benchmarks": [{{"name": flt.strip("^$"), "run_type": "iteration",
                                  "per_event": values[n] * 1e-9}}]}}))
""")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)


def test_rounds_alternate_their_order_and_the_median_difference_counts(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "order.log"
    # The second program of each pair runs 5 ns faster than it would first
    # (the bias ab_bench guards against); "after" is 2 ns faster in truth.
    before = fake_bench(tmp_path / "before", log, [100.0, 95.0, 100.0, 95.0])
    after = fake_bench(tmp_path / "after", log, [93.0, 98.0, 93.0, 98.0])
    out = tmp_path / "ab.json"
    p = run("--case", "large", "--rounds", "4", "--out", str(out), str(before), str(after))
    assert p.returncode == 0, p.stderr
    order = [line.split()[0] for line in log.read_text().splitlines()]
    assert order == ["before", "after", "after", "before", "before", "after", "after", "before"]
    assert all(line.split()[1] == "^Model/baseline/workers:1000000/days:30/warmup:0/manual_time$"
               for line in log.read_text().splitlines())
    result = json.loads(out.read_text())
    assert [r["first"] for r in result["rounds"]] == ["before", "after", "before", "after"]
    # Rounds differ by -7 (after second) and +3 (after first): only the
    # median of both orders finds the true -2.
    assert abs(result["median"]["difference_ns"] - (-2.0)) < 1e-9
    assert result["after_faster_rounds"] == 2
    assert "-2.00 ns" in p.stdout and "2 of 4 rounds" in p.stdout


def test_a_same_program_pair_shows_no_difference_whatever_the_order_bias(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "order.log"
    # Identical programs, each 5 ns faster when second: A-then-B rounds make
    # B look faster and B-then-A rounds A; the median difference is 0.
    a = fake_bench(tmp_path / "a", log, [100.0, 95.0, 100.0, 95.0, 100.0, 95.0])
    b = fake_bench(tmp_path / "b", log, [95.0, 100.0, 95.0, 100.0, 95.0, 100.0])
    out = tmp_path / "ab.json"
    p = run("--case", "model", "--rounds", "6", "--out", str(out), str(a), str(b))
    assert p.returncode == 0, p.stderr
    result = json.loads(out.read_text())
    assert result["median"]["difference_ns"] == 0.0
    assert result["after_faster_rounds"] == 3


def test_bad_arguments_and_failing_programs_get_one_clear_message(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "order.log"
    a = fake_bench(tmp_path / "a", log, [1.0] * 4)
    p = run("--rounds", "1", str(a), str(a))
    assert p.returncode != 0 and "--rounds: expected 2 or more" in p.stderr
    p = run(str(a), str(tmp_path / "missing"))
    assert p.returncode != 0 and "expected an executable benchmark program" in p.stderr
    broken = program(tmp_path / "broken", "#!/bin/sh\necho 'no such case' >&2\nexit 3\n")
    p = run(str(a), str(broken))
    assert p.returncode == 1 and "failed (exit 3): no such case" in p.stderr
    assert "Traceback" not in p.stderr
    mute = program(tmp_path / "mute", "#!/bin/sh\necho 'Benchmark  Time'\n")
    p = run(str(a), str(mute))
    assert p.returncode == 1 and "did not answer in Google Benchmark's JSON: 'Benchmark  Time'" in p.stderr
    assert "Traceback" not in p.stderr


CPUS = sorted(os.sched_getaffinity(0))


def cpu_bench(path: pathlib.Path, log: pathlib.Path, ns_on: dict[int, float] | None = None) -> pathlib.Path:
    """A program that logs the CPUs it may run on and reports per_event by
    them: ns_on[cpu] when it is pinned to one CPU listed there, else 80 ns."""
    return program(path, f"""#!{sys.executable}
import json, os, sys
cpus = sorted(os.sched_getaffinity(0))
with open({str(log)!r}, "a") as f:
    f.write(" ".join(map(str, cpus)) + "\\n")
ns_on = {dict(ns_on or {})!r}
ns = ns_on.get(cpus[0], 80.0) if len(cpus) == 1 else 80.0
flt = [a for a in sys.argv[1:] if a.startswith("--benchmark_filter=")][0].split("=", 1)[1]
print(json.dumps({{"benchmarks": [{{"name": flt.strip("^$"), "run_type": "iteration", "per_event": ns * 1e-9}}]}}))
""")


def logged_cpus(log: pathlib.Path) -> list[list[int]]:
    return [[int(c) for c in line.split()] for line in log.read_text().splitlines()]


def test_every_run_of_both_builds_is_on_one_cpu_unless_told_otherwise(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "cpus.log"
    a, b = cpu_bench(tmp_path / "a", log), cpu_bench(tmp_path / "b", log)
    p = run("--rounds", "2", str(a), str(b))
    assert p.returncode == 0, p.stderr
    assert logged_cpus(log) == [[CPUS[0]]] * 4
    assert f"every run on CPU {CPUS[0]}" in p.stderr
    log.unlink()
    p = run("--rounds", "2", "--cpu", str(CPUS[-1]), str(a), str(b))
    assert p.returncode == 0, p.stderr
    assert logged_cpus(log) == [[CPUS[-1]]] * 4
    log.unlink()
    p = run("--rounds", "2", "--cpu", "-1", str(a), str(b))
    assert p.returncode == 0, p.stderr
    assert logged_cpus(log) == [CPUS] * 4


def test_a_cpu_this_process_may_not_use_gets_one_clear_message(tmp_path: pathlib.Path) -> None:
    a = cpu_bench(tmp_path / "a", tmp_path / "cpus.log")
    p = run("--rounds", "2", "--cpu", "4096", str(a), str(a))
    assert p.returncode == 2
    assert "--cpu: expected -1 or one of the CPUs this process may use" in p.stderr and "found 4096" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "cpus.log").exists()


@pytest.mark.skipif(len(CPUS) < 2, reason="needs two CPUs to choose between")
def test_the_probe_chooses_the_cpu_whose_runs_were_faster_and_runs_each_on_its_cpu(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "cpus.log"
    slow, fast = CPUS[0], CPUS[-1]
    model_bench = cpu_bench(tmp_path / "model_bench", log, {slow: 95.0, fast: 72.0})
    out = tmp_path / "pin.json"
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "runs.py"), "--probe", str(model_bench), "--out", str(out)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(fast)
    assert sorted(map(tuple, logged_cpus(log))) == sorted([(c,) for c in CPUS] * 2)
    probe = json.loads(out.read_text())
    assert probe["cpu"] == fast and probe["ns_per_event"][str(slow)] == pytest.approx(95.0)
    # Turned round, the other CPU.
    log.unlink()
    model_bench = cpu_bench(tmp_path / "model_bench", log, {slow: 60.0, fast: 72.0})
    p = subprocess.run([sys.executable, str(ROOT / "bench" / "runs.py"), "--probe", str(model_bench)],
                       capture_output=True, text=True)
    assert p.returncode == 0 and p.stdout.strip() == str(slow), p.stderr
