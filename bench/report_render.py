"""Benchmark: the HTML report of a big run (2,000 inputs x 20 matches) in the system Chromium.

Builds a results database with the real `Store` (items derived from the contract's
vendor example: other ids, prices, sales and titles per row, every tenth row sharing
offers with the one before), writes the report with `tmapi-search report`'s code
(`--top 20`), opens it from file:// in headless Chromium (Playwright, the system
browser) and measures, in the page's own clock:

- first contentful paint; when the page's script starts; "first rows painted" (the
  first rows, which come before the script in the file, rendered and painted); when the
  whole file is read and the toolbar usable; how long JSON.parse takes in all;
- applying a filter: a text filter, a status filter, "factories only" and a sort, each
  from the event to the next painted frame (two animation frames);
- scrolling through 200 rows: the longest main-thread task seen (long tasks API);
- for scale: the same load of a 20-input report, and rendering all rows at once
  (what the batches avoid).

    .venv/bin/python bench/report_render.py [--inputs 2000] [--matches 20] [--keep DIR]

Figures come from one run on this machine; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tmapi_search import spec
from tmapi_search.bulk.inputs import InputImage
from tmapi_search.bulk.report import write_report
from tmapi_search.bulk.store import Store

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # offline like a mailed file: every host name fails at once (images show placeholders)
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def derived_items(row: int, count: int) -> list[dict[str, Any]]:
    """`count` items for one input row, each a vendor example item with other values."""
    vendor = spec.response_example(name="vendor_two_items")["data"]["items"]
    items = []
    owner = row - 1 if row % 10 == 9 else row  # every tenth row finds its neighbour's offers
    for k in range(count):
        item = copy.deepcopy(vendor[k % len(vendor)])
        item["item_id"] = 700_000_000_000 + owner * 100 + k
        item["price"] = f"{1 + ((row * 37 + k * 53) % 4000) / 10:.2f}"
        item["title"] = f"{item['title']} (row {row}, match {k})"
        item["item_repurchase_rate"] = f"{((row + k * 7) % 50) / 100:.2f}"
        item["sale_info"]["sale_quantity_month"] = (row * 3 + k * 11) % 500
        item["sale_info"]["sale_quantity"] = (row * 5 + k * 13) % 9000
        item["shop_info"]["is_factory"] = (row + k) % 3 == 0
        items.append(item)
    return items


def build_db(path: Path, inputs: int, matches: int) -> None:
    rows = [
        InputImage(
            line=i + 2,
            img_url=f"{ALI}?n={i}",
            sku=f"SKU-{i:05d}",
            extra={"title": f"Catalogue product {i}", "brand": f"brand-{i % 17}"},
        )
        for i in range(inputs)
    ]
    with Store(path) as store:
        store.check_params({"language": "en", "sort": "default", "max_items_per_image": matches})
        store.add_images(row.db_row() for row in rows)
        run_id = store.start_run("bench", {})
        for image in store.images_to_do([row.key for row in rows]):
            index = image.line - 2
            if index % 50 == 7:
                store.save_failed(
                    image.id,
                    run_id,
                    error_class="ParameterError",
                    error_message="HTTP 422, code 422: Parameter error",
                    transient=False,
                    attempts=1,
                )
            elif index % 50 == 11:
                store.save_done(image.id, run_id, [], total_count=0, attempts=1)
            elif index % 50 != 13:  # left pending
                items = derived_items(index, matches)
                store.save_done(image.id, run_id, items, total_count=666, attempts=1)
        store.finish_run(run_id, "completed")


FRAME = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

APPLY = """async ([kind, value]) => {
  const t0 = performance.now();
  const fire = (el, type) => el.dispatchEvent(new Event(type));
  if (kind === 'q') { const q = document.getElementById('q'); q.value = value; fire(q, 'input'); }
  if (kind === 'status') {
    const c = document.querySelector('input[data-status=' + value + ']');
    c.checked = !c.checked; fire(c, 'change');
  }
  if (kind === 'fac') {
    const c = document.getElementById('factories'); c.checked = !c.checked; fire(c, 'change');
  }
  if (kind === 'sort') {
    const s = document.getElementById('sort'); s.value = value; fire(s, 'change');
  }
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return [performance.now() - t0, document.getElementById('count').textContent];
}"""


def load(browser: Any, report: Path) -> tuple[float, float, float, float, float, Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.add_init_script(
        "window.__long = []; new PerformanceObserver(l => l.getEntries().forEach(e => "
        "window.__long.push(e.duration))).observe({type: 'longtask', buffered: true});"
    )
    page.goto(report.resolve().as_uri())
    page.wait_for_selector("html[data-complete]")
    fcp = page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN"
    )
    ready = page.evaluate("window.__report.readyAt")
    start = page.evaluate("window.__report.scriptStart")
    complete = page.evaluate("window.__report.completeAt")
    return fcp, ready, start, page.evaluate("window.__report.parseMs"), complete, page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=2000)
    parser.add_argument("--matches", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep the database and report in this folder")
    args = parser.parse_args()
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        sys.exit("report_render: no Chromium here (make install installs it as root)")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        big_db, small_db = work / "big.sqlite", work / "small.sqlite"
        started = time.perf_counter()
        build_db(big_db, args.inputs, args.matches)
        build_db(small_db, 20, args.matches)
        built = time.perf_counter() - started
        started = time.perf_counter()
        summary = write_report(big_db, work / "big.html", top=args.matches)
        written = time.perf_counter() - started
        write_report(small_db, work / "small.html", top=args.matches)
        print(
            f"{summary.inputs:,} inputs x {args.matches} matches: {summary.cards:,} cards, "
            f"report {summary.bytes / 1e6:.1f} MB written in {written:.2f} s "
            f"(database built in {built:.1f} s)"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            load(browser, work / "small.html")[-1].context.close()  # warm-up
            small = []
            for _ in range(3):
                *figures, page = load(browser, work / "small.html")
                small.append(figures)
                page.context.close()
            big_runs = [load(browser, work / "big.html") for _ in range(3)]
            fcp, ready, start, parse, complete = (
                statistics.median(run[k] for run in big_runs) for k in range(5)
            )
            s_fcp, s_ready, s_start, s_parse, s_complete = (
                statistics.median(run[k] for run in small) for k in range(5)
            )
            print(f"{'':28}{'2,000-row':>12}{'20-row':>10}{'ratio':>8}")
            for label, a, b in (
                ("first contentful paint", fcp, s_fcp),
                ("page script starts", start, s_start),
                ("first rows painted", ready, s_ready),
                ("all read, toolbar usable", complete, s_complete),
                ("  of which JSON.parse", parse, s_parse),
            ):
                print(f"{label:28}{a:>10.0f}ms{b:>8.0f}ms{a / max(b, 0.1):>7.1f}x")
            for run in big_runs[:-1]:
                run[-1].context.close()
            page = big_runs[-1][-1]
            steps = [
                ("text filter 'brand-3' (columns)", ("q", "brand-3")),
                ("text filter 'match 19' (titles)", ("q", "match 19")),
                ("clear text filter", ("q", "")),
                ("status: hide ok", ("status", "ok")),
                ("status: show ok again", ("status", "ok")),
                ("factories only", ("fac", "")),
                ("sort by price (high first)", ("sort", "price_down")),
                ("sort by sales", ("sort", "sales")),
                ("factories only off", ("fac", "")),
                ("sort as found", ("sort", "rank")),
            ]
            print("applying a filter (event to painted frame):")
            timings = []
            for label, step in steps:
                ms, count = page.evaluate(APPLY, list(step))
                timings.append(ms)
                print(f"  {label:34}{ms:>7.0f} ms   {count}")
            print(f"  {'median':34}{statistics.median(timings):>7.0f} ms")
            page.evaluate("window.__long = []")
            wheels = 0
            while page.evaluate("window.__report.rendered") < 200:
                page.mouse.wheel(0, 2000)
                page.evaluate(FRAME)
                wheels += 1
            long_tasks = page.evaluate("window.__long") or [0]
            print(
                f"scrolling to row 200 ({wheels} wheel turns of 2,000 px): "
                f"{len(long_tasks)} main-thread tasks over 50 ms, median "
                f"{statistics.median(long_tasks):.0f} ms, longest {max(long_tasks):.0f} ms"
            )
            in_dom = page.evaluate("window.__report.rendered")
            print(f"(rows in the DOM after that scroll: {in_dom:,})")
            everything = page.evaluate(
                "async () => { const t0 = performance.now(); window.__report.renderAll(); "
                f"await ({FRAME})(); return [performance.now() - t0, "
                "document.querySelectorAll('.card').length]; }"
            )
            print(
                f"for scale, all {summary.inputs:,} rows at once (no batches): "
                f"{everything[0]:,.0f} ms for {everything[1]:,} cards "
                f"= {everything[0] / statistics.median(timings):.0f}x a filter"
            )
            browser.close()
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for name in ("big.sqlite", "big.html"):
                shutil.copy(work / name, args.keep / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
