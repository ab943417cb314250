"""A bulk run against the stand-in's shop mode: four catalogue rows, five named shops.

| row | qty | sell (USD) | offers, in rank order |
|---|---|---|---|
| A-1 | 150 | 5 | acme (1-99: 10.00 / 100+: 8.00, MOQ 2), bolt |
| A-2 | 1 | 3 | cedar, acme (MOQ 2) |
| A-3 | 20 | (blank) | eel (an ad), acme, cedar |
| A-4 | 500 | 2.50 | bolt, dune (factory) |

acme covers three of the four rows; bolt and cedar two; dune one; eel is an ad.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tests.cli_support import ALI, run_cli
from tmapi_search.testing.local_server import LocalTmapiServer
from tmapi_search.testing.shops import ShopOffer

ACME_TIERS = [(1, 99, "10.00"), (100, None, "8.00")]
OFFERS = {
    "case=one": [
        ShopOffer("acme", tiers=ACME_TIERS, moq=2, sku="A-1", sales_90d=40),
        ShopOffer("bolt", tiers=[(1, None, "12.00")], sku="A-1", sales_90d=5),
    ],
    "case=two": [
        ShopOffer("cedar", tiers=[(1, None, "20.00")], sku="A-2", repurchase="0.3"),
        ShopOffer("acme", tiers=ACME_TIERS, moq=2, sku="A-2"),
    ],
    "case=three": [
        ShopOffer("eel", tiers=[(1, None, "1.00")], sku="A-3", is_ad=True),
        ShopOffer("acme", tiers=ACME_TIERS, moq=2, sku="A-3"),
        ShopOffer("cedar", tiers=[(1, None, "9.50")], sku="A-3"),
    ],
    "case=four": [
        ShopOffer("bolt", tiers=[(1, 9, "7.00"), (10, None, "6.00")], sku="A-4"),
        ShopOffer("dune", tiers=[(1, None, "6.50")], moq=1000, factory=True, sku="A-4"),
    ],
}
ROWS = [
    ("A-1", f"{ALI}?case=one", "150", "5"),
    ("A-2", f"{ALI}?case=two", "1", "3"),
    ("A-3", f"{ALI}?case=three", "20", ""),
    ("A-4", f"{ALI}?case=four", "500", "2.50"),
]


def write_catalogue(path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "img_url", "qty", "sell_usd"])
        writer.writerows(ROWS)
    return path


def shop_server(**options: object) -> LocalTmapiServer:
    return LocalTmapiServer(offers_by_url=OFFERS, **options)  # type: ignore[arg-type]


def run_bulk(work: Path, *extra: str) -> Path:
    """The catalogue searched into `work/run.sqlite` by the real CLI; the database."""
    catalogue = write_catalogue(work / "catalogue.csv")
    db = work / "run.sqlite"
    with shop_server() as server:
        done = run_cli(
            "bulk", str(catalogue), "--db", str(db), "--concurrency", "1", "--no-progress",
            *extra, base_url=server.base_url,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return db
