"""`tmapi-search export`: one row per stored item, with its source image and input columns.

Each item is read back through the generated model (`SearchItem.from_dict`, or
`SearchItemV2.from_dict` for a database searched with `--api v2`) and written with
`to_dict()`, so the export carries exactly the fields the contract knows plus any
unknown ones the API sent (a v2 database: `currency`, `moq`, `price_info.sale_price`,
`shop_info.score_info.composite_score` ...). An item the model cannot read back (a
null where it expects a list) is written as stored.

- jsonl: ``{"input": {"line", "img_url", "sku", "id", <extra columns>}, "position": n,
  "item": {...every field...}}``
- csv: the input's columns first (`input_line`, `img_url`, `sku`, `id`, extra columns),
  then `position`, then the item's fields flattened to dotted columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal, TextIO

from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search.bulk.rows import flatten, write_csv
from tmapi_search.bulk.store import Store, StoredItem

__all__ = ["EXPORT_FORMATS", "ExportFormat", "export"]

ExportFormat = Literal["csv", "jsonl"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "jsonl")


def _input_fields(stored: StoredItem) -> dict[str, Any]:
    image = stored.image
    return {
        "input_line": image.line,
        "img_url": image.img_url,
        "sku": image.sku,
        "id": image.ext_id,
        **image.extra,
    }


_Model = type[SearchItem] | type[SearchItemV2]


def _model(store: Store) -> _Model:
    return SearchItemV2 if (store.params() or {}).get("api") == "v2" else SearchItem


def _item(stored: StoredItem, model: _Model = SearchItem) -> dict[str, Any]:
    try:
        return model.from_dict(stored.data).to_dict()
    except (KeyError, TypeError, ValueError, AttributeError):
        return dict(stored.data)  # kept as the API sent it (e.g. a null list)


def _csv_rows(store: Store) -> Iterator[dict[str, Any]]:
    model = _model(store)
    for stored in store.iter_items():
        row = _input_fields(stored)
        row["position"] = stored.position
        for key, value in flatten(_item(stored, model)).items():
            row[key if key not in row else f"item.{key}"] = value
        yield row


def export(store: Store, fmt: ExportFormat, out: TextIO) -> int:
    """Write every stored item to `out`; returns the number of rows written."""
    if fmt == "jsonl":
        count = 0
        model = _model(store)
        for stored in store.iter_items():
            record = {"input": _input_fields(stored), "position": stored.position}
            record["item"] = _item(stored, model)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
        return count
    if fmt == "csv":
        first = ["input_line", "img_url", "sku", "id", *store.extra_columns(), "position"]
        return write_csv(_csv_rows(store), out, first=first)
    raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
