"""Suppliers, the price at the user's quantity, the margin and the shortlist (the engine)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.bulk.decision_run import run_bulk
from tmapi_search.bulk.pricing import (
    Terms,
    TermsError,
    decide,
    parse_amount,
    parse_quantity,
    price_at,
)
from tmapi_search.bulk.shortlist import WEIGHTS, judge_row
from tmapi_search.bulk.store import Store
from tmapi_search.bulk.suppliers import iter_judged, list_suppliers
from tmapi_search.testing.shops import ShopOffer, shop_page

USD = Terms(qty_column="qty", currency="USD", rate=Decimal(8), sell_price_column="sell_usd")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_bulk(tmp_path_factory.mktemp("decisions"))


def item(offer: ShopOffer) -> dict[str, object]:
    page: dict[str, object] = shop_page([offer])
    return page["data"]["items"][0]  # type: ignore[index, no-any-return]


TIERS = [(1, 99, "10.00"), (100, None, "8.00")]


def test_qty_150_on_tiers_at_rate_8_with_sell_price_5() -> None:
    decision = decide(
        item(ShopOffer("acme", tiers=TIERS, moq=2)), USD, {"qty": "150", "sell_usd": "5"}
    )
    assert decision.unit_price_cny == Decimal("8.00")
    assert decision.unit_price == Decimal("1.00")
    assert decision.margin == Decimal("4.00")
    assert decision.margin_pct == 80
    assert decision.moq_ok is True
    assert decision.to_dict() == {
        "qty": 150, "unit_price_cny": "8.00", "moq": 2, "moq_ok": True, "currency": "USD",
        "unit_price": "1.00", "sell_price": "5", "margin": "4.00", "margin_pct": "80.00",
    }  # fmt: skip


def test_qty_under_the_moq() -> None:
    decision = decide(item(ShopOffer("acme", tiers=TIERS, moq=2)), Terms(qty=1), {})
    assert decision.moq_ok is False
    assert decision.unit_price_cny == Decimal("10.00")
    assert decision.unit_price == Decimal("10.00")  # no currency: CNY
    assert decision.margin is None  # no sell price


@pytest.mark.parametrize(
    ("qty", "price"), [(1, "10.00"), (99, "10.00"), (100, "8.00"), (10_000, "8.00")]
)
def test_the_tier_of_a_quantity(qty: int, price: str) -> None:
    assert price_at(item(ShopOffer("acme", tiers=TIERS)), qty) == Decimal(price)


def test_missing_data_gives_empty_values_never_an_error() -> None:
    bare = {"item_id": 1}
    decision = decide(bare, USD, {"qty": "", "sell_usd": "n/a"})
    assert decision.to_dict() == {
        "qty": None, "unit_price_cny": None, "moq": None, "moq_ok": None, "currency": "USD",
        "unit_price": None, "sell_price": None, "margin": None, "margin_pct": None,
    }  # fmt: skip
    odd = {"item_id": 1, "quantity_prices": ["x", {"price": None}], "quantity_begin": "many"}
    assert decide(odd, USD, {"qty": "3", "sell_usd": "1"}).unit_price is None
    # no tiers: the offer's price at every quantity
    assert price_at({"price": "19.00", "quantity_prices": []}, 500) == Decimal("19.00")
    # a sell price of 0: a margin, no percentage
    zero = decide(item(ShopOffer("acme", tiers=TIERS)), USD, {"qty": "1", "sell_usd": "0"})
    assert zero.margin == Decimal("-1.25")
    assert zero.margin_pct is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [("5", "5"), ("$1,299.50", "1299.50"), ("5,00", "5.00"), ("¥ 8", "8"), ("2.5 USD", "2.5"),
     ("", None), ("n/a", None), ("NaN", None), (None, None), (True, None)],
)  # fmt: skip
def test_amounts(text: object, amount: str | None) -> None:
    assert parse_amount(text) == (None if amount is None else Decimal(amount))


def test_quantities() -> None:
    assert [parse_quantity(v) for v in ("150", "150.0", "1,000", "0", "1.5", "", "x")] == [
        150, 150, 1000, None, None, None, None,
    ]  # fmt: skip


def test_terms_that_do_not_go_together() -> None:
    with pytest.raises(TermsError, match="--rate"):
        Terms(currency="USD").check()
    with pytest.raises(TermsError, match="--currency"):
        Terms(rate=Decimal(8)).check()
    with pytest.raises(TermsError, match="--rate"):
        Terms(currency="USD", rate=Decimal(0)).check()
    with pytest.raises(TermsError, match="--qty"):
        Terms(qty=0).check()
    with pytest.raises(TermsError, match=r"--qty-column: .*'amount'.*qty, sell_usd"):
        Terms(qty_column="amount").check(["qty", "sell_usd"])
    assert Terms(qty_column=" QTY ").check(["qty"]).qty_column == "qty"
    assert Terms(currency="cny").check().code == "CNY"


def test_the_supplier_covering_three_of_four_inputs_comes_first(db: Path) -> None:
    suppliers = list_suppliers(db, USD)
    assert [s.company_name for s in suppliers] == ["acme", "bolt", "cedar", "dune"]
    acme = suppliers[0]
    assert acme.inputs == 3
    assert acme.skus == ["A-1", "A-2", "A-3"]
    assert acme.offers == 3
    assert acme.best_rank == 1
    data = acme.to_dict()
    assert data["member_id"] == "b2b-acme"
    assert (data["price_min_cny"], data["price_max_cny"]) == ("8.00", "10.00")
    assert (data["price_min"], data["price_max"]) == ("1.00", "1.25")
    assert data["shop_url"] == "https://acme.1688.com"
    assert data["is_factory"] is False
    assert data["tp_year"] == 5
    # bolt (2 inputs, best rank 1) before cedar (2 inputs, best rank 1, dearer)
    assert [s.inputs for s in suppliers] == [3, 2, 2, 1]
    # the ad (eel) is left out
    assert all(s.company_name != "eel" for s in suppliers)


def test_decisions_of_the_run(db: Path) -> None:
    with Store(db, readonly=True) as store:
        rows = {account.sku: judged for account, judged in iter_judged(store, USD)}
    first = rows["A-1"][0]
    assert first.decision.unit_price_cny == Decimal("8.00")
    assert first.decision.unit_price == Decimal("1.00")
    assert first.decision.margin == Decimal("4.00")
    assert first.decision.margin_pct == 80
    assert rows["A-2"][1].decision.moq_ok is False  # acme, qty 1, MOQ 2
    assert rows["A-3"][1].decision.sell_price is None  # blank cell
    # the ad is kept apart: scored, never shortlisted
    ad = rows["A-3"][0]
    assert ad.score.ad is True
    assert ad.score.shortlist is None
    assert [j.score.shortlist for j in rows["A-3"][1:]] == [1, 2]


def test_the_score_adds_its_documented_parts() -> None:
    assert sum(WEIGHTS.values()) == 100
    offers = [
        ShopOffer("a", tiers=[(1, None, "10.00")], moq=5, sales_90d=10, repurchase="0.1"),
        ShopOffer("b", tiers=[(1, None, "5.00")], moq=1, factory=True, sales_90d=20),
        ShopOffer("c", tiers=[(1, None, "7.50")], moq=1, sales_90d=0, repurchase="0.4"),
    ]
    items = shop_page(offers)["data"]["items"]
    judged = judge_row(list(enumerate(items)), {}, Terms(qty=1))
    a, b, c = (j.score for j in judged)
    assert a.parts == {"same_product": 40, "price": 0, "moq": 0, "factory": 0, "sales": 5,
                       "repurchase": 1.2}  # fmt: skip
    assert b.parts == {"same_product": 20, "price": 20, "moq": 15, "factory": 10, "sales": 10,
                       "repurchase": 0}  # fmt: skip
    assert c.parts["price"] == 10
    assert b.total == 75
    assert [s.shortlist for s in (a, b, c)] == [2, 1, 3]


def test_the_decision_workbook(db: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from tmapi_search.bulk.decision_sheet import decision_columns, write_decision_workbook

    out = tmp_path / "decisions.xlsx"
    terms = Terms(qty_column="qty", currency="USD", rate=Decimal(8), sell_price_column="sell_usd")
    with Store(db, readonly=True) as store, out.open("wb") as handle:
        assert write_decision_workbook(store, handle, terms) == 9
    book = load_workbook(out)
    assert book.sheetnames == ["Decisions", "Suppliers"]
    sheet = book["Decisions"]
    header = [cell.value for cell in sheet[1]]
    assert header == decision_columns(terms.check(["qty", "sell_usd"]), ["qty", "sell_usd"])
    assert header[:5] == ["Line", "SKU", "qty (catalogue)", "sell_usd", "Photo"]  # its own
    assert 18 <= len(header) <= 28  # readable, about twenty
    assert not any("." in name for name in header if name != "Sales 90 d")
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    first = rows[0]
    assert (first["SKU"], first["Rank"], first["Shop"], first["Shortlist"]) == ("A-1", 1, "acme", 1)
    assert first["Unit price (CNY)"] == 8 and first["Unit price (USD)"] == 1
    assert first["Margin (USD)"] == 4 and first["Margin %"] == 80
    assert (first["qty (catalogue)"], first["sell_usd"]) == (150, 5)  # numbers, as read
    assert sheet.cell(2, header.index("Unit price (CNY)") + 1).number_format == "0.00"
    offer = sheet.cell(2, header.index("Offer") + 1)
    assert offer.hyperlink is not None and offer.hyperlink.target == first["Offer"]
    ad = next(r for r in rows if r["Shop"] == "eel")
    assert ad["Ad"] == "ad" and ad["Shortlist"] is None
    under = next(r for r in rows if r["SKU"] == "A-2" and r["Shop"] == "acme")
    assert under["MOQ ok"] is False
    suppliers = book["Suppliers"]
    names = [row[1] for row in suppliers.iter_rows(min_row=2, values_only=True)]
    assert names == ["acme", "bolt", "cedar", "dune"]
    # without a currency nor a sell price: no such columns
    assert "Margin %" not in decision_columns(Terms())
    assert "Unit price (USD)" not in decision_columns(Terms())


def test_a_catalogue_column_named_like_ours_keeps_its_values_apart() -> None:
    from tmapi_search.bulk.decision_sheet import catalogue_headers, decision_columns

    extra = ["Title", "shop", "cost"]
    assert catalogue_headers(Terms(), extra) == {
        "Title": "Title (catalogue)", "shop": "shop (catalogue)", "cost": "cost",
    }  # fmt: skip
    header = decision_columns(Terms(), extra)
    assert len(header) == len(set(header))
    assert header[:5] == ["Line", "SKU", "Title (catalogue)", "shop (catalogue)", "cost"]


def test_absurd_amounts_give_empty_values() -> None:
    huge = {
        "item_id": 1,
        "price": "1E+300",
        "quantity_prices": [{"begin_num": "1", "price": 1e300}],
    }
    assert decide(huge, USD, {"qty": "1", "sell_usd": "5"}).unit_price is None
    tiny_rate = Terms(currency="USD", rate=Decimal("1E-30"))
    assert decide({"price": "19.00"}, tiny_rate, {}).unit_price is None
