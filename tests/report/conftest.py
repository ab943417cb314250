"""A real bulk run, its report, and the system Chromium driven by Playwright (tests/report/).

The database is written by the real `tmapi-search bulk` (a subprocess) against the local
TMAPI stand-in, whose answers are the contract's examples; one answer is a vendor
example with hostile strings put into it (a supplier can write anything in a title).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import ALI, run_cli
from tmapi_search import spec
from tmapi_search.testing.local_server import Answer, LocalTmapiServer

#: Chromium flags for a quiet, offline, headless run (no updater, no sync, no GPU).
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

HOSTILE_TITLE = "</script><script>window.__pwned=1</script>Case"
HOSTILE_ORIGIN = '"onerror="window.__pwned=2" x="'
HOSTILE_IMG = 'https://img.invalid/a.jpg" onerror="window.__pwned=3'
HOSTILE_URL = "javascript:window.__pwned=4"
HOSTILE_SHOP = "<img src=x onerror=window.__pwned=5>"
HOSTILE_COLUMN = '<b>bold</b></script>"onerror="window.__pwned=6'

CATALOGUE = [
    # sku, img_url, title column, note column
    ("OK-1", f"{ALI}?n=1", "Folding phone case", "plain row"),
    ("HOSTILE-2", f"{ALI}?hostile=1", "Hostile supplier strings", HOSTILE_COLUMN),
    ("EMPTY-3", f"{ALI}?nomatch=1", "Nothing like it on 1688", "no match"),
    ("BAD-4", f"{ALI}?bad=1", "Refused by the API", "422"),
    ("OWN-5", "https://shop.example.com/images/phone-case.jpg", "Own photo", "converted"),
    ("LAST-6", f"{ALI}?billing=1", "Never searched", "439 stops the run"),
]


def chromium_path() -> str | None:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium")
    return found or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def hostile_page() -> dict[str, Any]:
    """The vendor's documented page, with hostile strings in its first item."""
    body = copy.deepcopy(spec.response_example(name="vendor_two_items"))
    item = body["data"]["items"][0]
    item["title"] = HOSTILE_TITLE
    item["title_origin"] = HOSTILE_ORIGIN
    item["img"] = HOSTILE_IMG
    item["product_url"] = HOSTILE_URL
    item["shop_info"]["company_name"] = HOSTILE_SHOP
    return body


def answer(path: str, params: dict[str, str]) -> Answer | None:
    if path != spec.SEARCH_PATH:
        return None
    url = params.get("img_url", "")
    if "hostile=1" in url:
        return 200, hostile_page()
    if "nomatch=1" in url:
        return 200, spec.response_example(name="empty_page")
    return None


def write_catalogue(path: Path) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sku", "img_url", "title", "note"])
        writer.writerows(CATALOGUE)
    return path


@dataclass(frozen=True)
class Run:
    db: Path
    report: Path
    bulk_exit: int


@pytest.fixture(scope="session")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """`tmapi-search bulk` then `tmapi-search report`, both as real subprocesses."""
    work = tmp_path_factory.mktemp("report-run")
    catalogue = write_catalogue(work / "catalogue.csv")
    db = work / "run.sqlite"
    server = LocalTmapiServer(errors_by_url={"bad=1": 422, "billing=1": 439}, hook=answer)
    with server:
        bulk = run_cli(
            "bulk", str(catalogue), "--db", str(db), "--max-items-per-image", "2",
            "--concurrency", "1", "--no-progress",
            base_url=server.base_url,
        )  # fmt: skip
    # the 439 of the last row stops the run (exit 3); that row stays pending
    assert bulk.returncode == 3, bulk.stdout + bulk.stderr
    out = work / "report.html"
    made = run_cli("report", "--db", str(db), "--out", str(out), base_url=None, token=None)
    assert made.returncode == 0, made.stdout + made.stderr
    assert made.stdout.strip() == str(out)
    return Run(db=db, report=out, bulk_exit=bulk.returncode)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module.

    Not per session: Playwright's sync API keeps its asyncio loop running in this thread
    while it is open, and `asyncio.run()` in later tests (the async client's) would fail.
    """
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium here (make install installs it from Debian's packages as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page that cannot reach the network: every http(s) request is refused.

    (So the offers' images fail the same way everywhere, and the placeholders show.)
    """
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    context.route(re.compile(r"^https?://"), lambda route: route.abort())
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()


def open_report(page: Any, path: Path) -> None:
    page.goto(path.resolve().as_uri())
    page.wait_for_selector("html[data-complete]")
