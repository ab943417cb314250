"""A file another program holds open: Windows refuses to replace it (Excel does this).

`os.replace` onto a file Excel has open fails on Windows with `PermissionError` 13. The
CLI subprocesses here get that behaviour from `tests/as_on_windows/sitecustomize.py`
(`AS_ON_WINDOWS_HELD=<path>`), with the POSIX-only modules blocked too. Each command
says so in one line, exits 6 (storage), keeps the old file and leaves no temporary file.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.bulk.conftest import catalogue_csv
from tests.cli_support import run_cli
from tests.e2e.test_without_posix_modules import as_on_windows, one_line_error
from tmapi_search.bulk.atomic import atomic_write
from tmapi_search.testing.local_server import LocalTmapiServer

OLD = "the file open in Excel\n"


@pytest.fixture(scope="module")
def results_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("held")
    db = folder / "结果 results.sqlite"
    with LocalTmapiServer() as server:
        done = run_cli(
            "bulk",
            str(catalogue_csv(folder / "c.csv", 6)),
            "--db",
            str(db),
            base_url=server.base_url,
        )
    assert done.returncode == 0, done.stderr
    return db


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "共享 shared"
    path.mkdir()
    return path


def held(out: Path) -> dict[str, str]:
    out.write_text(OLD, encoding="utf-8")
    return as_on_windows(AS_ON_WINDOWS_HELD=str(out))


def assert_refused(result_stderr: str, returncode: int, out: Path) -> None:
    assert returncode == 6, result_stderr
    line = one_line_error(result_stderr)
    assert str(out) in line and "Permission denied" in line
    assert out.read_text(encoding="utf-8") == OLD
    assert [p.name for p in out.parent.iterdir()] == [out.name]  # no temporary file


@pytest.mark.parametrize("suffix", ["csv", "jsonl", "xlsx"])
def test_export(results_db: Path, folder: Path, suffix: str) -> None:
    out = folder / f"导出 export.{suffix}"
    result = run_cli("export", "--db", str(results_db), "--out", str(out), "--force", **held(out))
    assert_refused(result.stderr, result.returncode, out)


def test_report(results_db: Path, folder: Path) -> None:
    out = folder / "报告 report.html"
    result = run_cli("report", "--db", str(results_db), "--out", str(out), "--force", **held(out))
    assert_refused(result.stderr, result.returncode, out)


def test_atomic_write(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = folder / "任何 any.txt"
    out.write_text(OLD, encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(dst))  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PermissionError) as raised, atomic_write(out, force=True) as handle:
        handle.write("new\n")
    assert raised.value.errno == errno.EACCES
    assert out.read_text(encoding="utf-8") == OLD
    assert [p.name for p in folder.iterdir()] == [out.name]


def test_the_hook_refuses_only_the_held_file(results_db: Path, folder: Path) -> None:
    out = folder / "导出 export.csv"
    other = folder / "other.csv"
    other.write_text(OLD, encoding="utf-8")
    result = run_cli("export", "--db", str(results_db), "--out", str(out), "--force", **held(other))
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size > len(OLD)
