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

Streamed, in constant memory whatever the size: the rows come from one cursor
(`Store.iter_account_texts`: one input row and its items at a time), nothing holds the
result set. CSV is written in one pass: the body goes to a temporary file (in
`spool_dir`, next to the output for `--out`) while the `item.*` columns are collected,
then the header and the body are copied to the output; in the rare case where an item
brings a column after the first item row, the rows written before are padded then.
The workbook takes a first pass for its header (openpyxl cannot write it last).

Fast path (same output): the runner stores each item as the model's `to_dict()`, and
`from_dict(...).to_dict()` of such a dict is that dict again (an identity: tested over
every spec example, v1 and v2, with unknown fields). What the round trip does to an item
depends only on its structure (the order of the keys of every object, and which values
are objects or lists), never on its scalar values, so it is tried once per structure
(`_Items`) and, where it is an identity, skipped for every other item of that structure;
the JSON text is then copied into the JSONL line as stored. Items of any other structure
(an older writer, keys in another order, odd nested lists) keep the round trip.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import compress
from pathlib import Path
from typing import IO, Any, Literal

from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search.bulk.rows import FORMULA_PREFIXES, flatten, neutralise, utf8_text
from tmapi_search.bulk.rows import _csv_cell as _slow_csv_cell
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

Model = type[SearchItem] | type[SearchItemV2]


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


def _read_back(model: Model, data: Any) -> Any:
    try:
        return model.from_dict(data).to_dict()
    except (KeyError, TypeError, ValueError, AttributeError):
        return dict(data)  # kept as the API sent it


# -- reading stored items ---------------------------------------------------------------
def _make_loads() -> tuple[Callable[[str], Any], bool]:
    """orjson where installed, else json; and whether it is orjson."""
    try:
        import orjson  # optional dependency
    except ImportError:  # pragma: no cover - depends on the install
        return json.loads, False
    fast, error = orjson.loads, orjson.JSONDecodeError

    def loads(text: str) -> Any:
        try:
            return fast(text)
        except error:  # what orjson refuses (NaN, lone surrogates ...): as json reads it
            return json.loads(text)

    return loads, True


_loads, _ORJSON = _make_loads()
#: orjson reads an integer beyond 64 bits as a float (json keeps it whole): text with a
#: float in it and a run of 19 digits is read again by json
_LONG_DIGITS = re.compile(r"[0-9]{19}").search


class _Unsafe(Exception):
    """A structure whose round trip can depend on values: always do the round trip."""


_CONTAINERS = frozenset({dict, list})


def _shape(data: dict[str, Any]) -> Any:
    """The structure of a JSON object: its keys in order, the type of each value, and
    the shape of every object or list value. The model round trip depends on nothing
    else (the generated `from_dict` passes scalars through untouched)."""
    types = tuple(map(type, data.values()))
    if not _CONTAINERS.intersection(types):
        return (tuple(data), types)
    nested = tuple(
        _shape(value) if type(value) is dict else _list_shape(value)
        for value in compress(data.values(), map(_CONTAINERS.__contains__, types))
    )
    return (tuple(data), types, nested)


def _list_shape(values: list[Any]) -> Any:
    kinds = set(map(type, values))
    if list in kinds or (str in kinds and "" in values):
        # dict() of a list of pairs, or of "", succeeds: a value-dependent round trip
        raise _Unsafe
    if dict in kinds:
        kinds.discard(dict)
        kinds.update(_shape(value) for value in values if type(value) is dict)
    return frozenset(kinds)


def _has_float(shape: Any) -> bool:
    if shape is float:
        return True
    if isinstance(shape, tuple | frozenset):
        return any(_has_float(part) for part in shape)
    return False


def _flat_values(data: dict[str, Any], out: list[Any]) -> list[Any]:
    """The values of `flatten(data)`, in its order (its keys depend on the shape only)."""
    for value in data.values():
        if type(value) is dict and value:
            _flat_values(value, out)
        else:
            out.append(value)
    return out


@dataclass(slots=True)
class _Shape:
    identity: bool
    """`from_dict(...).to_dict()` gives the item back unchanged, key order included."""
    splice: bool
    """...and the stored text is `json.dumps(item, ensure_ascii=False)` (checked on the
    first item of this shape; `save_done` writes it so)."""
    floats: bool
    """The item has a float (orjson reads a >64-bit integer as one: see `_LONG_DIGITS`)."""
    keys: list[str]
    """`flatten` of the item as exported: its dotted keys, in order."""
    columns: list[int] | None = None
    """Where each of `keys` goes in the CSV row (set by the CSV writer)."""
    dense: bool = False
    """`columns` are the first item columns, in order (the row is extended as is)."""


_MAX_SHAPES = 10_000


class _Items:
    """Reads stored items as the export writes them: `model.from_dict(...).to_dict()`."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.shapes: dict[Any, _Shape] = {}

    def read(self, text: str) -> tuple[Any, _Shape]:
        data = _loads(text)
        if type(data) is not dict:
            return self._slow(json.loads(text))
        try:
            key = _shape(data)
        except _Unsafe:
            return self._slow(json.loads(text))
        shape = self.shapes.get(key)
        if shape is None:
            floats = _ORJSON and _has_float(key)
            if floats and _LONG_DIGITS(text):
                return self._slow(json.loads(text))
            item = _read_back(self.model, data)
            same = json.dumps(item, ensure_ascii=False) == json.dumps(data, ensure_ascii=False)
            shape = _Shape(
                identity=same,
                splice=same and json.dumps(data, ensure_ascii=False) == text,
                floats=floats,
                keys=list(flatten(item)),
            )
            if len(self.shapes) < _MAX_SHAPES:
                self.shapes[key] = shape
            return item, shape
        if shape.floats and _LONG_DIGITS(text):
            return self._slow(json.loads(text))
        if shape.identity:
            return data, shape
        return _read_back(self.model, data), shape

    def _slow(self, data: Any) -> tuple[Any, _Shape]:
        """The round trip for this item alone (read by json, nothing remembered)."""
        item = _read_back(self.model, data)
        return item, _Shape(False, False, False, list(flatten(item)))


def _model(store: Store) -> Model:
    return SearchItemV2 if (store.params() or {}).get("api") == "v2" else SearchItem


def export_records(store: Store) -> Iterator[ExportRecord]:
    """Every record an export holds, in input order: one per item, one per itemless row."""
    items = _Items(_model(store))
    for account, stored in store.iter_account_texts():
        if not stored:
            yield ExportRecord(account, None, None)
        for position, text in stored:
            yield ExportRecord(account, position, items.read(text)[0])


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


def _item_keys(store: Store, items: _Items) -> dict[str, None]:
    """Every `item.*` column, in first-seen order (a pass over the items)."""
    seen: dict[str, None] = {}
    known: set[int] = set()
    for _, stored in store.iter_account_texts():
        for _, text in stored:
            shape = items.read(text)[1]
            if id(shape) not in known:
                known.add(id(shape))
                seen.update(dict.fromkeys(ITEM + key for key in shape.keys))
    return seen


def item_sheet_columns(store: Store) -> list[str]:
    """The CSV/XLSX header: ours, then `input.*`, then every `item.*` seen (first pass)."""
    return _columns(store, _item_keys(store, _Items(_model(store))))


def _columns(store: Store, item_keys: Iterable[str]) -> list[str]:
    return ["input_line", *STATUS_COLUMNS, "position", *_input_columns(store), *item_keys]


# -- JSONL ---------------------------------------------------------------------------------
def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _jsonl(store: Store, out: IO[bytes], by_status: Counter[str]) -> int:
    """`{"input_line", "status", "error_code", "error_message", "position", "input", "item"}`

    per line, exactly as `json.dumps(line, ensure_ascii=False)` writes it.
    """
    items = _Items(_model(store))
    count = 0
    with utf8_text(out, bom=False) as text:
        write = text.write
        for account, stored in store.iter_account_texts():
            head = _dumps(status_fields(account))[1:-1]
            head = f'{{"input_line": {_dumps(account.line)}, {head}, "position": '
            middle = f', "input": {_dumps(input_fields(account))}, "item": '
            by_status[account.status] += max(len(stored), 1)
            if not stored:
                write(f"{head}null{middle}null}}\n")
                count += 1
                continue
            for position, data in stored:
                item, shape = items.read(data)
                if not (shape.splice and "\\u" not in data):
                    data = _dumps(item)
                write(f"{head}{position}{middle}{data}}}\n")
            count += len(stored)
    return count


# -- CSV -----------------------------------------------------------------------------------
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


def _make_encode() -> Callable[[Any], str]:
    """`json.dumps(value, ensure_ascii=False)`, without building an encoder per call."""
    from json import encoder

    make = getattr(encoder, "c_make_encoder", None)
    if make is None:  # pragma: no cover - a Python without json's C speed-ups
        return json.JSONEncoder(ensure_ascii=False).encode
    # the arguments `json.JSONEncoder(ensure_ascii=False).iterencode` passes (no
    # circular-reference markers: stored JSON has no cycles)
    chunks = make(None, None, encoder.encode_basestring, None, ": ", ", ", False, False, True)
    join = "".join

    def encode(value: Any) -> str:
        return join(chunks(value, 0))

    return encode


_encode = _make_encode()


def _csv_cell(value: Any) -> str:
    """`rows._csv_cell(value)`, the common types inline."""
    kind = type(value)
    if kind is str:
        return neutralise(value) if value[:1] in _FORMULA_FIRST else value
    if kind is int or kind is float:
        return str(value)  # numbers stay numbers
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is dict:
        return _encode(value)  # starts with [ or {: never formula-like
    return _slow_csv_cell(value)


def _csv(
    store: Store,
    out: IO[bytes],
    by_status: Counter[str],
    *,
    bom: bool,
    spool_dir: Path | None,
) -> int:
    items = _Items(_model(store))
    fixed = _columns(store, ())
    inputs = [name[len(INPUT) :] for name in fixed if name.startswith(INPUT)]
    width = len(fixed)
    item_columns: dict[str, int] = {}  # `item.*` name -> index in the row
    grew_after_first = False
    count = 0
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        body = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=False)
        writer = csv.writer(body, lineterminator="\r\n")
        writerow = writer.writerow
        for account, stored in store.iter_account_texts():
            values = input_fields(account)
            head = [
                str(account.line),
                _csv_cell(account.status),
                _csv_cell(account.error_code),
                _csv_cell(account.error_message),
            ]
            cells = [_csv_cell(values.get(name)) for name in inputs]
            by_status[account.status] += max(len(stored), 1)
            if not stored:
                writerow([*head, "", *cells, *([""] * len(item_columns))])
                count += 1
                continue
            for position, data in stored:
                item, shape = items.read(data)
                where = shape.columns
                if where is None:
                    for key in shape.keys:
                        if ITEM + key not in item_columns:
                            item_columns[ITEM + key] = width + len(item_columns)
                            grew_after_first = grew_after_first or count > 0
                    where = [item_columns[ITEM + key] for key in shape.keys]
                    shape.columns = where
                    shape.dense = where == list(range(width, width + len(where)))
                flat = _flat_values(item, [])
                row = [*head, str(position), *cells]
                if shape.dense:
                    row.extend(map(_csv_cell, flat))
                    if len(where) < len(item_columns):
                        row.extend([""] * (len(item_columns) - len(where)))
                else:
                    row.extend([""] * len(item_columns))
                    for index, value in zip(where, flat, strict=True):
                        row[index] = _csv_cell(value)
                writerow(row)
            count += len(stored)
        body.flush()
        body.detach()
        spool.seek(0)
        columns = [*fixed, *item_columns]
        with utf8_text(out, bom=bom) as text:
            header = csv.writer(text, lineterminator="\r\n")
            header.writerow([neutralise(name) for name in columns])
            if not grew_after_first:
                text.flush()
                shutil.copyfileobj(spool, out, 1 << 20)
            else:  # pad the rows written before the last column appeared
                reader = csv.reader(io.TextIOWrapper(spool, encoding="utf-8", newline=""))
                for cells in reader:
                    header.writerow(cells + [""] * (len(columns) - len(cells)))
    return count


# -- XLSX ----------------------------------------------------------------------------------
def _xlsx(store: Store, out: IO[bytes], by_status: Counter[str]) -> int:
    from tmapi_search.bulk.xlsx import Sheet, write_xlsx

    items = _Items(_model(store))
    columns = _columns(store, _item_keys(store, items))

    def rows() -> Iterator[dict[str, Any]]:
        for account, stored in store.iter_account_texts():
            row: dict[str, Any] = {"input_line": account.line}
            row.update(status_fields(account))
            row["position"] = None
            row.update(_flat_input(account))
            by_status[account.status] += max(len(stored), 1)
            if not stored:
                yield row
            for position, data in stored:
                item, shape = items.read(data)
                full = dict(row, position=position)
                full.update(
                    zip([ITEM + key for key in shape.keys], _flat_values(item, []), strict=True)
                )
                yield full

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
        rows(),
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
    spool_dir: str | Path | None = None,
) -> int:
    """Write every record (`export_records`) to the binary stream `out`; returns how many.

    Text formats are UTF-8 whatever the locale; `bom` puts a byte-order mark before CSV.
    `counts`, when given, receives the number of records by status. `spool_dir`: where
    CSV's temporary body goes (default: the system's temporary folder); give the
    output's folder so that it takes no room elsewhere.
    """
    by_status: Counter[str] = Counter()
    if fmt == "jsonl":
        count = _jsonl(store, out, by_status)
    elif fmt == "csv":
        spool = None if spool_dir is None else Path(spool_dir)
        count = _csv(store, out, by_status, bom=bom, spool_dir=spool)
    elif fmt == "xlsx":
        count = _xlsx(store, out, by_status)
    else:
        raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if counts is not None:
        counts.update(by_status)
    return count
