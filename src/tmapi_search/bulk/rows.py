"""Rows for machines and spreadsheets: nested item dicts flattened to dotted columns.

Shared by `tmapi-search search` and the bulk exports, so it lives with the exporters (the
CLI imports `bulk`, never the other way round).

CSV is always UTF-8 (`utf8_text`), with a byte-order mark when it goes to a file so that
Excel reads it as UTF-8 rather than the machine's ANSI code page. Every text cell that a
spreadsheet would evaluate as a formula -- starting with `=`, `+`, `-`, `@`, a tab or a
carriage return (OWASP's CSV-injection list) -- is written with a leading `'`, which
spreadsheets show as text; headers too, the user's own columns too. Plain numbers (`-5`,
`+1.5e3`) are not formulas and stay as they are.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, TextIO

__all__ = [
    "FORMULA_PREFIXES",
    "cell_text",
    "flatten",
    "is_formula_like",
    "neutralise",
    "utf8_text",
    "write_csv",
]

#: What a spreadsheet evaluates at the start of a cell (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys; lists, empty dicts and anything else stay values."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet would evaluate `text` (a plain number is not a formula)."""
    return text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text)


def neutralise(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would evaluate it."""
    return "'" + text if is_formula_like(text) else text


def cell_text(value: Any) -> str:
    """A value as CSV text (not yet neutralised): lists and objects as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _csv_cell(value: Any) -> str:
    text = cell_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text  # numbers stay numbers
    return neutralise(text)


@contextlib.contextmanager
def utf8_text(binary: IO[bytes], *, bom: bool) -> Iterator[TextIO]:
    """A text stream over `binary` that writes UTF-8 (with a BOM first when `bom`),

    whatever the locale's encoding: the stream is flushed and detached, never closed.
    """
    text = io.TextIOWrapper(binary, encoding="utf-8-sig" if bom else "utf-8", newline="")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


def write_csv(
    rows: Iterable[Mapping[str, Any]],
    out: TextIO,
    *,
    first: Sequence[str] = (),
    columns: Sequence[str] | None = None,
) -> int:
    """Write flat rows as CSV, formula-like cells neutralised.

    With `columns`, the header is exactly those and rows are streamed; without, the
    header is `first` then the union of the rows' keys (first-seen order).
    """
    if columns is None:
        materialized = list(rows)
        header: dict[str, None] = dict.fromkeys(first)
        for row in materialized:
            header.update(dict.fromkeys(row))
        columns, rows = list(header), materialized
    # CRLF, as RFC 4180 and Excel write it; a CR or LF inside a value gets it quoted
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in columns])
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(row.get(name)) for name in columns])
        count += 1
    return count
