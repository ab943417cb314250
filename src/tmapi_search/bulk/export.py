"""`tmapi-search export`: a complete account of the catalogue, as CSV or JSONL.

Which records exist is decided in one place, `export_records(store)`, separate from the
format writers (which only lay them out):

- one record per stored item of an input row (`status` `ok`), in input order then
  result order;
- one record for each input row without items: `no_match` (searched, nothing found),
  `failed` (with `error_code`, the error's class, and `error_message`) or `pending` (not
  searched yet; the code and message say why when a call was tried).

Each item is read back through the generated model (`SearchItem.from_dict`) and
written with `to_dict()`, so the export carries exactly the fields the contract knows
plus any unknown ones the API sent.

- jsonl: ``{"input": {"input_line", "img_url", "sku", "id", <extra columns>},
  "status", "error_code", "error_message", "position": n|null, "item": {...}|null}``
- csv: the input's columns first (`input_line`, `img_url`, `sku`, `id`, extra columns),
  then `status`, `error_code`, `error_message`, `position`, then the item's fields
  flattened to dotted columns (empty on a row without an item).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, TextIO

from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search.bulk.rows import flatten, write_csv
from tmapi_search.bulk.store import InputAccount, Store

__all__ = [
    "EXPORT_FORMATS",
    "STATUS_COLUMNS",
    "ExportFormat",
    "ExportRecord",
    "export",
    "export_records",
    "input_fields",
    "status_fields",
]

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl")
STATUS_COLUMNS = ("status", "error_code", "error_message")


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One record of the export: an input row, and one of its items (or None)."""

    account: InputAccount
    position: int | None
    item: dict[str, Any] | None
    """The item as `SearchItem.from_dict(...).to_dict()` (`SearchItemV2` for a database
    searched with `--api v2`: its v2 fields, `currency`, `moq`, `price_info.sale_price`,
    `shop_info.score_info.composite_score` ...); None for a row without items. An item the
    model cannot read back (a null where it expects a list) is kept as stored."""


def _read_back(model: type[SearchItem] | type[SearchItemV2], data: dict[str, Any]) -> Any:
    try:
        return model.from_dict(data).to_dict()
    except (KeyError, TypeError, ValueError, AttributeError):
        return dict(data)  # kept as the API sent it


def export_records(store: Store) -> Iterator[ExportRecord]:
    """Every record an export holds, in input order: one per item, one per itemless row."""
    v2 = (store.params() or {}).get("api") == "v2"
    model: type[SearchItem] | type[SearchItemV2] = SearchItemV2 if v2 else SearchItem
    for account, position, data in store.iter_account_items():
        item = None if data is None else _read_back(model, data)
        yield ExportRecord(account, position, item)


def input_fields(record: ExportRecord) -> dict[str, Any]:
    account = record.account
    return {
        "input_line": account.line,
        "img_url": account.img_url,
        "sku": account.sku,
        "id": account.ext_id,
        **account.extra,
    }


def status_fields(record: ExportRecord) -> dict[str, Any]:
    account = record.account
    return {
        "status": account.status,
        "error_code": account.error_code,
        "error_message": account.error_message,
    }


def _csv_rows(records: Iterable[ExportRecord]) -> Iterator[dict[str, Any]]:
    for record in records:
        row = input_fields(record)
        for key, value in status_fields(record).items():
            row[key if key not in row else f"export.{key}"] = value
        row["position"] = record.position
        if record.item is not None:
            for key, value in flatten(record.item).items():
                row[key if key not in row else f"item.{key}"] = value
        yield row


class _Counted:
    """Counts the records by status as a writer consumes them."""

    def __init__(self, records: Iterable[ExportRecord]) -> None:
        self._records = records
        self.by_status: Counter[str] = Counter()

    def __iter__(self) -> Iterator[ExportRecord]:
        for record in self._records:
            self.by_status[record.account.status] += 1
            yield record


def export(
    store: Store, fmt: ExportFormat, out: TextIO, *, counts: Counter[str] | None = None
) -> int:
    """Write every record (`export_records`) to `out`; returns the number written.

    `counts`, when given, receives the number of records by status.
    """
    records = _Counted(export_records(store))
    if fmt == "jsonl":
        count = 0
        for count, record in enumerate(records, start=1):  # noqa: B007
            line = {
                "input": input_fields(record),
                **status_fields(record),
                "position": record.position,
                "item": record.item,
            }
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        first = [
            "input_line",
            "img_url",
            "sku",
            "id",
            *store.extra_columns(),
            *STATUS_COLUMNS,
            "position",
        ]
        count = write_csv(_csv_rows(records), out, first=first)
    else:
        raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if counts is not None:
        counts.update(records.by_status)
    return count
