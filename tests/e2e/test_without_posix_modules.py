"""The package and the CLI as on Windows: the POSIX-only modules cannot be imported.

Every subprocess here starts with `tests/as_on_windows` first on PYTHONPATH and
`AS_ON_WINDOWS_BLOCK=1`: its `sitecustomize` makes `fcntl`, `termios`, `resource`, `pwd`,
`grp` (and `tty`, `pty`, `syslog`) unimportable before any of our code runs. The files
live in a folder whose name has a space and Chinese characters, as a sourcing team's
would. The API is the local stand-in (`tmapi_search.testing.local_server`).

What this cannot show (only the CI workflow's Windows job does): msvcrt's lock, which
filelock uses on Windows. Here, without fcntl, filelock falls back to its soft lock (a
file created exclusively), so these tests hold the lock's rules -- one writer, the second
refused and told who holds it -- but not the OS releasing it after a kill.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import run_cli
from tmapi_search.testing.local_server import LocalTmapiServer

REPO_ROOT = Path(__file__).resolve().parents[2]
HOOK = REPO_ROOT / "tests" / "as_on_windows"
DEMO_CATALOGUE = REPO_ROOT / "examples" / "catalogue.csv"
BLOCKED = ("fcntl", "termios", "resource", "pwd", "grp")


def as_on_windows(**extra: str) -> dict[str, str]:
    """Environment variables for a subprocess without the POSIX-only modules."""
    path = os.pathsep.join(p for p in (str(HOOK), os.environ.get("PYTHONPATH", "")) if p)
    return {"PYTHONPATH": path, "AS_ON_WINDOWS_BLOCK": "1", **extra}


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture(scope="module")
def server() -> Iterator[LocalTmapiServer]:
    with LocalTmapiServer() as running:
        yield running


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder named as a sourcing team would: a space and Chinese characters."""
    path = tmp_path / "采购 目录 2026"
    path.mkdir()
    return path


def test_the_hook_blocks_what_windows_lacks(tmp_path: Path) -> None:
    code = (
        "import importlib, json\n"
        "refused = []\n"
        f"for name in {BLOCKED!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError:\n"
        "        refused.append(name)\n"
        "print(json.dumps(refused))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **as_on_windows()},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == list(BLOCKED)


def test_the_packages_import_and_load_none_of_them() -> None:
    code = (
        "import json, sys\n"
        "import tmapi_search, tmapi_search.bulk, tmapi_search.testing\n"
        "import tmapi_search.cli, tmapi_search.bulk.lock, tmapi_search.testing.local_server\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {BLOCKED!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **as_on_windows()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert result.stderr == ""


@pytest.mark.parametrize("command", [[], ["search"], ["bulk"], ["export"], ["status"], ["report"]])
def test_help(command: list[str]) -> None:
    result = run_cli(*command, "--help", **as_on_windows())
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout and result.stderr == ""


def test_the_demo_catalogue_end_to_end(server: LocalTmapiServer, folder: Path) -> None:
    """What a new user on Windows does: bulk, bulk again, status, export, report."""
    catalogue = folder / "目录 catalogue.csv"
    shutil.copyfile(DEMO_CATALOGUE, catalogue)
    db = folder / "结果 results.sqlite"
    env = as_on_windows()

    first = run_cli("bulk", str(catalogue), "--db", str(db), base_url=server.base_url, **env)
    assert first.returncode == 0, first.stderr
    paid = server.search_calls
    assert paid > 0

    again = run_cli("bulk", str(catalogue), "--db", str(db), base_url=server.base_url, **env)
    assert again.returncode == 0, again.stderr
    assert server.search_calls == paid  # a second run on the same database pays nothing

    status = run_cli("status", "--db", str(db), "--format", "json", **env)
    assert status.returncode == 0, status.stderr
    shown = json.loads(status.stdout)
    assert shown["running"] is False and shown["counts"]["ok"] > 0
    assert {run["state"] for run in shown["runs"]} == {"done"}

    for suffix in ("csv", "jsonl", "xlsx"):
        out = folder / f"导出 export.{suffix}"
        export = run_cli("export", "--db", str(db), "--out", str(out), **env)
        assert export.returncode == 0, export.stderr
        assert out.stat().st_size > 0
    text = (folder / "导出 export.csv").read_text(encoding="utf-8-sig")
    assert "PC-FLIP-01" in text

    report = folder / "报告 report.html"
    made = run_cli("report", "--db", str(db), "--out", str(report), **env)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == str(report)
    assert "<html" in report.read_text(encoding="utf-8").lower()

    leftovers = {p.name for p in folder.iterdir()} - {
        catalogue.name,
        db.name,
        f"{db.name}.lock",
        f"{db.name}.lock.json",
        f"{db.name}-wal",
        f"{db.name}-shm",
        report.name,
        *(f"导出 export.{suffix}" for suffix in ("csv", "jsonl", "xlsx")),
    }
    assert leftovers == set()  # no temporary file left behind


def test_a_second_run_is_refused_and_told_who_holds_the_database(
    server: LocalTmapiServer, folder: Path
) -> None:
    catalogue = folder / "目录.csv"
    shutil.copyfile(DEMO_CATALOGUE, catalogue)
    db = folder / "结果 results.sqlite"
    first = run_cli(
        "bulk", str(catalogue), "--db", str(db), base_url=server.base_url, **as_on_windows()
    )
    assert first.returncode == 0, first.stderr
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tmapi_search.bulk.lock import RunLock\n"
            "with RunLock(sys.argv[1]) as lock:\n"
            "    lock.acquire(); print('locked', flush=True); sys.stdin.read()\n",
            str(db),
        ],
        env={**os.environ, **as_on_windows()},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = run_cli(
            "bulk", str(catalogue), "--db", str(db), base_url=server.base_url, **as_on_windows()
        )
        assert busy.returncode == 2, busy.stderr
        line = one_line_error(busy.stderr)
        assert f"pid {holder.pid}" in line and "--wait" in line
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
    assert holder.returncode == 0
    status = run_cli("status", "--db", str(db), "--format", "json", **as_on_windows())
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["running"] is False
    after = run_cli(
        "bulk", str(catalogue), "--db", str(db), base_url=server.base_url, **as_on_windows()
    )
    assert after.returncode == 0, after.stderr
