"""Rows for machines: nested item dicts flattened to dotted columns, written as CSV.

Shared by `tmapi-search search --format csv` and the bulk exports, so it lives with the
exporters (the CLI imports `bulk`, never the other way round).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

__all__ = ["flatten", "write_csv"]


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys; lists and anything else stay values."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested = flatten(value, name + ".")
            if nested:
                flat.update(nested)
            else:
                flat[name] = {}
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def write_csv(rows: Iterable[Mapping[str, Any]], out: TextIO, *, first: Sequence[str] = ()) -> int:
    """Write flat rows as CSV; the header is the union of keys (first-seen order)."""
    materialized = list(rows)
    header: dict[str, None] = dict.fromkeys(first)
    for row in materialized:
        header.update(dict.fromkeys(row))
    writer = csv.DictWriter(out, fieldnames=list(header), lineterminator="\n")
    writer.writeheader()
    for row in materialized:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return len(materialized)
