"""Run the test suite against the *lowest* versions pyproject.toml allows (`make test-floors`).

Every runtime dependency (the core and the `cli` / `testing` extras) is installed at the
floor of its range (`httpx>=0.27,<1` -> `httpx==0.27`), in a scratch virtualenv
`.venv-floors/`; packages we do not declare resolve as pip resolves them for a user.
The test tools are the locked ones. A dependency without a floor is an error: a range
is only honest if its lower bound has been run.

    python -m tests.packaging.floors              # the default selection (below): make test-floors
    python -m tests.packaging.floors --quick      # fewer slow subprocess tests: in make test
    python -m tests.packaging.floors tests/unit   # or any pytest arguments

The virtualenv is rebuilt only when the floors or the lock change (a stamp file holds
their hash), so a rerun costs only the tests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV = REPO_ROOT / ".venv-floors"
EXTRAS = ("cli", "testing")
TEST_TOOLS = ("pytest", "pytest-asyncio", "pytest-timeout", "pytest-xdist", "execnet", "hypothesis")

# What every floored package is used for is exercised here: the client, its retries
# (stamina) and models (attrs, httpx), the docs' examples and tmapi_mock (respx,
# jsonschema, referencing, PyYAML), the CLI in subprocesses (typer, rich), the bulk
# engine, and the import rules. Left out: Prism/schemathesis suites (not floored
# packages), the code generator test, the hypothesis fuzzing and the two signal tests
# (slow, and about our code, not a dependency's API).
DEFAULT_SELECTION = [
    "tests/unit",
    "tests/cli",
    "tests/bulk",
    "tests/packaging/test_import_rules.py",
    "--deselect=tests/unit/test_codegen.py",
    "--deselect=tests/unit/test_client_fuzz.py",
    "-k",
    "not sigkill and not sigterm",
]
# `make test` (CI's 15 minutes): the same minus tests that mostly time our own code in
# subprocesses or on big databases (the slowest of the selection, 2-10 s each: stopping
# while a big catalogue is read, the export's second process, the paid-pages and
# safety scenarios); typer and rich stay covered (every --help, the progress bar, bulk
# runs, exports to every format), and so is every floored package.
QUICK_SELECTION = [
    *DEFAULT_SELECTION[:-2],
    "-k",
    "not sigkill and not sigterm and not test_block_runs_as_a_script_or_test_file"
    " and not test_registered_for_users_through_the_pytest11_entry_point"
    " and not test_439_mid_run and not test_bad_rows_are_reported"
    " and not test_stopped_while_reading and not test_export_workers"
    " and not test_non_utf8_stdout_never_crashes and not test_rejected_rows_are_failed_rows"
    " and not test_a_439_between_pages and not test_kill_9_leaves_no_stale_lock"
    " and not test_wait_starts_when_the_other_run_ends and not test_a_dead_api_stops_the_run",
]


def floors(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """`name==floor` for the core dependencies and the user-facing extras."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    declared = list(project["dependencies"])
    for extra in EXTRAS:
        declared += project["optional-dependencies"][extra]
    pins = []
    for line in declared:
        requirement = Requirement(line)
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if len(lower) != 1:
            raise SystemExit(f"pyproject.toml: {line!r} needs exactly one tested floor (>=)")
        pins.append(f"{requirement.name}=={lower[0]}")
    return pins


def locked(names: tuple[str, ...]) -> list[str]:
    wanted = {name.lower() for name in names}
    lines = (REPO_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.partition("==")[0].lower() in wanted]


def build_venv(pins: list[str], tools: list[str]) -> Path:
    stamp = VENV / ".floors"
    digest = hashlib.sha256("\n".join(pins + tools).encode()).hexdigest()
    python = VENV / ("Scripts" if os.name == "nt" else "bin") / "python"
    if stamp.is_file() and stamp.read_text() == digest and python.exists():
        return python
    shutil.rmtree(VENV, ignore_errors=True)
    venv.create(VENV, with_pip=False, symlinks=os.name != "nt")
    constraints = VENV / "floors.txt"
    constraints.write_text("\n".join(pins) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", "-c", str(constraints),
         "-e", f"{REPO_ROOT}[{','.join(EXTRAS)}]", *tools],
        check=True,
    )  # fmt: skip
    stamp.write_text(digest)
    return python


def main(argv: list[str]) -> int:
    pins = floors()
    tools = locked(TEST_TOOLS)
    print("floors:", " ".join(pins), flush=True)
    python = build_venv(pins, tools)
    versions = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "list", "--format=freeze",
         "--disable-pip-version-check", "--exclude-editable"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    names = {pin.partition("==")[0].lower() for pin in pins}
    installed = [v for v in versions if v.partition("==")[0].lower().replace("_", "-") in names]
    print("installed:", " ".join(installed), flush=True)
    args = QUICK_SELECTION if argv == ["--quick"] else argv or DEFAULT_SELECTION
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [str(python), "-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "auto", *args],
        cwd=REPO_ROOT,
        env=env,
        check=False,
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
