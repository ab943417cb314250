"""Benchmark: `tmapi-search export` of a big results database, one process, streamed.

A database of N items (default 200,000: 10,000 images x 20 items of the contract's
example, each item stored the way the runner stores it, `SearchItem.to_dict()`, with its
own `item_id`), plus a few rows without items (no match, failed, pending, served by
another row), is exported by the real CLI, as a subprocess, to each format. Printed per
format: wall seconds and rows/s, CPU seconds and rows per CPU-second (what a busy box
does not change much), and the peak RSS (`getrusage` of the CLI, from `os.wait4`), with
the goals: CSV >= 10,000 rows/s, JSONL >= 20,000 rows/s, peak RSS <= 150 MB whatever the
size. The load average is printed first: on a loaded box, read the CPU figures.

The workbook is measured on `--xlsx-items` (default 20,000): openpyxl writes about 1,000
rows of this width a second, and its peak memory is reached by then (the hyperlinks it
keeps, at most 65,000 a sheet).

`--compare-ref REF` runs the same exports with the code of a git ref (e.g. `main`) from a
temporary `git worktree`, in the same run, and prints this tree's ratio to it.

    .venv/bin/python bench/export.py [--items 200000] [--xlsx-items 20000] [--quick]
                                     [--compare-ref REF] [--give-up 300]

Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tmapi_client.models import SearchItem

from tmapi_search import spec
from tmapi_search.bulk.store import Store

ROOT = Path(__file__).resolve().parent.parent
ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
FORMATS = ("csv", "jsonl", "xlsx")
PER_IMAGE = 20
#: rows/s per format (xlsx: none; openpyxl sets its pace)
GOAL_RATE = {"csv": 10_000, "jsonl": 20_000}
GOAL_RSS = 150


def build_db(db: Path, items: int) -> int:
    """A results database of `items` items (PER_IMAGE per image) and 4 itemless rows.

    Rows are inserted directly (one transaction per table), the way `save_done` stores
    them. Returns how many rows an export writes.
    """
    examples = [
        SearchItem.from_dict(item).to_dict()
        for item in spec.response_example(name="vendor_two_items")["data"]["items"]
    ]
    images = items // PER_IMAGE
    now = time.time()
    with Store(db):
        pass  # the schema, as the current code makes it
    conn = sqlite3.connect(db)
    with conn:

        def image_rows() -> Iterator[tuple[object, ...]]:
            for i in range(images):
                url = f"{ALI}?n={i}"
                yield (i + 1, f"k{i}", i + 2, url, f"SKU-{i}", None, '{"brand": "acme"}', "done")
            extra = images + 1
            for n, status in enumerate(("done", "failed", "pending", "done")):
                url = f"{ALI}?n={extra + n}"
                yield (extra + n, f"x{n}", extra + n + 2, url, f"X-{n}", None, "{}", status)

        conn.executemany(
            "INSERT INTO images(id, key, line, img_url, sku, ext_id, extra, status, "
            "item_count, total_count, updated_at, attempts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
            f"CASE WHEN ? = 'done' THEN {PER_IMAGE} END, NULL, {now}, 1)",
            ((*row, row[7]) for row in image_rows()),
        )
        extra = images + 1
        conn.execute("UPDATE images SET item_count = 0 WHERE id = ?", (extra,))  # no match
        conn.execute(
            "UPDATE images SET error_class = 'ParameterError', error_message = 'Parameter error',"
            " transient = 0 WHERE id = ?",
            (extra + 1,),
        )
        conn.execute(  # served by the first row's search: its items copied
            f"UPDATE images SET item_count = {PER_IMAGE}, served_by = 1 WHERE id = ?", (extra + 3,)
        )

        def item_rows() -> Iterator[tuple[object, ...]]:
            for image_id in [*range(1, images + 1), extra + 3]:
                for k in range(PER_IMAGE):
                    base = examples[k % len(examples)]
                    item = {**base, "item_id": base["item_id"] + image_id * 100 + k}
                    yield (
                        image_id,
                        k,
                        item["item_id"],
                        item.get("title"),
                        item.get("price"),
                        item.get("product_url"),
                        json.dumps(item, ensure_ascii=False),
                    )

        conn.executemany(
            "INSERT INTO items(image_id, position, item_id, title, price, product_url, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            item_rows(),
        )
    conn.close()
    return (images + 1) * PER_IMAGE + 3


@dataclass
class Result:
    wall: float
    cpu: float
    rss: float
    rows: int
    size: float

    def line(self, fmt: str) -> str:
        goal = GOAL_RATE.get(fmt, 0)
        rate = self.rows / self.wall
        verdict = "ok" if rate >= goal and self.rss <= GOAL_RSS else "below goal"
        return (
            f"{self.wall:6.1f} s {rate:8,.0f} rows/s | CPU {self.cpu:6.1f} s"
            f" {self.rows / self.cpu:8,.0f} rows/CPU-s | peak RSS {self.rss:4.0f} MB"
            f" ({self.size:.0f} MB)  {verdict}"
        )


def run_export(
    python: list[str], cwd: Path, db: Path, fmt: str, out: Path, give_up: float
) -> Result | str:
    command = [*python, "export", "--db", str(db), "--format", fmt, "--out", str(out), "--force"]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(cwd)
    )
    timer = threading.Timer(give_up, process.kill)
    timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    assert process.stderr is not None
    err = process.stderr.read().decode(errors="replace").strip().splitlines()
    process.stderr.close()
    process.returncode = code
    if elapsed >= give_up:
        return f"> {give_up:.0f} s (gave up)"
    if code != 0:
        return f"not available (exit {code}): {' '.join(err[-1:])[:90]}"
    rows = int(err[-1].split()[1]) if err and err[-1].startswith("wrote ") else 0
    cpu = usage.ru_utime + usage.ru_stime
    return Result(elapsed, cpu, usage.ru_maxrss / 1024, rows, out.stat().st_size / 1e6)


def _env(cwd: Path) -> dict[str, str]:
    """The code under `cwd` first on the path (for a --compare-ref worktree)."""
    paths = [str(cwd / "src"), str(cwd / "generated_client")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=200_000)
    parser.add_argument(
        "--xlsx-items",
        type=int,
        default=20_000,
        help="items for the workbook (openpyxl's cells are slow; its peak memory is "
        "reached by then: the hyperlinks cap at 65,000 a sheet)",
    )
    parser.add_argument("--quick", action="store_true", help="20,000 items (xlsx: 5,000)")
    parser.add_argument("--compare-ref", help="also run the exports with this git ref's code")
    parser.add_argument("--give-up", type=float, default=300.0, help="seconds per export")
    parser.add_argument("--formats", default=",".join(FORMATS))
    args = parser.parse_args()
    if args.quick:
        args.items, args.xlsx_items = 20_000, 5_000
    formats = [f for f in args.formats.split(",") if f]
    python = [sys.executable, "-m", "tmapi_search"]
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        trees = [("this tree", ROOT)]
        if args.compare_ref:
            before = tmp / "ref"
            subprocess.run(
                [
                    "git",
                    "-C",
                    str(ROOT),
                    "worktree",
                    "add",
                    "--detach",
                    str(before),
                    args.compare_ref,
                ],
                check=True,
                capture_output=True,
            )
            trees.insert(0, (args.compare_ref, before))
        databases: dict[int, tuple[Path, int]] = {}
        try:
            for fmt in formats:
                items = args.xlsx_items if fmt == "xlsx" else args.items
                if items not in databases:
                    db = tmp / f"export-{items}.sqlite"
                    started = time.perf_counter()
                    rows = build_db(db, items)
                    built = time.perf_counter() - started
                    databases[items] = (db, rows)
                    print(
                        f"export: {items:,} items ({items // PER_IMAGE:,} images x {PER_IMAGE})"
                        f" + 3 itemless rows = {rows:,} rows, the CLI as a subprocess"
                        f" (database built in {built:.0f} s)"
                    )
                db, rows = databases[items]
                goal = f">= {GOAL_RATE[fmt]:,} rows/s, " if fmt in GOAL_RATE else ""
                print(f"  {fmt}: {rows:,} rows; goal: {goal}peak RSS <= {GOAL_RSS} MB")
                results: dict[str, Result] = {}
                for name, tree in trees:
                    out = tmp / f"out-{len(name)}.{fmt}"
                    result = run_export(python, tree, db, fmt, out, args.give_up)
                    shown = result if isinstance(result, str) else result.line(fmt)
                    print(f"    {name:<12} {shown}", flush=True)
                    if isinstance(result, Result):
                        results[name] = result
                    out.unlink(missing_ok=True)
                if len(results) == 2:
                    ref, this = results[trees[0][0]], results["this tree"]
                    print(
                        f"    this tree / {trees[0][0]}: wall x{ref.wall / this.wall:.2f} rows/s,"
                        f" x{ref.cpu / this.cpu:.2f} rows/CPU-s,"
                        f" peak RSS x{this.rss / ref.rss:.2f}"
                    )
        finally:
            if args.compare_ref:
                subprocess.run(
                    ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tmp / "ref")],
                    check=False,
                    capture_output=True,
                )


if __name__ == "__main__":
    main()
