"""Suppliers: the stored matches rolled up by shop, the shops covering most inputs first.

One `Supplier` per shop (by `shop_info.member_id`; an answer without one -- the v2
search's -- by its shop URL, else its company name): the catalogue rows it matched
(`inputs`, with their SKUs), its distinct offers, the best rank it reached, its price
range at the user's quantity (`pricing`), its flags (factory, TrustPass years,
repurchase rate, location, shop URL) and each of its matches (to expand in the report).
Sorted by `inputs` (most first), then best rank, then the cheapest price.

Ads (offers the answer marks `is_ad`) are left out of the roll-up: an ad says nothing
about what a shop makes. With `top`, only matches ranked within the first `top` of their
row count.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from tmapi_search.bulk.errors import BulkError, OutputError, StorageError, UsageError
from tmapi_search.bulk.pricing import Terms
from tmapi_search.bulk.rows import neutralise
from tmapi_search.bulk.shortlist import SHORTLIST, Judged, judge_row
from tmapi_search.bulk.store import InputAccount, Store

__all__ = [
    "SUPPLIER_FORMATS",
    "Rollup",
    "Supplier",
    "SupplierMatch",
    "export_suppliers",
    "iter_judged",
    "list_suppliers",
    "write_suppliers",
]

SUPPLIER_FORMATS = ("csv", "json", "xlsx")
#: the format of an output file, by its extension
_FORMAT_BY_SUFFIX = {".csv": "csv", ".json": "json", ".xlsx": "xlsx"}


@dataclass(slots=True)
class SupplierMatch:
    """One match of a supplier's offer for one catalogue row."""

    line: int
    sku: str
    rank: int
    item_id: str | None
    title: str | None
    product_url: str | None
    unit_price_cny: Decimal | None
    unit_price: Decimal | None
    margin: Decimal | None
    score: float
    shortlist: int | None
    moq_ok: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "sku": self.sku,
            "rank": self.rank,
            "item_id": self.item_id,
            "title": self.title,
            "product_url": self.product_url,
            "unit_price_cny": _text(self.unit_price_cny),
            "unit_price": _text(self.unit_price),
            "margin": _text(self.margin),
            "moq_ok": self.moq_ok,
            "score": self.score,
            "shortlist": self.shortlist,
        }


@dataclass(slots=True)
class Supplier:
    """One shop and what it offers for the catalogue (see the module docstring)."""

    member_id: str | None
    company_name: str | None = None
    shop_url: str | None = None
    is_factory: bool | None = None
    tp_year: int | None = None
    repurchase_rate: str | None = None
    location: str | None = None
    currency: str = "CNY"
    matches: list[SupplierMatch] = field(default_factory=list)

    @property
    def lines(self) -> list[int]:
        return sorted({match.line for match in self.matches})

    @property
    def inputs(self) -> int:
        """Catalogue rows this shop matched."""
        return len({match.line for match in self.matches})

    @property
    def skus(self) -> list[str]:
        seen: dict[int, str] = {}
        for match in sorted(self.matches, key=lambda m: m.line):
            seen.setdefault(match.line, match.sku)
        return list(seen.values())

    @property
    def offers(self) -> int:
        """Distinct offers (by offer id) among its matches."""
        return len({match.item_id or f"?{id(match)}" for match in self.matches})

    @property
    def best_rank(self) -> int:
        return min(match.rank for match in self.matches)

    @property
    def shortlisted(self) -> int:
        """Its matches on an input row's shortlist."""
        return sum(1 for match in self.matches if match.shortlist is not None)

    def price_range(self, *, cny: bool = False) -> tuple[Decimal | None, Decimal | None]:
        prices = [m.unit_price_cny if cny else m.unit_price for m in self.matches]
        known = [price for price in prices if price is not None]
        return (min(known), max(known)) if known else (None, None)

    def to_dict(self, *, matches: bool = True) -> dict[str, Any]:
        """JSON-ready: the names of the issue's list, amounts as decimal strings."""
        low_cny, high_cny = self.price_range(cny=True)
        low, high = self.price_range()
        data: dict[str, Any] = {
            "member_id": self.member_id,
            "company_name": self.company_name,
            "inputs": self.inputs,
            "skus": self.skus,
            "lines": self.lines,
            "offers": self.offers,
            "best_rank": self.best_rank,
            "shortlisted": self.shortlisted,
            "price_min_cny": _text(low_cny),
            "price_max_cny": _text(high_cny),
            "currency": self.currency,
            "price_min": _text(low),
            "price_max": _text(high),
            "is_factory": self.is_factory,
            "tp_year": self.tp_year,
            "repurchase_rate": self.repurchase_rate,
            "location": self.location,
            "shop_url": self.shop_url,
        }
        if matches:
            data["matches"] = [match.to_dict() for match in self.matches]
        return data


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _obj(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def row_name(account: InputAccount) -> str:
    """How a catalogue row is named to people: its SKU, else its id, else its line."""
    return account.sku or account.ext_id or f"line {account.line}"


def _load(text: str | bytes) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return {}


def iter_judged(
    store: Store, terms: Terms, *, top: int | None = None, shortlist: int = SHORTLIST
) -> Iterator[tuple[InputAccount, list[Judged]]]:
    """Every input row with its matches priced and scored (`shortlist.judge_row`), in
    input order; streamed, one row's matches at a time. `top`: only each row's first
    `top` matches. `shortlist`: matches on each row's shortlist."""
    for account, stored in store.iter_account_texts():
        if top is not None:
            stored = stored[:top]
        matches = [(position, _load(text)) for position, text in stored]
        yield account, judge_row(matches, account.extra, terms, shortlist=shortlist)


def _shop_key(shop: Mapping[str, Any]) -> tuple[str | None, str] | None:
    member = _str(shop.get("member_id"))
    if member is not None:
        return member, member
    other = _str(shop.get("shop_url")) or _str(shop.get("company_name"))
    return None if other is None else (None, other)


def _fill(supplier: Supplier, item: Mapping[str, Any]) -> None:
    """The shop's details from one of its offers (the first offer that has each)."""
    shop = _obj(item.get("shop_info"))
    if supplier.company_name is None:
        supplier.company_name = _str(shop.get("company_name"))
    if supplier.shop_url is None:
        supplier.shop_url = _str(shop.get("shop_url"))
    if supplier.is_factory is None:
        flags = [shop.get(name) for name in ("is_factory", "is_super_factory")]
        if any(isinstance(flag, bool) for flag in flags):
            supplier.is_factory = any(flag is True for flag in flags)
    if supplier.tp_year is None:
        years = shop.get("tp_year", shop.get("shop_years"))
        if isinstance(years, int) and not isinstance(years, bool):
            supplier.tp_year = years
    if supplier.repurchase_rate is None:
        supplier.repurchase_rate = _str(shop.get("shop_repurchase_rate"))
    if supplier.location is None:
        where = shop.get("location")
        if not isinstance(where, list) or not where:
            where = _obj(item.get("delivery_info")).get("area_from")
        if isinstance(where, list):
            words = [part for part in where if isinstance(part, str) and part]
            supplier.location = ", ".join(words) or None


class Rollup:
    """Suppliers gathered one input row at a time (`add`), for a pass that also does
    something else with the rows (the workbook writes its Decisions sheet meanwhile)."""

    def __init__(self, terms: Terms) -> None:
        self.terms = terms
        self._shops: dict[str, Supplier] = {}

    def add(self, account: InputAccount, judged: Sequence[Judged]) -> None:
        for match in judged:
            if match.score.ad:
                continue
            key = _shop_key(_obj(match.item.get("shop_info")))
            if key is None:
                continue
            member, name = key
            supplier = self._shops.get(name)
            if supplier is None:
                supplier = self._shops[name] = Supplier(member_id=member, currency=self.terms.code)
            _fill(supplier, match.item)
            item_id = match.item.get("item_id")
            supplier.matches.append(
                SupplierMatch(
                    line=account.line,
                    sku=row_name(account),
                    rank=match.position + 1,
                    item_id=None if item_id is None else str(item_id),
                    title=_str(match.item.get("title")) or _str(match.item.get("title_origin")),
                    product_url=_str(match.item.get("product_url")),
                    unit_price_cny=match.decision.unit_price_cny,
                    unit_price=match.decision.unit_price,
                    margin=match.decision.margin,
                    moq_ok=match.decision.moq_ok,
                    score=match.score.total,
                    shortlist=match.score.shortlist,
                )
            )

    def suppliers(self) -> list[Supplier]:
        """The suppliers so far, in their order (see `list_suppliers`)."""
        return sorted(self._shops.values(), key=_order)


def list_suppliers(
    db: str | Path | Store, terms: Terms | None = None, *, top: int | None = None
) -> list[Supplier]:
    """The suppliers of a results database (a path, opened read-only, or an open Store),
    sorted: most inputs first, then the best rank, then the lowest price.

    `terms`: the quantity, currency and sell price the prices are computed at (checked
    against the catalogue's columns: TermsError names the option). `top`: only the
    matches ranked within the first `top` of their row. ValueError naming `--db` when
    `db` is not a results database.
    """
    if not isinstance(db, Store):
        try:
            with Store(db, readonly=True) as store:
                return list_suppliers(store, terms, top=top)
        except BulkError:
            raise
        except ValueError as error:  # not a results database
            raise UsageError(str(error)) from None
        except (sqlite3.Error, OSError) as error:
            raise StorageError(f"--db: cannot read {db}: {_cause(error)}") from error
    terms = (terms or Terms()).check(db.extra_columns())
    rollup = Rollup(terms)
    for account, judged in iter_judged(db, terms, top=top):
        rollup.add(account, judged)
    return rollup.suppliers()


def _order(supplier: Supplier) -> tuple[int, int, Decimal, str]:
    low, _ = supplier.price_range(cny=True)
    return (
        -supplier.inputs,
        supplier.best_rank,
        low if low is not None else Decimal("Infinity"),
        supplier.company_name or supplier.member_id or "",
    )


#: the flat columns of the CSV (and their readable headers in a workbook)
FLAT_COLUMNS = {
    "member_id": "Member id",
    "company_name": "Shop",
    "inputs": "Inputs",
    "skus": "SKUs",
    "offers": "Offers",
    "best_rank": "Best rank",
    "shortlisted": "On shortlists",
    "price_min_cny": "Price from (CNY)",
    "price_max_cny": "Price to (CNY)",
    "currency": "Currency",
    "price_min": "Price from",
    "price_max": "Price to",
    "is_factory": "Factory",
    "tp_year": "Years",
    "repurchase_rate": "Repurchase",
    "location": "Location",
    "shop_url": "Shop link",
}


def flat_rows(suppliers: Iterable[Supplier]) -> Iterator[dict[str, Any]]:
    """One flat dict per supplier (FLAT_COLUMNS): SKUs joined by ", "."""
    for supplier in suppliers:
        data = supplier.to_dict(matches=False)
        data["skus"] = ", ".join(data["skus"])
        yield {name: data[name] for name in FLAT_COLUMNS}


def supplier_sheet(suppliers: Iterable[Supplier], terms: Terms) -> Any:
    """The workbook's Suppliers sheet (`bulk.xlsx.Sheet`), readable headers (`suppliers`
    is read when the sheet is written)."""
    from tmapi_search.bulk.xlsx import Sheet

    headers = dict(FLAT_COLUMNS)
    headers["price_min"] = f"Price from ({terms.code})"
    headers["price_max"] = f"Price to ({terms.code})"
    columns = [name for name in FLAT_COLUMNS if name != "currency"]
    if terms.code == "CNY":
        columns = [name for name in columns if name not in ("price_min", "price_max")]
    rows = ({headers[name]: _cell(row[name]) for name in columns} for row in flat_rows(suppliers))
    titles = [headers[name] for name in columns]
    return Sheet(
        "Suppliers",
        titles,
        rows,
        link_columns=frozenset({headers["shop_url"]}),
        price_columns=frozenset(t for t in titles if t.startswith("Price")),
    )


def _cell(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def write_suppliers(
    suppliers: Sequence[Supplier], fmt: str, out: IO[bytes], *, terms: Terms | None = None
) -> None:
    """`suppliers` as CSV (flat, UTF-8), JSON (an array of `Supplier.to_dict()`) or a
    workbook (one Suppliers sheet) to the binary stream `out`."""
    if fmt == "json":
        text = json.dumps([s.to_dict() for s in suppliers], ensure_ascii=False, indent=2)
        out.write((text + "\n").encode("utf-8"))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(list(FLAT_COLUMNS))
        for row in flat_rows(suppliers):
            writer.writerow([_csv(value) for value in row.values()])
        out.write(buffer.getvalue().encode("utf-8"))
    elif fmt == "xlsx":
        from tmapi_search.bulk.xlsx import write_xlsx

        write_xlsx([supplier_sheet(suppliers, terms or Terms())], out)
    else:
        raise ValueError(f"--format: must be one of {', '.join(SUPPLIER_FORMATS)}, got {fmt!r}")


def export_suppliers(
    db: str | Path,
    out: str | Path | IO[bytes],
    *,
    format: str | None = None,
    terms: Terms | None = None,
    top: int | None = None,
    force: bool = False,
) -> list[Supplier]:
    """Write the suppliers of `db` (`list_suppliers`) to `out`: a path (written
    atomically; never over the database or a SQLite file, nor over an existing file
    without `force`) or a binary stream. `format`: csv, json or xlsx (default: from the
    path's extension, which must name one; a stream: json). Returns the suppliers
    written.

    Raises `UsageError` naming the option (`--db`, a terms option; `OutputError`: `--out`
    refused) or `StorageError` (a file cannot be read or written).
    """
    from tmapi_search.bulk.atomic import (
        OutputRefusedError,
        atomic_write,
        check_output,
        format_from_name,
    )

    target = None if not isinstance(out, str | Path) else Path(out)
    try:
        format = format_from_name(target, format, _FORMAT_BY_SUFFIX, "json")
    except ValueError as error:
        raise UsageError(str(error)) from None
    if target is not None:
        try:
            check_output(target, Path(db), force=force)
        except OutputRefusedError as error:
            raise OutputError(str(error)) from None
    found = list_suppliers(db, terms, top=top)
    terms = (terms or Terms()).check()
    try:
        if target is None:
            write_suppliers(found, format, out, terms=terms)  # type: ignore[arg-type]
            return found
        with atomic_write(target, binary=True, force=force) as handle:
            write_suppliers(found, format, handle, terms=terms)
    except FileExistsError:
        raise OutputError(f"--out: {target} exists; add --force to replace it") from None
    except OSError as error:
        where = target if target is not None else "the stream"
        raise StorageError(f"--out: cannot write {where}: {_cause(error)}") from error
    return found


def _cause(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return neutralise(str(value))
