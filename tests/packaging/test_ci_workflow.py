"""`.github/workflows/ci.yml`: linted here, since only GitHub can run it.

check-jsonschema validates it against the GitHub Actions workflow schema it ships
(`--builtin-schema vendor.github-workflows`, no network); then what the schema cannot
know: the matrix is the platforms and Pythons pyproject.toml declares, the Linux-only
tools are installed on Linux only, and elsewhere exactly the tests that need them are
deselected, by markers pyproject.toml registers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LINUX_ONLY = {"prism", "chromium"}


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    found = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert found, "check-jsonschema is not installed in this virtualenv (make install)"
    return subprocess.run(
        [found, "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def workflow() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return data


def test_the_workflow_is_valid_for_github_actions() -> None:
    result = check_jsonschema(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_linter_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "ci.yml"
    text = WORKFLOW.read_text(encoding="utf-8").replace("runs-on: ${{ matrix.os }}", "run-on: x")
    broken.write_text(text, encoding="utf-8")
    result = check_jsonschema(broken)
    assert result.returncode == 1, result.stdout


def test_the_matrix_is_what_pyproject_declares() -> None:
    matrix = workflow()["jobs"]["test"]["strategy"]["matrix"]
    assert {re.sub(r"-.*", "", os) for os in matrix["os"]} == {"ubuntu", "macos", "windows"}
    classifiers = PYPROJECT["project"]["classifiers"]
    pythons = sorted(c.rpartition(":: ")[2] for c in classifiers if re.fullmatch(r".*:: 3\.\d+", c))
    assert matrix["python"] == pythons == ["3.11", "3.12", "3.13"]
    assert PYPROJECT["project"]["requires-python"] == f">={pythons[0]}"
    for name in ("MacOS", "Microsoft :: Windows", "POSIX :: Linux"):
        assert f"Operating System :: {name}" in classifiers


def test_linux_only_tools_and_tests() -> None:
    steps = workflow()["jobs"]["test"]["steps"]
    for step in steps:
        text = f"{step.get('uses', '')} {step.get('run', '')}"
        if "npm" in text or "apt-get" in text or "setup-node" in text:
            assert step.get("if") == "runner.os == 'Linux'", step
    pytest_steps = {step["if"]: step["run"] for step in steps if "pytest" in step.get("run", "")}
    assert pytest_steps["runner.os == 'Linux'"] == "python -m pytest -n auto"
    elsewhere = pytest_steps["runner.os != 'Linux'"]
    deselected = set(re.findall(r"not (\w+)", elsewhere))
    assert deselected == LINUX_ONLY
    markers = PYPROJECT["tool"]["pytest"]["ini_options"]["markers"]
    registered = {marker.partition(":")[0] for marker in markers}
    assert {*LINUX_ONLY, "posix", "linux"} <= registered


@pytest.mark.parametrize("job", ["lint", "test", "floors"])
def test_every_job_has_a_time_limit_and_pinned_actions(job: str) -> None:
    spec = workflow()["jobs"][job]
    assert spec["timeout-minutes"] <= 30
    for step in spec["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"actions/[\w-]+@v\d+", step["uses"]), step["uses"]
