"""Price at the user's quantity, in the user's currency, and the margin against a sell price.

A match's price at a quantity is the tier of `quantity_prices` that quantity falls in
(the tier with the highest `begin_num` not above it; below every tier, the first one);
an offer without tiers has its `price` at every quantity. The minimum order quantity
(MOQ) is `quantity_begin` (v2: `moq` when it is a number, else 1 when
`one_piece_min_order`). Every amount is a `decimal.Decimal` -- never a float:

- `unit_price_cny`: the tier's price, as the API wrote it (CNY);
- `moq_ok`: the quantity is at least the MOQ;
- `unit_price`: `unit_price_cny / rate` in the user's currency (`rate`: CNY per one unit
  of it, given by the user, never looked up), rounded half-up to 2 places; without a
  currency it is the CNY price;
- `margin`: `sell_price - unit_price`; `margin_pct`: `margin / sell_price * 100`, both
  rounded half-up to 2 places.

Missing or unreadable data (no price, a blank quantity cell, a sell price that is not
a number) gives None for what depends on it, never an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from tmapi_search.bulk.errors import UsageError

__all__ = [
    "CENT",
    "Decision",
    "Terms",
    "TermsError",
    "decide",
    "decide_at",
    "parse_amount",
    "parse_quantity",
    "price_at",
    "read_moq",
]

CENT = Decimal("0.01")
#: beyond this, a value is no price (and would not fit the decimal context's precision)
_MAX_AMOUNT = Decimal(10) ** 15
_PLAIN = re.compile(r"\d+(\.\d+)?")  # "19.00", "150": the API's own way, read at once
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_SYMBOLS = re.compile(r"^[^\d+\-.,]+|[^\d.,]+$")


class TermsError(UsageError):
    """Options that do not go together, or a column the database does not have."""


def parse_amount(value: object) -> Decimal | None:
    """A price as a Decimal: `"19.00"`, `19`, `"$1,299.50"`, `"5,00"` (decimal comma),

    `"¥ 8"`; None for anything else (blank, text, NaN, infinity, 10**15 or more).
    """
    if type(value) is str and len(value) < 16 and _PLAIN.fullmatch(value):
        return Decimal(value)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = _SYMBOLS.sub("", _SPACES.sub("", value))
        if not text:
            return None
        if "," in text and "." in text:
            text = text.replace(",", "")  # 1,299.50
        elif re.fullmatch(r"[+-]?\d+,\d{1,2}", text):
            text = text.replace(",", ".")  # 5,00
        else:
            text = text.replace(",", "")  # 1,299
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() and abs(number) < _MAX_AMOUNT else None


def parse_quantity(value: object) -> int | None:
    """A quantity: a whole number >= 1 (`"150"`, `150`, `"150.0"`, `"1,000"`), else None."""
    if type(value) is int:
        return value if value >= 1 else None
    if type(value) is str and value.isdigit():
        number = int(value)
        return number if number >= 1 else None
    amount = parse_amount(value)
    if amount is None or amount != amount.to_integral_value() or amount < 1:
        return None
    return int(amount)


@dataclass(frozen=True, slots=True)
class Terms:
    """The user's terms: quantity (fixed, or a catalogue column), currency and rate, and

    the catalogue column holding the user's own sell price (in `currency`).

    Without `currency`, prices stay in CNY (`rate` 1). `rate` is CNY per one unit of
    `currency` (8 for "1 USD = 8 CNY"). `check()` says what does not go together.
    """

    qty: int = 1
    qty_column: str | None = None
    currency: str | None = None
    rate: Decimal | None = None
    sell_price_column: str | None = None

    def check(self, columns: Sequence[str] | None = None) -> Terms:
        """These terms, checked (TermsError naming the option); with `columns` (the
        catalogue's), the named columns must be among them (matched ignoring case and
        surrounding spaces; the result names them as the catalogue does)."""
        if self.qty < 1:
            raise TermsError(f"--qty: must be at least 1, got {self.qty}")
        if self.rate is not None and (not self.rate.is_finite() or self.rate <= 0):
            raise TermsError(f"--rate: must be a number above 0, got {self.rate}")
        if self.rate is not None and self.currency is None:
            raise TermsError("--rate: give --currency too (the rate is CNY per 1 unit of it)")
        if self.currency is not None:
            if not re.fullmatch(r"[A-Za-z]{3}", self.currency):
                raise TermsError(
                    f"--currency: a three-letter code (USD, EUR ...), got {self.currency!r}"
                )
            if self.rate is None and self.currency.upper() != "CNY":
                raise TermsError(
                    f"--currency {self.currency}: give --rate too (CNY per 1 {self.currency}; "
                    "no rate is looked up)"
                )
        if columns is None:
            return self
        return Terms(
            qty=self.qty,
            qty_column=_column(columns, self.qty_column, "--qty-column"),
            currency=self.currency,
            rate=self.rate,
            sell_price_column=_column(columns, self.sell_price_column, "--sell-price-column"),
        )

    @property
    def code(self) -> str:
        """The currency prices are shown in (CNY unless the user gave another)."""
        return (self.currency or "CNY").upper()

    @property
    def cny_per_unit(self) -> Decimal:
        return self.rate if self.rate is not None else Decimal(1)

    @property
    def given(self) -> bool:
        """Whether the user gave anything beyond the defaults (quantity 1, CNY)."""
        return self != Terms()

    def qty_for(self, columns: Mapping[str, Any]) -> int | None:
        """The quantity of one catalogue row (its column's, or the fixed one)."""
        if self.qty_column is None:
            return self.qty
        return parse_quantity(columns.get(self.qty_column))

    def sell_price_for(self, columns: Mapping[str, Any]) -> Decimal | None:
        if self.sell_price_column is None:
            return None
        return parse_amount(columns.get(self.sell_price_column))

    def describe(self) -> str:
        """One line for people: `qty 150, USD at 8 CNY, sell price from "price"`."""
        parts = [f"qty from column {self.qty_column!r}" if self.qty_column else f"qty {self.qty}"]
        if self.currency and self.code != "CNY":
            parts.append(f"{self.code} at {self.cny_per_unit} CNY")
        if self.sell_price_column:
            parts.append(f"sell price from column {self.sell_price_column!r}")
        return ", ".join(parts)


def _column(columns: Sequence[str], name: str | None, option: str) -> str | None:
    if name is None:
        return None
    if name in columns:
        return name
    folded = {column.strip().casefold(): column for column in columns}
    found = folded.get(name.strip().casefold())
    if found is None:
        have = ", ".join(columns) or "none"
        raise TermsError(f"{option}: the catalogue has no column {name!r} (its columns: {have})")
    return found


def _obj(value: object) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    return value if isinstance(value, Mapping) else {}


def read_moq(item: Mapping[str, Any]) -> int | None:
    """The offer's minimum order quantity, or None when the answer does not say."""
    moq = item.get("quantity_begin")
    if moq is None:
        moq = item.get("moq")  # v2 (type not documented)
    if isinstance(moq, bool):
        moq = None
    number = parse_quantity(moq) if moq is not None else None
    if number is None and item.get("one_piece_min_order") is True:
        return 1
    return number


def price_at(item: Mapping[str, Any], qty: int) -> Decimal | None:
    """The offer's unit price in CNY for `qty` units (see the module docstring)."""
    tiers = []
    raw = item.get("quantity_prices")
    for tier in raw if isinstance(raw, list) else ():
        begin = parse_quantity(_obj(tier).get("begin_num"))
        price = parse_amount(_obj(tier).get("price"))
        if price is not None:
            tiers.append((begin or 1, price))
    if tiers:
        tiers.sort(key=lambda tier: tier[0])
        reached = [price for begin, price in tiers if begin <= qty]
        return reached[-1] if reached else tiers[0][1]
    price = parse_amount(item.get("price"))
    if price is None:
        price = parse_amount(_obj(item.get("price_info")).get("price"))
    return price


@dataclass(frozen=True, slots=True)
class Decision:
    """One match's price at the user's quantity, and the margin (see the module docstring)."""

    qty: int | None
    unit_price_cny: Decimal | None
    moq: int | None
    moq_ok: bool | None
    currency: str
    unit_price: Decimal | None
    sell_price: Decimal | None
    margin: Decimal | None
    margin_pct: Decimal | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: amounts as decimal strings (as the API writes prices), None as null."""
        return {
            "qty": self.qty,
            "unit_price_cny": _text(self.unit_price_cny),
            "moq": self.moq,
            "moq_ok": self.moq_ok,
            "currency": self.currency,
            "unit_price": _text(self.unit_price),
            "sell_price": _text(self.sell_price),
            "margin": _text(self.margin),
            "margin_pct": _text(self.margin_pct),
        }


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _cents(amount: Decimal) -> Decimal | None:
    """Rounded half-up to cents; None beyond what the decimal context holds."""
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


def decide(item: Mapping[str, Any], terms: Terms, columns: Mapping[str, Any]) -> Decision:
    """The decision values of one stored match (`item`, the API's JSON) for the catalogue
    row whose columns are `columns`."""
    return decide_at(item, terms, terms.qty_for(columns), terms.sell_price_for(columns))


def decide_at(
    item: Mapping[str, Any], terms: Terms, qty: int | None, sell: Decimal | None
) -> Decision:
    """`decide`, with the row's quantity and sell price already read."""
    moq = read_moq(item)
    cny = price_at(item, qty) if qty is not None else None
    unit = None if cny is None else _cents(cny / terms.cny_per_unit)
    margin = margin_pct = None
    if unit is not None and sell is not None:
        margin = _cents(sell - unit)
        if sell != 0 and margin is not None:
            margin_pct = _cents((sell - unit) / sell * 100)
    return Decision(
        qty=qty,
        unit_price_cny=cny,
        moq=moq,
        moq_ok=None if qty is None or moq is None else qty >= moq,
        currency=terms.code,
        unit_price=unit,
        sell_price=sell,
        margin=margin,
        margin_pct=margin_pct,
    )
