"""The streamed export writes what the export wrote before it.

- The model round trip the export makes is an identity on what the runner stores
  (`SearchItem.to_dict()` / `SearchItemV2.to_dict()`), for every spec example, v1 and v2,
  with unknown fields.
- On a fixed database (v1 and v2: items as the runner stores them and as an older writer
  would have, unknown fields, formula-like text, an integer beyond 64 bits, rows with no
  match, failed, pending, rejected, served by another row, extra catalogue columns), the
  CSV (with and without BOM) and JSONL are byte for byte those of the previous
  implementation, and the workbook's cells (values, types, formats, links) are the same.
  The previous implementation is kept below, only here (`OldExport`, as of d04809b).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from tmapi_client.models import SearchItem, SearchItemV2

from tmapi_search import spec
from tmapi_search.bulk.export import DECISION_FIELDS, _read_back, export
from tmapi_search.bulk.pricing import Terms
from tmapi_search.bulk.rows import flatten, utf8_text, write_csv
from tmapi_search.bulk.shortlist import judge_row
from tmapi_search.bulk.store import InputAccount, Store

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"
APIS = {"v1": (SearchItem, spec.SEARCH_PATH), "v2": (SearchItemV2, spec.SEARCH_V2_PATH)}


def example_items(api: str) -> list[dict[str, Any]]:
    """Every item of every named 200 example of the API's search."""
    _, path = APIS[api]
    return [
        item
        for body in spec.response_examples(path, "get", 200).values()
        for item in body["data"]["items"]
    ]


def with_unknown_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The item with fields the contract does not know, at the end (as an API adds them)."""
    out = copy.deepcopy(item)
    out["zz_new_flag"] = True
    out["aa_new_obj"] = {"b": 1, "a": ["x", ""], "c": {"d": None}}
    if isinstance(out.get("shop_info"), dict):
        out["shop_info"]["new_shop_field"] = "=cmd()"
    return out


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- the round trip ----------------------------------------------------------------------
@pytest.mark.parametrize("api", sorted(APIS))
def test_round_trip_of_what_the_runner_stores_is_an_identity(api: str) -> None:
    model, _ = APIS[api]
    checked = 0
    for raw in example_items(api):
        for variant in (raw, with_unknown_fields(raw)):
            stored = json.loads(dumps(model.from_dict(variant).to_dict()))  # save_done's text
            again = model.from_dict(stored).to_dict()
            assert dumps(again) == dumps(stored)  # same keys, same order, same values
            checked += 1
    assert checked >= 4


# -- a fixed database ----------------------------------------------------------------------
def build_db(path: Path, api: str) -> None:
    """Every kind of row an export writes, items stored by the runner and otherwise."""
    model, _ = APIS[api]
    raw = example_items(api)
    runner_items = [model.from_dict(with_unknown_fields(item)).to_dict() for item in raw]
    hostile = []
    for n, item in enumerate(raw * 2):
        odd = with_unknown_fields(item)  # unknown fields last: not the model's order
        odd["title"] = ["=1+1", "-2+3", "@SUM(A1)", "+1", "手机壳\u2028", "\x01ctl", "-5"][n % 7]
        odd["zz_late_column"] = {"big": 2**70, "float": 2.5, "neg": -(2**65), "nan": n}
        if n == 1:
            odd["quantity_prices"] = [""]  # the model turns "" into {}
        hostile.append(dict(reversed(list(odd.items()))) if n == 2 else odd)
    rows = [  # (id, line, sku, extra)
        (1, 2, "OK-1", {"brand": "Acme", "note": "=1+1"}),
        (7, 3, "ODD-2", {"brand": "Bo", "价格": "-5"}),
        (3, 4, "NONE-3", {}),
        (4, 5, "FAIL-4", {"brand": "=x"}),
        (5, 6, "PEND-5", {}),
        (6, 7, "PEND-6", {"note": "plain"}),
        (2, 8, "SHARE-7", {}),
        (8, 9, "SHARED-8", {}),
        (9, 10, "=REJ-9", {"brand": "rejected"}),
        (10, 11, "WRITERS-10", {}),
    ]
    with Store(path) as store:
        store.check_params({"api": api} if api == "v2" else {"language": "en"})
        with store.transaction():
            for image_id, line, sku, extra in rows:
                url = f"{ALI}?n={line}" if sku != "=REJ-9" else "ftp://nope"
                store._db.execute(
                    "INSERT INTO images(id, key, line, img_url, sku, extra, updated_at, url_key)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                    (image_id, f"k{image_id}", line, url, sku, dumps(extra), url),
                )
            store._db.execute(
                "UPDATE images SET status = 'failed', error_class = 'InvalidInput', "
                "error_message = 'img_url is not an http(s) URL', transient = 0, rejected = 1 "
                "WHERE id = 9"
            )
        run = store.start_run("in.csv", {})
        store.save_done(1, run, runner_items, total_count=9, attempts=1)
        store.save_done(7, run, hostile, total_count=9, attempts=1)
        store.save_done(3, run, [], total_count=0, attempts=1)
        store.save_failed(
            4, run, error_class="ParameterError", error_message="=bad", transient=False, attempts=1
        )
        store.save_pending_error(
            [5], run, error_class="TransportError", error_message="reset", attempts=2
        )
        store.save_done(2, run, runner_items[:1], total_count=1, attempts=1, shared_with=[8])
        store.finish_run(run, "completed")
        # items in the model's order written by other JSON writers: ASCII-only, compact
        item = {**runner_items[0], "title": "手机壳 \x01"}
        plain = {**item, "title": "手机壳"}
        texts = [json.dumps(item), json.dumps(plain, ensure_ascii=False, separators=(",", ":"))]
        with store.transaction():
            for position, text in enumerate([dumps(item), *texts, dumps(item)]):
                store._db.execute(
                    "INSERT INTO items(image_id, position, item_id, data) VALUES (10, ?, 1, ?)",
                    (position, text),
                )
            store._db.execute("UPDATE images SET status = 'done', item_count = 4 WHERE id = 10")


class OldExport:
    """The export before it was streamed (d04809b), kept only to compare against."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.db: sqlite3.Connection = store._db
        v2 = (store.params() or {}).get("api") == "v2"
        self.model: Any = SearchItemV2 if v2 else SearchItem

    def records(self) -> Iterator[tuple[InputAccount, int | None, dict[str, Any] | None]]:
        lines = {row[0]: row[1] for row in self.db.execute("SELECT id, line FROM images")}
        cursor = self.db.execute(
            """SELECT images.*, items.position AS item_position, items.data AS item_data
               FROM images LEFT JOIN items ON items.image_id = images.id
               ORDER BY images.line, images.id, items.position"""
        )
        for row in cursor:
            if row["status"] == "done":
                status = "ok" if row["item_count"] else "no_match"
            else:
                status = row["status"]
            unsettled = status in ("failed", "pending")
            account = InputAccount(
                line=row["line"],
                img_url=row["img_url"],
                sku=row["sku"],
                ext_id=row["ext_id"],
                extra=json.loads(row["extra"]),
                status=status,
                error_code=row["error_class"] if unsettled else None,
                error_message=row["error_message"] if unsettled else None,
                item_count=row["item_count"] or 0 if row["status"] == "done" else 0,
                attempts=row["attempts"],
                served_by=None if row["served_by"] is None else lines.get(row["served_by"]),
                image_id=row["id"],
            )
            if row["item_position"] is None:
                yield account, None, None
            else:
                item = json.loads(row["item_data"])
                yield account, row["item_position"], _read_back(self.model, item)

    def decisions(self) -> dict[tuple[int, int], dict[str, Any]]:
        """The decision group of every match (added after streaming: the engine's own
        `shortlist.judge_row` at the default terms, a row's matches at once)."""
        rows: dict[int, tuple[InputAccount, list[tuple[int, Any]]]] = {}
        for account, position, item in self.records():
            entry = rows.setdefault(account.image_id, (account, []))
            if position is not None:
                entry[1].append((position, item))
        groups = {}
        for image_id, (account, items) in rows.items():
            for judged in judge_row(items, account.extra, Terms()):
                groups[image_id, judged.position] = judged.to_dict()
        return groups

    def input_fields(self, account: InputAccount) -> dict[str, Any]:
        return {
            "img_url": account.img_url,
            "sku": account.sku,
            "id": account.ext_id,
            **account.extra,
        }

    def status_fields(self, account: InputAccount) -> dict[str, Any]:
        return {
            "status": account.status,
            "error_code": account.error_code,
            "error_message": account.error_message,
        }

    def input_columns(self) -> list[str]:
        return ["input." + n for n in ("img_url", "sku", "id", *self.store.extra_columns())]

    def flat_rows(self) -> Iterator[dict[str, Any]]:
        decisions = self.decisions()
        for account, position, item in self.records():
            row: dict[str, Any] = {"input_line": account.line}
            row.update(self.status_fields(account))
            row["position"] = position
            row.update({"input." + k: v for k, v in self.input_fields(account).items()})
            if item is not None and position is not None:
                group = decisions[account.image_id, position]
                row.update({"decision." + k: v for k, v in group.items()})
                row.update({"item." + k: v for k, v in flatten(item).items()})
            yield row

    def columns(self) -> list[str]:
        seen: dict[str, None] = {}
        for _, _, item in self.records():
            if item is not None:
                seen.update(dict.fromkeys(flatten(item)))
        return [
            "input_line",
            "status",
            "error_code",
            "error_message",
            "position",
            *self.input_columns(),
            *("decision." + name for name in DECISION_FIELDS),
            *("item." + key for key in seen),
        ]

    def export(self, fmt: str, out: io.BytesIO, *, bom: bool = False) -> None:
        if fmt == "jsonl":
            decisions = self.decisions()
            with utf8_text(out, bom=False) as text:
                for account, position, item in self.records():
                    line = {
                        "input_line": account.line,
                        **self.status_fields(account),
                        "position": position,
                        "input": self.input_fields(account),
                        "item": item,
                        "decision": None
                        if position is None
                        else decisions[account.image_id, position],
                    }
                    text.write(json.dumps(line, ensure_ascii=False) + "\n")
        elif fmt == "csv":
            with utf8_text(out, bom=bom) as text:
                write_csv(self.flat_rows(), text, columns=self.columns())
        else:
            from tmapi_search.bulk.xlsx import Sheet, write_xlsx

            columns = self.columns()

            def inputs() -> Iterator[dict[str, Any]]:
                seen: set[int] = set()
                for account, _, _ in self.records():
                    if account.image_id in seen:
                        continue
                    seen.add(account.image_id)
                    yield {
                        "input_line": account.line,
                        **self.status_fields(account),
                        "items": account.item_count,
                        "served_by_line": account.served_by,
                        **{"input." + k: v for k, v in self.input_fields(account).items()},
                    }

            items_sheet = Sheet(
                "items",
                columns,
                self.flat_rows(),
                link_columns=frozenset(
                    {"item.product_url", "item.img", "item.shop_info.shop_url", "input.img_url"}
                ),
                price_columns=frozenset(
                    c
                    for c in columns
                    if c.startswith(("item.", "decision."))
                    and ("price" in c or c == "decision.margin")
                ),
                id_columns=frozenset({"item.item_id"}),
            )
            inputs_sheet = Sheet(
                "inputs",
                [
                    *("input_line", "status", "error_code", "error_message", "items"),
                    *("served_by_line", *self.input_columns()),
                ],
                inputs(),
                link_columns=frozenset({"input.img_url"}),
            )
            write_xlsx([items_sheet, inputs_sheet], out)


@pytest.fixture(params=sorted(APIS))
def fixed_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    path = tmp_path / f"{request.param}.sqlite"
    build_db(path, request.param)
    return path


def both(db: Path, fmt: str, *, bom: bool = False) -> tuple[bytes, bytes]:
    old, new = io.BytesIO(), io.BytesIO()
    with Store(db, readonly=True) as store:
        OldExport(store).export(fmt, old, bom=bom)
        export(store, fmt, new, bom=bom, all_columns=True)  # type: ignore[arg-type]
    return old.getvalue(), new.getvalue()


def test_the_fixed_database_has_every_kind_of_row(fixed_db: Path) -> None:
    old, _ = both(fixed_db, "jsonl")
    lines = [json.loads(line) for line in old.decode().split("\n") if line]
    statuses = {(r["input"]["sku"], r["status"]) for r in lines}
    assert {s for _, s in statuses} == {"ok", "no_match", "failed", "pending"}
    assert ("=REJ-9", "failed") in statuses
    items = [r["item"] for r in lines if r["item"]]
    assert any(i.get("zz_late_column", {}).get("big") == 2**70 for i in items)
    assert any(next(iter(i)) == "zz_new_flag" for i in items)  # reordered by the model


@pytest.mark.parametrize(("fmt", "bom"), [("jsonl", False), ("csv", False), ("csv", True)])
def test_streamed_text_exports_equal_the_old_ones_byte_for_byte(
    fixed_db: Path, fmt: str, bom: bool
) -> None:
    old, new = both(fixed_db, fmt, bom=bom)
    assert new == old
    if fmt == "csv":  # the late column (after the first item rows) is padded in every row
        rows = list(csv.reader(io.StringIO(new.decode("utf-8-sig"))))
        assert len({len(row) for row in rows}) == 1
        assert "item.zz_late_column.big" in rows[0]


def _cells(data: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(data))
    sheets = {}
    for sheet in book.worksheets:
        sheets[sheet.title] = [
            [
                (
                    cell.value,
                    cell.data_type,
                    cell.number_format,
                    cell.quotePrefix,
                    cell.hyperlink.target if cell.hyperlink else None,
                    bool(cell.font.bold),
                )
                for cell in row
            ]
            for row in sheet.iter_rows()
        ]
        sheets[sheet.title + " filter"] = [[sheet.auto_filter.ref, sheet.freeze_panes]]
    return sheets


def test_streamed_workbook_has_the_old_cells(fixed_db: Path) -> None:
    old, new = both(fixed_db, "xlsx")
    assert _cells(new) == _cells(old)


def test_account_and_served_by_line_come_from_the_database(fixed_db: Path) -> None:
    with Store(fixed_db, readonly=True) as store:
        account = {a.sku: a for a in store.account()}
        assert account["SHARED-8"].served_by == account["SHARE-7"].line == 8
        assert account["SHARE-7"].served_by is None
        assert [a.sku for a in store.account("pending")] == ["PEND-5", "PEND-6"]
        assert account["PEND-5"].error_code == "TransportError"
        old = [(a, p) for a, p, _ in OldExport(store).records()]
        new = [(a, p) for a, p, _ in store.iter_account_items()]
        assert new == old


def test_iter_items_streams_every_item_in_input_then_result_order(fixed_db: Path) -> None:
    with Store(fixed_db, readonly=True) as store:
        items = [(s.image.line, s.position, s.data) for s in store.iter_items()]
        expected = [
            (a.line, p, item) for a, p, item in store.iter_account_items() if item is not None
        ]
    assert items == expected
    assert len(items) > 10


def test_csv_temporary_file_failure_names_its_folder(fixed_db: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    with (
        Store(fixed_db, readonly=True) as store,
        pytest.raises(OSError, match="temporary file") as raised,
    ):
        export(store, "csv", io.BytesIO(), spool_dir=missing)
    assert raised.value.strerror.startswith(f"cannot write a temporary file in {missing}: ")
