"""The text exports write hostile data as the export before streaming did.

These tests throw hostile data at the CSV and JSONL exports and compare, byte for
byte, with the export before streaming (`OldExport`, kept in test_export_streamed.py):
text that needs quotes (comma, quote, CR, LF, CRLF) or a formula guard, in items and
in the catalogue's columns; lists of text needing JSON escapes; every JSON type at
every field, empty and non-empty objects where other items have values (and the
reverse), integers beyond 64 bits, floats, flags, nulls; keys in another order than
the model's; unknown fields; items written by other JSON writers. Seeded, so a
failure repeats.
"""

from __future__ import annotations

import copy
import io
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.bulk.test_export_streamed import ALI, APIS, OldExport, example_items
from tmapi_search.bulk.export import export
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
def test_hostile_items_are_written_as_the_old_export_wrote(
    tmp_path: Path, api: str, seed: int
) -> None:
    db = tmp_path / "hostile.sqlite"
    build_hostile_db(db, api, seed)
    with Store(db, readonly=True) as store:
        for fmt, bom in (("csv", False), ("csv", True), ("jsonl", False)):
            old, new = io.BytesIO(), io.BytesIO()
            OldExport(store).export(fmt, old, bom=bom)
            export(store, fmt, new, bom=bom)  # type: ignore[arg-type]
            assert new.getvalue() == old.getvalue(), (fmt, bom)


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


def test_a_utf16_database_exports_the_same_utf8(tmp_path: Path) -> None:
    """A database another tool made in UTF-16 is exported as the same UTF-8."""
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
            for fmt in ("jsonl", "csv"):
                out = io.BytesIO()
                export(store, fmt, out)  # type: ignore[arg-type]
                outputs.append(out.getvalue())
    assert outputs[:2] == outputs[2:]
