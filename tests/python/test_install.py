"""The analysis package installs with pip, offline, into a virtual environment that sees Debian's packages.

Once per session: a copy of analysis/ (pip builds in the source tree, and the
checkout should stay clean) is installed, exactly as analysis/README.md says,
with ``pip install --no-deps --no-build-isolation`` into a fresh
``/usr/bin/python3 -m venv --system-site-packages``. The environment is made
``--without-pip``: its python then runs Debian's own pip (python3-pip) from the
system site-packages, which saves the seconds ensurepip takes and builds with
Debian's setuptools and wheel. pip gets no index (``PIP_NO_INDEX``) and no
configuration file, so the install fails at once, rather than waiting on the
network, if anything would have to be downloaded.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

import harmsim_analysis as ha
from conftest import ANALYSIS, write_results

PYTHON = "/usr/bin/python3"


def clean_env(**extra) -> dict:
    """The environment minus anything that could put another copy of the package, or a network, in reach."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON")) and k not in ("VIRTUAL_ENV",)}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_CACHE_DIR="1", PIP_NO_INPUT="1", PYTHONNOUSERSITE="1")
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def venv(tmp_path_factory):
    """``(venv_dir, pip_output)`` after installing the package into a fresh virtual environment."""
    if not os.path.exists(PYTHON):
        pytest.fail(f"{PYTHON} not found: the analysis package is installed with Debian's python3")
    root = tmp_path_factory.mktemp("install")
    source = root / "src" / "analysis"
    shutil.copytree(ANALYSIS, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    env_dir = root / "venv"
    made = subprocess.run([PYTHON, "-m", "venv", "--system-site-packages", "--without-pip", str(env_dir)],
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, f"python3 -m venv failed (is python3-venv installed?):\n{made.stderr}"
    pip = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--no-deps", "--no-build-isolation", str(source)],
        capture_output=True, text=True, timeout=300, cwd=root, env=clean_env(),
    )
    assert pip.returncode == 0, f"pip install failed:\n{pip.stdout}\n{pip.stderr}"
    return env_dir, pip.stdout


@pytest.fixture(scope="session")
def elsewhere(tmp_path_factory):
    """A directory outside the checkout with a results file in it."""
    where = tmp_path_factory.mktemp("elsewhere")
    write_results(where / "results.h5")
    return where


@pytest.fixture(scope="session")
def installed(venv, elsewhere):
    """What the installed package says about itself, asked by the venv's python from another directory."""
    env_dir, _ = venv
    probe = textwrap.dedent("""
        import importlib, json, os, sys
        import importlib.metadata as md
        import harmsim_analysis as ha
        table = ha.summary("results.h5", metrics=["violence_buyer"])
        scripts = [e for e in md.entry_points(group="console_scripts") if e.name == "harmsim-report"]
        requires = md.requires("harmsim-analysis") or []
        print(json.dumps({
            "file": ha.__file__,
            "version": ha.__version__,
            "dist_version": md.version("harmsim-analysis"),
            "scripts": [e.value for e in scripts],
            "requires": {r: os.path.realpath(importlib.import_module(r).__file__) for r in requires},
            "mean": table["mean"].tolist(),
            "diff_low": table["diff_low"].tolist(),
            "path": [os.path.realpath(p) for p in sys.path],
        }))
    """)
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-c", probe], capture_output=True, text=True,
                          timeout=120, cwd=elsewhere, env=clean_env())
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_pip_builds_a_wheel_and_installs_it(venv):
    _, output = venv
    assert "Building wheel for harmsim-analysis" in output
    assert f"Successfully installed harmsim-analysis-{ha.__version__}" in output


def test_the_package_imports_from_the_environment_not_the_checkout(venv, installed):
    env_dir, _ = venv
    site = os.path.realpath(env_dir / "lib")
    assert os.path.realpath(installed["file"]).startswith(site + os.sep), installed["file"]
    checkout = os.path.realpath(ANALYSIS)
    assert not any(p == checkout or p.startswith(checkout + os.sep) for p in installed["path"])
    assert installed["version"] == installed["dist_version"] == ha.__version__


def test_the_installed_package_computes_what_the_checkout_computes(installed, elsewhere):
    table = ha.summary(elsewhere / "results.h5", metrics=["violence_buyer"])
    assert installed["mean"] == table["mean"].tolist()
    assert installed["diff_low"][1:] == table["diff_low"].tolist()[1:]  # [0] is the baseline's nan


def test_every_declared_dependency_is_one_of_debians_packages(installed):
    # --no-deps installed none of them: the environment sees Debian's python3-* packages
    assert sorted(installed["requires"]) == ["h5py", "matplotlib", "numpy", "pandas", "scipy", "statsmodels"]
    for name, module in installed["requires"].items():
        assert module == f"/usr/lib/python3/dist-packages/{name}/__init__.py"


def test_harmsim_report_is_a_console_script(venv, installed, elsewhere):
    env_dir, _ = venv
    assert installed["scripts"] == ["harmsim_analysis.cli:main"]
    script = env_dir / "bin" / "harmsim-report"
    helped = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60, cwd=elsewhere,
                            env=clean_env())
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: harmsim-report")
    assert "--baseline" in helped.stdout
    refused = subprocess.run([str(script), "missing.h5", "-o", "r.html"], capture_output=True, text=True,
                             timeout=60, cwd=elsewhere, env=clean_env())
    assert refused.returncode == 2
    assert refused.stderr.strip() == "harmsim-report: error: missing.h5: no such file"
    assert not (elsewhere / "r.html").exists()
