"""The options `export`, `report` and `suppliers` share: the quantity, currency and rate,
the user's sell price, and the shortlist's length (`tmapi_search.bulk.pricing.Terms`)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated

import typer

from tmapi_search.bulk.pricing import Terms, TermsError

__all__ = [
    "CurrencyOpt",
    "QtyColumnOpt",
    "QtyOpt",
    "RateOpt",
    "SellPriceColumnOpt",
    "ShortlistOpt",
    "make_terms",
]


def _rate(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        number = Decimal(0)
    if not number.is_finite() or number <= 0:
        raise typer.BadParameter(f"a number above 0 (CNY per 1 unit of --currency), got {value!r}")
    return value


QtyOpt = Annotated[
    int | None,
    typer.Option(
        "--qty",
        min=1,
        show_default=False,
        help="Quantity you would order: prices are the tier for it, MOQ checked (default 1).",
    ),
]
QtyColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--qty-column",
        metavar="NAME",
        help="Catalogue column holding each row's quantity (instead of --qty).",
    ),
]
CurrencyOpt = Annotated[
    str | None,
    typer.Option(
        "--currency",
        metavar="CODE",
        help="Your currency (USD, EUR ...): unit prices and margins in it; needs --rate.",
    ),
]
RateOpt = Annotated[
    str | None,
    typer.Option(
        "--rate",
        metavar="R",
        callback=_rate,
        help="CNY per 1 unit of --currency (e.g. 7.2 for USD); you give it, nothing is looked up.",
    ),
]
SellPriceColumnOpt = Annotated[
    str | None,
    typer.Option(
        "--sell-price-column",
        metavar="NAME",
        help="Catalogue column holding your sell price (in --currency): margin and margin %.",
    ),
]
ShortlistOpt = Annotated[
    int,
    typer.Option(
        "--shortlist",
        min=0,
        help="Matches on each input's shortlist (best scores, ads never; 0: none).",
    ),
]


def make_terms(
    qty: int | None,
    qty_column: str | None,
    currency: str | None,
    rate: str | None,
    sell_price_column: str | None,
) -> Terms:
    """The options as `Terms`, checked (TermsError, a ValueError, names the option);
    the catalogue's columns are checked by the engine when it opens the database."""
    if qty is not None and qty_column is not None:
        raise TermsError("--qty / --qty-column: give one of them (a fixed quantity, or a column)")
    return Terms(
        qty=1 if qty is None else qty,
        qty_column=qty_column,
        currency=currency,
        rate=None if rate is None else Decimal(rate.strip()),
        sell_price_column=sell_price_column,
    ).check()
