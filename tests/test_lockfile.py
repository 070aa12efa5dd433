"""Every Python dependency is pinned (issue 9, hole 8): ``requirements.lock`` names each package that
pyproject.toml asks for, at a version pyproject.toml allows, and ``make install`` uses it as constraints."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = [
    Requirement(spec) for spec in [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["dev"]]
]


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==([^\s;]+)", line.strip())
        assert match, f"requirements.lock line {line!r} is not NAME==VERSION"
        found[canonicalize_name(match[1])] = match[2]
    return found


@pytest.mark.parametrize("requirement", DECLARED, ids=[r.name for r in DECLARED])
def test_every_declared_dependency_is_pinned_at_an_allowed_version(requirement: Requirement) -> None:
    pinned = pins().get(canonicalize_name(requirement.name))

    assert pinned is not None, f"{requirement.name} is not in requirements.lock: run `make lock`"
    assert requirement.specifier.contains(pinned, prereleases=True), (
        f"requirements.lock pins {requirement.name}=={pinned}, but pyproject.toml asks {requirement}: "
        "run `make lock`"
    )


def test_the_install_step_uses_the_lock_as_constraints() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")

    assert re.search(r"pip install [^\n]*-c requirements\.lock[^\n]*-e '\.\[dev\]'", makefile)
