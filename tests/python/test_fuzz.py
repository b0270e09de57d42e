"""No input, however malformed, makes harmsim crash, hang or abort.

A seeded corpus of 1,000 mutations of the shipped scenarios (tests/fuzz/mutate.py)
goes through `harmsim validate`, and a tenth of it through `harmsim run --dry-run`;
each must end within the time bound with exit 0, or exit 2 and one message line.
So must every case in tests/fuzz/regressions/: inputs that once broke that rule
(found by hand or by afl++, tests/fuzz/afl.sh; docs/errors.md "Fuzzing").
"""
import os
import pathlib
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))
TIME_BOUND_S = 20


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    if not os.path.exists(BINARY):
        pytest.fail(f"harmsim binary not found at {BINARY}; build it first (scripts/test sets HARMSIM_BINARY)")
    out = tmp_path_factory.mktemp("fuzz")
    subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz" / "mutate.py"), str(out), "--count", "1000",
                    "--seed", "20261123"], check=True)
    files = sorted(out.glob("*.toml"))
    assert len(files) == 1000
    return files


def check(args, cwd):
    try:
        p = subprocess.run(args, cwd=cwd, capture_output=True, timeout=TIME_BOUND_S)
    except subprocess.TimeoutExpired:
        return f"{args}: no answer within {TIME_BOUND_S} s"
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode == 0:
        return None
    if p.returncode != 2:
        return f"{args}: exit {p.returncode} (crash or abort?): {err[:300]}"
    lines = err.splitlines()
    if len(lines) != 1 or not lines[0].startswith("harmsim: "):
        return f"{args}: expected one 'harmsim: ...' line, got {len(lines)}: {err[:300]}"
    return None


def test_every_mutated_scenario_is_accepted_or_refused_with_one_message(corpus, tmp_path):
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(lambda f: check([BINARY, "validate", str(f)], tmp_path), corpus) if f]
    assert not failures, "\n".join(failures[:10])


def test_mutated_scenarios_never_crash_a_dry_run(corpus, tmp_path):
    sample = corpus[::10]
    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(lambda f: check([BINARY, "run", "--dry-run", "-o", str(tmp_path / "x.h5"),
                                                         str(f)], tmp_path), sample) if f]
    assert not failures, "\n".join(failures[:10])


def test_every_regression_case_is_accepted_or_refused_with_one_message(tmp_path):
    cases = sorted((ROOT / "tests" / "fuzz" / "regressions").glob("*.toml"))
    assert cases, "tests/fuzz/regressions/ holds no case"
    failures = [f for f in (check([BINARY, "validate", str(c)], tmp_path) for c in cases) if f]
    assert not failures, "\n".join(failures)


# A stand-in for compare.toml small enough that a mutated targets file that
# is still valid runs in a moment: the same scenario names, one replicate.
SMALL_COMPARE = """
[simulation]
days = 20
warmup_days = 5
replicates = 1
[population]
workers = 200
buyers = 2000
exploiters = 20
venues = 3

[[scenario]]
name = "baseline"

[[scenario]]
name = "street_stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 5
officers = 20
areas = [0, 1]

[[scenario]]
name = "end_demand"
[[scenario.policy]]
type = "end_demand"

[[scenario]]
name = "decriminalization"
[[scenario.policy]]
type = "decriminalization"
"""


def test_mutated_targets_files_are_reported_or_refused_with_one_message(tmp_path):
    """harmsim targets on 200 mutations of scenarios/targets.toml: a report (exit 0) or one line and exit 2."""
    import importlib.util
    import random

    if not os.path.exists(BINARY):
        pytest.fail(f"harmsim binary not found at {BINARY}; build it first (scripts/test sets HARMSIM_BINARY)")
    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tests" / "fuzz" / "mutate.py")
    mutate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutate)
    (tmp_path / "compare.toml").write_text(SMALL_COMPARE)
    # The seed cases' targets name files of scenarios/cases/, which are not
    # beside the mutants: they are left out.
    source = (ROOT / "scenarios" / "targets.toml").read_text().split("# === Seed cases")[0]
    rng = random.Random(20261130)
    files = []
    for n in range(200):
        text = source
        for _ in range(rng.randint(1, 3)):
            text = mutate.mutate_once(text, rng)
        path = tmp_path / f"targets_{n:03d}.toml"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        files.append(path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda f: check([BINARY, "targets", "-q", "-j", "1", str(f)], tmp_path), files))
    failures = [f for f in results if f]
    assert not failures, "\n".join(failures[:10])
    # Some mutants stay valid and are reported (the corpus is not all refusals).
    valid = sum(subprocess.run([BINARY, "targets", "-q", "-j", "1", str(f)], cwd=tmp_path, capture_output=True,
                               timeout=TIME_BOUND_S).returncode == 0 for f in files[:40])
    assert valid > 0
