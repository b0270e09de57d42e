"""No input, however malformed, makes harmsim crash, hang or abort.

A seeded corpus of 1,000 mutations of the shipped scenarios (tests/fuzz/mutate.py)
goes through `harmsim validate`, and a tenth of it through `harmsim run --dry-run`;
each must end within the time bound with exit 0, or exit 2 and one message line.
So must every case in tests/fuzz/regressions/: inputs that once broke that rule
(found by hand, by the seeded corpora or by afl++, tests/fuzz/afl.sh;
docs/errors.md "Fuzzing").

The same for the other input files:
* 400 mutated sweep files (tests/fuzz/mutate.py --kind sweep) through
  `harmsim sweep`, stopped (by tests/fault/fault_inject.c) once every check
  has passed and the checkpoint directory is made, so that nothing runs: exit
  2 and one line that names the sweep file or its base, or the stop;
* 200 mutated HDF5 files (tests/fuzz/mutate_hdf5.py: truncated, bit-flipped,
  of the wrong schema or version) as a shard for `harmsim merge`, as the
  existing output of `harmsim sweep` and of `harmsim run` (beside its
  checkpoints), and one in six of the damaged results files through
  `harmsim report`: exit 0, or exit 2 and one line that names the file, within the
  time bound (the HDF5 library loops forever on some: harmsim's CPU limits
  end those); and a file that is refused is left untouched.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))
FAULT_LIBRARY = os.path.join(os.path.dirname(BINARY), "harmsim_fault_inject.so")
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


def check(args, cwd, names=None, env=None, also_ok=(0,), prefix="harmsim: "):
    """None if `harmsim ARGS` ends with an exit code in `also_ok`, or with exit 2
    and one line that begins with `prefix` and holds one of `names`; else what
    went wrong."""
    try:
        p = subprocess.run(args, cwd=cwd, capture_output=True, timeout=TIME_BOUND_S, env=env)
    except subprocess.TimeoutExpired:
        return f"{args}: no answer within {TIME_BOUND_S} s"
    err = p.stderr.decode("utf-8", "replace").strip()
    if p.returncode in also_ok:
        return None
    if p.returncode != 2:
        return f"{args}: exit {p.returncode} (crash or abort?): {err[:300]}"
    lines = err.splitlines()
    if len(lines) != 1 or not lines[0].startswith(prefix):
        return f"{args}: expected one '{prefix}...' line, got {len(lines)}: {err[:300]}"
    if names is not None and not any(n in lines[0] for n in names):
        return f"{args}: the message names none of {names}: {lines[0][:300]}"
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


# --- sweep files -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sweep_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz_sweep")
    subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz" / "mutate.py"), str(out), "--kind", "sweep",
                    "--count", "400", "--seed", "20261129"], check=True)
    files = sorted(out.glob("sweep_*.toml"))
    assert len(files) == 400
    return files


def test_every_mutated_sweep_file_is_refused_with_one_message_naming_it_or_passes_every_check(sweep_corpus, tmp_path):
    # A sweep file that passes every check is stopped by SIGKILL as it writes
    # its checkpoint manifest: nothing runs.
    env = dict(os.environ, LD_PRELOAD=FAULT_LIBRARY, HARMSIM_FAULT="kill:write:1:*.work/manifest*")
    directory = sweep_corpus[0].parent

    def one(f):
        return check([BINARY, "sweep", f.name, "-q", "-j", "1", "-o", str(tmp_path / (f.stem + ".h5"))], directory,
                     names=[f.name, "small_city.toml", "scenarios/"], env=env, also_ok=(-9,))

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(one, sweep_corpus) if f]
    assert not failures, "\n".join(failures[:10])


# --- HDF5 files read back ------------------------------------------------------------


@pytest.fixture(scope="module")
def hdf5_corpus(tmp_path_factory):
    originals = tmp_path_factory.mktemp("hdf5_originals")
    out = tmp_path_factory.mktemp("fuzz_hdf5")
    subprocess.run([sys.executable, str(ROOT / "tests" / "fuzz" / "mutate_hdf5.py"), "--originals", str(originals),
                    "--binary", BINARY, "--out", str(out), "--count", "200", "--seed", "20261129"], check=True)
    files = sorted(out.glob("m*.h5"))
    assert len(files) == 200
    return originals, files


# The HDF5 library can loop forever on a damaged file: harmsim gives up on a
# read after HARMSIM_READ_CPU_LIMIT seconds of CPU (60 unless set).
READ_LIMIT = dict(os.environ, HARMSIM_READ_CPU_LIMIT="4")


def digest(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_damaged_shard_is_merged_or_refused_with_one_message_naming_it(hdf5_corpus, tmp_path):
    originals, files = hdf5_corpus

    def one(index_and_file):
        i, f = index_and_file
        work = tmp_path / f"m{i}"
        work.mkdir()
        shutil.copy(originals / "shard1.h5", work / "shard1.h5")
        shutil.copy(f, work / f.name)
        before = digest(work / f.name)
        problem = check([BINARY, "merge", "-q", "out.h5", "shard1.h5", f.name], work, names=[f.name],
                        prefix="harmsim: merge: ", env=READ_LIMIT)
        if problem is None and digest(work / f.name) != before:
            problem = f"merge changed its input {f.name}"
        if problem is None and (work / "out.h5.partial").exists():
            problem = f"merge of {f.name} left out.h5.partial"
        shutil.rmtree(work)
        return problem

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(one, enumerate(files)) if f]
    assert not failures, "\n".join(failures[:10])


@pytest.mark.parametrize("command", ["sweep", "run"])
def test_a_damaged_file_where_the_output_goes_is_refused_with_one_message_and_left_alone(command, hdf5_corpus,
                                                                                          tmp_path):
    originals, files = hdf5_corpus
    source = {"sweep": "tiny_sweep.toml", "run": "tiny.toml"}[command]

    def one(index_and_file):
        i, f = index_and_file
        work = tmp_path / f"m{i}"
        work.mkdir()
        shutil.copy(originals / "tiny.toml", work / "tiny.toml")
        shutil.copy(originals / "tiny_sweep.toml", work / "tiny_sweep.toml")
        shutil.copy(f, work / f.name)
        if command == "run":
            (work / (f.name + ".work")).mkdir()  # so that run looks into the file (written_by_this_run)
        before = digest(work / f.name)
        problem = check([BINARY, command, "-q", "-j", "1", "-o", f.name, source], work, names=[f.name], env=READ_LIMIT)
        if problem is None and digest(work / f.name) != before:
            problem = f"{command} changed the existing {f.name}"
        shutil.rmtree(work)
        return problem

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(one, enumerate(files)) if f]
    assert not failures, "\n".join(failures[:10])


def test_a_damaged_results_file_is_reported_or_refused_with_one_message_naming_it(hdf5_corpus, tmp_path):
    _, files = hdf5_corpus
    # The report takes a second or more a file: one in six of the damaged results files.
    sample = [f for f in files if "_results_" in f.name][::6]
    env = dict(os.environ, HARMSIM_REPORT_CPU_LIMIT="10")

    def one(f):
        return check([BINARY, "report", str(f), "-o", str(tmp_path / (f.stem + ".html"))], tmp_path, names=[f.name],
                     prefix="harmsim", env=env)

    with ThreadPoolExecutor(max_workers=2) as pool:
        failures = [f for f in pool.map(one, sample) if f]
    assert not failures, "\n".join(failures[:10])


def test_every_hdf5_regression_case_is_refused_with_one_message_naming_it(hdf5_corpus, tmp_path):
    """tests/fuzz/regressions/*.h5: files that once crashed harmsim or the HDF5
    library under it, or made it loop forever, as a shard, as an existing
    output of a sweep and of a run (beside its checkpoints, so that run reads
    it) and for the report."""
    originals, _ = hdf5_corpus
    cases = sorted((ROOT / "tests" / "fuzz" / "regressions").glob("*.h5"))
    assert cases, "tests/fuzz/regressions/ holds no HDF5 case"
    env = dict(os.environ, HARMSIM_READ_CPU_LIMIT="1", HARMSIM_REPORT_CPU_LIMIT="3")
    for name in ("tiny.toml", "tiny_sweep.toml", "shard1.h5"):
        shutil.copy(originals / name, tmp_path / name)
    failures = []
    for case in cases:
        shutil.copy(case, tmp_path / case.name)
        for args, prefix in ((["merge", "-q", "out.h5", "shard1.h5", case.name], "harmsim: merge: "),
                             (["sweep", "-q", "-o", case.name, "tiny_sweep.toml"], "harmsim: "),
                             (["run", "-q", "-j", "1", "-o", case.name, "tiny.toml"], "harmsim: "),
                             (["report", case.name, "-o", "r.html"], "harmsim")):
            work = tmp_path / (case.name + ".work")
            if args[0] == "run":
                work.mkdir()  # so that run looks into the file (written_by_this_run)
            problem = check([BINARY, *args], tmp_path, names=[case.name], env=env, prefix=prefix)
            if problem is not None:
                failures.append(problem)
            shutil.rmtree(work, ignore_errors=True)
    assert not failures, "\n".join(failures)
