"""The SQLite results store and the export, on a real file."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tmapi_search import spec
from tmapi_search.bulk.export import export
from tmapi_search.bulk.inputs import InputImage
from tmapi_search.bulk.store import ParamsMismatchError, Store

ALI = "https://cbu01.alicdn.com/img/ibank/O1CN01Lnbnos2LkORtHhOVp_!!3367999730-0-cib.jpg"


def vendor_items() -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = spec.response_example()["data"]["items"]
    return items


def images() -> list[InputImage]:
    return [
        InputImage(line=2, img_url=ALI, sku="A-1", extra={"brand": "Acme"}),
        InputImage(line=3, img_url="https://example.com/b.jpg", sku="B-2", extra={"brand": "Bo"}),
        InputImage(line=4, img_url="https://example.com/c.jpg", sku="C-3", extra={}),
    ]


def test_database_is_wal_and_schema_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "r.sqlite"
    with Store(db):
        pass
    with Store(db) as store:
        assert store.counts().total == 0
    mode = sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_images_lifecycle_and_resume_selection(tmp_path: Path) -> None:
    rows = images()
    with Store(tmp_path / "r.sqlite") as store:
        assert store.add_images(i.db_row() for i in rows) == 3
        assert store.add_images(i.db_row() for i in rows) == 0  # known images keep status
        run = store.start_run("in.csv", {})
        first, second, third = store.images_to_do([i.key for i in rows])
        store.save_done(first.id, run, vendor_items(), total_count=666, attempts=1)
        store.save_failed(
            second.id,
            run,
            error_class="ParameterError",
            error_message="Parameter error",
            transient=False,
            attempts=1,
        )
        store.save_failed(
            third.id,
            run,
            error_class="ServerError",
            error_message="boom",
            transient=True,
            attempts=3,
        )
        store.finish_run(run, "completed")
        counts = store.counts()
        assert (counts.done, counts.failed, counts.pending, counts.items) == (1, 2, 0, 2)
        assert counts.failed_by_class == {"ParameterError": 1, "ServerError": 1}
        keys = [i.key for i in rows]
        assert [i.sku for i in store.images_to_do(keys)] == ["C-3"]  # transient only
        assert [i.sku for i in store.images_to_do(keys, retry_failed=True)] == ["B-2", "C-3"]
        assert store.runs()[0]["done"] == 1
        assert store.runs()[0]["outcome"] == "completed"


def test_an_item_is_never_stored_twice(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.add_images([images()[0].db_row()])
        (image,) = store.images()
        run = store.start_run("in.csv", {})
        store.save_done(image.id, run, vendor_items(), total_count=666, attempts=1)
        store.save_done(image.id, run, vendor_items(), total_count=666, attempts=1)
        assert store.counts().items == 2


def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.add_images([images()[0].db_row()])
        (image,) = store.images()
        run = store.start_run("in.csv", {})
        bad = [*vendor_items(), {"item_id": 1, "not_json": object()}]
        with pytest.raises(TypeError):
            store.save_done(image.id, run, bad, total_count=666, attempts=1)
        assert store.counts().items == 0
        assert store.image(image.id).status == "pending"


def test_params_are_fixed_per_database(tmp_path: Path) -> None:
    with Store(tmp_path / "r.sqlite") as store:
        store.check_params({"language": "en", "sort": "default"})
        store.check_params({"language": "en", "sort": "default"})
        with pytest.raises(ParamsMismatchError, match=r"^--db: .*language='en' \(now 'ru'\)"):
            store.check_params({"language": "ru", "sort": "default"})


def filled_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "r.sqlite")
    store.add_images(i.db_row() for i in images())
    run = store.start_run("in.csv", {})
    for image in store.images()[:2]:
        store.save_done(image.id, run, vendor_items(), total_count=666, attempts=1)
    return store


def test_export_jsonl_carries_every_field_and_the_input_columns(tmp_path: Path) -> None:
    out = io.BytesIO()
    with filled_store(tmp_path) as store:
        assert export(store, "jsonl", out) == 5  # 2 x 2 items, and the row not searched yet
    records = [json.loads(line) for line in out.getvalue().decode("utf-8").splitlines()]
    assert records[0]["input_line"] == 2
    assert records[0]["input"] == {
        "img_url": ALI,
        "sku": "A-1",
        "id": None,
        "brand": "Acme",
    }
    assert [r["item"] for r in records[:2]] == vendor_items()  # every field, values unchanged
    assert [r["position"] for r in records] == [0, 1, 0, 1, None]
    assert [r["status"] for r in records] == ["ok"] * 4 + ["pending"]
    assert records[4]["input"]["sku"] == "C-3" and records[4]["item"] is None


def test_export_csv_one_row_per_item_with_flattened_fields(tmp_path: Path) -> None:
    out = io.BytesIO()
    with filled_store(tmp_path) as store:
        assert export(store, "csv", out) == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert len(rows) == 5
    first = rows[0]
    assert list(first)[:9] == [
        "input_line",
        "status",
        "error_code",
        "error_message",
        "position",
        "input.img_url",
        "input.sku",
        "input.id",
        "input.brand",
    ]
    assert [row["status"] for row in rows] == ["ok"] * 4 + ["pending"]
    assert rows[4]["item.item_id"] == "" and rows[4]["position"] == ""
    item = vendor_items()[0]
    assert first["item.item_id"] == str(item["item_id"])
    assert first["item.shop_info.company_name"] == item["shop_info"]["company_name"]
    assert json.loads(first["item.shop_info.location"]) == item["shop_info"]["location"]
    assert first["item.shop_info.login_id"] == ""
    assert rows[2]["input.sku"] == "B-2"


def test_another_programs_database_is_never_touched(tmp_path: Path) -> None:
    db = tmp_path / "theirs.sqlite"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    for create in (True, False):
        with pytest.raises(ValueError, match="--db: .* is not a tmapi-search results database"):
            Store(db, create=create)
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"customers"}


def test_export_refuses_a_new_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--db"):
        Store(tmp_path / "new.sqlite", create=False)
