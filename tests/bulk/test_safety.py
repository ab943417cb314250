"""Paid results are never lost and never paid twice: real processes, real files.

Each test runs `tmapi-search` (and, for the paid work, the same run through the Python
API: `api_run.py`) as a subprocess against the local TMAPI stand-in (bodies
from the contract) and counts the paid calls the server saw: two runs on one database,
`kill -9` then a rerun, a full disk (a real small tmpfs), an API host that dies mid-run,
the same image on several rows, an export that accounts for every row, read-only opens.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli_support import TOKEN, cli_env, cli_path, run_cli
from tmapi_search import spec
from tmapi_search.testing.local_server import LocalTmapiServer

from .conftest import ALI, catalogue_csv

CONCURRENCY = 4


#: The same runs through the Python API: `tests/bulk/api_run.py`, a program calling
#: `run_catalogue` (its exit codes and messages as the CLI's).
API_RUN = Path(__file__).with_name("api_run.py")
VIA = pytest.mark.parametrize("via", ["cli", "api"])


def _command(via: str, args: tuple[str, ...]) -> list[str]:
    if via == "cli":
        return [cli_path(), *args]
    return [sys.executable, str(API_RUN), *args]


def run_bulk(
    via: str, *args: str, base_url: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`tmapi-search bulk ...` (via="cli") or the same run through `run_catalogue` ("api")."""
    return subprocess.run(
        _command(via, args),
        env=cli_env(base_url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_bulk(via: str, *args: str, base_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        _command(via, args),
        env=cli_env(base_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def bulk_args(csv_path: Path, db: Path, *extra: str) -> list[str]:
    return [
        "bulk",
        str(csv_path),
        "--db",
        str(db),
        "--max-items-per-image",
        "2",
        "--concurrency",
        str(CONCURRENCY),
        "--no-progress",
        *extra,
    ]


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return [tuple(row) for row in conn.execute(sql)]


def done_count(db: Path) -> int:
    try:
        return int(query(db, "SELECT count(*) FROM images WHERE status = 'done'")[0][0])
    except sqlite3.Error:
        return 0


def wait_for_done(db: Path, at_least: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while done_count(db) < at_least:
        assert process.poll() is None, "the run ended too early"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@contextlib.contextmanager
def small_tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A real file system of `size` (root only); skips with the reason when impossible."""
    path.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs here ({mounted.stderr.strip() or 'not root'})"
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


# -- 2. one writer per results database ------------------------------------------------
@VIA
def test_two_runs_started_together_pay_once(tmp_path: Path, via: str) -> None:
    images = 60
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", images)
    db = tmp_path / "same.sqlite"
    gate = threading.Event()  # the winner's calls hang until the loser has ended

    def hold(path: str, params: dict[str, str]) -> None:
        gate.wait(60)

    with LocalTmapiServer(hook=hold) as server:
        first = start_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        second = start_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        deadline = time.monotonic() + 60
        while first.poll() is None and second.poll() is None:
            assert time.monotonic() < deadline, "neither run ended"
            time.sleep(0.02)
        gate.set()
        results = [(p.wait(timeout=120), *p.communicate()) for p in (first, second)]
        codes = sorted(code for code, _, _ in results)
        assert codes == [0, 2], results
        refused = next(err for code, _, err in results if code == 2)
        line = one_line_error(refused)
        assert "is in use by another bulk run (pid " in line and "started " in line, line
        print(f"two runs together: exit codes {codes}, {server.search_calls} paid calls")
        assert server.search_calls <= images + CONCURRENCY
        assert server.search_calls == images  # the refused run sent nothing
        assert max(server.calls_by_url.values()) == 1


@VIA
def test_wait_starts_when_the_other_run_ends(tmp_path: Path, via: str) -> None:
    images = 40
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", images)
    db = tmp_path / "r.sqlite"
    gate = threading.Event()  # the first run's calls hang until the test opens it

    def hold(path: str, params: dict[str, str]) -> None:
        gate.wait(60)

    with LocalTmapiServer(hook=hold) as server:
        first = start_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        deadline = time.monotonic() + 60
        while server.search_calls == 0:  # it holds the lock and has started paying
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        busy = run_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        assert busy.returncode == 2, busy.stderr
        assert f"pid {first.pid}" in busy.stderr
        status = run_cli("status", "--db", str(db), "--format", "json")
        waiting = start_bulk(via, *bulk_args(csv_path, db, "--wait"), base_url=server.base_url)
        assert waiting.stderr is not None
        first_line = waiting.stderr.readline()
        assert first_line.startswith("waiting:") and f"pid {first.pid}" in first_line
        gate.set()
        assert first.wait(timeout=60) == 0
        _out, err = waiting.communicate(timeout=60)
        assert waiting.returncode == 0, err
        assert f"{images} image(s) already finished, skipped" in err
        assert server.search_calls == images
    report = json.loads(status.stdout)  # taken while the first run was live
    assert report["running"] is True
    assert [(run["state"], run["pid"]) for run in report["runs"]] == [("running", first.pid)]


@VIA
def test_kill_9_leaves_no_stale_lock_and_the_dead_run_reads_interrupted(
    tmp_path: Path, via: str
) -> None:
    images = 120
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", images)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(latency=0.05) as server:
        process = start_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        wait_for_done(db, 20, process)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        assert query(db, "SELECT outcome FROM runs") == [("running",)]
        status = run_cli("status", "--db", str(db), "--format", "json")
        assert status.returncode == 0, status.stderr
        report = json.loads(status.stdout)
        assert [run["state"] for run in report["runs"]] == ["interrupted"]
        assert report["running"] is False
        calls_at_kill = server.search_calls

        rerun = run_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        assert rerun.returncode == 0, rerun.stderr  # no manual cleanup needed
        assert "1 earlier run(s) ended without finishing" in rerun.stderr
        print(f"kill -9: {calls_at_kill} calls before, {server.search_calls} in all")
        assert server.search_calls <= images + CONCURRENCY
    assert query(db, "SELECT outcome FROM runs ORDER BY id") == [("interrupted",), ("completed",)]
    status = run_cli("status", "--db", str(db), "--format", "json")
    states = [run["state"] for run in json.loads(status.stdout)["runs"]]
    assert states == ["interrupted", "done"]


# -- 3. storage failure stops the spending ---------------------------------------------
@VIA
def test_full_disk_stops_the_paid_calls_at_the_first_failed_write(tmp_path: Path, via: str) -> None:
    images = 80
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", images)
    with small_tmpfs(tmp_path / "small", "800k") as disk:
        db = disk / "run.sqlite"
        with LocalTmapiServer(latency=0.01) as server:
            result = run_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url, timeout=120)
            calls = server.search_calls
        assert result.returncode == 6, result.stdout + result.stderr
        line = one_line_error(result.stderr)
        assert str(db) in line and "disk is full" in line, line
        saved = done_count(db)
        print(f"full disk: {calls} paid calls, {saved} images saved: {line}")
        assert 0 < saved < images
        # the calls that were not saved: the one whose save failed, and those in flight
        assert calls - saved - 1 <= CONCURRENCY
        assert query(db, "SELECT outcome, calls FROM runs") == [("failed", calls)]
        status = run_cli("status", "--db", str(db), "--format", "json")
        assert json.loads(status.stdout)["runs"][0]["state"] == "failed"

        remount(disk, "size=8m")  # space freed: the same command resumes
        with LocalTmapiServer() as server:
            again = run_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url, timeout=120)
            assert again.returncode == 0, again.stderr
            assert server.search_calls == images - saved
        assert done_count(db) == images


# -- 4. a dead API stops the run -------------------------------------------------------
@VIA
def test_a_dead_api_stops_the_run_and_leaves_the_images_pending(tmp_path: Path, via: str) -> None:
    images = 300
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", images)
    db = tmp_path / "r.sqlite"
    server = subprocess.Popen(
        [sys.executable, "-m", "tmapi_search.testing.local_server", "--latency", "0.05"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        process = start_bulk(via, "--max-retries", "1", *bulk_args(csv_path, db), base_url=base_url)
        wait_for_done(db, 20, process)
        server.send_signal(signal.SIGKILL)  # the host goes away: connection refused
        server.wait(timeout=10)
        started = time.monotonic()
        out, err = process.communicate(timeout=60)
        stopped_after = time.monotonic() - started
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert process.returncode == 5, out + err
    line = [text for text in err.splitlines() if "could not be reached" in text]
    assert len(line) == 1 and "calls in a row got no answer" in line[0], err
    assert "Traceback" not in err
    counts = dict(query(db, "SELECT status, count(*) FROM images GROUP BY status"))  # type: ignore[arg-type]
    print(f"dead API: stopped {stopped_after:.1f} s after the kill; {counts}")
    assert counts.get("failed", 0) == 0
    pending = int(counts.get("pending", 0))  # type: ignore[call-overload]
    assert pending > 0
    assert query(db, "SELECT outcome FROM runs") == [("network",)]
    with LocalTmapiServer() as again:
        rerun = run_bulk(via, *bulk_args(csv_path, db), base_url=again.base_url)
        assert rerun.returncode == 0, rerun.stderr
        assert again.search_calls == pending
    assert done_count(db) == images


# -- 5. pay once per image -------------------------------------------------------------
@VIA
def test_the_same_image_on_several_rows_is_paid_once(tmp_path: Path, via: str) -> None:
    other = "https://shop.example.com/images/phone-case.jpg"
    rows = [
        "sku,img_url,brand",
        f"A,{ALI}?n=1,x",
        f"B,{ALI}?n=1,y",  # another SKU, same image
        f",{ALI}?n=1,z",  # no SKU, same image
        f"C,{ALI.replace('https://cbu01.alicdn.com', 'HTTPS://CBU01.ALICDN.COM')}?n=1#top,w",
        f"D,{ALI}?n=2,v",
        f"E,{other},u",  # converted first
        f"F,{other},t",  # the same converted path
    ]
    csv_path = tmp_path / "catalogue.csv"
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        result = run_bulk(via, *bulk_args(csv_path, db), base_url=server.base_url)
        assert result.returncode == 0, result.stderr
        print(f"7 rows, 3 images: {server.search_calls} searches, {server.convert_calls} converts")
        assert server.search_calls == 3
        assert server.convert_calls == 1
    assert "4 row(s) served by a shared search" in result.stdout
    assert "7 done, 0 failed, 0 pending of 7 images; 14 items stored" in result.stdout
    out = tmp_path / "out.jsonl"
    export = run_cli("export", "--db", str(db), "--format", "jsonl", "--out", str(out))
    assert export.returncode == 0, export.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 14
    assert [r["input"]["brand"] for r in records[::2]] == ["x", "y", "z", "w", "v", "u", "t"]
    assert all(r["status"] == "ok" for r in records)

    # a later catalogue with the same image on a new row: served from the database
    more = tmp_path / "more.csv"
    more.write_text(f"sku,img_url\nG,{ALI}?n=2\nH,{other}\n", encoding="utf-8")
    with LocalTmapiServer() as server:
        result = run_bulk(via, *bulk_args(more, db), base_url=server.base_url)
        assert result.returncode == 0, result.stderr
        assert (server.search_calls, server.convert_calls) == (0, 0)
    assert "2 row(s) served by a shared search" in result.stdout


# -- 6. the export is a complete account; status lists what failed ---------------------
@VIA
def test_export_and_status_account_for_every_row(tmp_path: Path, via: str) -> None:
    no_match = spec.response_example()
    no_match["data"]["items"] = []
    no_match["data"]["total_count"] = 0

    def hook(path: str, params: dict[str, str]) -> tuple[int, object] | None:
        if path == spec.SEARCH_PATH and "nomatch" in params.get("img_url", ""):
            return 200, no_match
        return None

    rows = ["sku,img_url"] + [f"S{i},{ALI}?n={i}" for i in range(6)]
    rows += [f"BAD,{ALI}?e422=1", f"NONE,{ALI}?nomatch=1"]
    rows += [f"LATE{i},{ALI}?late={i}" for i in range(3)]
    csv_path = tmp_path / "catalogue.csv"
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(errors_by_url={"e422": 422}, billing_after=8, hook=hook) as server:
        result = run_bulk(
            via, *bulk_args(csv_path, db, "--concurrency", "1"), base_url=server.base_url
        )
    assert result.returncode == 3, result.stderr  # 439 after 8 searches: the rest pending
    for fmt in ("csv", "jsonl"):
        out = tmp_path / f"out.{fmt}"
        export = run_cli("export", "--db", str(db), "--format", fmt, "--out", str(out))
        assert export.returncode == 0, export.stderr
        assert "17 row(s): 12 ok, 1 no_match, 1 failed, 3 pending" in export.stderr
    records = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    by_sku: dict[str, list[dict[str, object]]] = {}
    for record in records:
        by_sku.setdefault(str(record["input"]["sku"]), []).append(record)
    assert len(by_sku) == 11  # every input row
    assert [r["status"] for r in by_sku["S0"]] == ["ok", "ok"]
    (bad,) = by_sku["BAD"]
    assert (bad["status"], bad["error_code"], bad["item"]) == ("failed", "ParameterError", None)
    assert bad["error_message"]
    (none,) = by_sku["NONE"]
    assert (none["status"], none["error_code"], none["position"]) == ("no_match", None, None)
    assert [by_sku[f"LATE{i}"][0]["status"] for i in range(3)] == ["pending"] * 3

    status = run_cli("status", "--db", str(db), "--format", "json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["counts"] == {
        "rows": 11,
        "ok": 6,
        "no_match": 1,
        "failed": 1,
        "pending": 3,
        "items": 12,
        "shared": 0,
        "partial": 0,  # one page per image here: no row holds pages of an unfinished search
        "rejected": 0,
        "gone": 0,
    }
    assert [(f["line"], f["sku"], f["error_code"]) for f in report["failed"]] == [
        (8, "BAD", "ParameterError")
    ]
    assert [p["sku"] for p in report["pending"]] == ["LATE0", "LATE1", "LATE2"]
    assert [run["state"] for run in report["runs"]] == ["failed"]
    table = run_cli("status", "--db", str(db))
    assert table.returncode == 0
    for text in ("6 ok, 1 no_match, 1 failed, 3 pending", "ParameterError", "LATE2", "BAD"):
        assert text in table.stdout, text
    assert TOKEN not in status.stdout + table.stdout


# -- 1. export writes atomically and never over its input ------------------------------
@pytest.fixture(scope="module")
def results_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("db")
    csv_path = catalogue_csv(folder / "catalogue.csv", 60)
    db = folder / "run.sqlite"
    with LocalTmapiServer() as server:
        result = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert result.returncode == 0, result.stderr
    return db


def test_export_never_writes_over_the_database(results_db: Path) -> None:
    from tmapi_search.bulk.atomic import OutputRefusedError, check_output

    before = md5(results_db)
    for target in (results_db, Path(f"{results_db}-wal"), Path(f"{results_db}-shm")):
        for force in (False, True):
            with pytest.raises(OutputRefusedError, match="is the results database"):
                check_output(target, results_db, force=force)
    result = run_cli("export", "--db", str(results_db), "--out", str(results_db), "--force")
    assert result.returncode == 2, result.stderr
    assert "is the results database" in one_line_error(result.stderr)
    other = results_db.with_name("other.sqlite")
    with contextlib.closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    result = run_cli("export", "--db", str(results_db), "--out", str(other), "--force")
    assert result.returncode == 2 and "is a SQLite database" in result.stderr
    assert md5(results_db) == before
    assert results_db.stat().st_size > 0


def test_export_refuses_to_overwrite_without_force(results_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_text("my notes\n")
    result = run_cli("export", "--db", str(results_db), "--out", str(out))
    assert result.returncode == 2
    assert "exists; add --force" in one_line_error(result.stderr)
    assert out.read_text() == "my notes\n"
    forced = run_cli("export", "--db", str(results_db), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_text(encoding="utf-8-sig").startswith("input_line,")
    stdout = run_cli("export", "--db", str(results_db), "--out", "-", "--format", "jsonl")
    assert stdout.returncode == 0 and len(stdout.stdout.splitlines()) == 120
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]  # no temporary file left


def test_export_os_errors_are_one_line_with_the_path(results_db: Path, tmp_path: Path) -> None:
    cases = {
        str(tmp_path / "missing" / "out.csv"): (2, "does not exist"),
        str(tmp_path): (2, "is a directory"),
    }
    for target, (code, text) in cases.items():
        result = run_cli("export", "--db", str(results_db), "--out", target)
        assert result.returncode == code, (target, result.stderr)
        line = one_line_error(result.stderr)
        assert text in line and (target in line or str(Path(target).parent) in line), line
    full = run_cli("export", "--db", str(results_db), "--out", "/dev/full", "--format", "csv")
    assert full.returncode == 6, full.stderr
    line = one_line_error(full.stderr)
    assert "/dev/full" in line and "No space left on device" in line
    verbose = run_cli(
        "-v", "export", "--db", str(results_db), "--out", "/dev/full", "--format", "csv"
    )
    assert verbose.returncode == 6 and "Traceback" in verbose.stderr


def test_a_failed_export_leaves_the_old_file_and_no_partial_one(
    results_db: Path, tmp_path: Path
) -> None:
    with small_tmpfs(tmp_path / "small", "64k") as disk:
        out = disk / "out.csv"
        out.write_text("the previous export\n")
        result = run_cli("export", "--db", str(results_db), "--out", str(out), "--force")
        assert result.returncode == 6, result.stderr
        line = one_line_error(result.stderr)
        assert str(out) in line and "No space left on device" in line
        assert out.read_text() == "the previous export\n"
        assert [p.name for p in disk.iterdir()] == ["out.csv"]
        remount(disk, "ro")
        result = run_cli("export", "--db", str(results_db), "--out", str(out), "--force")
        assert result.returncode == 6
        assert "Read-only file system" in one_line_error(result.stderr)


# -- 7. read-only means read-only ------------------------------------------------------
def test_read_only_commands_never_change_a_file(results_db: Path, tmp_path: Path) -> None:
    theirs = tmp_path / "theirs.sqlite"
    with contextlib.closing(sqlite3.connect(theirs)) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY)")
        conn.commit()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    from tmapi_search.bulk.store import Store

    fingerprints = {theirs: md5(theirs), empty: md5(empty)}
    for db in (theirs, empty):
        with pytest.raises(ValueError, match="is not a tmapi-search results database"):
            Store(db, readonly=True)
    for command, db in ((["export", "--format", "jsonl"], theirs), (["status"], empty)):
        result = run_cli(*command, "--db", str(db))
        assert result.returncode == 2, result.stderr
        assert "is not a tmapi-search results database" in one_line_error(result.stderr)
    result = run_cli("bulk", str(catalogue_csv(tmp_path / "c.csv", 2)), "--db", str(theirs))
    assert result.returncode == 2, result.stderr
    assert {db: md5(db) for db in fingerprints} == fingerprints
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.csv", "empty.sqlite", "theirs.sqlite"]
    for command in (["export"], ["bulk", str(tmp_path / "c.csv")]):
        result = run_cli(*command, "--db", str(tmp_path))
        assert result.returncode == 2
        assert "is a directory" in one_line_error(result.stderr)


def test_export_and_status_work_on_read_only_media(results_db: Path, tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "media", "8m") as media:
        copy = media / "run.sqlite"
        copy.write_bytes(results_db.read_bytes())
        remount(media, "ro")
        before = md5(copy)
        export = run_cli("export", "--db", str(copy), "--format", "jsonl")
        assert export.returncode == 0, export.stderr
        assert len(export.stdout.splitlines()) == 120
        status = run_cli("status", "--db", str(copy), "--format", "json")
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["counts"]["ok"] == 60
        assert md5(copy) == before
        assert [p.name for p in media.iterdir()] == ["run.sqlite"]


def test_the_lock_file_never_outlives_its_process_as_a_lock(tmp_path: Path) -> None:
    """A lock file left by a dead process is only a file: the OS lock went with it."""
    from tmapi_search.bulk.lock import RunLock, live_holder

    db = tmp_path / "r.sqlite"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from tmapi_search.bulk.lock import RunLock;"
            "lock = RunLock(sys.argv[1]); lock.acquire(); print('locked', flush=True);"
            "time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "locked"
    holder = live_holder(db)
    assert holder is not None and holder.pid == child.pid
    child.kill()  # SIGKILL; TerminateProcess on Windows
    child.wait()
    assert live_holder(db) is None
    with RunLock(db) as lock:
        lock.acquire()
        assert lock.held
