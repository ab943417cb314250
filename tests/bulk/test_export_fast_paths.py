"""The text exports' fast paths write what the general path (and the old export) writes.

CSV compiles a cell writer per item layout (`bulk/_flatcsv.py`) and JSONL copies the
stored bytes of an item that is already its exported JSON. Both only take the common
case and hand everything else to the general path; these tests throw hostile data at
them and compare, byte for byte, with the export before streaming (`OldExport`, kept in
test_export_streamed.py): text that needs quotes (comma, quote, CR, LF, CRLF) or a
formula guard, in items and in the catalogue's columns; lists of text needing JSON
escapes; every JSON type at every field, empty and non-empty objects where other items
have values (and the reverse), integers beyond 64 bits, floats, flags, nulls; keys in
another order than the model's; unknown fields; items written by other JSON writers.
Seeded, so a failure repeats.
"""

from __future__ import annotations

import copy
import errno
import io
import json
import os
import random
import sqlite3
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.bulk.test_export_streamed import ALI, APIS, OldExport, example_items
from tmapi_search.bulk import export as export_module
from tmapi_search.bulk._flatcsv import FlatWriter
from tmapi_search.bulk.export import _encode, _Spec, export
from tmapi_search.bulk.store import Store

TEXTS = [
    "plain",
    "with, comma",
    'with "quotes"',
    "line\nbreak",
    "carriage\rreturn",
    "both\r\nends",
    "=1+1",
    "+1",
    "-5",
    "-x",
    "@SUM(A1)",
    "\tTAB",
    "\rCR first",
    "手机壳，保护套",  # noqa: RUF001
    "\u2028sep",
    "\x1fsep",
    "back\\slash",
    "ctl\x01",
    "",
    " lead space",
]
LISTS: list[Any] = [
    [],
    ["a"],
    ["a", "b, c"],
    ['quote"d'],
    ["back\\slash"],
    ["ctl\x02"],
    ["新", "7×24H"],  # noqa: RUF001
    [1, "a"],
    ["a", 1],
    ["a", None],
    ["a", ["b"]],
    ["a", {"b": 1}],
    [{"b": 1}],
    [2**70],
    [1.5, True],
]
SCALARS: list[Any] = [None, True, False, 0, -7, 2**70, -(2**65), 1.5, -0.0, 1e300, *TEXTS]
OBJECTS: list[Any] = [{}, {"x": 1}, {"y": "=z", "x": [1]}, {"deep": {"er": "a,b"}}]


def _hostile(value: Any, rng: random.Random) -> Any:
    """`value` with each leaf, now and then, replaced by a hostile one of any type."""
    if isinstance(value, dict) and value:
        if rng.random() < 0.05:
            return copy.deepcopy(rng.choice([*OBJECTS, *SCALARS]))
        return {key: _hostile(inner, rng) for key, inner in value.items()}
    if rng.random() < 0.15:
        return copy.deepcopy(rng.choice([*SCALARS, *LISTS, *OBJECTS]))
    return value


def _variant(item: dict[str, Any], rng: random.Random, n: int) -> dict[str, Any]:
    out = {key: _hostile(value, rng) for key, value in copy.deepcopy(item).items()}
    if n % 7 == 3:
        out["zz_unknown"] = rng.choice([*SCALARS, *LISTS, *OBJECTS])
    if n % 11 == 5:  # not the model's order
        keys = list(out)
        rng.shuffle(keys)
        out = {key: out[key] for key in keys}
    return out


def build_hostile_db(path: Path, api: str, seed: int) -> None:
    model, _ = APIS[api]
    rng = random.Random(seed)
    examples = [model.from_dict(item).to_dict() for item in example_items(api)]
    with Store(path) as store:
        store.check_params({"api": api} if api == "v2" else {"language": "en"})
        images = 40
        with store.transaction():
            for n in range(images):
                extra = {"brand": rng.choice(TEXTS), "note": rng.choice(TEXTS)}
                store._db.execute(
                    "INSERT INTO images(id, key, line, img_url, sku, extra, updated_at, url_key)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                    (
                        n + 1,
                        f"k{n}",
                        n + 2,
                        f"{ALI}?n={n}",
                        rng.choice(TEXTS),
                        json.dumps(extra, ensure_ascii=False),
                        f"{ALI}?n={n}",
                    ),
                )
        run = store.start_run("in.csv", {})
        count = 0
        for n in range(images):
            if n % 9 == 4:
                continue  # left pending
            items = []
            for _ in range(rng.randrange(0, 12)):
                base = rng.choice(examples)
                # most items as the runner stores them, a share hostile
                items.append(_variant(base, rng, count) if rng.random() < 0.6 else base)
                count += 1
            store.save_done(n + 1, run, items, total_count=len(items), attempts=1)
        # items in the model's order written by other JSON writers
        with store.transaction():
            text = [
                json.dumps(examples[0]),
                json.dumps(examples[0], ensure_ascii=False, separators=(",", ":")),
            ]
            for position, data in enumerate(text):
                store._db.execute(
                    "INSERT INTO items(image_id, position, item_id, data) VALUES (5, ?, 1, ?)",
                    (position, data),
                )
            store._db.execute("UPDATE images SET status = 'done', item_count = 2 WHERE id = 5")


@pytest.mark.parametrize("api", sorted(APIS))
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_fast_paths_write_what_the_old_export_wrote(tmp_path: Path, api: str, seed: int) -> None:
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, api, seed)
    with Store(db, readonly=True) as store:
        for fmt, bom in (("csv", False), ("csv", True), ("jsonl", False)):
            old, new = io.BytesIO(), io.BytesIO()
            OldExport(store).export(fmt, old, bom=bom)
            export(store, fmt, new, bom=bom)  # type: ignore[arg-type]
            assert new.getvalue() == old.getvalue(), (fmt, bom)


def test_the_csv_fast_path_takes_the_common_items_and_hands_on_the_rest() -> None:
    """Guards the tests above: the compiled writer really writes the runner's items, and
    answers "general path" (False) for what it must not take."""
    api_model, _ = APIS["v1"]
    writer = FlatWriter(_Spec(api_model), _encode)
    stored = [api_model.from_dict(item).to_dict() for item in example_items("v1")]
    for item in stored:
        written = writer.write(item)
        assert written, item
        _, cells = written
        assert cells.count(",") >= len(item) - 1
    # a float that may be an integer beyond 64 bits, keys in another order, no keys
    big = {**stored[0], "goods_score": float(2**70)}
    assert writer.write(big) is False
    assert writer.write(dict(reversed(list(stored[0].items())))) is False
    assert writer.write({}) is False


def test_odd_values_at_the_lookup_columns_are_saved_and_exported(tmp_path: Path) -> None:
    """An answer with a list for a title or an item_id beyond 64 bits is still saved
    (the lookup columns keep its JSON text; SQLite makes the INTEGER column's text a
    number) and exported as the API sent it, the big integer whole."""
    model, _ = APIS["v1"]
    item = model.from_dict(example_items("v1")[0]).to_dict()
    odd = {**item, "item_id": 2**70, "title": ["a", "b"], "price": {"min": "1.00"}}
    with Store(tmp_path / "odd.sqlite") as store:
        store.check_params({"language": "en"})
        with store.transaction():
            store._db.execute(
                "INSERT INTO images(id, key, line, img_url, sku, extra, updated_at, url_key)"
                " VALUES (1, 'k', 2, ?, 'S', '{}', 0, ?)",
                (ALI, ALI),
            )
        run = store.start_run("in.csv", {})
        store.save_done(1, run, [odd], total_count=1, attempts=1)
        row = store._db.execute("SELECT title, price FROM items").fetchone()
        assert tuple(row) == ('["a", "b"]', '{"min": "1.00"}')
        out = io.BytesIO()
        export(store, "jsonl", out)
    assert json.loads(out.getvalue())["item"] == odd


# -- two processes ----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("api", sorted(APIS))
@pytest.mark.parametrize("seed", [5, 6])
def test_two_workers_write_what_one_writes(tmp_path: Path, api: str, seed: int, fmt: str) -> None:
    """The body split in two (this process and a forked worker), joined under one header:
    the same bytes, whatever columns each half met first (hostile items bring columns in
    either half, in other orders)."""
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, api, seed)
    with Store(db, readonly=True) as store:
        assert store.split_point() is not None
        one, two = io.BytesIO(), io.BytesIO()
        counts_one: Counter[str] = Counter()
        counts_two: Counter[str] = Counter()
        assert export(store, fmt, one, workers=1, counts=counts_one) == export(  # type: ignore[arg-type]
            store,
            fmt,  # type: ignore[arg-type]
            two,
            workers=2,
            counts=counts_two,
        )
    assert two.getvalue() == one.getvalue()
    assert counts_two == counts_one


def test_the_second_half_may_bring_columns_the_first_never_saw(tmp_path: Path) -> None:
    model, _ = APIS["v1"]
    base = model.from_dict(example_items("v1")[0]).to_dict()
    db = tmp_path / "late.sqlite"
    with Store(db) as store:
        store.check_params({"language": "en"})
        with store.transaction():
            for n in range(6):
                store._db.execute(
                    "INSERT INTO images(id, key, line, img_url, sku, extra, updated_at, url_key)"
                    " VALUES (?, ?, ?, ?, 'S', '{}', 0, ?)",
                    (n + 1, f"k{n}", n + 2, f"{ALI}?n={n}", f"{ALI}?n={n}"),
                )
        run = store.start_run("in.csv", {})
        for n in range(6):
            item = dict(base) if n < 3 else {"zz_new": n, **base, "aa_obj": {"b": n}}
            store.save_done(n + 1, run, [item, item], total_count=2, attempts=1)
    with Store(db, readonly=True) as store:
        one, two = io.BytesIO(), io.BytesIO()
        export(store, "csv", one, workers=1)
        export(store, "csv", two, workers=2)
    assert two.getvalue() == one.getvalue()
    header = one.getvalue().decode("utf-8").split("\r\n")[0]
    assert header.endswith("item.zz_new,item.aa_obj.b")


def _no_children_left() -> bool:
    try:
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


@pytest.mark.parametrize(("fmt", "body"), [("csv", "_csv_body"), ("jsonl", "_jsonl_body")])
def test_a_failing_worker_fails_the_export_and_names_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, body: str
) -> None:
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, "v1", 7)
    parent = os.getpid()
    real = getattr(export_module, body)

    def full_disk_in_the_worker(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(export_module, body, full_disk_in_the_worker)
    with Store(db, readonly=True) as store, pytest.raises(OSError, match="No space left") as raised:
        export(store, fmt, io.BytesIO(), workers=2, spool_dir=tmp_path)  # type: ignore[arg-type]
    assert raised.value.errno == errno.ENOSPC
    assert str(tmp_path) in str(raised.value) and "No space left" in str(raised.value)
    assert _no_children_left()


@pytest.mark.parametrize(("fmt", "body"), [("csv", "_csv_body"), ("jsonl", "_jsonl_body")])
def test_a_failing_parent_stops_and_reaps_its_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, body: str
) -> None:
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, "v2", 8)
    parent = os.getpid()
    real = getattr(export_module, body)

    def interrupted_in_the_parent(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() == parent:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(export_module, body, interrupted_in_the_parent)
    with Store(db, readonly=True) as store, pytest.raises(KeyboardInterrupt):
        export(store, fmt, io.BytesIO(), workers=2)  # type: ignore[arg-type]
    assert _no_children_left()


def test_a_worker_whose_parent_is_gone_stops(tmp_path: Path) -> None:
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, "v1", 9)
    with Store(db, readonly=True) as store, pytest.raises(export_module._Orphaned):
        export_module._csv_body(
            store, io.BytesIO(), export_module._columns(store, ()), None, lambda: False
        )


def test_a_utf16_database_exports_the_same_utf8(tmp_path: Path) -> None:
    """`iter_account_bytes` hands out UTF-8 whatever the database's encoding: a database
    another tool made in UTF-16 is exported as the same UTF-8."""
    plain, wide = tmp_path / "utf8.sqlite", tmp_path / "utf16.sqlite"
    build_hostile_db(plain, "v1", 11)
    source = sqlite3.connect(plain)
    copy_ = sqlite3.connect(wide)
    copy_.execute("PRAGMA encoding = 'UTF-16le'")  # before the first table: the file's
    copy_.executescript("\n".join(source.iterdump()))
    version = source.execute("PRAGMA user_version").fetchone()[0]
    copy_.execute(f"PRAGMA user_version = {int(version)}")
    copy_.commit()
    source.close()
    copy_.close()
    outputs = []
    for db in (plain, wide):
        with Store(db, readonly=True) as store:
            assert (store._db.execute("PRAGMA encoding").fetchone()[0] == "UTF-8") == (db == plain)
            items = [raw for _, stored in store.iter_account_bytes() for _, raw in stored]
            assert items and all(b"\x00" not in raw for raw in items)  # UTF-8, not UTF-16
            for fmt in ("jsonl", "csv"):
                out = io.BytesIO()
                export(store, fmt, out)  # type: ignore[arg-type]
                outputs.append(out.getvalue())
    assert outputs[:2] == outputs[2:]


def test_two_workers_only_where_forking_is_safe_and_worth_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, "v1", 12)
    with Store(db, readonly=True) as store:
        assert export_module._workers(store, None) == 1  # a small export: one process
        monkeypatch.setattr(export_module, "PARALLEL_ITEMS", 1)
        assert export_module._workers(store, None) == 2
        other = threading.Event()
        thread = threading.Thread(target=other.wait)
        thread.start()
        try:  # another thread in the process: never forked
            assert export_module._workers(store, None) == 1
        finally:
            other.set()
            thread.join()
        assert export_module._workers(store, 1) == 1
