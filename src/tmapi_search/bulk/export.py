"""`tmapi-search export`: one row per stored item, with its source image and input columns.

Each item is read back through the generated model (`SearchItem.from_dict`) and
written with `to_dict()`, so the export carries exactly the fields the contract knows
plus any unknown ones the API sent.

Our fields and the catalogue's columns live in separate namespaces, so a catalogue
column is never overwritten, whatever its name (`title`, `position`, `input_line` ...):

- jsonl: ``{"input_line": n, "position": n, "input": {"img_url", "sku", "id", <your
  columns>}, "item": {...every field...}}``
- csv / xlsx: `input_line`, `position`, then the catalogue's columns as `input.<name>`,
  then the item's fields flattened to dotted columns as `item.<field>`.
- xlsx also has an `inputs` sheet: one row per catalogue image (its status: `ok`,
  `no_match`, `failed` or `pending`; how many items it has; its error), the same images
  the items sheet draws on.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import IO, Any, Literal

from tmapi_client.models import SearchItem

from tmapi_search.bulk.rows import flatten, utf8_text, write_csv
from tmapi_search.bulk.store import ImageRecord, Store, StoredItem

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export", "item_sheet_columns"]

ExportFormat = Literal["csv", "jsonl", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl", "xlsx")

INPUT = "input."
ITEM = "item."
#: item fields written as hyperlinks / numbers / whole identifiers in xlsx
LINK_FIELDS = ("product_url", "img", "shop_info.shop_url")
ID_FIELDS = ("item_id",)


def _input_fields(image: ImageRecord) -> dict[str, Any]:
    """The catalogue's columns for one image (its own names: no field of ours in here)."""
    return {"img_url": image.img_url, "sku": image.sku, "id": image.ext_id, **image.extra}


def _item(stored: StoredItem) -> dict[str, Any]:
    return SearchItem.from_dict(stored.data).to_dict()


def _input_columns(store: Store) -> list[str]:
    return [INPUT + name for name in ("img_url", "sku", "id", *store.extra_columns())]


def _flat_input(image: ImageRecord) -> dict[str, Any]:
    return {INPUT + name: value for name, value in _input_fields(image).items()}


def _item_rows(store: Store) -> Iterator[dict[str, Any]]:
    for stored in store.iter_items():
        row: dict[str, Any] = {"input_line": stored.image.line, "position": stored.position}
        row.update(_flat_input(stored.image))
        row.update({ITEM + key: value for key, value in flatten(_item(stored)).items()})
        yield row


def item_sheet_columns(store: Store) -> list[str]:
    """The CSV/XLSX header: ours, then `input.*`, then every `item.*` seen (first pass)."""
    seen: dict[str, None] = {}
    for stored in store.iter_items():
        seen.update(dict.fromkeys(flatten(_item(stored))))
    return ["input_line", "position", *_input_columns(store), *(ITEM + k for k in seen)]


def _xlsx(store: Store, out: IO[bytes]) -> int:
    from tmapi_search.bulk.xlsx import Sheet, write_xlsx

    columns = item_sheet_columns(store)
    per_image: Counter[int] = Counter()

    def items() -> Iterator[dict[str, Any]]:
        for stored in store.iter_items():
            per_image[stored.image.id] += 1
        yield from _item_rows(store)

    def inputs() -> Iterator[dict[str, Any]]:
        for image in store.images():
            count = per_image.get(image.id, 0)
            status: str = image.status
            if image.status == "done":
                status = "ok" if count else "no_match"
            yield {
                "input_line": image.line,
                "status": status,
                "items": count,
                "error_code": image.error_class,
                "error_message": image.error_message,
                **_flat_input(image),
            }

    items_sheet = Sheet(
        "items",
        columns,
        items(),
        link_columns=frozenset(ITEM + name for name in LINK_FIELDS) | {INPUT + "img_url"},
        price_columns=frozenset(c for c in columns if c.startswith(ITEM) and "price" in c),
        id_columns=frozenset(ITEM + name for name in ID_FIELDS),
    )
    inputs_sheet = Sheet(
        "inputs",
        ["input_line", "status", "items", "error_code", "error_message", *_input_columns(store)],
        inputs(),
        link_columns=frozenset({INPUT + "img_url"}),
    )
    write_xlsx([items_sheet, inputs_sheet], out)
    return items_sheet.written


def export(store: Store, fmt: ExportFormat, out: IO[bytes], *, bom: bool = False) -> int:
    """Write every stored item to the binary stream `out` (UTF-8 text, or a workbook).

    Returns the number of items written. `bom` puts a UTF-8 byte-order mark before CSV.
    """
    if fmt == "jsonl":
        count = 0
        with utf8_text(out, bom=False) as text:
            for stored in store.iter_items():
                record = {
                    "input_line": stored.image.line,
                    "position": stored.position,
                    "input": _input_fields(stored.image),
                    "item": _item(stored),
                }
                text.write(json.dumps(record, ensure_ascii=False) + "\n")
                count += 1
        return count
    if fmt == "csv":
        with utf8_text(out, bom=bom) as text:
            return write_csv(_item_rows(store), text, columns=item_sheet_columns(store))
    if fmt == "xlsx":
        return _xlsx(store, out)
    raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
