"""`harmsim calibrate` (docs/calibration.md): the fit step on a problem whose
answer is known, and the command run as a user would: a tiny calibration whose
best point reproduces targets made from a known parameter set, the same bits
on 1 and 2 threads, 2 MPI ranks and two shards, resuming after kill -9 in the
middle of a wave and of a fit, an honest failure, the refusals, and the reader.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

import harmsim_analysis as ha
from harmsim_analysis import calibrate as cal

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = os.path.abspath(os.environ.get("HARMSIM_BINARY", str(ROOT / "build" / "release" / "harmsim")))

# What may differ between two runs of the same calibration (docs/calibration.md).
VARYING_ATTRIBUTES = {"started_at", "finished_at", "command_line", "wall_time_s", "simulation_seconds", "fit_seconds"}


# --- the fit step on a problem with a known answer ------------------------------------------


TRUTH = np.array([0.3, 0.6])  # (x, y), both in [0, 1]


def synthetic(points: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy outputs of (x, y): a level x + 0.3 sin(4y), and a ratio (0.2 + xy) / 0.2, compared on the log scale."""
    x, y = points[:, 0], points[:, 1]
    level = x + 0.3 * np.sin(4 * y) + rng.normal(0, 0.005, len(x))
    ratio = (0.2 + x * y) / 0.2 * np.exp(rng.normal(0, 0.01, len(x)))
    variance = np.column_stack([np.full(len(x), 0.005 ** 2), (ratio * 0.01) ** 2])
    return np.column_stack([level, ratio]), variance


def write_problem(work: pathlib.Path, waves: int, points: int) -> None:
    level = TRUTH[0] + 0.3 * np.sin(4 * TRUTH[1])
    ratio = (0.2 + TRUTH[0] * TRUTH[1]) / 0.2
    strings = h5py.string_dtype("utf-8")
    with h5py.File(work / "problem.h5", "w") as f:
        f.attrs.update(cutoff=3.0, seed=np.uint64(7), waves=np.int64(waves), points=np.int64(points))
        f["parameters/names"] = np.array(["a.x", "a.y"], dtype=strings)
        f["parameters/low"] = [0.0, 0.0]
        f["parameters/high"] = [1.0, 1.0]
        f["targets/ids"] = np.array(["level", "ratio"], dtype=strings)
        f["targets/scale"] = np.array(["identity", "log"], dtype=strings)
        f["targets/value"] = [level, ratio]
        f["targets/low"] = [level - 0.04, ratio / 1.05]
        f["targets/high"] = [level + 0.04, ratio * 1.05]
        f.attrs["complete"] = np.int64(1)


def write_simulated(work: pathlib.Path, wave: int, points: np.ndarray, rng) -> None:
    values, variance = synthetic(points, rng)
    (work / f"wave{wave}").mkdir(exist_ok=True)
    with h5py.File(work / f"wave{wave}" / "simulated.h5", "w") as f:
        f["points"], f["values"], f["variance"] = points, values, variance
        f.attrs["complete"] = np.int64(1)


def true_non_implausible_share(problem, n: int = 400) -> float:
    """The share of the unit square whose noise-free outputs are not implausible (a fine grid)."""
    g = (np.arange(n) + 0.5) / n
    x, y = np.meshgrid(g, g)
    pts = np.column_stack([x.ravel(), y.ravel()])
    values = np.column_stack([pts[:, 0] + 0.3 * np.sin(4 * pts[:, 1]), (0.2 + pts[:, 0] * pts[:, 1]) / 0.2])
    worst = cal.simulated_implausibility(problem, values, np.zeros_like(values)).max(axis=1)
    return float(np.mean(worst < problem.cutoff))


def test_history_matching_keeps_the_truth_and_shrinks_towards_it(tmp_path):
    rng = np.random.default_rng(3)
    write_problem(tmp_path, waves=4, points=8)
    problem = cal.read_problem(str(tmp_path / "problem.h5"))
    points = cal.latin_hypercube(np.zeros(2), np.ones(2), 8, (1,))
    shares, emulators = [], []
    for wave in range(1, 5):
        write_simulated(tmp_path, wave, points, rng)
        result = cal.fit_wave(str(tmp_path), wave)
        shares.append(result["kept_share"])
        with open(tmp_path / f"wave{wave}" / "emulators.pkl", "rb") as f:
            import pickle

            emulators.append(pickle.load(f))
        # The truth is never ruled out, by this wave's emulators or any earlier one's.
        assert cal.survives(problem, emulators, TRUTH[None, :])[0], f"wave {wave} ruled the truth out"
        if result["stop_reason"]:
            break
        points = result["next_points"]
        assert points.shape == (8, 2)
        # The next design lies where the emulators leave room.
        assert cal.survives(problem, emulators, points).all()
    exact = true_non_implausible_share(problem)
    # The space shrinks from wave to wave, to a little more than what the
    # noise-free model leaves (emulator uncertainty only adds room).
    assert shares[1] < 0.8 * shares[0], shares
    assert exact * 0.8 < shares[-1] < max(3 * exact, 0.05), (shares, exact)
    accepted, best = result["accepted"], result["best"]
    assert len(accepted) >= 5
    wave, index = best[0], best[1]
    with h5py.File(tmp_path / f"wave{wave}" / "simulated.h5") as f:
        best_point = f["points"][()][index]
    assert np.all(np.abs(best_point - TRUTH) < 0.1), best_point


def test_a_fit_stopped_after_its_emulators_were_written_takes_them_up_again(tmp_path):
    # fit.h5 is written last; a fit killed before it runs again and must not
    # fit (and write) the wave's finished emulators a second time.
    rng = np.random.default_rng(7)
    write_problem(tmp_path, waves=3, points=8)
    write_simulated(tmp_path, 1, cal.latin_hypercube(np.zeros(2), np.ones(2), 8, (1,)), rng)
    first = cal.fit_wave(str(tmp_path), 1)
    kept = tmp_path / "wave1" / "emulators.pkl"
    before = kept.stat()
    (tmp_path / "wave1" / "fit.h5").unlink()
    again = cal.fit_wave(str(tmp_path), 1)
    after = kept.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert again["kept_share"] == first["kept_share"]
    assert np.array_equal(again["next_points"], first["next_points"])


def test_a_damaged_or_missing_emulators_file_is_refitted_to_the_same_result(tmp_path):
    rng = np.random.default_rng(5)
    write_problem(tmp_path, waves=3, points=8)
    write_simulated(tmp_path, 1, cal.latin_hypercube(np.zeros(2), np.ones(2), 8, (1,)), rng)
    first = cal.fit_wave(str(tmp_path), 1)
    write_simulated(tmp_path, 2, first["next_points"], rng)
    second = cal.fit_wave(str(tmp_path), 2)
    for damage in (b"not a pickle", b""):
        (tmp_path / "wave1" / "emulators.pkl").write_bytes(damage)
        again = cal.fit_wave(str(tmp_path), 2)
        assert again["kept_share"] == second["kept_share"]
        assert np.array_equal(again["next_points"], second["next_points"])
    (tmp_path / "wave1" / "emulators.pkl").unlink()
    assert np.array_equal(cal.fit_wave(str(tmp_path), 2)["next_points"], second["next_points"])


def test_implausibility_of_values_bounds_and_the_log_scale():
    point = cal.make_target("t", "identity", 0.45, 0.32, 0.55)
    assert point.z == pytest.approx(0.45) and point.sd_obs == pytest.approx(0.23 / 4)
    # |z - m| / sqrt(var + sd_obs^2)
    assert cal.implausibility(point, np.array([0.45 + 0.23 / 4 * 2]), np.array([0.0]))[0] == pytest.approx(2.0)
    bound = cal.make_target("b", "log", np.nan, 1.0, np.inf)
    assert bound.bound and bound.low == 0.0
    # Inside the interval: 0; below it: the distance over the model's sd.
    assert cal.implausibility(bound, np.log([1.5]), np.array([0.01]))[0] == 0.0
    assert cal.implausibility(bound, np.log([0.5]), np.array([0.01]))[0] == pytest.approx(np.log(2) / 0.1)
    # No value: infinitely implausible.
    assert cal.implausibility(point, np.array([np.nan]), np.array([0.0]))[0] == np.inf
    # A change A/B - 1 is compared as log(A/B).
    change = cal.make_target("c", "log1p", np.nan, -1.0, 0.0)
    assert change.low == -np.inf and change.high == 0.0
    assert cal.to_scale([-0.5], "log1p")[0] == pytest.approx(np.log(0.5))
    assert cal.variance_to_scale([1.0], [0.04], "log")[0] == pytest.approx(0.04)


# --- the command ---------------------------------------------------------------------------------


SCENARIOS = """
[simulation]
days = 60
warmup_days = 15
replicates = 4
seed = 5
[population]
workers = 300
buyers = 6000
exploiters = 30
venues = 5
[policing]
# Frequent routine contacts, so that arrests carry the signal of
# policing.arrest_per_contact in a city this small.
contacts_per_year_street = 20

[[scenario]]
name = "baseline"

[[scenario]]
name = "stings"
[[scenario.policy]]
type = "street_sting"
start_day = 0
repeat_every_days = 15
officers = 14
areas = [0, 1, 2]
"""

PARAMETERS = {"encounter.violence_given_violent_buyer": (0.005, 0.1), "policing.arrest_per_contact": (0.01, 0.2)}
KNOWN = {"encounter.violence_given_violent_buyer": 0.04, "policing.arrest_per_contact": 0.08}


def run(args, cwd, env=None, timeout=600):
    full = dict(os.environ, **(env or {}))
    p = subprocess.run([BINARY, *args], cwd=cwd, capture_output=True, timeout=timeout, env=full)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def calibration_toml(waves=3, points=16, replicates=2, targets="targets.toml"):
    lines = [f'targets = "{targets}"', f"waves = {waves}", f"points = {points}", f"replicates = {replicates}",
             "seed = 3", "[parameters]"]
    lines += [f'"{name}" = [{low}, {high}]' for name, (low, high) in PARAMETERS.items()]
    return "\n".join(lines) + "\n"


def known_values(directory: pathlib.Path) -> tuple[float, float]:
    """Violence by buyers and arrests per worker-year (stratum all) of the baseline at KNOWN, 12 replicates."""
    sweep = ['base = "city.toml"', 'scenario = "baseline"', "replicates = 12", "[points]"]
    sweep += [f'"{name}" = [{value}]' for name, value in KNOWN.items()]
    (directory / "known.toml").write_text("\n".join(sweep) + "\n")
    code, _, err = run(["sweep", "known.toml", "-o", "known.h5", "-q"], directory)
    assert code == 0, err
    df = ha.load_sweep(directory / "known.h5", metrics=["violence_buyer", "arrests_worker", "workers_active"])
    per = df.pivot(index="replicate", columns="metric", values="value")
    worker_years = per["workers_active"] * 60 / 365  # days = 60 (SCENARIOS)
    return float((per["violence_buyer"] / worker_years).mean()), float((per["arrests_worker"] / worker_years).mean())


@pytest.fixture(scope="module")
def problem_dir(tmp_path_factory):
    """A directory with the city, targets made from KNOWN, the calibration file, and a reference run (-j 1)."""
    if not os.path.exists(BINARY):
        pytest.fail(f"harmsim binary not found at {BINARY}; build it first (scripts/test sets HARMSIM_BINARY)")
    d = tmp_path_factory.mktemp("calibrate")
    (d / "city.toml").write_text(SCENARIOS)
    violence, arrests = known_values(d)
    targets = f"""scenarios = "city.toml"
[[target]]
id = "violence"
source = "made from a known parameter set"
use = "calibration"
value = {violence}
interval = [{violence * 0.9}, {violence * 1.1}]
scenario = "baseline"
kind = "rate"
metric = "violence_buyer"

[[target]]
id = "arrests"
source = "made from a known parameter set"
use = "calibration"
value = {arrests}
interval = [{arrests * 0.85}, {arrests * 1.15}]
scenario = "baseline"
kind = "rate"
metric = "arrests_worker"

[[target]]
id = "street_over_venue"
source = "a bound"
use = "calibration"
interval = [0.01, inf]
scenario = "stings"
kind = "level"
metric = "violence_12m"
stratum = "sector/street"
compare = "ratio"
over = {{ stratum = "sector/venue" }}

[[target]]
id = "kept_back"
source = "not fitted"
use = "validation"
interval = [0, 1]
scenario = "baseline"
kind = "level"
metric = "violence_12m"
"""
    (d / "targets.toml").write_text(targets)
    (d / "cal.toml").write_text(calibration_toml())
    started = time.monotonic()
    code, out, err = run(["calibrate", "cal.toml", "-o", "ref.h5", "-j", "1"], d)
    assert code == 0, err
    (d / "ref.out").write_text(out)
    (d / "ref.seconds").write_text(f"{time.monotonic() - started:.1f}")
    return d


def contents(path) -> dict:
    """Every dataset and attribute of an HDF5 file as bytes or text, the run's own times left out."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            for key, value in obj.attrs.items():
                if key not in VARYING_ATTRIBUTES:
                    out[f"{name}@{key}"] = repr(value)
            if isinstance(obj, h5py.Dataset):
                data = obj[()]
                out[name] = data.tobytes() if isinstance(data, np.ndarray) and data.dtype.kind != "O" else repr(data)
        visit("", f)
        f.visititems(visit)
    return out


def assert_identical(a, b):
    ca, cb = contents(a), contents(b)
    assert sorted(ca) == sorted(cb)
    differing = [k for k in ca if ca[k] != cb[k]]
    assert not differing, f"{a} and {b} differ in {differing}"


def test_a_tiny_calibration_finds_the_parameter_set_its_targets_were_made_from(problem_dir):
    c = ha.read_calibration(problem_dir / "ref.h5")
    assert c.parameter_names == list(PARAMETERS)
    assert list(c.targets.index) == ["violence", "arrests", "street_over_venue"]  # the validation target is not fitted
    assert list(c.targets.scale) == ["identity", "identity", "log"]
    assert len(c.accepted) > 0
    # The known parameter set lies among the accepted ones, and the best
    # point is close to it (within a tenth of each prior range).
    for name, value in KNOWN.items():
        low, high = PARAMETERS[name]
        assert c.accepted[name].min() <= value <= c.accepted[name].max(), name
        assert abs(c.best[name] - value) < 0.1 * (high - low), (name, c.best[name], value)
    assert c.best_info["accepted"] == 1
    # Every accepted point's simulated values are non-implausible, and its
    # `within` says whether each lies in its interval.
    assert (c.accepted["implausibility"] < 3.0).all()
    for _, row in c.accepted.iterrows():
        inside = all(c.targets.low[t] <= row[t] <= c.targets.high[t] for t in c.targets.index)
        assert row["within"] == inside
    # The waves shrink the space: the first keeps less than the prior box,
    # each later wave no more than the one before.
    shares = c.kept_share.to_numpy()
    assert shares[0] < 1.0 and np.all(np.diff(shares) <= 1e-12)
    # The posterior sets, for `harmsim run --posterior`: [n, p] float64.
    assert c.points().shape == (len(c.accepted), 2) and c.points().dtype == np.float64
    # The best point as TOML, ready for the parameter table: it parses, each
    # section once, and gives the best point to four significant digits.
    import tomllib

    out = (problem_dir / "ref.out").read_text()
    block = out.split("The best point as TOML (for the parameter table's defaults, or a scenario file):\n")[1]
    pasted = tomllib.loads(block)
    for name in PARAMETERS:
        section, key = name.split(".")
        assert pasted[section][key] == pytest.approx(c.best[name], rel=5e-4)
    assert not (problem_dir / "ref.h5.work").exists()  # the work directory goes once the file is written


def test_the_output_file_follows_its_contract(problem_dir):
    with h5py.File(problem_dir / "ref.h5") as f:
        assert f.attrs["file_kind"] == "calibration" and int(f.attrs["complete"]) == 1
        assert int(f.attrs["schema_version"]) == 1
        names = [n.decode() if isinstance(n, bytes) else n for n in f["parameters/names"][()]]
        assert names == list(PARAMETERS)
        waves = int(f.attrs["waves"])
        assert sorted(f["waves"]) == [f"w{k}" for k in range(1, waves + 1)]
        for k in range(1, waves + 1):
            g = f[f"waves/w{k}"]
            n = g["points"].shape[0]
            assert g["points"].shape == (n, 2) and g["values"].shape == (n, 3) and g["variance"].shape == (n, 3)
            assert g["implausibility"].shape == (n,) and 0 <= g.attrs["kept_share"] <= 1
        m = int(f.attrs["accepted"])
        assert f["accepted/points"].shape == (m, 2) and f["accepted/points"].dtype == np.float64
        assert f["accepted/within"].shape == (m,)
        assert f["best/point"].shape == (2,) and f["best/values"].shape == (3,)


def test_the_same_calibration_gives_the_same_bits_on_two_threads_and_two_mpi_ranks(problem_dir):
    code, _, err = run(["calibrate", "cal.toml", "-o", "j2.h5", "-j", "2", "-q"], problem_dir)
    assert code == 0, err
    assert_identical(problem_dir / "ref.h5", problem_dir / "j2.h5")
    if shutil.which("mpirun") is None:
        pytest.skip("mpirun not found: the MPI case is not run")
    env = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
           "OMPI_MCA_rmaps_base_oversubscribe": "1"}
    p = subprocess.run(["mpirun", "--allow-run-as-root", "--oversubscribe", "-n", "2", BINARY, "calibrate", "cal.toml",
                        "-o", "mpi.h5", "-q"], cwd=problem_dir, capture_output=True, timeout=600,
                       env=dict(os.environ, **env))
    assert p.returncode == 0, p.stderr.decode()
    assert_identical(problem_dir / "ref.h5", problem_dir / "mpi.h5")


def test_shards_and_fit_only_give_the_same_calibration(problem_dir):
    for _ in range(10):
        if (problem_dir / "sh.h5").exists():
            break
        for i in (2, 1):
            code, out, err = run(["calibrate", "cal.toml", "-o", "sh.h5", "--shard", f"{i}/2", "-j", "1"], problem_dir)
            assert code == 0, err
            assert f"Shard {i}/2 of wave" in out or "nothing" in out
        code, out, err = run(["calibrate", "cal.toml", "-o", "sh.h5", "--fit-only", "-q"], problem_dir)
        assert code == 0, err
    assert_identical(problem_dir / "ref.h5", problem_dir / "sh.h5")


def test_fit_only_and_an_unsharded_run_refuse_a_wave_whose_shards_are_not_all_finished(problem_dir, tmp_path):
    for name in ("city.toml", "targets.toml", "cal.toml"):
        shutil.copy(problem_dir / name, tmp_path / name)
    code, out, err = run(["calibrate", "cal.toml", "-o", "x.h5", "--fit-only"], tmp_path)
    assert code == 2 and err == ("harmsim: --fit-only: nothing to fit, x.h5.work does not exist; run the shards of "
                                 "wave 1 first (`harmsim calibrate cal.toml -o x.h5 --shard i/n`), or run without "
                                 "--fit-only\n")
    assert not (tmp_path / "x.h5.work").exists()
    code, _, err = run(["calibrate", "cal.toml", "-o", "x.h5", "--shard", "1/3", "-q"], tmp_path)
    assert code == 0, err
    for args in (["--fit-only"], []):
        code, _, err = run(["calibrate", "cal.toml", "-o", "x.h5", *args], tmp_path)
        assert code == 2, err
        assert err == ("harmsim: wave 1 is being run as 3 shards and shards 2/3, 3/3 are not finished; run them "
                       "(`harmsim calibrate cal.toml -o x.h5 --shard 2/3`), or remove x.h5.work/wave1/*.shard-* to "
                       "run the wave here\n")
    assert not (tmp_path / "x.h5").exists()


def children_of(pid: int) -> list[int]:
    """Processes whose parent is pid (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return out


def start_and_kill(directory, args, ready, timeout=120.0):
    """Starts harmsim ARGS in directory, waits until ready() or it ends, kills it with SIGKILL; True if killed."""
    process = subprocess.Popen([BINARY, *args], cwd=directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while process.poll() is None and not ready(process) and time.monotonic() < deadline:
        time.sleep(0.005)
    killed = process.poll() is None
    children = children_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    # The fit step dies with harmsim (it is never left running on its own).
    wait_gone(children, "process")
    return killed


def wait_gone(pids, what):
    """Fails unless every process of pids ends (or is a zombie) within a few seconds."""
    for pid in pids:
        for _ in range(500):
            if not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z":
                break
            time.sleep(0.01)
        else:
            pytest.fail(f"{what} {pid} outlived the harmsim that started it")


def journal_records(work: pathlib.Path) -> int:
    """Unit records begun in the journals of the waves (counted by their
    magic: records are deflated, their sizes differ)."""
    count = 0
    for path in work.glob("wave*/*.h5.work/*.journal"):
        try:
            count += path.read_bytes().count(b"HSWUNIT4")
        except FileNotFoundError:  # removed as the wave was assembled
            pass
    return count


def test_a_calibration_killed_in_a_wave_and_in_a_fit_resumes_to_the_same_file(problem_dir):
    work = problem_dir / "killed.h5.work"
    args = ["calibrate", "cal.toml", "-o", "killed.h5", "-j", "1"]
    # In the middle of wave 1's sweeps, once some units are in the journals.
    assert start_and_kill(problem_dir, args, lambda p: journal_records(work) > 7)
    assert not (problem_dir / "killed.h5").exists()
    assert not (work / "wave1" / "fit.h5").exists()
    # While wave 1 is being fitted (its simulations evaluated, no fit yet).
    killed = start_and_kill(problem_dir, args, lambda p: (work / "wave1" / "simulated.h5").exists()
                            and children_of(p.pid))
    assert killed
    assert not (work / "wave1" / "fit.h5").exists() or (work / "wave2").exists()
    # In wave 2's sweeps.
    start_and_kill(problem_dir, args, lambda p: journal_records(work) > 7 and (work / "wave2").exists())
    code, _, err = run(args, problem_dir)
    assert code == 0, err
    assert_identical(problem_dir / "ref.h5", problem_dir / "killed.h5")
    assert not work.exists()
    # Once complete, the same command has nothing to do.
    code, out, _ = run(args, problem_dir)
    assert code == 0 and "already complete: nothing to do" in out


def test_the_fit_processes_of_a_parallel_fit_end_with_harmsim_killed_or_interrupted(problem_dir):
    """With -j 2 the targets' emulators are fitted in two processes under the fit step; a SIGKILL or a
    Ctrl-C of harmsim ends them all, and the resumed calibration is the same file as a -j 1 run."""
    work = problem_dir / "par.h5.work"
    args = ["calibrate", "cal.toml", "-o", "par.h5", "-j", "2"]

    def fitting_in_parallel(process):
        return any(len(children_of(fit)) >= 2 for fit in children_of(process.pid))

    for stop in (signal.SIGKILL, signal.SIGINT):
        process = subprocess.Popen([BINARY, *args], cwd=problem_dir, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120.0
        while process.poll() is None and not fitting_in_parallel(process) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert process.poll() is None, "the calibration ended before its fit ran in two processes"
        fits = children_of(process.pid)
        pool = [worker for fit in fits for worker in children_of(fit)]
        assert len(pool) >= 2
        process.send_signal(stop)
        code = process.wait(timeout=60)
        assert code == (-signal.SIGKILL if stop == signal.SIGKILL else 130)
        wait_gone(fits + pool, "fit process")
    assert not (problem_dir / "par.h5").exists()
    code, _, err = run(args, problem_dir)
    assert code == 0, err
    assert_identical(problem_dir / "ref.h5", problem_dir / "par.h5")
    assert not work.exists()


def test_an_impossible_calibration_fails_honestly_and_says_which_targets(problem_dir, tmp_path):
    shutil.copy(problem_dir / "city.toml", tmp_path / "city.toml")
    targets = (problem_dir / "targets.toml").read_text()
    # Fifty violent incidents by buyers per worker-year: far more than any
    # violence per violent-buyer encounter in the prior range can give.
    start = targets.index("value =")
    end = targets.index("scenario =", start)
    targets = targets[:start] + "value = 50\ninterval = [45, 55]\n" + targets[end:]
    (tmp_path / "targets.toml").write_text(targets)
    (tmp_path / "cal.toml").write_text(calibration_toml(waves=2))
    code, out, err = run(["calibrate", "cal.toml", "-o", "none.h5", "-j", "2"], tmp_path)
    assert code == 0, err
    assert "no parameter set in the prior ranges is non-implausible for the 3 targets together" in out
    assert "violence 0 %" in out
    c = ha.read_calibration(tmp_path / "none.h5")
    assert len(c.accepted) == 0 and c.points().shape == (0, 2)
    assert c.attributes["stop_reason"] == "empty"
    assert c.best_info["accepted"] == 0  # the closest point, flagged
    assert "NOT accepted" in out


def test_an_existing_output_or_another_calibrations_work_is_refused_in_one_line(problem_dir, tmp_path):
    for name in ("city.toml", "targets.toml", "cal.toml"):
        shutil.copy(problem_dir / name, tmp_path / name)
    (tmp_path / "taken.h5").write_text("not a calibration")
    code, _, err = run(["calibrate", "cal.toml", "-o", "taken.h5"], tmp_path)
    assert code == 2 and err == ("harmsim: taken.h5 exists; choose another name with -o or pass --force to replace "
                                 "it\n")
    code, _, _ = run(["calibrate", "cal.toml", "-o", "other.h5", "--shard", "1/4", "-q"], tmp_path)
    assert code == 0
    (tmp_path / "cal2.toml").write_text(calibration_toml(points=12))
    code, _, err = run(["calibrate", "cal2.toml", "-o", "other.h5"], tmp_path)
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("harmsim: other.h5.work holds the finished work of another calibration (its manifest "
                          "says `calibration_id = ")
    assert err.endswith("remove the directory, choose another -o, or pass --force to discard it\n")
    code, _, err = run(["calibrate", "cal.toml", "-o", "x.h5", "--shard", "1/2", "--fit-only"], tmp_path)
    assert code == 2 and err == ("harmsim: --shard runs a shard of a wave's simulations and --fit-only fits a wave "
                                 "without simulating: give one of them\n")
    code, _, err = run(["calibrate", "cal.toml", "-o", "x.h5", "--shard", "3/2"], tmp_path)
    assert code == 2 and err == 'harmsim: --shard: expected i/n with 1 <= i <= n (e.g. --shard 2/8), found "3/2"\n'


def test_a_dry_run_checks_the_file_and_runs_nothing(problem_dir, tmp_path):
    for name in ("city.toml", "targets.toml", "cal.toml"):
        shutil.copy(problem_dir / name, tmp_path / name)
    code, out, err = run(["calibrate", "cal.toml", "--dry-run"], tmp_path)
    assert code == 0 and err == ""
    assert out == ("cal.toml: history matching of 2 parameters to the 3 calibration targets of targets.toml; at most 3 "
                   "waves of 16 points x 2 replicates x 2 scenarios = 64 simulations each; scenarios baseline "
                   "(city.toml), stings (city.toml); nothing run\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cal.toml", "city.toml", "targets.toml"]


def test_mutated_calibration_files_are_checked_or_refused_with_one_message(problem_dir, tmp_path):
    """harmsim calibrate --dry-run on 300 mutations of scenarios/calibration.toml: exit 0, or one line and exit 2."""
    import importlib.util
    import random
    from concurrent.futures import ThreadPoolExecutor

    spec = importlib.util.spec_from_file_location("mutate", ROOT / "tests" / "fuzz" / "mutate.py")
    mutate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mutate)
    for name in ("city.toml", "targets.toml"):
        shutil.copy(problem_dir / name, tmp_path / name)
    source = (ROOT / "scenarios" / "calibration.toml").read_text()
    rng = random.Random(20261129)
    files = []
    for n in range(300):
        text = source
        for _ in range(rng.randint(1, 3)):
            text = mutate.mutate_once(text, rng)
        path = tmp_path / f"cal_{n:03d}.toml"
        path.write_bytes(text.encode("utf-8", "surrogateescape"))
        files.append(path)

    def check(path):
        try:
            p = subprocess.run([BINARY, "calibrate", "--dry-run", path.name, "-o", "never.h5"], cwd=tmp_path,
                               capture_output=True, timeout=20)
        except subprocess.TimeoutExpired:
            return 1, f"{path.name}: no answer within 20 s"
        err = p.stderr.decode("utf-8", "replace")
        if p.returncode == 0:
            return 0, None if err == "" else f"{path.name}: exit 0 with {err[:200]}"
        if p.returncode != 2 or err.count("\n") != 1 or not err.startswith("harmsim: "):
            return p.returncode, f"{path.name}: exit {p.returncode}: {err[:300]}"
        return 2, None

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(check, files))
    failures = [f for _, f in results if f]
    assert not failures, "\n".join(failures[:10])
    # Some mutants stay valid (the corpus is not all refusals).
    assert sum(code == 0 for code, _ in results) >= 10
    assert not (tmp_path / "never.h5").exists() and not (tmp_path / "never.h5.work").exists()


def test_the_reader_refuses_unfinished_and_foreign_files(problem_dir, tmp_path):
    partial = tmp_path / "c.h5.partial"
    shutil.copy(problem_dir / "ref.h5", partial)
    with pytest.raises(ha.IncompleteResultsError):
        ha.read_calibration(partial)
    unfinished = tmp_path / "c.h5"
    shutil.copy(problem_dir / "ref.h5", unfinished)
    with h5py.File(unfinished, "a") as f:
        del f.attrs["complete"]
    with pytest.raises(ha.IncompleteResultsError):
        ha.read_calibration(unfinished)
    with pytest.raises(ha.ResultsError, match="not a calibration file"):
        ha.read_calibration(problem_dir / "known.h5")
