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

Each match also gets its `decision` group (`pricing`, `shortlist`: the price at the
user's quantity, the margin, the score, the shortlist place, the ad flag), computed at
the given `terms`: a `decision` object in JSONL (null on a row without a match), and
`decision.<name>` columns (`DECISION_FIELDS`) after the input's columns in CSV and in
the `--all-columns` workbook. The workbook written by default is the one for people
(`decision_sheet`: Decisions and Suppliers sheets); `all_columns=True` writes every
field as described above.

Streamed, in constant memory whatever the size, by one process: the rows come from one
cursor (`Store.iter_account_texts`: one input row and its items at a time), nothing
holds the result set. Items are read and lines written by json, cells by the csv
module. (orjson would read an integer beyond 64 bits as a float; looking for such a
run of digits first costs more than orjson saves: 13 us against 7 us an item.) CSV is
written in one pass: the body goes to a temporary file (in `spool_dir`, next to the
output for `--out`) while the `item.*` columns are collected, then the header and the
body are copied to the output; in the rare case where an item brings a column after
the first item row, the rows written before are padded then. The workbook takes a
first pass for its header (openpyxl cannot write it last).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Literal

from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search.bulk.pricing import Terms
from tmapi_search.bulk.rows import FORMULA_PREFIXES, _csv_cell, flatten, neutralise, utf8_text
from tmapi_search.bulk.shortlist import SHORTLIST, Judged, judge_row
from tmapi_search.bulk.store import InputAccount, Store

__all__ = [
    "DECISION_FIELDS",
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
    from tmapi_search.bulk.atomic import format_from_name

    return _as_format(format_from_name(out, fmt, FORMAT_BY_SUFFIX, "csv"))


def _as_format(name: str) -> ExportFormat:
    assert name in EXPORT_FORMATS
    return name  # type: ignore[return-value]


STATUS_COLUMNS = ("status", "error_code", "error_message")

INPUT = "input."
ITEM = "item."
DECISION = "decision."
#: the `decision` group of a match (`shortlist.Judged.to_dict`), in its order
DECISION_FIELDS = (
    "qty", "unit_price_cny", "moq", "moq_ok", "currency", "unit_price", "sell_price",
    "margin", "margin_pct", "score", "shortlist", "ad",
)  # fmt: skip
#: item fields written as hyperlinks / whole identifiers in xlsx
LINK_FIELDS = ("product_url", "img", "shop_info.shop_url")
ID_FIELDS = ("item_id",)

Model = type[SearchItem] | type[SearchItemV2]
_FORMULA_FIRST = frozenset(FORMULA_PREFIXES)
#: `json.dumps(value, ensure_ascii=False)`, its encoder made once
_dumps = json.JSONEncoder(ensure_ascii=False).encode


def _read_back(model: Model, data: Any) -> Any:
    try:
        return model.from_dict(data).to_dict()
    except (KeyError, TypeError, ValueError, AttributeError):
        return dict(data)  # kept as the API sent it


def _item(model: Model, text: str) -> Any:
    """A stored item (its JSON text) as exported: read back through the model."""
    return _read_back(model, json.loads(text))


def _model(store: Store) -> Model:
    return SearchItemV2 if (store.params() or {}).get("api") == "v2" else SearchItem


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


def _item_keys(store: Store, model: Model) -> dict[str, None]:
    """Every `item.*` column, in first-seen order (a pass over the items)."""
    seen: dict[str, None] = {}
    for _, stored in store.iter_account_texts():
        for _, text in stored:
            seen.update(dict.fromkeys(flatten(_item(model, text), ITEM)))
    return seen


def _columns(store: Store, item_keys: Iterable[str]) -> list[str]:
    decision = [DECISION + name for name in DECISION_FIELDS]
    return [
        "input_line", *STATUS_COLUMNS, "position", *_input_columns(store), *decision, *item_keys,
    ]  # fmt: skip


class _Judge:
    """The decision group of a row's matches (`shortlist.judge_row`), at the terms."""

    def __init__(self, store: Store, terms: Terms | None, shortlist: int) -> None:
        self.terms = (terms or Terms()).check(store.extra_columns())
        self.shortlist = shortlist

    def row(self, account: InputAccount, items: list[tuple[int, Any]]) -> list[Judged]:
        return judge_row(items, account.extra, self.terms, shortlist=self.shortlist)


def _decision_cells(judged: Judged) -> list[str]:
    group = judged.to_dict()
    return [_csv_cell(group[name]) for name in DECISION_FIELDS]


# -- JSONL ---------------------------------------------------------------------------------
def _jsonl(store: Store, out: IO[bytes], by_status: Counter[str], judge: _Judge) -> int:
    """`{"input_line", "status", "error_code", "error_message", "position", "input", "item"}`

    per line, as `json.dumps(line, ensure_ascii=False)` writes it, in UTF-8."""
    model = _model(store)
    count = 0
    with utf8_text(out, bom=False) as text:
        for account, stored in store.iter_account_texts():
            by_status[account.status] += max(len(stored), 1)
            line = {"input_line": account.line, **status_fields(account), "position": None}
            line["input"] = input_fields(account)
            if not stored:
                text.write(_dumps({**line, "item": None, "decision": None}) + "\n")
            items = [(position, _item(model, data)) for position, data in stored]
            for judged in judge.row(account, items):
                line["position"] = judged.position
                group = judged.to_dict()
                text.write(_dumps({**line, "item": judged.item, "decision": group}) + "\n")
            count += max(len(stored), 1)
    return count


# -- CSV -----------------------------------------------------------------------------------
class _SpoolError(OSError):
    """CSV's temporary body could not be written: the message names its folder."""

    def __init__(self, error: OSError, folder: Path) -> None:
        why = error.strerror or str(error)
        super().__init__(error.errno, f"cannot write a temporary file in {folder}: {why}")


def _csv(
    store: Store,
    out: IO[bytes],
    by_status: Counter[str],
    judge: _Judge,
    *,
    bom: bool,
    spool_dir: Path | None,
) -> int:
    """The rows go to a temporary file while the `item.*` columns are collected (`_rows`);
    then the header, then the rows (padded where a column came after them)."""
    fixed = _columns(store, ())
    folder = spool_dir or Path(tempfile.gettempdir())
    try:
        spool = tempfile.TemporaryFile(dir=spool_dir)  # noqa: SIM115 (closed by `with`)
    except OSError as error:
        raise _SpoolError(error, folder) from error
    with spool:
        try:
            with utf8_text(spool, bom=False) as body:
                item_columns, grew, count = _rows(store, body, fixed, by_status, judge)
        except OSError as error:  # the temporary file, not the output: say so
            raise _SpoolError(error, folder) from error
        spool.seek(0)
        columns = [*fixed, *item_columns]
        with utf8_text(out, bom=bom) as text:
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow([neutralise(name) for name in columns])
            if not grew:
                text.flush()
                shutil.copyfileobj(spool, out, 1 << 20)
            else:
                for row in csv.reader(io.TextIOWrapper(spool, encoding="utf-8", newline="")):
                    writer.writerow(row + [""] * (len(columns) - len(row)))
    return count


def _cell(value: Any) -> Any:
    """`rows._csv_cell(value)` for a JSON value; a number or None as it is (csv.writer
    writes `str(value)` and "" for them)."""
    kind = type(value)
    if kind is str:
        return neutralise(value) if value[:1] in _FORMULA_FIRST else value
    if kind is bool:
        return "true" if value else "false"
    if kind is list or kind is dict:
        return _dumps(value)  # starts with [ or {: never formula-like
    return value


def _rows(
    store: Store, body: IO[str], fixed: list[str], by_status: Counter[str], judge: _Judge
) -> tuple[dict[str, None], bool, int]:
    """Write the CSV rows (no header) to `body`, each as wide as the `item.*` columns
    known then; returns those columns, whether one came after the first row, the count."""
    model = _model(store)
    inputs = [name[len(INPUT) :] for name in fixed if name.startswith(INPUT)]
    item_columns: dict[str, None] = {}
    grew = False
    count = 0
    writer = csv.writer(body, lineterminator="\r\n")
    for account, stored in store.iter_account_texts():
        by_status[account.status] += max(len(stored), 1)
        values = input_fields(account)
        head = [_csv_cell(value) for value in status_fields(account).values()]
        cells = [_csv_cell(values.get(name)) for name in inputs]
        if not stored:
            empty = [""] * (len(DECISION_FIELDS) + len(item_columns))
            writer.writerow([account.line, *head, "", *cells, *empty])
            count += 1
        items = [(position, _item(model, text)) for position, text in stored]
        for judged in judge.row(account, items):
            position = judged.position
            flat = flatten(judged.item, ITEM)
            if not item_columns.keys() >= flat.keys():
                grew = grew or count > 0
                item_columns.update(dict.fromkeys(flat))
            item_cells = [_cell(flat.get(name)) for name in item_columns]
            decision = _decision_cells(judged)
            writer.writerow([account.line, *head, position, *cells, *decision, *item_cells])
            count += 1
    return item_columns, grew, count


# -- TSV -----------------------------------------------------------------------------------
def _tsv(
    store: Store,
    out: IO[bytes],
    by_status: Counter[str],
    judge: _Judge,
    *,
    bom: bool,
    spool_dir: Path | None,
) -> int:
    """The CSV export, its cells written again with tabs (one pass over a temporary file)."""
    with tempfile.TemporaryFile(dir=spool_dir) as body:
        count = _csv(store, body, by_status, judge, bom=False, spool_dir=spool_dir)
        body.seek(0)
        source = io.TextIOWrapper(body, encoding="utf-8", newline="")
        with utf8_text(out, bom=bom) as text:
            writer = csv.writer(text, delimiter="\t", lineterminator="\r\n")
            writer.writerows(csv.reader(source))
        source.detach()
    return count


# -- XLSX ----------------------------------------------------------------------------------
def _xlsx(store: Store, out: IO[bytes], by_status: Counter[str], judge: _Judge) -> int:
    from tmapi_search.bulk.xlsx import Sheet, write_xlsx

    model = _model(store)
    columns = _columns(store, _item_keys(store, model))

    def rows() -> Iterator[dict[str, Any]]:
        for account, stored in store.iter_account_texts():
            row: dict[str, Any] = {"input_line": account.line}
            row.update(status_fields(account))
            row["position"] = None
            row.update(_flat_input(account))
            by_status[account.status] += max(len(stored), 1)
            if not stored:
                yield row
            items = [(position, _item(model, data)) for position, data in stored]
            for judged in judge.row(account, items):
                group = flatten(judged.to_dict(), DECISION)
                item = flatten(judged.item, ITEM)
                yield {**row, "position": judged.position, **group, **item}

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
        price_columns=frozenset(
            c
            for c in columns
            if c.startswith((ITEM, DECISION)) and ("price" in c or c == DECISION + "margin")
        ),
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
    terms: Terms | None = None,
    shortlist: int = SHORTLIST,
    all_columns: bool = False,
    include_gone: bool = False,
) -> int:
    """Write every record (see the module docstring) to the binary stream `out`; returns how many.

    Text formats are UTF-8 whatever the locale; `bom` puts a byte-order mark before CSV.
    `counts`, when given, receives the number of records by status. `spool_dir`: where
    CSV's temporary body goes (default: the system's temporary folder); give the
    output's folder so that it takes no room elsewhere. `terms` (`pricing.Terms`: the
    quantity, currency and sell price; TermsError names the option) and `shortlist`:
    the decision group's. `all_columns`: the workbook with every field instead of the
    one for people (`decision_sheet`). The rows of the catalogue as it was last read:
    rows it no longer has (`gone`) are left out; `include_gone` writes them too, with
    the status `gone`. TSV is the CSV export with tabs (the same cells, quoted where a
    cell holds a tab or a line break).
    """
    by_status: Counter[str] = Counter()
    store.include_gone = include_gone
    judge = _Judge(store, terms, shortlist)
    if fmt == "xlsx" and not all_columns:
        from tmapi_search.bulk.decision_sheet import write_decision_workbook

        count = write_decision_workbook(
            store, out, judge.terms, counts=by_status, shortlist=shortlist
        )
    elif fmt == "jsonl":
        count = _jsonl(store, out, by_status, judge)
    elif fmt == "tsv":
        spool = None if spool_dir is None else Path(spool_dir)
        count = _tsv(store, out, by_status, judge, bom=bom, spool_dir=spool)
    elif fmt == "csv":
        spool = None if spool_dir is None else Path(spool_dir)
        count = _csv(store, out, by_status, judge, bom=bom, spool_dir=spool)
    elif fmt == "xlsx":
        count = _xlsx(store, out, by_status, judge)
    else:
        raise ValueError(f"--format: must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}")
    if counts is not None:
        counts.update(by_status)
    return count
