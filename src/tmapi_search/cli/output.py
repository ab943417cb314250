"""Printing search results: a rich table for people; json / jsonl / csv / xlsx for programs.

Everything is read from the generated models (`tmapi_client.models.SearchItem`):
the table picks a few fields, the machine formats carry every field via `to_dict()`
(unknown fields the API adds included). CSV flattens nested objects into dotted
columns (`shop_info.location`) and writes lists as JSON.

Output survives any terminal: the machine formats are written as UTF-8 bytes whatever
the locale's encoding (a Windows console redirected to a file is cp1252), and the table
replaces what the terminal's encoding cannot show instead of crashing. The table fits
the terminal (80 columns through a pipe): one line per item, long text cut with an
ellipsis, the product shown as its offer id (a hyperlink on terminals that support
them); `wide=True` shows every column in full, product URL included.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from typing import IO, Any, Literal

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.style import Style
from rich.table import Table
from rich.text import Text
from tmapi_client.models import SearchItem, SearchItemV2
from tmapi_client.types import Unset

from tmapi_search.bulk.rows import flatten, utf8_text, write_csv
from tmapi_search.cli.console import print_whole

__all__ = [
    "FORMATS",
    "OutputFormat",
    "item_rows",
    "items_table",
    "write_items",
]

OutputFormat = Literal["table", "json", "jsonl", "csv", "xlsx"]
FORMATS: tuple[str, ...] = ("table", "json", "jsonl", "csv", "xlsx")


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
        "offer": _text(item.item_id),
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
        "offer": _text(item.item_id),
    }


Layout = Literal["wide", "full", "compact"]
_GAP = 2  # between columns
#: (least width, preferred width) of the columns that give way, per layout
_FLEX: dict[str, dict[str, tuple[int, int]]] = {
    "compact": {"title": (12, 10_000), "shop": (6, 16)},
    "full": {"title": (30, 10_000), "shop": (6, 16), "location": (8, 30)},
}
_HEADERS = {
    "number": "#",
    "title": "title",
    "price": "price ¥",
    "moq": "MOQ",
    "sales": "sold 30d/all",
    "shop": "shop",
    "location": "location",
    "factory": "factory",
    "offer": "offer",
    "url": "product URL",
}
_RIGHT = frozenset({"number", "price", "moq", "sales"})


def _keys(layout: Layout) -> list[str]:
    keys = ["number", "title", "price", "moq", "sales", "shop"]
    if layout != "compact":
        keys.append("location")
    return [*keys, "factory", "offer" if layout == "compact" else "url"]


def _widths(
    rows: list[dict[str, str]], layout: Layout, width: int, headers: dict[str, str]
) -> dict[str, int] | None:
    """Column widths that fit `width` with every fixed column whole, or None."""
    keys = _keys(layout)
    widest = {
        key: max([cell_len(headers[key]), *(cell_len(row.get(key, "")) for row in rows)])
        for key in keys
    }
    flex = _FLEX["full" if layout == "wide" else layout]
    widths = {key: widest[key] for key in keys if key not in flex}
    room = width - sum(widths.values()) - _GAP * (len(keys) - 1)
    least = {key: min(widest[key], flex[key][0]) for key in flex}
    if room < sum(least.values()):
        return None
    widths.update(least)
    room -= sum(least.values())
    # first the others up to their preferred width, then the title, then the others again
    others = [key for key in flex if key != "title"]
    order = [*((k, flex[k][1]) for k in others), ("title", widest["title"])]
    for key, cap in [*order, *((k, widest[k]) for k in others)]:
        grow = max(0, min(room, min(widest[key], cap) - widths[key]))
        widths[key] += grow
        room -= grow
    return widths


def items_table(
    items: Sequence[AnyItem],
    *,
    title: str | None = None,
    layout: Layout = "compact",
    width: int = 80,
) -> Table:
    """The items as a table, fitted to `width` columns.

    - `compact`: one line per item; title and shop cut with an ellipsis; the product as
      its offer id (a hyperlink where the terminal supports them); no location.
    - `full`: the same with the location and the whole product URL (when they fit).
    - `wide`: every column, nothing cut, whatever `width` is.
    """
    rows = [{**item_rows(item), "number": str(n)} for n, item in enumerate(items, start=1)]
    headers = dict(_HEADERS)
    if any(isinstance(item, SearchItemV2) for item in items):
        headers.update(sales="sold 90d", factory="super factory")
    if layout == "full":
        widths = _widths(rows, "full", width, headers)
        if widths is None:
            layout = "compact"
    if layout == "compact":
        widths = _widths(rows, "compact", width, headers)
    if layout == "wide":
        widths = None
    table = Table(
        title=title,
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        expand=False,
    )
    keys = _keys(layout)
    for key in keys:
        table.add_column(
            headers[key],
            justify="right" if key in _RIGHT else ("center" if key == "factory" else "left"),
            style="dim" if key == "number" else None,
            width=None if widths is None else widths[key],
            no_wrap=layout != "wide",
            overflow="fold" if layout == "wide" else "ellipsis",
        )
    for row in rows:
        link = Style(link=row["url"]) if row["url"].startswith(("http://", "https://")) else None
        cells: list[Any] = []
        for key in keys:
            text = row["offer"] or row["url"] if key == "offer" else row[key]
            style = link if key in ("offer", "url") else None
            cells.append(Text(text, style=style or ""))
        table.add_row(*cells)
    return table


def never_fail_on_characters(stream: Any) -> None:
    """Text `stream` (stdout) replaces what its encoding cannot hold instead of raising.

    A Windows console redirected to a file is cp1252: a Chinese title, a path or the
    table's `¥` would end the command with a UnicodeEncodeError. Machine formats do not
    go through here: they are written to the byte stream underneath, as UTF-8.
    """
    if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
        encoding = (stream.encoding or "").lower().replace("-", "").replace("_", "")
        if encoding not in ("utf8", "utf8sig", "utf16", "utf32"):
            stream.reconfigure(errors="replace")


def _print_table(
    console: Console, items: Sequence[AnyItem], *, title: str | None, wide: bool
) -> None:
    # a terminal (or redirect) whose encoding cannot show the text: replace, never crash
    never_fail_on_characters(console.file)
    if not wide:
        # the location and the whole product URL when they fit beside a readable title
        table = items_table(items, title=title, layout="full", width=console.width)
        console.print(table, soft_wrap=False, crop=True)
        return
    print_whole(console, items_table(items, title=title, layout="wide"), whole=True)


def write_items(
    items: Sequence[AnyItem],
    fmt: OutputFormat,
    *,
    console: Console,
    out: IO[bytes],
    title: str | None = None,
    bom: bool = False,
    wide: bool = False,
    source: str | None = None,
) -> None:
    """Print items in one of FORMATS (`table` to the rich console, others to `out`).

    `out` is a binary stream: text formats are written as UTF-8 (CSV with a byte-order
    mark first when `bom`), whatever the locale's encoding. `source` (the image searched)
    fills the xlsx's `inputs` sheet.
    """
    if fmt == "table":
        _print_table(console, items, title=title, wide=wide)
        return
    dicts = [item.to_dict() for item in items]
    if fmt == "xlsx":
        _write_xlsx(dicts, out, source)
        return
    with utf8_text(out, bom=bom and fmt == "csv") as text:
        if fmt == "json":
            text.write(json.dumps(dicts, ensure_ascii=False, indent=2) + "\n")
        elif fmt == "jsonl":
            for data in dicts:
                text.write(json.dumps(data, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            write_csv([flatten(data) for data in dicts], text)
        else:
            raise ValueError(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")


def _write_xlsx(dicts: list[dict[str, Any]], out: IO[bytes], source: str | None) -> None:
    from tmapi_search.bulk.xlsx import Sheet, write_xlsx

    rows = [flatten(data) for data in dicts]
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    items = Sheet(
        "items",
        list(columns),
        rows,
        link_columns=frozenset({"product_url", "img", "shop_info.shop_url"}),
        price_columns=frozenset(name for name in columns if "price" in name),
        id_columns=frozenset({"item_id"}),
    )
    inputs = Sheet(
        "inputs",
        ["img_url", "status", "items"],
        [{"img_url": source, "status": "ok" if rows else "no_match", "items": len(rows)}],
        link_columns=frozenset({"img_url"}),
    )
    buffer = io.BytesIO()  # a zip is written with seeks: build it, then send it
    write_xlsx([items, inputs], buffer)
    out.write(buffer.getvalue())
