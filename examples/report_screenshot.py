"""Take a PNG of an HTML report in the system Chromium (what `make report-screenshot` runs).

    .venv/bin/python examples/report_screenshot.py reports/demo/report.html docs/report.png

Offline, like a report opened from a mail: host names do not resolve, so the
catalogue's and the offers' photos show the report's placeholders.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit("usage: report_screenshot.py REPORT.html OUT.png")
    report, png = Path(sys.argv[1]), Path(sys.argv[2])
    if not report.is_file():
        sys.exit(f"report_screenshot: {report} does not exist (make demo writes it)")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000}, device_scale_factor=1)
        page.goto(report.resolve().as_uri())
        page.wait_for_selector("html[data-complete]")
        # every photo either loaded or replaced by its placeholder
        page.wait_for_function(
            "[...document.images].every(i => i.complete) || "
            "document.querySelectorAll('.thumb.broken').length >= document.images.length"
        )
        png.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(png))
        browser.close()
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
