"""`tmapi-search export`: a complete account of the catalogue, as CSV, JSONL or a workbook.

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

Our fields and the catalogue's columns live in separate namespaces, so a catalogue
column is never overwritten, whatever its name (`title`, `status`, `input_line` ...):

- jsonl: ``{"input_line": n, "status", "error_code", "error_message", "position":
  n|null, "input": {"img_url", "sku", "id", <your columns>}, "item": {...}|null}``
- csv / xlsx: `input_line`, `status`, `error_code`, `error_message`, `position`, then
  the catalogue's columns as `input.<name>`, then the item's fields flattened to dotted
  columns as `item.<field>` (empty on a row without an item).
- xlsx also has an `inputs` sheet: one row per input row (its status, how many items
  it has, its error), the same account as the items sheet's rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, Literal

from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search.bulk.rows import flatten, utf8_text, write_csv
from tmapi_search.bulk.store import InputAccount, Store

__all__ = [
    "EXPORT_FORMATS",
    "STATUS_COLUMNS",
    "ExportFormat",
    "ExportRecord",
    "export",
    "export_records",
    "input_fields",
    "item_sheet_columns",
    "status_fields",
]

ExportFormat = Literal["csv", "jsonl", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl", "xlsx")
STATUS_COLUMNS = ("status", "error_code", "error_message")

INPUT = "input."
ITEM = "item."
#: item fields written as hyperlinks / whole identifiers in xlsx
LINK_FIELDS = ("product_url", "img", "shop_info.shop_url")
ID_FIELDS = ("item_id",)


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


def input_fields(account: InputAccount) -> dict[str, Any]:
    """The catalogue's columns for one row (its own names: no field of ours in here)."""
    return {"img_url": account.img_url, "sku": account.sku, "id": account.ext_id, **account.extra}


def status_fields(account: InputAccount) -> dict[str, Any]:
    return {
        "status": account.status,
        "error_code": account.error_code,
        "error_message": account.error_message,
    }


def _input_columns(store: Store) -> list[str]:
    return [INPUT + name for name in ("img_url", "sku", "id", *store.extra_columns())]


def _flat_input(account: InputAccount) -> dict[str, Any]:
    return {INPUT + name: value for name, value in input_fields(account).items()}


def _flat_rows(records: Iterable[ExportRecord]) -> Iterator[dict[str, Any]]:
    for record in records:
        row: dict[str, Any] = {"input_line": record.account.line}
        row.update(status_fields(record.account))
        row["position"] = record.position
        row.update(_flat_input(record.account))
        if record.item is not None:
            row.update({ITEM + key: value for key, value in flatten(record.item).items()})
        yield row


def item_sheet_columns(store: Store) -> list[str]:
    """The CSV/XLSX header: ours, then `input.*`, then every `item.*` seen (first pass)."""
    seen: dict[str, None] = {}
    for record in export_records(store):
        if record.item is not None:
            seen.update(dict.fromkeys(flatten(record.item)))
    return [
        "input_line",
        *STATUS_COLUMNS,
        "position",
        *_input_columns(store),
        *(ITEM + key for key in seen),
    ]


class _Counted:
    """Counts the records by status as a writer consumes them."""

    def __init__(self, records: Iterable[ExportRecord]) -> None:
        self._records = records
        self.by_status: Counter[str] = Counter()

    def __iter__(self) -> Iterator[ExportRecord]:
        for record in self._records:
            self.by_status[record.account.status] += 1
            yield record


def _xlsx(store: Store, records: Iterable[ExportRecord], out: IO[bytes]) -> int:
    from tmapi_search.bulk.xlsx import Sheet, write_xlsx

    columns = item_sheet_columns(store)

    def inputs() -> Iterator[dict[str, Any]]:
        for account in store.account():
            yield {
                "input_line": account.line,
                **status_fields(account),
                "items": account.item_count,
                "served_by_line": account.served_by,
                **_flat_input(account),
            }

    items_sheet = Sheet(
        "items",
        columns,
        _flat_rows(records),
        link_columns=frozenset(ITEM + name for name in LINK_FIELDS) | {INPUT + "img_url"},
        price_columns=frozenset(c for c in columns if c.startswith(ITEM) and "price" in c),
        id_columns=frozenset(ITEM + name for name in ID_FIELDS),
    )
    inputs_sheet = Sheet(
        "inputs",
        ["input_line", *STATUS_COLUMNS, "items", "served_by_line", *_input_columns(store)],
        inputs(),
        link_columns=frozenset({INPUT + "img_url"}),
    )
    write_xlsx([items_sheet, inputs_sheet], out)
    return items_sheet.written


def export(
    store: Store,
    fmt: ExportFormat,
    out: IO[bytes],
    *,
    bom: bool = False,
    counts: Counter[str] | None = None,
) -> int:
    """Write every record (`export_records`) to the binary stream `out`; returns how many.

    Text formats are UTF-8 whatever the locale; `bom` puts a byte-order mark before CSV.
    `counts`, when given, receives the number of records by status.
    """
    records = _Counted(export_records(store))
    if fmt == "jsonl":
        count = 0
        with utf8_text(out, bom=False) as text:
            for count, record in enumerate(records, start=1):  # noqa: B007
                line = {
                    "input_line": record.account.line,
                    **status_fields(record.account),
                    "position": record.position,
                    "input": input_fields(record.account),
                    "item": record.item,
                }
                text.write(json.dumps(line, ensure_ascii=False) + "\n")
    elif fmt == "csv":
        with utf8_text(out, bom=bom) as text:
            count = write_csv(_flat_rows(records), text, columns=item_sheet_columns(store))
    elif fmt == "xlsx":
        count = _xlsx(store, records, out)
    else:
        raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if counts is not None:
        counts.update(records.by_status)
    return count
