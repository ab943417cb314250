"""`tmapi-search bulk` / `export` as real subprocesses against the local TMAPI stand-in.

SIGKILL partway then rerun must give exactly what an uninterrupted run gives; SIGTERM
stops cleanly; a 439 stops the run with exit 3 and progress kept; bad rows are reported
and skipped. The token must appear in no output, no log, no database file, no export.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from tests.cli_support import TOKEN, run_cli, start_cli
from tmapi_search.testing.local_server import LocalTmapiServer

from .conftest import catalogue_csv

IMAGES = 200
CONCURRENCY = 4


def done_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute("SELECT count(*) FROM images WHERE status='done'").fetchone()
            return int(row[0])
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def wait_for_done(db: Path, at_least: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while done_count(db) < at_least:
        assert process.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.02)


def table(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return [tuple(row) for row in conn.execute(sql)]


def no_token_in(*paths: Path) -> None:
    for path in paths:
        if path.exists():
            assert TOKEN.encode() not in path.read_bytes(), f"token found in {path}"


def bulk_args(csv_path: Path, db: Path) -> list[str]:
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
    ]


def test_sigkill_then_rerun_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", IMAGES)
    killed_db, clean_db = tmp_path / "killed.sqlite", tmp_path / "clean.sqlite"

    with LocalTmapiServer(latency=0.02) as server:
        process = start_cli(*bulk_args(csv_path, killed_db), base_url=server.base_url)
        wait_for_done(killed_db, 40, process)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)
        done_at_kill = done_count(killed_db)
        assert done_at_kill < IMAGES
        # nothing half-stored: an image not done has no items
        assert table(
            killed_db,
            "SELECT count(*) FROM items JOIN images ON images.id = items.image_id "
            "WHERE images.status != 'done'",
        ) == [(0,)]
        calls_at_kill = server.search_calls

        rerun = run_cli("-v", *bulk_args(csv_path, killed_db), base_url=server.base_url)
        assert rerun.returncode == 0, rerun.stderr
        assert f"{done_at_kill} image(s) already finished, skipped" in rerun.stderr
        # the rerun searched exactly the images not done; only those that were in
        # flight at the kill (at most --concurrency) were paid for twice
        assert server.search_calls - calls_at_kill == IMAGES - done_at_kill
        in_flight_at_kill = calls_at_kill - done_at_kill
        assert 0 <= in_flight_at_kill <= CONCURRENCY
        twice = [url for url, n in server.calls_by_url.items() if n == 2]
        assert len(twice) == in_flight_at_kill
        assert max(server.calls_by_url.values()) <= 2

    with LocalTmapiServer(latency=0.0) as server:
        clean = run_cli(*bulk_args(csv_path, clean_db), base_url=server.base_url)
        assert clean.returncode == 0, clean.stderr

    for db in (killed_db, clean_db):
        assert table(db, "SELECT status, count(*) FROM images GROUP BY status") == [
            ("done", IMAGES)
        ]
        assert table(
            db, "SELECT count(*), count(DISTINCT image_id || '/' || position) FROM items"
        ) == [(2 * IMAGES, 2 * IMAGES)]
        assert table(db, "SELECT count(DISTINCT key) FROM images") == [(IMAGES,)]

    exports = []
    for db in (killed_db, clean_db):
        out = tmp_path / f"{db.stem}.jsonl"
        result = run_cli("export", "--db", str(db), "--format", "jsonl", "--out", str(out))
        assert result.returncode == 0, result.stderr
        exports.append(out.read_text())
    assert exports[0] == exports[1]  # totals and contents equal to an uninterrupted run
    assert len(exports[0].splitlines()) == 2 * IMAGES
    first = json.loads(exports[0].splitlines()[0])
    assert first["input"]["sku"] == "SKU-0000" and first["input"]["brand"] == "brand-0"
    no_token_in(*tmp_path.iterdir())
    assert TOKEN not in rerun.stdout + rerun.stderr


def test_sigterm_stops_cleanly_and_the_rerun_finishes(tmp_path: Path) -> None:
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", IMAGES)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(latency=0.02) as server:
        process = start_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        wait_for_done(db, 30, process)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 130, out + err
        assert "SIGTERM: stopping" in err
        assert "Traceback" not in err
        stopped_done = done_count(db)
        assert stopped_done < IMAGES
        # everything finished was committed, including the calls that were in flight
        assert server.search_calls == stopped_done
        assert table(db, "SELECT outcome FROM runs") == [("interrupted",)]

        again = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert again.returncode == 0, again.stderr
        assert server.search_calls == IMAGES  # not one image paid twice
    assert table(db, "SELECT outcome FROM runs ORDER BY id") == [("interrupted",), ("completed",)]
    assert TOKEN not in out + err + again.stdout + again.stderr


def test_439_mid_run_exits_3_with_progress_kept(tmp_path: Path) -> None:
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", 120)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(billing_after=50) as server:
        result = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert result.returncode == 3, result.stdout + result.stderr
        assert "439" in result.stderr and "run the same command again" in result.stderr
        assert server.search_calls <= 50 + CONCURRENCY
    assert done_count(db) == 50
    assert table(db, "SELECT count(*) FROM images WHERE status = 'failed'") == [(0,)]
    assert "50 done, 0 failed, 70 pending" in result.stdout
    with LocalTmapiServer() as server:  # balance topped up
        result = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert result.returncode == 0, result.stderr
        assert server.search_calls == 70
    assert done_count(db) == 120


def test_bad_rows_are_reported_and_skipped_and_422_fails_one_image(tmp_path: Path) -> None:
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", 30, bad=True, marker="&e422")
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer(errors_by_url={"e422": 422}) as server:
        result = run_cli("-v", *bulk_args(csv_path, db), base_url=server.base_url)
        assert server.search_calls == 30
    assert result.returncode == 4, result.stderr  # some images failed: an API error
    assert "skipped 3 bad row(s)" in result.stderr
    assert "line 6: blank img_url" in result.stderr
    assert "line 7: img_url is not an http(s) URL ('not a url')" in result.stderr
    assert "line 8: img_url is not an http(s) URL" in result.stderr
    # the 3 rejected rows are failed rows of the account too (InvalidInput, never sent)
    assert "26 done, 7 failed, 0 pending of 33 images" in result.stdout
    assert "ParameterError x4" in result.stdout and "InvalidInput x3" in result.stdout
    out = tmp_path / "export.csv"
    export = run_cli("export", "--db", str(db), "--format", "csv", "--out", str(out))
    assert export.returncode == 0, export.stderr
    # every input row is accounted for: 26 images x 2 items, the 4 that failed, 3 rejected
    lines = out.read_text().splitlines()
    assert len(lines) == 1 + 26 * 2 + 4 + 3
    failed_rows = [line for line in lines if ",failed,ParameterError," in line]
    assert len(failed_rows) == 4
    assert len([line for line in lines if ",failed,InvalidInput," in line]) == 3
    no_token_in(*tmp_path.iterdir())
    assert TOKEN not in result.stdout + result.stderr + export.stdout + export.stderr


def test_other_search_options_on_the_same_db_are_refused(tmp_path: Path) -> None:
    csv_path = catalogue_csv(tmp_path / "catalogue.csv", 3)
    db = tmp_path / "r.sqlite"
    with LocalTmapiServer() as server:
        first = run_cli(*bulk_args(csv_path, db), base_url=server.base_url)
        assert first.returncode == 0, first.stderr
        other = run_cli(*bulk_args(csv_path, db), "--language", "ru", base_url=server.base_url)
        assert server.search_calls == 3
    assert other.returncode == 2
    assert "language='en' (now 'ru')" in other.stderr


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal (a pty here), stderr shows done / failed / retrying / in flight, rate, ETA."""
    import os
    import pty

    from tests.cli_support import cli_env, cli_path

    csv_path = catalogue_csv(tmp_path / "catalogue.csv", 60, marker="&e422")
    master, slave = pty.openpty()
    with LocalTmapiServer(latency=0.01, errors_by_url={"e422": 422}) as server:
        process = subprocess.Popen(
            [
                cli_path(),
                "bulk",
                str(csv_path),
                "--db",
                str(tmp_path / "r.sqlite"),
                "--max-items-per-image",
                "2",
            ],
            env=cli_env(server.base_url),
            stdout=slave,
            stderr=slave,
            stdin=subprocess.DEVNULL,
        )
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the pty closes when the process ends
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
        os.close(master)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert process.returncode == 4, screen  # 9 images failed with 422
    for text in ("51 done", "9 failed", "retrying", "in flight", "img/s", "ETA", "60/60"):
        assert text in screen, text
    assert TOKEN not in screen
