"""What the Kaggle-stack job (ci/kaggle_stack.sh) installs, and how it judges pip's plan.

The job is the project's "oldest versions" run: every package Kaggle's image ships comes at
Kaggle's version (ci/kaggle-constraints.txt), and every other requirement we declare comes
at its declared floor. So each lower bound in pyproject.toml is a version CI runs.

Standard library only: ci/kaggle_stack.sh runs ``python3 tests/kaggle/kaggle_stack.py
requirements`` before any venv exists.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / "ci" / "kaggle-constraints.txt"
PYPROJECT = REPO / "pyproject.toml"
OUR_NAME = "lean-kernel"
JOB_EXTRAS = ("test",)  # the extras the job installs besides the base dependencies

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")
_REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")
_FLOOR = re.compile(r"(?:^|,)\s*>=\s*([^,;\s]+)")


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def kaggle_pins(path: Path = CONSTRAINTS) -> dict[str, str]:
    """Normalized name -> version, for every ``name==version`` line of the constraints."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = _PIN.match(line.strip())
        if m:
            pins[normalize(m.group(1))] = m.group(2)
    return pins


@dataclass(frozen=True)
class Requirement:
    name: str  # as written in pyproject.toml
    floor: str | None  # the version after ``>=``, if any
    text: str

    @property
    def key(self) -> str:
        return normalize(self.name)


def declared_requirements(extras: tuple[str, ...] = JOB_EXTRAS, path: Path = PYPROJECT) -> list[Requirement]:
    """The base dependencies and those of ``extras``, from pyproject.toml."""
    project = tomllib.loads(path.read_text())["project"]
    texts = list(project.get("dependencies", []))
    for extra in extras:
        texts += project.get("optional-dependencies", {}).get(extra, [])
    out = []
    for text in texts:
        m = _REQUIREMENT.match(text.split(";")[0].strip())
        if not m:
            raise ValueError(f"cannot read the requirement {text!r} in {path}")
        floor = _FLOOR.search(m.group(2))
        out.append(Requirement(m.group(1), floor.group(1) if floor else None, text))
    return out


def job_requirements() -> list[str]:
    """What the job asks pip for: a package Kaggle ships by name (the constraints pin
    it), any other at exactly its declared floor."""
    pins = kaggle_pins()
    out = []
    for req in declared_requirements():
        if req.key in pins:
            out.append(req.name)
        elif req.floor is None:
            raise ValueError(f"{req.text!r} has no floor (>=): the Kaggle-stack job would not know what to test")
        else:
            out.append(f"{req.name}=={req.floor}")
    return out


def plan_problems(report: dict, pins: dict[str, str], installed: dict[str, str]) -> list[str]:
    """What is wrong with pip's ``--dry-run --report`` plan for installing our wheel with
    its dependencies into Kaggle's image. A package Kaggle ships, at another version than
    Kaggle's, is an upgrade (or downgrade) under Kaggle's other packages; a package Kaggle
    lacks cannot be installed offline, so the README's ``--no-deps`` recipe would miss it.
    (Kaggle's own version of a package this venv happens to lack is no change on Kaggle.)"""
    problems = []
    for item in report.get("install", []):
        name, version = item["metadata"]["name"], item["metadata"]["version"]
        key = normalize(name)
        if key == OUR_NAME:
            continue
        if key in pins:
            if version != pins[key]:
                was = installed.get(key, "not installed")
                problems.append(f"{name}: Kaggle ships {pins[key]} (here: {was}); pip would install {version}")
        else:
            problems.append(f"{name} {version}: not in Kaggle's image; an offline --no-deps install would lack it")
    return problems


if __name__ == "__main__":
    if sys.argv[1:] != ["requirements"]:
        sys.exit("usage: python3 tests/kaggle/kaggle_stack.py requirements")
    print("\n".join(job_requirements()))
