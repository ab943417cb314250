"""The report decides: the Suppliers view, the shortlist on the cards, prices and margins.

A real bulk run against the stand-in's shop mode (`tests/bulk/decision_run.py`: four
rows, acme covering three), its report written with a quantity column, a rate and a sell
price column, loaded from file:// in the system Chromium.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.bulk.decision_run import run_bulk
from tmapi_search.bulk.pricing import Terms
from tmapi_search.bulk.report import write_report

from .conftest import open_report

USD = Terms(qty_column="qty", currency="USD", rate=Decimal(8), sell_price_column="sell_usd")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The run's report with the terms, and without any."""
    work = tmp_path_factory.mktemp("decision-report")
    db = run_bulk(work)
    with_terms, plain = work / "terms.html", work / "plain.html"
    write_report(db, with_terms, terms=USD)
    write_report(db, plain)
    return with_terms, plain


def row(page: Any, sku: str) -> Any:
    return page.locator(f'section.row:has(> .input > .sku:text-is("{sku}"))')


def card_of(page: Any, sku: str, shop: str) -> Any:
    return row(page, sku).locator(f'.card:has(.title:text-is("{shop} offer {sku}"))')


def test_the_suppliers_view_ranks_shops_by_coverage(page: Any, reports: tuple[Path, Path]) -> None:
    open_report(page, reports[0])
    assert page.locator("#suppliers").is_hidden()
    page.click("#view-suppliers")
    assert page.locator("#sections").is_hidden()
    shops = page.locator("details.supplier")
    assert shops.locator(".shopname").all_inner_texts() == ["acme", "bolt", "cedar", "dune"]
    assert shops.locator(".cover").all_inner_texts() == [
        "3 inputs",
        "2 inputs",
        "2 inputs",
        "1 input",
    ]
    first = shops.first
    assert "Covers: A-1, A-2, A-3" in first.inner_text()
    assert "1.00\u20131.25 USD" in first.locator(".facts").inner_text()
    # expanded: the inputs it covers, with its offers
    first.locator("summary").click()
    first.locator("table").wait_for()  # drawn on the first "toggle" event
    lines = first.locator("tr:has(td)")
    assert lines.count() == 3
    assert lines.locator("td:first-child").all_inner_texts() == ["A-1", "A-2", "A-3"]
    assert "acme offer A-2" in lines.nth(1).inner_text()
    # an input's name goes to its row in the Inputs view
    lines.nth(1).locator("a[data-row]").click()
    assert page.locator("#suppliers").is_hidden()
    assert row(page, "A-2").is_visible()
    assert page.js_errors == []


def test_the_shortlist_and_the_scores_are_on_the_cards(
    page: Any, reports: tuple[Path, Path]
) -> None:
    open_report(page, reports[0])
    three = row(page, "A-3")
    ad = card_of(page, "A-3", "eel")
    assert "ad" in (ad.get_attribute("class") or "").split()
    assert ad.locator(".b.ad").inner_text() == "Ad"
    assert ad.locator(".b.sl").count() == 0  # kept apart: never shortlisted
    assert card_of(page, "A-3", "acme").locator(".b.sl").inner_text() == "Shortlist 1"
    assert card_of(page, "A-3", "cedar").locator(".b.sl").inner_text() == "Shortlist 2"
    # every card shows its score
    assert three.locator(".card").count() == three.locator(".card .score").count() == 3
    page.check("#shortlist")
    assert three.locator(".card").count() == 2
    page.uncheck("#shortlist")
    page.select_option("#sort", "score")
    titles = three.locator(".card .title").all_inner_texts()
    assert titles[0] == "acme offer A-3"
    assert page.js_errors == []


def test_prices_at_the_quantity_and_margins_are_shown_when_given(
    page: Any, reports: tuple[Path, Path]
) -> None:
    with_terms, plain = reports
    open_report(page, with_terms)
    deal = card_of(page, "A-1", "acme").locator(".deal").inner_text()
    assert "¥8.00 each = 1.00 USD" in deal
    assert "Margin 4.00 USD (80.00 %)" in deal
    assert "under MOQ 2" in card_of(page, "A-2", "acme").locator(".deal").inner_text()
    assert "prices at qty from column 'qty', USD at 8 CNY" in page.inner_text("#summary")
    open_report(page, plain)
    assert page.locator(".deal").count() == 0
    assert page.locator(".card .score").count() == 9
    assert page.js_errors == []
