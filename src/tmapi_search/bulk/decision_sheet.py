"""The workbook for people: a Decisions sheet and a Suppliers sheet (openpyxl).

`export --format xlsx` writes this by default (`--all-columns`: every field, as the
`items` and `inputs` sheets of `export`):

- Decisions: one row per match (one per input row without a match), readable headers,
  about twenty columns: the input (line, SKU, the catalogue's own columns under their
  own names, photo link, status; a catalogue column named like one of ours gets
  " (catalogue)"), the match (rank,
  score, shortlist place, ad flag, title), the price at the row's quantity (quantity,
  unit price in CNY, MOQ and whether it is reached, and with `--currency` / a sell
  price: unit price, sell price, margin and margin %), the shop (name, factory,
  TrustPass years, repurchase rate, location), 90-day sales and the two links.
- Suppliers: `suppliers.list_suppliers` at the same terms, shops covering most inputs
  first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import IO, Any

from tmapi_search.bulk.pricing import Terms
from tmapi_search.bulk.shortlist import SHORTLIST
from tmapi_search.bulk.store import Store
from tmapi_search.bulk.suppliers import (
    Rollup,
    Supplier,
    iter_judged,
    row_name,
    supplier_sheet,
)

__all__ = ["catalogue_headers", "decision_columns", "write_decision_workbook"]


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _money(value: Any) -> float | None:
    return None if value is None else float(value)


def _ours(terms: Terms) -> list[str]:
    code = terms.code
    columns = [
        "Line", "SKU", "Photo", "Status", "Rank", "Score", "Shortlist", "Ad", "Title",
        "Qty", "Unit price (CNY)", "MOQ", "MOQ ok",
    ]  # fmt: skip
    if code != "CNY":
        columns.append(f"Unit price ({code})")
    if terms.sell_price_column is not None:
        columns += [f"Sell price ({code})", f"Margin ({code})", "Margin %"]
    columns += [
        "Shop", "Factory", "Years", "Repurchase", "Location", "Sales 90 d", "Offer", "Shop link",
    ]  # fmt: skip
    return columns


def catalogue_headers(terms: Terms, extra: Sequence[str]) -> dict[str, str]:
    """The catalogue's own columns (`extra`) and their headers on the Decisions sheet:
    their names, or `name (catalogue)` where one of ours has that name."""
    ours = {name.casefold() for name in _ours(terms)}
    return {name: f"{name} (catalogue)" if name.casefold() in ours else name for name in extra}


def decision_columns(terms: Terms, extra: Sequence[str] = ()) -> list[str]:
    """The Decisions sheet's headers at these terms (the money columns named with the
    currency; those that need a currency or a sell price only when given), with the
    catalogue's own columns (`extra`) after the SKU."""
    ours = _ours(terms)
    return [*ours[:2], *catalogue_headers(terms, extra).values(), *ours[2:]]


def _rows(
    store: Store,
    terms: Terms,
    by_status: Counter[str],
    rollup: Rollup,
    shortlist: int,
    headers: Mapping[str, str],
) -> Iterator[dict[str, Any]]:
    code = terms.code
    for account, judged in iter_judged(store, terms, shortlist=shortlist):
        rollup.add(account, judged)
        by_status[account.status] += max(len(judged), 1)
        base = {
            "Line": account.line,
            "SKU": row_name(account),
            "Photo": account.img_url,
            "Status": account.status.replace("_", " "),
        }
        for name, header in headers.items():
            base[header] = account.extra.get(name)
        if not judged:
            yield base
        for match in judged:
            item, decision, score = match.item, match.decision, match.score
            shop = _obj(item.get("shop_info"))
            sale = _obj(item.get("sale_info"))
            where = shop.get("location") or _obj(item.get("delivery_info")).get("area_from")
            factory = shop.get("is_factory") is True or shop.get("is_super_factory") is True
            yield {
                **base,
                "Rank": match.position + 1,
                "Score": score.total,
                "Shortlist": score.shortlist,
                "Ad": "ad" if score.ad else None,
                "Title": item.get("title") or item.get("title_origin"),
                "Qty": decision.qty,
                "Unit price (CNY)": _money(decision.unit_price_cny),
                "MOQ": decision.moq,
                "MOQ ok": decision.moq_ok,
                f"Unit price ({code})": _money(decision.unit_price),
                f"Sell price ({code})": _money(decision.sell_price),
                f"Margin ({code})": _money(decision.margin),
                "Margin %": _money(decision.margin_pct),
                "Shop": shop.get("company_name"),
                "Factory": factory,
                "Years": shop.get("tp_year", shop.get("shop_years")),
                "Repurchase": shop.get("shop_repurchase_rate") or item.get("item_repurchase_rate"),
                "Location": ", ".join(w for w in where if isinstance(w, str))
                if isinstance(where, list)
                else None,
                "Sales 90 d": sale.get("sale_quantity_90days"),
                "Offer": item.get("product_url"),
                "Shop link": shop.get("shop_url"),
            }


def _later(rollup: Rollup) -> Iterator[Supplier]:
    """The rollup's suppliers, sorted once the Decisions sheet is written."""
    yield from rollup.suppliers()


def write_decision_workbook(
    store: Store,
    out: IO[bytes],
    terms: Terms,
    *,
    counts: Counter[str] | None = None,
    shortlist: int = SHORTLIST,
) -> int:
    """Write the Decisions and Suppliers sheets to `out`; returns the Decisions rows.

    `terms` are checked against the catalogue's columns (TermsError names the option).
    """
    from tmapi_search.bulk.xlsx import Sheet, write_xlsx

    extra = store.extra_columns()
    terms = terms.check(extra)
    by_status: Counter[str] = Counter()
    rollup = Rollup(terms)  # filled while the Decisions sheet is written: one pass
    headers = catalogue_headers(terms, extra)
    ours = _ours(terms)
    money = {name for name in ours if "price" in name.lower() or name.startswith("Margin (")}
    # the catalogue's number columns (`Store.number_columns`): numbers, as they were
    numbers = frozenset(headers[name] for name in store.number_columns() if name in headers)
    decisions = Sheet(
        "Decisions",
        decision_columns(terms, extra),
        _rows(store, terms, by_status, rollup, shortlist, headers),
        # one hyperlink a row: each costs about a sixth of the sheet's writing time; the
        # photo is the user's own, the shop is linked on the Suppliers sheet
        link_columns=frozenset({"Offer"}),
        price_columns=frozenset(money),
        number_columns=numbers,
    )
    suppliers = supplier_sheet(_later(rollup), terms)
    write_xlsx([decisions, suppliers], out)
    if counts is not None:
        counts.update(by_status)
    return decisions.written
