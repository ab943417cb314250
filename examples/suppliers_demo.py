"""Fifty catalogue rows, searched against the stand-in's shop mode, then the report's
Suppliers view shot in Chromium (what `make suppliers-screenshot` runs).

    .venv/bin/python examples/suppliers_demo.py WORK_DIR [docs/suppliers.png]

The catalogue (phone accessories, a quantity and a sell price in USD per row) and the
offers (24 named shops, each with price tiers and an MOQ; some factories, one shop
paying for ads) are made up, reproducibly; the searches, the database, the report and
the workbook are the real ones (`tmapi-search bulk`, `report`, `suppliers`, `export`).
"""

from __future__ import annotations

import csv
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

from tmapi_search.testing.local_server import LocalTmapiServer
from tmapi_search.testing.shops import ShopOffer

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
PRODUCTS = [
    "phone case",
    "screen protector",
    "charging cable",
    "car mount",
    "earbud case",
    "watch strap",
    "tablet sleeve",
    "power bank",
    "ring holder",
    "camera lens cover",
]
SHOPS = [
    ("shenzhen-anke", True),
    ("dongguan-lihua", True),
    ("yiwu-bestgoods", False),
    ("guangzhou-mofan", False),
    ("huizhou-tech", True),
    ("ningbo-ocean", False),
    ("xiamen-joy", False),
    ("foshan-makers", True),
    ("hangzhou-linx", False),
    ("shantou-toyland", False),
    ("wenzhou-bright", True),
    ("suzhou-silk", False),
    ("quanzhou-star", False),
    ("zhongshan-lamp", True),
    ("jinhua-home", False),
    ("taizhou-metal", True),
    ("putian-run", False),
    ("jieyang-steel", False),
    ("chaozhou-craft", False),
    ("linyi-trade", False),
    ("baoding-bags", False),
    ("cangzhou-parts", True),
    ("nantong-cloth", False),
    ("adshop-promo", False),
]
ROWS = 50
PROVINCE = {
    "shenzhen": "Guangdong",
    "dongguan": "Guangdong",
    "guangzhou": "Guangdong",
    "huizhou": "Guangdong",
    "foshan": "Guangdong",
    "shantou": "Guangdong",
    "zhongshan": "Guangdong",
    "putian": "Fujian",
    "jieyang": "Guangdong",
    "chaozhou": "Guangdong",
    "xiamen": "Fujian",
    "quanzhou": "Fujian",
    "linyi": "Shandong",
    "baoding": "Hebei",
    "cangzhou": "Hebei",
    "nantong": "Jiangsu",
    "suzhou": "Jiangsu",
}


def catalogue_and_offers(seed: int = 23) -> tuple[list[list[str]], dict[str, list[ShopOffer]]]:
    pick = random.Random(seed)  # noqa: S311 (made-up data, reproducible)
    # a few shops make much of the range (1-3 of them per row); most offers come from
    # shops seen once or twice (a long tail), as an image search across 1688 finds them
    core = len(SHOPS) - 1
    tail = [(f"shop{n:03d}-trading", n % 5 == 0) for n in range(150)]
    rows, offers = [], {}
    for n in range(ROWS):
        sku = f"PA-{n + 1:03d}"
        product = PRODUCTS[n % len(PRODUCTS)]
        qty = pick.choice([50, 100, 200, 500, 1000])
        sell = pick.choice(["2.99", "3.49", "4.99", "6.99", "9.99"])
        rows.append([sku, f"{ALI}?sku={sku}&", f"{product} {n + 1}", str(qty), sell])
        weights = [14, 10, 8, 6, 5, 4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
        chosen = pick.choices(range(core), weights=weights, k=pick.randint(1, 3))
        shops = [SHOPS[i] + (i,) for i in dict.fromkeys(chosen)]
        shops += [tail[i] + (core + i,) for i in pick.sample(range(len(tail)), 10 - len(shops))]
        pick.shuffle(shops)
        base = pick.uniform(3, 30)
        found = []
        if n % 4 == 0:  # the ad shop buys the top spot now and then
            found.append(
                ShopOffer(
                    "adshop-promo", tiers=[(1, None, f"{base * 0.6:.2f}")], is_ad=True, sku=sku
                )
            )
        for name, factory, shop in shops:
            price = base * pick.uniform(0.7, 1.4)
            found.append(
                ShopOffer(
                    name,
                    tiers=[
                        (1, 99, f"{price:.2f}"),
                        (100, 499, f"{price * 0.9:.2f}"),
                        (500, None, f"{price * 0.8:.2f}"),
                    ],
                    moq=pick.choice([1, 2, 10, 50, 100, 300]),
                    factory=factory,
                    tp_year=2 + shop * 5 % 13,
                    sales_90d=pick.randint(0, 3000),
                    repurchase=f"{pick.uniform(0, 0.6):.2f}",
                    shop_repurchase=f"{10 + shop * 1.7 % 25:.1f}%",
                    location=(
                        PROVINCE.get(name.split("-")[0], "Zhejiang"),
                        name.split("-")[0].title(),
                    ),
                    sku=sku,
                )
            )
        offers[f"sku={sku}&"] = found
    return rows, offers


def cli() -> str:
    found = shutil.which("tmapi-search", path=str(Path(sys.executable).parent))
    return found or "tmapi-search"


def _run(env: dict[str, str], *args: str) -> None:
    subprocess.run([cli(), *args], env=env, check=True)  # noqa: S603 (our own CLI)


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: suppliers_demo.py WORK_DIR [OUT.png]")
    work = Path(sys.argv[1])
    work.mkdir(parents=True, exist_ok=True)
    rows, offers = catalogue_and_offers()
    source = work / "catalogue.csv"
    with source.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "img_url", "title", "qty", "sell_usd"])
        writer.writerows(rows)
    db = work / "results.sqlite"
    for old in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        old.unlink(missing_ok=True)  # the demo's own database: made afresh
    terms = [
        "--qty-column",
        "qty",
        "--currency",
        "USD",
        "--rate",
        "7.2",
        "--sell-price-column",
        "sell_usd",
    ]
    env = {**os.environ, "TMAPI_TOKEN": "demo-token"}
    with LocalTmapiServer(offers_by_url=offers) as server:
        env["TMAPI_BASE_URL"] = server.base_url
        _run(env, "bulk", str(source), "--db", str(db), "--no-progress")
    report = work / "report.html"
    _run(env, "report", "--db", str(db), "--out", str(report), "--force", *terms)
    _run(env, "suppliers", "--db", str(db), "--limit", "5", *terms)
    if len(sys.argv) == 3:
        shoot(report, Path(sys.argv[2]))


def shoot(report: Path, png: Path) -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).parent))
    from report_screenshot import CHROMIUM_ARGS

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("html[data-complete]")
        page.click("#view-suppliers")
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png))
        browser.close()
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
