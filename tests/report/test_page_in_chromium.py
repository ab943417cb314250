"""The report of a real bulk run, loaded from file:// in the system Chromium.

What a reader sees: one section per input row in catalogue order with its status, its
matches as cards, filters and sorting that change what is shown, supplier strings shown
as text (never run), broken images as placeholders, offers found for several rows marked.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.cli_support import ALI
from tmapi_search import spec
from tmapi_search.bulk.inputs import InputImage
from tmapi_search.bulk.report import write_report
from tmapi_search.bulk.store import Store

from .conftest import (
    CATALOGUE,
    HOSTILE_COLUMN,
    HOSTILE_ORIGIN,
    HOSTILE_SHOP,
    HOSTILE_TITLE,
    Run,
    open_report,
)

VENDOR = spec.response_example(name="vendor_two_items")["data"]["items"]
STATUS = {
    "OK-1": "ok",
    "HOSTILE-2": "ok",
    "EMPTY-3": "no match",
    "BAD-4": "failed",
    "OWN-5": "ok",
    "LAST-6": "pending",
}


def sections(page: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = page.eval_on_selector_all(
        "section.row",
        """rows => rows.map(row => ({
            sku: row.querySelector('.sku').textContent,
            status: row.querySelector('.status').textContent,
            cards: row.querySelectorAll('.card').length,
            prices: [...row.querySelectorAll('.card .price')].map(p => p.firstChild.textContent),
            text: row.textContent,
        }))""",
    )
    return result


def row(page: Any, sku: str) -> Any:
    """The section of one input row (not the cards of other rows that name it)."""
    return page.locator(f'section.row:has(> .input > .sku:text-is("{sku}"))')


def count_line(page: Any) -> str:
    text: str = page.inner_text("#count")
    return text


def test_each_input_is_a_section_in_catalogue_order_with_its_status_and_cards(
    page: Any, report_run: Run, tmp_path: Path
) -> None:
    open_report(page, report_run.report)
    shown = sections(page)
    assert [s["sku"] for s in shown] == [row[0] for row in CATALOGUE]
    assert {s["sku"]: s["status"] for s in shown} == STATUS
    by_sku = {s["sku"]: s for s in shown}
    for sku in ("OK-1", "HOSTILE-2", "OWN-5"):
        assert by_sku[sku]["cards"] == 2  # --max-items-per-image 2
        assert by_sku[sku]["prices"] == [f"¥{VENDOR[0]['price']}", f"¥{VENDOR[1]['price']}"]
    for sku in ("EMPTY-3", "BAD-4", "LAST-6"):
        assert by_sku[sku]["cards"] == 0
    assert "1688 found no offer" in by_sku["EMPTY-3"]["text"]
    # the vendor's own message for the refused row
    assert "ParameterError: HTTP 422" in by_sku["BAD-4"]["text"]
    assert spec.error_example(422)["msg"] in by_sku["BAD-4"]["text"]
    assert "not searched yet" in by_sku["LAST-6"]["text"]
    # the user's columns, the offer's fields on the card
    assert "Folding phone case" in by_sku["OK-1"]["text"]
    card = page.locator("section.row").first.locator(".card").first
    for expected in (
        VENDOR[0]["title"],
        VENDOR[0]["title_origin"],
        f"MOQ {VENDOR[0]['quantity_begin']}",
        f"Sold {VENDOR[0]['sale_info']['sale_quantity_month']} in 30 days",
        f"{VENDOR[0]['sale_info']['sale_quantity']} total",
        "Factory",
        f"shop {VENDOR[0]['shop_info']['shop_repurchase_rate']}",
        VENDOR[0]["shop_info"]["location"][0],
    ):
        assert card.get_by_text(expected, exact=False).count() >= 1, expected
    assert card.locator("a.open").get_attribute("href") == VENDOR[0]["product_url"]
    assert card.is_visible()
    assert count_line(page) == "Showing 6 of 6 inputs · 6 of 6 matches"
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert page.js_errors == []


def test_supplier_and_catalogue_strings_render_as_text(page: Any, report_run: Run) -> None:
    html = report_run.report.read_text(encoding="utf-8")
    assert "</script><script>window.__pwned" not in html  # escaped inside the JSON block
    open_report(page, report_run.report)
    hostile = row(page, "HOSTILE-2")
    card = hostile.locator(".card").first
    assert card.locator(".title").text_content() == HOSTILE_TITLE
    assert card.locator(".orig").text_content() == HOSTILE_ORIGIN
    assert card.get_by_text(HOSTILE_SHOP, exact=True).count() == 1
    assert hostile.get_by_text(HOSTILE_COLUMN, exact=True).count() == 1
    # nothing ran, nothing became markup or a handler, the javascript: link is not a link
    assert page.evaluate("window.__pwned") is None
    scripts = page.evaluate("[...document.scripts].map(s => s.id)")
    assert scripts == ["report-data", "report-js", "report-rest"]
    made = "document.querySelectorAll('[onerror], dd b, .title *, img[src=\"x\"]').length"
    assert page.evaluate(made) == 0
    assert page.evaluate("document.querySelectorAll('a[href^=\"javascript\"]').length") == 0
    assert card.locator("a.open").count() == 0  # the offer's link was not http(s)
    assert page.js_errors == []


def test_filters_and_sorting_change_what_is_shown(page: Any, report_run: Run) -> None:
    open_report(page, report_run.report)
    # status filter
    page.uncheck("input[data-status=ok]")
    assert [s["sku"] for s in sections(page)] == ["EMPTY-3", "BAD-4", "LAST-6"]
    assert count_line(page) == "Showing 3 of 6 inputs · 0 of 6 matches"
    page.check("input[data-status=ok]")
    page.uncheck("input[data-status=pending]")
    page.uncheck("input[data-status=failed]")
    assert "LAST-6" not in [s["sku"] for s in sections(page)]
    assert "BAD-4" not in [s["sku"] for s in sections(page)]
    page.check("input[data-status=pending]")
    page.check("input[data-status=failed]")
    # text filter: a user's column, then an offer's title (only matching cards stay)
    page.fill("#q", "converted")
    assert [s["sku"] for s in sections(page)] == ["OWN-5"]
    page.fill("#q", "polka dot")
    shown = sections(page)
    assert [s["sku"] for s in shown] == ["OK-1", "HOSTILE-2", "OWN-5"]
    assert all(s["cards"] == 1 for s in shown)
    assert count_line(page) == "Showing 3 of 6 inputs · 3 of 6 matches"
    page.fill("#q", "")
    # factories only: the vendor's first item is a factory's, the second is not
    page.check("#factories")
    ok = [s for s in sections(page) if s["status"] == "ok"]
    assert all(s["cards"] == 1 and "Factory" in s["text"] for s in ok)
    page.uncheck("#factories")
    # sorting the matches of each row
    first = page.locator("section.row").first
    prices = first.locator(".card .price")
    assert prices.first.text_content().startswith(f"¥{VENDOR[0]['price']}")
    page.select_option("#sort", "price_down")
    assert prices.first.text_content().startswith(f"¥{VENDOR[1]['price']}")
    page.select_option("#sort", "price_up")
    assert prices.first.text_content().startswith(f"¥{VENDOR[0]['price']}")
    page.select_option("#sort", "repurchase")  # 0.5 before 0.0
    assert prices.first.text_content().startswith(f"¥{VENDOR[1]['price']}")
    assert page.js_errors == []


def test_broken_images_show_a_placeholder_of_the_same_size(page: Any, report_run: Run) -> None:
    open_report(page, report_run.report)
    thumbs = page.locator("section.row").first.locator(".card .thumb")
    thumbs.first.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelectorAll('.card .thumb.broken').length >= 2")
    boxes = [thumbs.nth(i).bounding_box() for i in range(thumbs.count())]
    assert all(box is not None and box["height"] > 100 for box in boxes)
    assert all(abs(box["height"] - box["width"]) < 2 for box in boxes if box)  # square kept
    assert thumbs.first.get_attribute("data-label") == "image unavailable"
    # lazy: the images are asked for by the browser, not inlined
    assert page.evaluate("[...document.images].every(i => i.loading === 'lazy')")


def test_offers_found_for_several_rows_name_the_other_rows(page: Any, report_run: Run) -> None:
    open_report(page, report_run.report)
    first = page.locator("section.row").first
    also = first.locator(".card").first.locator(".also")
    assert also.inner_text().startswith("Also found for:")
    # the same offer id is the first match of HOSTILE-2 and OWN-5 too
    assert also.inner_text() == "Also found for: HOSTILE-2 (#1), OWN-5 (#1)"
    # a named row is a link that brings it into view, even when filtered out
    page.fill("#q", "folding phone case")
    page.locator("section.row").first.locator(".also a", has_text="OWN-5").first.click()
    target = row(page, "OWN-5")
    target.wait_for()
    assert target.is_visible()
    assert page.input_value("#q") == ""


def big_report(tmp_path: Path, rows: int, matches: int) -> Path:
    """A report of `rows` inputs x `matches` offers (vendor items with other ids and titles)."""
    vendor = spec.response_example(name="vendor_two_items")["data"]["items"]
    db = tmp_path / "big.sqlite"
    images = [
        InputImage(line=i + 2, img_url=f"{ALI}?n={i}", sku=f"ROW-{i:03d}") for i in range(rows)
    ]
    with Store(db) as store:
        store.add_images(image.db_row() for image in images)
        run_id = store.start_run("in.csv", {})
        for record in store.images_to_do([image.key for image in images]):
            items = []
            for k in range(matches):
                item = copy.deepcopy(vendor[k % 2])
                item["item_id"] = 10**11 + record.line * 100 + k
                if record.line - 2 == rows - 3 and k == 0:  # a late row finds row 0's offer
                    item["item_id"] = 10**11 + 2 * 100
                item["title"] = f"{item['title']} row {record.line - 2} offer {k}"
                items.append(item)
            store.save_done(record.id, run_id, items, total_count=666, attempts=1)
        store.finish_run(run_id, "completed")
    out = tmp_path / "big.html"
    write_report(db, out, top=matches)
    return out


def test_a_big_run_renders_in_batches_and_filters_the_rows_not_yet_drawn(
    page: Any, tmp_path: Path
) -> None:
    rows = 120
    open_report(page, big_report(tmp_path, rows, 20))
    first = page.evaluate("window.__report.rendered")
    assert 1 <= first < rows
    assert page.locator("section.row").count() == first
    assert count_line(page) == f"Showing {rows} of {rows} inputs · 2,400 of 2,400 matches"
    # an offer of the first row also found for a row read after the first ones were drawn
    also = page.locator("section.row").first.locator(".card").first.locator(".also")
    assert also.inner_text() == f"Also found for: ROW-{rows - 3:03d} (#1)"
    # scrolling draws more rows
    for _ in range(6):
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(100)
    page.wait_for_function(f"window.__report.rendered > {first}")
    # the filter sees rows that were never drawn
    page.fill("#q", "row 117 offer 3")
    shown = sections(page)
    assert [s["sku"] for s in shown] == ["ROW-117"]
    assert shown[0]["cards"] == 1
    assert page.js_errors == []
