"""Benchmark: a big catalogue through `tmapi-search bulk`, and a big export.

Ingest and resume (issue 14, point 4): a CSV catalogue of N rows (default 500,000;
Alibaba image URLs, a sku and one extra column) is run by the real CLI, as a
subprocess, against the local TMAPI stand-in (in this process; 200 ms per call).
Printed: time to the first paid call (the server sees it), time until every row is
in the database (polled read-only), peak RSS of the CLI process (its own getrusage,
from os.wait4), and whether anything was printed while reading. The run is then
stopped (SIGTERM: calls in flight are finished and kept), every image is marked done
in a copy of the database, and the same command is timed again: the resume of a
finished run (0 calls expected).

Export (point 5): a database of M items (default 200,000: 10,000 images x 20 items
of the contract's example) is exported by the CLI to each format; rows/s and peak RSS.

Goals: first call <= 3 s, resume <= 5 s, export >= 30,000 rows/s in every format with
peak RSS <= 150 MB. Not a test: nothing is asserted.

    .venv/bin/python bench/catalogue.py [--rows 500000] [--items 200000] [--quick]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from tmapi_search import spec
from tmapi_search.bulk.store import Store
from tmapi_search.testing.local_server import LocalTmapiServer

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
CLI = [sys.executable, "-m", "tmapi_search"]
FORMATS = ("csv", "jsonl", "xlsx")


def write_catalogue(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["sku", "img_url", "brand"])
        for i in range(rows):
            writer.writerow([f"SKU-{i:07d}", f"{ALI}?n={i}", "acme"])


def env(base_url: str) -> dict[str, str]:
    return {**os.environ, "TMAPI_TOKEN": "bench-token", "TMAPI_BASE_URL": base_url}


def wait_rss(process: subprocess.Popen[bytes]) -> tuple[int, float]:
    """Wait for the child; its exit status and its own peak RSS in MB (getrusage)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024


def count_images(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.2) as conn:
            return int(conn.execute("SELECT count(*) FROM images").fetchone()[0])
    except sqlite3.Error:
        return 0


def ingest(tmp: Path, rows: int, give_up: float) -> None:
    catalogue = tmp / "catalogue.csv"
    write_catalogue(catalogue, rows)
    size = catalogue.stat().st_size / 1e6
    db = tmp / "run.sqlite"
    with LocalTmapiServer(latency=0.2) as server:
        command = [*CLI, "bulk", str(catalogue), "--db", str(db), "--max-items-per-image", "2"]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env(server.base_url), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        output: list[bytes] = []
        first_output: list[float] = []

        def read_output() -> None:
            assert process.stdout is not None
            for chunk in iter(lambda: process.stdout.read1(4096), b""):  # type: ignore[union-attr]
                if not first_output:
                    first_output.append(time.perf_counter() - started)
                output.append(chunk)

        reader = threading.Thread(target=read_output, daemon=True)
        reader.start()
        first_call = read_all = None
        while process.poll() is None:
            now = time.perf_counter() - started
            if first_call is None and server.search_calls > 0:
                first_call = now
            if read_all is None and count_images(db) >= rows:
                read_all = now
            if first_call is not None and read_all is not None:
                break
            if now > give_up:
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        code, rss = wait_rss(process)
        reader.join(timeout=5)
    shown = f"{first_output[0]:.1f} s" if first_output else "never"
    print(f"catalogue: {rows:,} rows ({size:.0f} MB CSV), `tmapi-search bulk` as a subprocess")
    print(f"  time to the first paid call: {_s(first_call, give_up)}  (goal <= 3 s)")
    print(f"  time until every row is stored: {_s(read_all, give_up)}")
    print(f"  first output (progress) after: {shown}")
    print(f"  peak RSS of the bulk process: {rss:.0f} MB (stopped by SIGTERM, exit {code})")

    finished = tmp / "finished.sqlite"
    shutil.copy(db, finished)
    for suffix in ("-wal", "-shm"):
        if Path(f"{db}{suffix}").exists():
            shutil.copy(f"{db}{suffix}", f"{finished}{suffix}")
    with sqlite3.connect(finished) as conn:  # a finished run: every image done
        conn.execute("UPDATE images SET status = 'done', item_count = 0 WHERE status != 'done'")
    with LocalTmapiServer() as server:
        command = [
            *CLI,
            "bulk",
            str(catalogue),
            "--db",
            str(finished),
            "--max-items-per-image",
            "2",
        ]
        started = time.perf_counter()
        process = subprocess.Popen(
            command, env=env(server.base_url), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        timer = threading.Timer(give_up, process.send_signal, (signal.SIGTERM,))
        timer.start()
        code, rss = wait_rss(process)
        timer.cancel()
        elapsed = time.perf_counter() - started
        calls = server.search_calls
    complete = (
        "" if read_all is not None else " (the first run was stopped before storing every row)"
    )
    print(
        f"  resume of a finished run: {_s(elapsed if elapsed < give_up else None, give_up)}, "
        f"{calls} calls, peak RSS {rss:.0f} MB, exit {code}  (goal <= 5 s){complete}"
    )


def export(tmp: Path, items: int, give_up: float) -> None:
    db = tmp / "export.sqlite"
    example = spec.response_example(name="vendor_two_items")["data"]["items"]
    per_image = 20
    images = items // per_image
    with Store(db) as store:
        store.add_images(
            (f'["SKU-{i}", "", "{ALI}?n={i}"]', i + 2, f"{ALI}?n={i}", f"SKU-{i}", None, "{}")
            for i in range(images)
        )
        run_id = store.start_run("bench", {})
        rows = [r.id for r in store.images()]
        for image_id in rows:
            page = [
                dict(example[k % len(example)], item_id=image_id * 100 + k)
                for k in range(per_image)
            ]
            store.save_done(image_id, run_id, page, total_count=per_image, attempts=1)
        store.finish_run(run_id, "completed")
    print(f"export: {images * per_image:,} items ({images:,} images x {per_image}), CLI subprocess")
    for fmt in FORMATS:
        out = tmp / f"out.{fmt}"
        command = [*CLI, "export", "--db", str(db), "--format", fmt, "--out", str(out)]
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        timer = threading.Timer(give_up, process.kill)
        timer.start()
        code, rss = wait_rss(process)
        timer.cancel()
        elapsed = time.perf_counter() - started
        if elapsed >= give_up:
            print(f"  {fmt:<6} > {give_up:.0f} s (gave up)  peak RSS {rss:5.0f} MB so far")
            continue
        if code != 0:
            assert process.stderr is not None
            why = process.stderr.read().decode(errors="replace").strip().splitlines()[-1:]
            print(f"  {fmt:<6} not available (exit {code}): {' '.join(why)[:100]}")
            continue
        rate = images * per_image / elapsed
        print(
            f"  {fmt:<6} {elapsed:6.1f} s  {rate:8,.0f} rows/s  peak RSS {rss:5.0f} MB  "
            f"({out.stat().st_size / 1e6:.0f} MB)  (goal >= 30,000 rows/s, <= 150 MB)"
        )


def _s(value: float | None, give_up: float) -> str:
    return f"> {give_up:.0f} s (gave up)" if value is None else f"{value:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument("--quick", action="store_true", help="50,000 rows, 20,000 items")
    parser.add_argument(
        "--give-up", type=float, default=30.0, help="seconds before a bulk run is stopped"
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.rows, args.items = 50_000, 20_000
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_ingest:
            ingest(Path(tmp), args.rows, args.give_up)
        if not args.skip_export:
            export(Path(tmp), args.items, args.give_up)


if __name__ == "__main__":
    main()
