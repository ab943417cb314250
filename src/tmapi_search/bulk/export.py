"""`tmapi-search export`: a complete account of the catalogue, as CSV, JSONL or a workbook.

Which records an export holds (every writer writes the same ones, from
`Store.iter_account_texts`):

- one record per stored item of an input row (`status` `ok`), in input order then
  result order;
- one record for each input row without items: `no_match` (searched, nothing found),
  `failed` (with `error_code`, the error's class, and `error_message`) or `pending` (not
  searched yet; the code and message say why when a call was tried).
- a `failed` or `pending` row whose search stopped after some of its pages were stored
  (several pages per image: each page is stored as it comes) has one record per stored
  item instead, with that status, code and message: those items were paid for.

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
every spec example, v1 and v2, with unknown fields). The round trip only reorders keys
(unknown fields first, then the model's fields in its order, at the item and at each
nested model) and passes values through, so where an item's keys are already in that
order (`_Spec.canonical`, checked once per key order) the round trip is skipped, and for
JSONL the stored text is copied into the line as it is (when it is `json.dumps`'s own
text: checked). Any other item (an older writer, keys in another order, odd values where
the model expects objects) keeps the round trip. orjson reads the items when installed;
an item with a float beyond 64-bit range (orjson's reading of a huge integer) is read
again by json.

JSONL is built as bytes: the items are read as the UTF-8 SQLite stores
(`Store.iter_account_bytes`), parsed by orjson from those bytes, and copied into the
line as they are. CSV writes the common items through a cell writer compiled once per
item layout (`bulk/_flatcsv.py`: no per-cell Python calls, text cells checked for
quotes and formula prefixes in one probe); anything else takes the general path below.
Both are tested byte for byte against the export as it was before streaming.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search.bulk._flatcsv import FlatWriter
from tmapi_search.bulk.rows import FORMULA_PREFIXES, neutralise, utf8_text
from tmapi_search.bulk.rows import _csv_cell as _slow_csv_cell
from tmapi_search.bulk.store import InputAccount, Part, Store

__all__ = [
    "EXPORT_FORMATS",
    "STATUS_COLUMNS",
    "ExportFormat",
    "export",
    "format_for",
    "input_fields",
    "status_fields",
]

ExportFormat = Literal["csv", "tsv", "jsonl", "xlsx"]
EXPORT_FORMATS: tuple[str, ...] = ("csv", "tsv", "jsonl", "xlsx")
#: the format of an output file, by its extension
FORMAT_BY_SUFFIX = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".xlsx": "xlsx"}


def format_for(out: str | Path | None, fmt: str | None = None) -> ExportFormat:
    """The format to write `out` in: `fmt` when given, else the one its extension names.

    ValueError (naming `--format` or `--out`) when `fmt` contradicts the extension (a
    CSV inside `results.xlsx`), when an extension names no format and `fmt` is not
    given, or when `fmt` is not a format. Standard output (`out` None or "-"): `fmt`,
    else CSV.
    """
    if fmt is not None:
        fmt = fmt.lower()
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if out is None or str(out) == "-":
        return _as_format(fmt or "csv")
    suffix = Path(out).suffix.lower()
    named = FORMAT_BY_SUFFIX.get(suffix)
    if named is None:
        if fmt is None:
            known = ", ".join(FORMAT_BY_SUFFIX)
            raise ValueError(
                f"--out: {out} names no format ({suffix or 'no extension'}; known: {known}); "
                "give --format csv|tsv|jsonl|xlsx, or name the file for its format"
            )
        return _as_format(fmt)
    if fmt is not None and fmt != named:
        raise ValueError(
            f"--format {fmt} contradicts --out {out} (a {suffix} file is {named}); "
            f"drop --format, or name the file .{fmt}"
        )
    return _as_format(named)


def _as_format(name: str) -> ExportFormat:
    assert name in EXPORT_FORMATS
    return name  # type: ignore[return-value]


STATUS_COLUMNS = ("status", "error_code", "error_message")

INPUT = "input."
ITEM = "item."
#: item fields written as hyperlinks / whole identifiers in xlsx
LINK_FIELDS = ("product_url", "img", "shop_info.shop_url")
ID_FIELDS = ("item_id",)

Model = type[SearchItem] | type[SearchItemV2]


def _read_back(model: Model, data: Any) -> Any:
    try:
        return model.from_dict(data).to_dict()
    except (KeyError, TypeError, ValueError, AttributeError):
        return dict(data)  # kept as the API sent it


# -- reading stored items ---------------------------------------------------------------
def _make_loads() -> tuple[Callable[[str | bytes], Any], bool]:
    """orjson where installed, else json; and whether it is orjson. Reads text, or the
    UTF-8 bytes SQLite stores (orjson reads them as they are: no str made first)."""
    try:
        import orjson  # optional dependency
    except ImportError:  # pragma: no cover - depends on the install
        return json.loads, False
    fast, error = orjson.loads, orjson.JSONDecodeError

    def loads(text: str | bytes) -> Any:
        try:
            return fast(text)
        except error:  # what orjson refuses (NaN, lone surrogates ...): as json reads it
            return json.loads(text)

    return loads, True


_loads, _ORJSON = _make_loads()
#: orjson reads an integer beyond 64 bits as a float (json keeps it whole): an item with
#: a float this big is read again by json (`_exact`)
_BIG = float(2**63)


def _never(value: Any) -> bool:
    return False


def _has_big_float(value: Any) -> bool:
    kind = type(value)
    if kind is float:
        return not -_BIG < value < _BIG  # NaN too: harmless, json reads it the same
    if kind is dict:
        return any(map(_has_big_float, value.values()))
    if kind is list:
        return any(map(_has_big_float, value))
    return False


class _Spec:
    """What the round trip of a generated model does with an object's keys.

    `from_dict` pops the fields it knows and keeps the rest, in order, as
    `additional_properties`; `to_dict` writes those first, then the known fields in the
    model's order; scalar values pass through untouched; an object or a list of objects
    at a field of a nested model goes through that model the same way (and anything the
    model cannot read is kept as it is). So the round trip is an identity exactly when,
    at the item and at each nested model, the unknown keys come first and the known ones
    follow in the model's order: `canonical` checks that (a key order is checked once,
    then remembered), and answers False (the round trip is then done) wherever it
    cannot tell cheaply.
    """

    def __init__(self, model: type[Any]) -> None:
        import typing

        import attrs

        fields = [f for f in attrs.fields(model) if f.init]
        # the JSON names, in to_dict's order: every field set to a value it passes as is
        names = list(model(**{f.name: [] for f in fields}).to_dict())
        if len(names) != len(fields):  # pragma: no cover - a generator change
            raise RuntimeError(f"cannot read the fields of {model.__name__}")
        self.order = {name: index for index, name in enumerate(names)}
        hints = typing.get_type_hints(model)
        #: JSON name -> (the nested model's spec, whether the field is a list of them)
        self.nested: dict[str, tuple[_Spec, bool]] = {}
        for name, f in zip(names, fields, strict=True):
            for arg in typing.get_args(hints[f.name]) or (hints[f.name],):
                if attrs.has(arg):
                    self.nested[name] = (_Spec(arg), False)
                elif typing.get_origin(arg) is list and attrs.has(typing.get_args(arg)[0]):
                    self.nested[name] = (_Spec(typing.get_args(arg)[0]), True)
        self._verdicts: dict[tuple[str, ...], tuple[bool, tuple[str, ...]]] = {}

    def _verdict(self, keys: tuple[str, ...]) -> tuple[bool, tuple[str, ...]]:
        verdict = self._verdicts.get(keys)
        if verdict is None:
            known = [self.order[key] for key in keys if key in self.order]
            unknown_first = all(key not in self.order for key in keys[: len(keys) - len(known)])
            verdict = (
                unknown_first and known == sorted(known),
                tuple(key for key in keys if key in self.nested),
            )
            if len(self._verdicts) < _MAX_SHAPES:
                self._verdicts[keys] = verdict
        return verdict

    def canonical(self, data: dict[str, Any]) -> bool:
        ordered, nested = self._verdict(tuple(data))
        if not ordered:
            return False
        for key in nested:
            value = data[key]
            spec, is_list = self.nested[key]
            if is_list:
                if not spec.list_canonical(value):
                    return False
            elif type(value) is dict and not spec.canonical(value):
                return False
        return True

    def list_canonical(self, value: Any) -> bool:
        """`canonical` for a list of this model (the value of a field holding a list of them)."""
        if type(value) is not list:
            return False  # e.g. "" reads as an empty list: let the model say
        for element in value:
            if type(element) is dict:
                if not self.canonical(element):
                    return False
            elif type(element) is list or element == "":
                return False  # dict() of these succeeds: let the model say
        return True


_MAX_SHAPES = 10_000


class _Items:
    """Reads stored items as the export writes them: `model.from_dict(...).to_dict()`,

    without the round trip where it is an identity (`_Spec.canonical`).
    """

    def __init__(self, model: Model) -> None:
        self.model = model
        self.spec: _Spec | None
        try:
            self.spec = _Spec(model)
        except Exception:  # pragma: no cover - a generated model this cannot read:
            self.spec = None  # the round trip for every item (slower, same output)

    def read(self, text: str | bytes) -> Any:
        """The stored item (JSON text, or its UTF-8) as exported."""
        return self.exported(_loads(text))

    def exported(self, data: Any) -> Any:
        """The item `_loads` read as `data`, as exported."""
        if type(data) is dict and self.spec is not None and self.spec.canonical(data):
            return data
        return _read_back(self.model, data)

    def exact(self, text: str | bytes) -> Any:
        """The item read by json (no orjson), as exported."""
        data = json.loads(text)
        if type(data) is dict and self.spec is not None and self.spec.canonical(data):
            return data
        return _read_back(self.model, data)


def _model(store: Store) -> Model:
    return SearchItemV2 if (store.params() or {}).get("api") == "v2" else SearchItem


def _flat_values(data: dict[str, Any], values: list[Any], layout: list[Any]) -> None:
    """The values of `flatten(data)`, in order; `layout` gets what its keys depend on:
    the keys of each object, and the key of each nested object, bracketed."""
    layout.append(tuple(data))
    for key, value in data.items():
        if type(value) is dict and value:
            layout.append(key)
            _flat_values(value, values, layout)
            layout.append(None)
        else:
            values.append(value)


def _flat(data: dict[str, Any], prefix: str, keys: list[str], values: list[Any]) -> None:
    """`flatten(data, prefix)` as two lists, keys and values (items are plain dicts)."""
    for key, value in data.items():
        if type(value) is dict and value:
            _flat(value, f"{prefix}{key}.", keys, values)
        else:
            keys.append(prefix + key)
            values.append(value)


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
    known: set[tuple[str, ...]] = set()
    for _, stored in store.iter_account_texts():
        for _, text in stored:
            keys: list[str] = []
            _flat(items.read(text), ITEM, keys, [])
            layout = tuple(keys)
            if layout not in known:
                if len(known) < _MAX_SHAPES:
                    known.add(layout)
                seen.update(dict.fromkeys(layout))
    return seen


def _columns(store: Store, item_keys: Iterable[str]) -> list[str]:
    return ["input_line", *STATUS_COLUMNS, "position", *_input_columns(store), *item_keys]


# -- JSONL ---------------------------------------------------------------------------------
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
_dumps = _encode


def _jsonl(
    store: Store,
    out: IO[bytes],
    by_status: Counter[str],
    *,
    spool_dir: Path | None = None,
    workers: int | None = None,
) -> int:
    """JSONL lines (`_jsonl_body`), from `PARALLEL_ITEMS` items on by two processes at
    once: this one writes the first half of the rows to `out`, a worker the rest to a
    temporary file (in `spool_dir`) that is copied after them."""
    split = store.split_point() if _workers(store, workers) == 2 else None
    if split is None:
        return _jsonl_body(store, out, by_status)
    folder = spool_dir or Path(tempfile.gettempdir())
    try:
        second = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 (closed by `with`)
    except OSError as error:
        raise _SpoolError(error, folder) from error
    with second:

        def theirs(own: Store, alive: Callable[[], bool]) -> dict[str, Any]:
            counts: Counter[str] = Counter()
            count = _jsonl_body(own, second, counts, ("after", split), alive)
            return {"count": count, "by_status": dict(counts)}

        mine = Counter[str]()
        count, message = _in_two(
            store,
            second,
            folder,
            lambda: _jsonl_body(store, out, mine, ("upto", split)),
            theirs,
        )
        second.seek(0)
        shutil.copyfileobj(second, out, 1 << 20)
    by_status.update(mine)
    by_status.update(message["by_status"])
    return count + int(message["count"])


def _jsonl_body(
    store: Store,
    out: IO[bytes],
    by_status: Counter[str],
    part: Part = None,
    alive: Callable[[], bool] | None = None,
) -> int:
    """`{"input_line", "status", "error_code", "error_message", "position", "input", "item"}`

    per line, exactly the UTF-8 of `json.dumps(line, ensure_ascii=False)`. Built as
    bytes: a stored item that is already its exported JSON is copied as it is stored
    (its layout's round trip an identity, `FlatWriter.canonical`; the layout's text
    checked once to be json.dumps's own, and each item's to have no \\u escape and
    json.dumps's separator after its first key).
    """
    items = _Items(_model(store))
    layouts = None if items.spec is None else FlatWriter(items.spec, _encode)
    count = 0
    batch: list[bytes] = []
    write = out.write
    for rows_read, (account, stored) in enumerate(store.iter_account_bytes(part)):
        if alive is not None and rows_read % 16 == 0 and not alive():
            raise _Orphaned
        head = _dumps(status_fields(account))[1:-1]
        head_bytes = f'{{"input_line": {_dumps(account.line)}, {head}, "position": '.encode()
        middle = f', "input": {_dumps(input_fields(account))}, "item": '.encode()
        by_status[account.status] += max(len(stored), 1)
        if not stored:
            batch.append(b"%snull%snull}\n" % (head_bytes, middle))
            count += 1
            continue
        for position, raw in stored:
            data = _loads(raw)
            layout = layouts.canonical(data) if layouts and type(data) is dict else None
            if layout is not None and b"\\u" not in raw and _first_key_ok(data, raw):
                if layout.spliced is None:  # json.dumps's own text? (once a layout)
                    layout.spliced = _dumps(json.loads(raw)).encode() == raw
                if layout.spliced:
                    batch.append(b"%s%d%s%s}\n" % (head_bytes, position, middle, raw))
                    continue
            item = data if layout is not None else items.exported(data)
            if _ORJSON and _has_big_float(item):
                item = items.exact(raw)
            batch.append(b"%s%d%s%s}\n" % (head_bytes, position, middle, _dumps(item).encode()))
        count += len(stored)
        if len(batch) >= 512:
            write(b"".join(batch))
            batch.clear()
    write(b"".join(batch))
    return count


_FIRST_KEY_END: dict[str, int] = {}


def _first_key_ok(data: dict[str, Any], raw: bytes) -> bool:
    """Does json.dumps's `": "` follow the item's first key in `raw` (not another
    writer's separator)?"""
    for key in data:
        end = _FIRST_KEY_END.get(key)
        if end is None:
            end = 1 + len(_dumps(key).encode())
            if len(_FIRST_KEY_END) < _MAX_SHAPES:
                _FIRST_KEY_END[key] = end
        return raw.startswith(b": ", end)
    return False


# -- CSV -----------------------------------------------------------------------------------
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)


class _SpoolError(OSError):
    """CSV's temporary body could not be written: the message names its folder."""

    def __init__(self, error: OSError, folder: Path) -> None:
        why = error.strerror or str(error)
        super().__init__(error.errno, f"cannot write a temporary file in {folder}: {why}")


class _BigFloat(Exception):
    """A float that may have been an integer beyond 64 bits (see `_BIG`)."""


def _csv_cell(value: Any) -> str:
    """`rows._csv_cell(value)`, the common types inline."""
    kind = type(value)
    if kind is str:
        return neutralise(value) if value[:1] in _FORMULA_FIRST else value
    if kind is int:
        return str(value)  # numbers stay numbers
    if kind is float:
        if _ORJSON and not -_BIG < value < _BIG:
            raise _BigFloat
        return str(value)
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is dict:
        if _ORJSON and _has_big_float(value):
            raise _BigFloat
        return _encode(value)  # starts with [ or {: never formula-like
    return _slow_csv_cell(value)


@dataclass
class _Body:
    """What writing a CSV body found: the `item.*` columns (name -> index in the row, in
    first-seen order), whether one appeared after the first row, the rows by status."""

    item_columns: dict[str, int]
    grew_after_first: bool = False
    count: int = 0
    by_status: Counter[str] = field(default_factory=Counter)


def _csv_body(
    store: Store,
    spool: IO[bytes],
    fixed: list[str],
    part: Part = None,
    alive: Callable[[], bool] | None = None,
) -> _Body:
    """Write the CSV rows (no header) of the input rows in `part` (all when None) to
    `spool`, each row as wide as the `item.*` columns known when it is written.
    `alive`, when given, is asked now and then whether to go on."""
    items = _Items(_model(store))
    inputs = [name[len(INPUT) :] for name in fixed if name.startswith(INPUT)]
    width = len(fixed)
    item_columns: dict[str, int] = {}  # `item.*` name -> index in the row
    layouts: dict[tuple[str, ...], list[int]] = {}  # an item's flat keys -> their indexes
    where_sparse: dict[tuple[str, ...], list[int]] = {}  # ... where not the first columns
    grew_after_first = False
    count = 0
    by_status: Counter[str] = Counter()
    body = io.TextIOWrapper(spool, encoding="utf-8", newline="", write_through=False)
    writer = csv.writer(body, lineterminator="\r\n")
    writerow, write, loads = writer.writerow, body.write, _loads
    fast = None
    if items.spec is not None:
        fast = FlatWriter(items.spec, _encode, _has_big_float if _ORJSON else _never)
    buffer = io.StringIO()
    # the same line end as the body's writer: it decides what gets quotes (\r)
    cells_writer = csv.writer(buffer, lineterminator="\r\n")
    batch: list[str] = []  # fast-path lines not yet written

    def csv_text(cells: list[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        cells_writer.writerow(cells)
        return buffer.getvalue()[:-2]

    formula, to_cell = _FORMULA_FIRST, _csv_cell
    for rows_read, (account, stored) in enumerate(store.iter_account_bytes(part)):
        if alive is not None and rows_read % 16 == 0 and not alive():
            raise _Orphaned
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
            if batch:
                write("".join(batch))
                batch.clear()
            writerow([*head, "", *cells, *([""] * len(item_columns))])
            count += 1
            continue
        before = after = ""
        if fast is not None:  # the row's own cells, as csv.writer writes them
            before = f"{csv_text(head)},"
            after = f",{csv_text(cells)},"
        for position, data in stored:
            parsed = loads(data)
            hit = fast.write(parsed) if fast is not None and type(parsed) is dict else None
            if hit:
                fit, line = hit
                if fit.where is None:
                    for key in fit.names:
                        if ITEM + key not in item_columns:
                            item_columns[ITEM + key] = width + len(item_columns)
                            grew_after_first = grew_after_first or count > 0
                    fit.where = [item_columns[ITEM + key] for key in fit.names]
                    fit.dense = fit.where == list(range(width, width + len(fit.where)))
                if fit.dense:
                    pad = "," * (len(item_columns) - len(fit.names))
                    batch.append(f"{before}{position}{after}{line}{pad}\r\n")
                    if len(batch) >= 512:
                        write("".join(batch))
                        batch.clear()
                    continue
            if batch:  # the lines before this one first
                write("".join(batch))
                batch.clear()
            item = items.exported(parsed)
            flat: list[Any] = []
            structure: list[Any] = []
            _flat_values(item, flat, structure)
            layout = tuple(structure)
            where = layouts.get(layout)
            if where is None:
                keys: list[str] = []
                _flat(item, ITEM, keys, [])
                for key in keys:
                    if key not in item_columns:
                        item_columns[key] = width + len(item_columns)
                        grew_after_first = grew_after_first or count > 0
                where = [item_columns[key] for key in keys]
                if where != list(range(width, width + len(where))):
                    where_sparse[layout] = where
                if len(layouts) < _MAX_SHAPES:
                    layouts[layout] = where
            row = [*head, str(position), *cells]
            try:
                # csv writes an int as str() does and None as "": left to it
                item_cells = [
                    value
                    if (kind := type(value)) is int
                    or value is None
                    or (kind is str and value[:1] not in formula)
                    else to_cell(value)
                    for value in flat
                ]
            except _BigFloat:  # an integer beyond 64 bits, read by orjson: read by json
                flat = []
                _flat(items.exact(data), ITEM, [], flat)
                item_cells = [_slow_csv_cell(value) for value in flat]
            sparse = where_sparse.get(layout)
            if sparse is None:
                row.extend(item_cells)
                if len(item_cells) < len(item_columns):
                    row.extend([""] * (len(item_columns) - len(item_cells)))
            else:
                row.extend([""] * len(item_columns))
                for index, cell in zip(sparse, item_cells, strict=True):
                    row[index] = cell
            writerow(row)
        count += len(stored)
    write("".join(batch))
    body.flush()
    body.detach()
    return _Body(item_columns, grew_after_first, count, by_status)


class _Orphaned(Exception):
    """The process that started this CSV worker is gone: stop."""


#: a CSV or JSONL export is written by two processes from this many items on (`_in_two`)
PARALLEL_ITEMS = 50_000


def _workers(store: Store, workers: int | None) -> int:
    """How many processes write a CSV or JSONL export: two where a second core and
    `fork` are there and the export is big enough to gain from it (or as `workers`
    says)."""
    if not hasattr(os, "fork") or sys.platform != "linux":
        return 1  # fork is what keeps the worker's start cheap: Linux only
    if workers is not None:
        return min(max(workers, 1), 2)
    if threading.active_count() > 1:
        return 1  # never fork a process with other threads (a lock they hold stays held)
    if len(os.sched_getaffinity(0)) < 2 or store.item_total() < PARALLEL_ITEMS:
        return 1
    return 2


def _csv(
    store: Store,
    out: IO[bytes],
    by_status: Counter[str],
    *,
    bom: bool,
    spool_dir: Path | None,
    workers: int | None = None,
) -> int:
    fixed = _columns(store, ())
    folder = spool_dir or Path(tempfile.gettempdir())
    with contextlib.ExitStack() as stack:
        try:
            first = stack.enter_context(tempfile.TemporaryFile(dir=spool_dir))
            split = store.split_point() if _workers(store, workers) == 2 else None
            second = stack.enter_context(tempfile.TemporaryFile(dir=spool_dir)) if split else None
        except OSError as error:
            raise _SpoolError(error, folder) from error
        if split is None or second is None:
            try:
                bodies: list[tuple[_Body, IO[bytes]]] = [(_csv_body(store, first, fixed), first)]
            except OSError as error:  # the temporary file, not the output: say so
                raise _SpoolError(error, folder) from error
        else:
            bodies = _csv_two(store, fixed, split, first, second, folder)
        for body, _ in bodies:
            by_status.update(body.by_status)
        _csv_join(out, fixed, bodies, bom=bom)
        return sum(body.count for body, _ in bodies)


def _csv_two(
    store: Store,
    fixed: list[str],
    split: tuple[int, int],
    first: IO[bytes],
    second: IO[bytes],
    folder: Path,
) -> list[tuple[_Body, IO[bytes]]]:
    """The CSV body in two halves at once (`_in_two`): rows up to `split` to `first`,
    those after it to `second`."""

    def mine() -> _Body:
        try:
            return _csv_body(store, first, fixed, ("upto", split))
        except OSError as error:  # the temporary file, not the output: say so
            raise _SpoolError(error, folder) from error

    def theirs(own: Store, alive: Callable[[], bool]) -> dict[str, Any]:
        body = _csv_body(own, second, fixed, ("after", split), alive)
        return {
            "columns": list(body.item_columns),
            "grew": body.grew_after_first,
            "count": body.count,
            "by_status": dict(body.by_status),
        }

    body, message = _in_two(store, second, folder, mine, theirs)
    width = len(fixed)
    other = _Body(
        {name: width + n for n, name in enumerate(message["columns"])},
        message["grew"],
        message["count"],
        Counter(message["by_status"]),
    )
    return [(body, first), (other, second)]


_T = TypeVar("_T")


def _in_two(
    store: Store,
    second: IO[bytes],
    folder: Path,
    mine: Callable[[], _T],
    theirs: Callable[[Store, Callable[[], bool]], dict[str, Any]],
) -> tuple[_T, dict[str, Any]]:
    """Run `mine()` here and `theirs(store, alive)` in a forked worker, at once.

    The worker opens its own read-only connection, writes to `second` (a temporary
    file this process made) and answers with `theirs`'s JSON on a pipe; it stops when
    this process is gone (`alive`). Ctrl-C / SIGTERM are held during the fork (an
    exception raised in fork's own hooks is printed and dropped) and delivered once the
    worker can be stopped. Any failure of either stops both (the worker is killed and
    reaped) and is raised here: the worker's as sqlite3.DatabaseError, as an OSError
    naming `folder` (its temporary file), or as RuntimeError.
    """
    parent = os.getpid()
    answer, child_end = os.pipe()
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
        os.close(answer)
        os.close(child_end)
        raise
    if pid == 0:  # the worker: never returns into the caller's code
        status = 1
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            os.close(answer)
            message: dict[str, Any]
            try:
                with Store(store.path, readonly=True) as own:
                    own.include_gone = store.include_gone
                    message = theirs(own, lambda: os.getppid() == parent)
                second.flush()
                status = 0
            except BaseException as error:
                message = {
                    "error": str(error) or type(error).__name__,
                    "errno": error.errno if isinstance(error, OSError) else None,
                    "database": isinstance(error, sqlite3.Error),
                }
            data = memoryview(json.dumps(message).encode())
            while data:
                data = data[os.write(child_end, data) :]
        finally:
            os._exit(status)
    os.close(child_end)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a held signal lands here
        result = mine()
        with os.fdopen(answer, "rb", closefd=False) as pipe:
            raw = pipe.read()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        raise
    finally:
        os.close(answer)
        _, status = os.waitpid(pid, 0)
    if not raw:
        raise RuntimeError(f"export: the worker ended without an answer (status {status})")
    message = json.loads(raw)
    if "error" in message:
        if message["database"]:
            raise sqlite3.DatabaseError(message["error"])
        if message["errno"] is not None:
            raise _SpoolError(OSError(message["errno"], message["error"]), folder)
        raise RuntimeError(f"export: the worker failed: {message['error']}")
    return result, message


def _csv_join(
    out: IO[bytes], fixed: list[str], bodies: list[tuple[_Body, IO[bytes]]], *, bom: bool
) -> None:
    """The header, then each body in turn, every row as wide as the header: a body whose
    rows already are (the usual case) is copied as it is; else its rows are read back
    and their `item.*` cells put in the header's columns."""
    names: dict[str, None] = {}
    for body, _ in bodies:
        names.update(dict.fromkeys(body.item_columns))
    columns = [*fixed, *names]
    with utf8_text(out, bom=bom) as text:
        header = csv.writer(text, lineterminator="\r\n")
        header.writerow([neutralise(name) for name in columns])
        for body, spool in bodies:
            spool.seek(0)
            if list(body.item_columns) == list(names) and not body.grew_after_first:
                text.flush()
                shutil.copyfileobj(spool, out, 1 << 20)
                continue
            # rows written before a column appeared, or another body's column order
            index = {name: len(fixed) + n for n, name in enumerate(names)}
            where = [index[name] for name in body.item_columns]
            reader = csv.reader(io.TextIOWrapper(spool, encoding="utf-8", newline=""))
            for cells in reader:
                row = cells[: len(fixed)] + [""] * len(names)
                for to, cell in zip(where, cells[len(fixed) :], strict=False):
                    row[to] = cell
                header.writerow(row)


# -- TSV -----------------------------------------------------------------------------------
def _tsv(
    store: Store, out: IO[bytes], by_status: Counter[str], *, bom: bool, spool_dir: Path | None
) -> int:
    """The CSV export, its cells written again with tabs (one pass over a temporary file)."""
    with tempfile.TemporaryFile(dir=spool_dir) as body:
        count = _csv(store, body, by_status, bom=False, spool_dir=spool_dir, workers=1)
        body.seek(0)
        source = io.TextIOWrapper(body, encoding="utf-8", newline="")
        with utf8_text(out, bom=bom) as text:
            writer = csv.writer(text, delimiter="\t", lineterminator="\r\n")
            writer.writerows(csv.reader(source))
        source.detach()
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
                item = items.read(data)
                if _ORJSON and _has_big_float(item):
                    item = items.exact(data)
                keys: list[str] = []
                flat: list[Any] = []
                _flat(item, ITEM, keys, flat)
                full = dict(row, position=position)
                full.update(zip(keys, flat, strict=True))
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

    # the catalogue's number columns (`Store.number_columns`): numbers, as they were
    numbers = frozenset(INPUT + name for name in store.number_columns())
    items_sheet = Sheet(
        "items",
        columns,
        rows(),
        link_columns=frozenset(ITEM + name for name in LINK_FIELDS) | {INPUT + "img_url"},
        price_columns=frozenset(c for c in columns if c.startswith(ITEM) and "price" in c),
        id_columns=frozenset(ITEM + name for name in ID_FIELDS),
        number_columns=numbers,
    )
    inputs_sheet = Sheet(
        "inputs",
        ["input_line", *STATUS_COLUMNS, "items", "served_by_line", *_input_columns(store)],
        inputs(),
        link_columns=frozenset({INPUT + "img_url"}),
        number_columns=numbers,
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
    workers: int | None = None,
    include_gone: bool = False,
) -> int:
    """Write every record (see the module docstring) to the binary stream `out`; returns how many.

    The rows of the catalogue as it was last read: rows it no longer has (`gone`) are
    left out; `include_gone` writes them too, with the status `gone`. TSV is the CSV
    export with tabs (the same cells, quoted where a cell holds a tab or a line break).

    Text formats are UTF-8 whatever the locale; `bom` puts a byte-order mark before CSV.
    `counts`, when given, receives the number of records by status. `spool_dir`: where
    CSV's temporary body goes (default: the system's temporary folder); give the
    output's folder so that it takes no room elsewhere (JSONL's too, with two
    processes). `workers`: how many processes write a CSV or JSONL export (1 or 2;
    default: 2 from `PARALLEL_ITEMS` items on, where a second core and fork are there;
    see `_in_two`).
    """
    by_status: Counter[str] = Counter()
    spool = None if spool_dir is None else Path(spool_dir)
    store.include_gone = include_gone
    if fmt == "jsonl":
        count = _jsonl(store, out, by_status, spool_dir=spool, workers=workers)
    elif fmt == "tsv":
        count = _tsv(store, out, by_status, bom=bom, spool_dir=spool)
    elif fmt == "csv":
        count = _csv(store, out, by_status, bom=bom, spool_dir=spool, workers=workers)
    elif fmt == "xlsx":
        count = _xlsx(store, out, by_status)
    else:
        raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if counts is not None:
        counts.update(by_status)
    return count
