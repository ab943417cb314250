"""Printing search results: a rich table for people, json / jsonl / csv for programs.

Everything is read from the generated models (`tmapi_client.models.SearchItem`):
the table picks a few fields, the machine formats carry every field via `to_dict()`
(unknown fields the API adds included). CSV flattens nested objects into dotted
columns (`shop_info.location`) and writes lists as JSON.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import Any, Literal, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text
from tmapi_client.models import SearchItem, SearchItemV2
from tmapi_client.types import Unset

from tmapi_search.bulk.rows import flatten, write_csv

__all__ = [
    "FORMATS",
    "OutputFormat",
    "item_rows",
    "items_table",
    "write_items",
]

OutputFormat = Literal["table", "json", "jsonl", "csv"]
FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv")


def _value(value: Any) -> Any:
    return None if isinstance(value, Unset) else value


def _text(value: Any) -> str:
    value = _value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(part) for part in value if part not in (None, ""))
    return str(value)


AnyItem = SearchItem | SearchItemV2


def item_rows(item: AnyItem) -> dict[str, str]:
    """The table's columns for one item (title, price, MOQ, sales, shop, factory, URL)."""
    if isinstance(item, SearchItemV2):
        return _item_rows_v2(item)
    sale = _value(item.sale_info)
    shop = _value(item.shop_info)
    delivery = _value(item.delivery_info)
    location = _value(shop.location) if shop is not None else None
    if not location and delivery is not None:
        location = _value(delivery.area_from)
    month = _text(sale.sale_quantity_month) if sale is not None else ""
    total = _text(sale.sale_quantity) if sale is not None else ""
    return {
        "title": _text(item.title),
        "price": _text(item.price),
        "moq": _text(item.quantity_begin),
        "sales": f"{month or '-'} / {total or '-'}",
        "shop": _text(shop.company_name) if shop is not None else "",
        "location": _text(location),
        "factory": _text(shop.is_factory) if shop is not None else "",
        "url": _text(item.product_url),
    }


def _item_rows_v2(item: SearchItemV2) -> dict[str, str]:
    """The v2 item's columns: 90-day sales, the MOQ (or "1" for one-piece orders)."""
    sale = _value(item.sale_info)
    shop = _value(item.shop_info)
    delivery = _value(item.delivery_info)
    moq = _text(item.moq) or ("1" if _value(item.one_piece_min_order) is True else "")
    return {
        "title": _text(item.title),
        "price": _text(item.price),
        "moq": moq,
        "sales": _text(sale.sale_quantity_90days) if sale is not None else "",
        "shop": _text(shop.company_name) if shop is not None else "",
        "location": _text(delivery.area_from) if delivery is not None else "",
        "factory": _text(shop.is_super_factory) if shop is not None else "",
        "url": _text(item.product_url),
    }


def items_table(items: Sequence[AnyItem], *, title: str | None = None) -> Table:
    rows = [item_rows(item) for item in items]
    v2 = any(isinstance(item, SearchItemV2) for item in items)
    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("title", overflow="fold", max_width=48)
    table.add_column("price ¥", justify="right", no_wrap=True)
    table.add_column("MOQ", justify="right", no_wrap=True)
    table.add_column("sold 90d" if v2 else "sold 30d/all", justify="right", no_wrap=True)
    table.add_column("shop", overflow="fold", max_width=24)
    table.add_column("location", overflow="fold", max_width=24)
    table.add_column("super factory" if v2 else "factory", justify="center", no_wrap=True)
    table.add_column("product URL", overflow="fold")
    for number, row in enumerate(rows, start=1):
        table.add_row(
            str(number),
            Text(row["title"]),
            row["price"],
            row["moq"],
            row["sales"],
            Text(row["shop"]),
            Text(row["location"]),
            row["factory"],
            Text(row["url"], style=f"link {row['url']}" if row["url"] else ""),
        )
    return table


def write_items(
    items: Sequence[AnyItem],
    fmt: OutputFormat,
    *,
    console: Console,
    out: TextIO,
    title: str | None = None,
) -> None:
    """Print items in one of FORMATS (`table` to the rich console, others to `out`)."""
    if fmt == "table":
        console.print(items_table(items, title=title))
        return
    dicts = [item.to_dict() for item in items]
    if fmt == "json":
        out.write(json.dumps(dicts, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "jsonl":
        for data in dicts:
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        write_csv([flatten(data) for data in dicts], buffer)
        out.write(buffer.getvalue())
    else:
        raise ValueError(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
