"""Results as an Excel workbook (openpyxl, write-only mode: rows are streamed, not held).

Each sheet has a bold, frozen header row and an autofilter over its rows. Cells are
typed: numbers and prices are numbers (a price the API sends as text, `"19.00"`, is
written as 19.0 shown `0.00`), flags are booleans, lists and objects are JSON text.
Every text cell is a string cell -- never a formula -- and one a spreadsheet would
evaluate if retyped (`=...`, `+`, `-`, `@`, tab, CR) is also marked quote-prefixed, the
way Excel marks text typed after a `'`; its value is kept exactly. http(s) URLs in the
link columns are hyperlinks (at most 65,000 per sheet, Excel's limit being 65,530; the
rest stay plain text).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from tmapi_search.bulk.columns import is_plain_number
from tmapi_search.bulk.rows import cell_text, is_formula_like

__all__ = ["Sheet", "write_xlsx"]

MAX_LINKS_PER_SHEET = 65_000
_EXCEL_MAX_TEXT = 32_767
_EXCEL_MAX_INT = 2**53
_EXCEL_MAX_URL = 2_000
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_SPACE = re.compile(r"\s")
# characters XML 1.0 (and so .xlsx) cannot hold
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(slots=True)
class Sheet:
    """One worksheet: its name, its columns, and its rows (dicts keyed by column)."""

    title: str
    columns: Sequence[str]
    rows: Iterable[Mapping[str, Any]]
    #: columns whose http(s) URLs become hyperlinks
    link_columns: frozenset[str] = field(default_factory=frozenset)
    #: columns holding prices: decimal text is written as a number
    price_columns: frozenset[str] = field(default_factory=frozenset)
    #: columns holding identifiers: numbers shown whole (`0`), never as 8.66E+11
    id_columns: frozenset[str] = field(default_factory=frozenset)
    #: columns holding numbers as text (a catalogue's `12.5`): plain decimals written as
    #: numbers (`tmapi_search.bulk.columns.is_plain_number`), anything else as text
    number_columns: frozenset[str] = field(default_factory=frozenset)
    #: rows written (set by write_xlsx)
    written: int = 0


def _width(name: str) -> float:
    return float(min(max(len(name) + 2, 10), 40))


def write_xlsx(sheets: Sequence[Sheet], out: IO[bytes] | str) -> None:
    """Write `sheets` as one workbook to `out` (a binary stream or a path)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    link_font = Font(color="0563C1", underline="single")  # Excel's own "Hyperlink" look
    for sheet in sheets:
        ws = book.create_sheet(sheet.title[:31])
        ws.freeze_panes = "A2"
        for index, name in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(index)].width = _width(name)
        header = []
        for name in sheet.columns:
            cell = WriteOnlyCell(ws, value=_clean(name))
            cell.data_type = "s"
            cell.font = bold
            header.append(cell)
        ws.append(header)
        special = sheet.link_columns | sheet.price_columns | sheet.id_columns
        # a price that is a number: one cell per column, styled once and given each
        # row's value (write-only rows are written as they are appended)
        money = {name: _money_cell(ws) for name in sheet.price_columns}
        links = 0
        count = 0
        numbers = sheet.number_columns
        for row in sheet.rows:
            values: list[Any] = []
            for name in sheet.columns:
                value = row.get(name)
                if name in numbers and type(value) is str and is_plain_number(value):
                    value = _number(value)
                plain = _plain(value)
                if plain is not _STYLED and name not in special:
                    values.append(plain)  # most cells: a bare value, no cell object
                    continue
                if name in money and name not in sheet.link_columns:
                    number = _money(value)
                    if number is not None:
                        cell = money[name]
                        cell.value = number
                        values.append(cell)
                        continue
                cell = WriteOnlyCell(ws)
                _set(cell, value, price=name in sheet.price_columns)
                if name in sheet.id_columns and cell.data_type == "n":
                    cell.number_format = "0"
                if (
                    name in sheet.link_columns
                    and links < MAX_LINKS_PER_SHEET
                    and isinstance(value, str)
                    and value.startswith(("http://", "https://"))
                    and len(value) <= _EXCEL_MAX_URL
                    and not _SPACE.search(value)
                ):
                    cell.hyperlink = value
                    cell.font = link_font
                    links += 1
                values.append(cell)
            ws.append(values)
            count += 1
        sheet.written = count
        last = get_column_letter(max(len(sheet.columns), 1))
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
    book.save(out)


_STYLED = object()


def _money_cell(ws: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws)
    cell.number_format = "0.00"
    return cell


def _money(value: Any) -> float | Decimal | None:
    """A price as a number cell's value: a number, or decimal text; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return value if abs(value) < _EXCEL_MAX_INT else None
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return float(value)
    return None


def _number(text: str) -> int | float:
    text = text.strip()
    return float(text) if "." in text else int(text)


def _plain(value: Any) -> Any:
    """The value openpyxl can take as is (a number, a flag, safe text), or _STYLED."""
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < _EXCEL_MAX_INT else _STYLED
    text = _clean(cell_text(value))
    # openpyxl reads a leading "=" as a formula; those and other formula-like text
    # need a cell of their own (a string cell, quote-prefixed)
    return _STYLED if is_formula_like(text) or text.startswith("=") else text


def _clean(text: str) -> str:
    text = _ILLEGAL.sub("\ufffd", text)
    return text if len(text) <= _EXCEL_MAX_TEXT else text[: _EXCEL_MAX_TEXT - 1] + "\u2026"


def _set(cell: Any, value: Any, *, price: bool) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        cell.value = value
        return
    if isinstance(value, int) and abs(value) < _EXCEL_MAX_INT:
        cell.value = value
        return
    if isinstance(value, float):
        cell.value = value
        return
    if price and isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        cell.value = float(value)
        cell.number_format = "0.00"
        return
    text = _clean(cell_text(value))
    cell.value = text
    cell.data_type = "s"  # text, never a formula
    if is_formula_like(text):
        cell.quotePrefix = True
