"""Benchmark: a big catalogue through `tmapi-search bulk`.

A CSV catalogue of N rows (default 500,000; Alibaba image URLs, a sku and one extra
column) is run by the real CLI, as a subprocess, against the local TMAPI stand-in (in
this process; 200 ms per call). Its stderr is a pseudo-terminal, so the CLI draws its
live progress as it would for a person. Printed, each with its goal:

- time to the first paid call (the server sees it; `--concurrency 8`);
- time until the catalogue is read to its end (every row stored, the reading closed:
  polled read-only in the database);
- when the first progress output appeared (goal: while reading, not after it);
- peak RSS of the CLI process (its own getrusage, from os.wait4).

The run is then stopped (SIGTERM: calls in flight are finished and kept). To stand in
for the ~500,000 paid calls of a finished run, every image the run had not searched
yet is marked done (no items) in a copy of the database -- only the search results are
faked: the catalogue was read and closed by the CLI itself (checked: its reading is
recorded as complete, or the figure is marked as not a finished run). The same command
is timed again: the resume of a finished run (0 calls expected). Last, one row of the
catalogue is edited and the command run once more: the whole catalogue is read again
(the fingerprint differs), one new image is searched.

Not a test: nothing is asserted. Export figures are in bench/export.py.

    .venv/bin/python bench/catalogue.py [--rows 500000] [--quick]
"""

from __future__ import annotations

import argparse
import csv
import os
import pty
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tmapi_search.testing.local_server import LocalTmapiServer

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
CLI = [sys.executable, "-m", "tmapi_search"]


def write_catalogue(path: Path, rows: int, *, edited: int | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sku", "img_url", "brand"])
        for i in range(rows):
            url = f"{ALI}?n={i}" + ("&edited=1" if i == edited else "")
            writer.writerow([f"SKU-{i:07d}", url, "acme"])


def env(base_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TMAPI_TOKEN": "bench-token",
        "TMAPI_BASE_URL": base_url,
        "COLUMNS": "160",
    }


def wait_rss(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for the child; its exit status and its own peak RSS in MB (getrusage)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024


def reading_closed(db: Path) -> bool:
    """The CLI has read the catalogue to its end (its fingerprint is recorded)."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            return conn.execute("SELECT 1 FROM meta WHERE key = 'catalogue'").fetchone() is not None
    except sqlite3.Error:
        return False


def copy_db(source: Path, target: Path) -> None:
    shutil.copy(source, target)
    for suffix in ("-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")


def timed_run(catalogue: Path, db: Path, give_up: float) -> tuple[float | None, int, float, int]:
    """One `bulk` run to its end: (seconds or None, calls, peak RSS MB, exit code)."""
    with LocalTmapiServer() as server:
        command = [*CLI, "bulk", str(catalogue), "--db", str(db), "--max-items-per-image", "2"]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env(server.base_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        timer = threading.Timer(give_up, process.send_signal, (signal.SIGTERM,))
        timer.start()
        code, rss = wait_rss(process)
        timer.cancel()
        elapsed = time.perf_counter() - started
        return (elapsed if elapsed < give_up else None), server.search_calls, rss, code


def ingest(tmp: Path, rows: int, give_up: float) -> None:
    catalogue = tmp / "catalogue.csv"
    write_catalogue(catalogue, rows)
    size = catalogue.stat().st_size / 1e6
    db = tmp / "run.sqlite"
    with LocalTmapiServer(latency=0.2) as server:
        # a fixed 8 calls in flight, as an account's cap would allow: the calls' own CPU
        # (several ms each) would otherwise compete with the reading on this box
        command = [
            *CLI,
            "bulk",
            str(catalogue),
            "--db",
            str(db),
            "--max-items-per-image",
            "2",
            "--concurrency",
            "8",
        ]
        master, slave = pty.openpty()  # stderr a terminal: the live progress is drawn
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env(server.base_url), stdout=subprocess.DEVNULL, stderr=slave
        )
        os.close(slave)
        first_output: list[float] = []

        def read_output() -> None:
            while True:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    return
                if not chunk:
                    return
                if not first_output:
                    first_output.append(time.perf_counter() - started)

        reader = threading.Thread(target=read_output, daemon=True)
        reader.start()
        first_call = read_all = None
        while process.poll() is None:
            now = time.perf_counter() - started
            if first_call is None and server.search_calls > 0:
                first_call = now
            if read_all is None and reading_closed(db):
                read_all = now
            if first_call is not None and read_all is not None:
                break
            if now > give_up:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        code, rss = wait_rss(process)
        reader.join(timeout=5)
        os.close(master)
        calls = server.search_calls
    shown = f"{first_output[0]:.1f} s" if first_output else "never"
    during = (
        " (while reading)"
        if first_output and (read_all is None or first_output[0] < read_all)
        else ""
    )
    print(f"catalogue: {rows:,} rows ({size:.0f} MB CSV), `tmapi-search bulk` as a subprocess")
    print(f"  time to the first paid call: {_s(first_call, give_up)}  (goal <= 3 s)")
    print(f"  time until every row is stored (reading closed): {_s(read_all, give_up)}")
    print(f"  first progress output on the terminal after: {shown}{during}  (goal: while reading)")
    print(
        f"  peak RSS of the bulk process: {rss:.0f} MB, {calls} calls "
        f"(stopped by SIGTERM, exit {code})  (goal: flat)"
    )

    finished = tmp / "finished.sqlite"
    copy_db(db, finished)
    closed = reading_closed(finished)
    with sqlite3.connect(finished) as conn:  # stands in for the paid calls of a whole run
        conn.execute("UPDATE images SET status = 'done', item_count = 0 WHERE status != 'done'")
    elapsed, calls, rss, code = timed_run(catalogue, finished, give_up)
    note = "" if closed else " (NOT a finished run: the first run was stopped before its end)"
    print(
        f"  resume of a finished run: {_s(elapsed, give_up)}, {calls} calls, peak RSS "
        f"{rss:.0f} MB, exit {code}  (goal <= 5 s){note}"
    )
    write_catalogue(catalogue, rows, edited=rows // 2)
    elapsed, calls, rss, code = timed_run(catalogue, finished, give_up)
    print(
        f"  the same, one row's img_url edited (read again, 1 new image): {_s(elapsed, give_up)}"
        f", {calls} calls, peak RSS {rss:.0f} MB, exit {code}"
    )


def _s(value: float | None, give_up: float) -> str:
    return f"> {give_up:.0f} s (gave up)" if value is None else f"{value:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--quick", action="store_true", help="50,000 rows")
    parser.add_argument(
        "--give-up", type=float, default=120.0, help="seconds before a bulk run is stopped"
    )
    parser.add_argument(
        "--skip-export", action="store_true", help="ignored: the export figures are bench/export.py"
    )
    args = parser.parse_args()
    if args.quick:
        args.rows = 50_000
    with tempfile.TemporaryDirectory() as tmp:
        ingest(Path(tmp), args.rows, args.give_up)


if __name__ == "__main__":
    main()
