"""Kaggle's pinned stack: our floors, and what ``pip install lean-kernel`` does there.

The first tests run in the default suite (fast, no network): the floors in pyproject.toml
agree with ci/kaggle-constraints.txt, and the judge of pip's plan catches an upgrade.
The ``kaggle`` tests run only inside the venv that ci/kaggle_stack.sh builds (Kaggle's
pins, our wheel installed with ``--no-deps`` as the README says); that job also runs the
magic, widget, verify, pool and kernel suites and examples/kaggle_verify.ipynb there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
from kaggle_stack import (
    CONSTRAINTS,
    OUR_NAME,
    declared_requirements,
    job_requirements,
    kaggle_pins,
    normalize,
    plan_problems,
)

WHEEL_VARIABLE = "LEAN_KERNEL_WHEEL"  # set by ci/kaggle_stack.sh: the wheel it installed


def test_the_constraints_name_their_source_and_date():
    header = CONSTRAINTS.read_text().split("\n\n")[0]
    assert "Kaggle/docker-python" in header and "installed_cpu_packages.txt" in header
    assert "1ebea3c57213e300b9ce23d3dfa57275500ec2ce" in header and "2026-06-17" in header


def test_every_floor_of_a_package_kaggle_ships_is_kaggle_s_version():
    # So the Kaggle-stack job, which installs Kaggle's versions, tests exactly our floors,
    # and `pip install` on Kaggle finds every requirement already satisfied.
    pins = kaggle_pins()
    wrong = [
        f"{r.text}: Kaggle ships {pins[r.key]}"
        for r in declared_requirements()
        if r.key in pins and r.floor != pins[r.key]
    ]
    assert not wrong, "floors that the Kaggle-stack job does not test:\n" + "\n".join(wrong)


def test_the_job_asks_for_kaggle_packages_unpinned_and_others_at_their_floor():
    asked = job_requirements()
    assert "ipykernel" in asked and "ipython" in asked  # pinned by the constraints file
    others = [a for a in asked if "==" in a]
    assert others and all(normalize(a.split("==")[0]) not in kaggle_pins() for a in others)


def _report(*items: tuple[str, str]) -> dict:
    return {"install": [{"metadata": {"name": n, "version": v}} for n, v in items]}


def test_the_plan_judge_flags_an_upgrade_and_a_package_kaggle_lacks():
    pins = {"ipython": "7.34.0", "tqdm": "4.67.3"}
    installed = {"ipython": "7.34.0", "tqdm": "4.67.3"}
    assert plan_problems(_report(("lean-kernel", "0.1.0")), pins, installed) == []
    problems = plan_problems(
        _report(("lean_kernel", "0.1.0"), ("IPython", "9.1.0"), ("stack_data", "0.6.3"), ("tqdm", "4.67.3")),
        pins,
        installed,
    )
    assert problems == [
        "IPython: Kaggle ships 7.34.0 (here: 7.34.0); pip would install 9.1.0",
        "stack_data 0.6.3: not in Kaggle's image; an offline --no-deps install would lack it",
    ]


# ------------------------------------------------------------------ inside the job's venv


@pytest.fixture(scope="module")
def job_wheel() -> Path:
    """The wheel ci/kaggle_stack.sh built and installed; fails outside that job's venv."""
    path = os.environ.get(WHEEL_VARIABLE)
    if not path:
        pytest.fail(
            f"{WHEEL_VARIABLE} is not set: these tests run in the venv of `bash ci/kaggle_stack.sh`", pytrace=False
        )
    return Path(path)


def _installed() -> dict[str, str]:
    return {normalize(d.metadata["Name"]): d.version for d in metadata.distributions()}


@pytest.mark.kaggle
def test_the_venv_is_kaggle_s_stack(job_wheel):
    pins, installed = kaggle_pins(), _installed()
    for name in ("ipython", "ipykernel", "jupyter-client", "ipywidgets", "nbclient", "tqdm", "pexpect"):
        assert name in installed, name
    differ = {k: (v, pins[k]) for k, v in installed.items() if k in pins and v != pins[k]}
    assert not differ, f"installed vs Kaggle's version: {differ}"


@pytest.mark.kaggle
def test_every_declared_floor_is_the_version_tested_here(job_wheel):
    installed = _installed()
    untested = [
        f"{r.text} (here: {installed.get(r.key)})" for r in declared_requirements() if installed.get(r.key) != r.floor
    ]
    assert not untested, "floors this job does not test:\n" + "\n".join(untested)


@pytest.mark.kaggle
def test_the_code_under_test_is_the_installed_wheel(job_wheel, standin_env):
    import lean_magic

    import lean_kernel

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    for module in (lean_kernel, lean_magic):
        assert Path(module.__file__).resolve().is_relative_to(site), module.__file__
    direct_url = metadata.distribution(OUR_NAME).read_text("direct_url.json")
    assert direct_url is None or '"editable": true' not in direct_url
    # Subprocesses (kernel, stand-in, notebook kernel) import the same installed copy:
    # nothing puts the source tree first (`python -m` puts the working folder first).
    repo = Path(__file__).resolve().parents[2]
    assert str(repo) not in standin_env().get("PYTHONPATH", "").split(os.pathsep)
    assert not (Path.cwd() / "lean_kernel").exists()


@pytest.mark.kaggle
def test_pip_install_with_dependencies_changes_nothing_kaggle_ships(job_wheel, tmp_path):
    # pip's own resolver, as a user with the internet on would run it (dry run: the venv
    # stays as it is). Anything it would install besides lean-kernel is a problem.
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report_path), str(job_wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(report_path.read_text())
    problems = plan_problems(report, kaggle_pins(), _installed())
    assert not problems, "\n".join(problems)
