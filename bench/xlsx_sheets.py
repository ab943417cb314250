"""Benchmark: the workbook `export --format xlsx` writes, default and `--all-columns`.

A database of `--rows` matches (20 per input row, offers of 60 named shops with price
tiers, built by the stand-in's shop mode: `testing.shops.shop_page`) is exported by the
engine (`bulk.export.export`) in a child process per sheet kind, at a quantity column in
USD with a sell price column. Printed per kind: seconds, rows/s of the main sheet (by
the clock, and per CPU second: on a shared box the clock also counts other processes'
turns) and the child's peak RSS, with the goals (>= 5,000 rows/s, <= 150 MB for the
default sheet).

    .venv/bin/python bench/xlsx_sheets.py [--rows 20000] [--quick]

Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from tmapi_search.bulk.store import Store
from tmapi_search.testing.shops import ShopOffer, shop_page

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
PER_IMAGE = 20
SHOPS = 60
GOAL_RATE = 5_000
GOAL_RSS = 150


def build_db(db: Path, rows: int) -> None:
    images = max(rows // PER_IMAGE, 1)
    now = time.time()
    with Store(db):
        pass
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO images(id, key, line, img_url, sku, extra, status, item_count, "
            "updated_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 'done', ?, ?, 1)",
            (
                (
                    i + 1, f"k{i}", i + 2, f"{ALI}?n={i}", f"SKU-{i}",
                    json.dumps({"qty": str(50 + i % 200), "sell_usd": "4.99"}), PER_IMAGE, now,
                )
                for i in range(images)
            ),
        )  # fmt: skip
        conn.execute("INSERT INTO meta(key, value) VALUES ('extra_columns', ?)",
                     (json.dumps(["qty", "sell_usd"]),))  # fmt: skip

        def items() -> object:
            for i in range(images):
                offers = [
                    ShopOffer(
                        f"shop{(i * 7 + k) % SHOPS}",
                        tiers=[(1, 99, f"{10 + k}.00"), (100, None, f"{8 + k}.50")],
                        moq=1 + k % 4, factory=k % 3 == 0, sku=f"{i}-{k}",
                    )
                    for k in range(PER_IMAGE)
                ]  # fmt: skip
                for k, item in enumerate(shop_page(offers)["data"]["items"]):
                    yield (i + 1, k, item["item_id"], item["title"], item["price"],
                           item["product_url"], json.dumps(item, ensure_ascii=False))  # fmt: skip

        conn.executemany(
            "INSERT INTO items(image_id, position, item_id, title, price, product_url, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            items(),  # type: ignore[arg-type]
        )
    conn.close()


def one(db: Path, kind: str) -> None:
    """In the child: export, then print seconds, rows and peak RSS (MB) as JSON."""
    from tmapi_search.bulk.decision_sheet import write_decision_workbook
    from tmapi_search.bulk.export import export
    from tmapi_search.bulk.pricing import Terms

    terms = Terms(qty_column="qty", currency="USD", rate=Decimal(8), sell_price_column="sell_usd")
    out = db.with_suffix(f".{kind}.xlsx")
    started, cpu = time.perf_counter(), time.process_time()
    with Store(db, readonly=True) as store, out.open("wb") as handle:
        if kind == "default":
            rows = write_decision_workbook(store, handle, terms)
        else:
            rows = export(store, "xlsx", handle)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    size = out.stat().st_size
    print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": rows, "rss": peak, "bytes": size}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="5,000 rows")
    parser.add_argument("--one", choices=("default", "all-columns"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.db, args.one)
        return
    rows = 5_000 if args.quick else args.rows
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite"
        build_db(db, rows)
        print(f"xlsx workbook of {rows:,} matches ({PER_IMAGE} per input, {SHOPS} shops)")
        for kind in ("default", "all-columns"):
            child = subprocess.run(
                [sys.executable, __file__, "--one", kind, "--db", str(db)],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            got = json.loads(child.stdout.strip().splitlines()[-1])
            rate, cpu_rate = got["rows"] / got["seconds"], got["rows"] / got["cpu"]
            goal = f" (goal >= {GOAL_RATE:,} rows/s, <= {GOAL_RSS} MB)" if kind == "default" else ""
            print(
                f"  {kind:12} {got['seconds']:6.1f} s  {rate:7,.0f} rows/s "
                f"({cpu_rate:,.0f} rows per CPU second)  peak RSS {got['rss']:4.0f} MB  "
                f"{got['bytes'] / 1e6:5.1f} MB file{goal}"
            )


if __name__ == "__main__":
    main()
