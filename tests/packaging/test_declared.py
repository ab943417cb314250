"""What pyproject.toml declares: ranges with a floor, never pins, and the docs say the same."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.packaging.floors import EXTRAS, floors

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DECLARED = list(PROJECT["dependencies"]) + [
    line for extra in EXTRAS for line in PROJECT["optional-dependencies"][extra]
]


def test_no_pins_and_every_dependency_has_a_floor() -> None:
    assert not [line for line in DECLARED if "==" in line]
    assert len(floors()) == len(DECLARED)  # raises if one has no `>=`


def test_the_install_section_lists_the_declared_ranges() -> None:
    page = (REPO_ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    section = page[page.index("## Install") :]
    section = section[: section.index("\n## ", 1)]
    for line in ("pip install tmapi-search ", "pip install 'tmapi-search[cli]'",
                 "pip install 'tmapi-search[testing]'"):  # fmt: skip
        assert line in section
    for requirement in DECLARED:
        assert f"`{requirement}`" in section, requirement
