"""The results database of a bulk run: one SQLite file (stdlib `sqlite3`, WAL).

Tables (see `SCHEMA`):

- `meta`: the search parameters the database was started with (a database holds the
  results of one search configuration; a run with other parameters is refused);
- `runs`: one row per invocation of `tmapi-search bulk` (start, end, how it ended,
  counts);
- `images`: one row per input image (its line in the input, `img_url`, `sku`/`id`,
  the input's other columns as JSON), with its `status`: `pending`, `done` or
  `failed` (plus the error's class, message and whether it is transient), the
  converted path when the URL had to be converted (so a rerun never pays for the
  conversion twice), and the totals of its search;
- `items`: each item found, linked to its image; `UNIQUE(image_id, position)`, so an
  item is never stored twice.

Durability: every finished image is one transaction (its items and its new status
together). A process killed at any point leaves each image either `done` with all its
items, or not done with none, and a rerun redoes only the latter. The API token is
never written here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "SCHEMA",
    "CatalogueChanges",
    "ImageRecord",
    "ParamsMismatchError",
    "RunCounts",
    "Store",
    "StoredItem",
]

ImageStatus = Literal["pending", "done", "failed"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY,
    started_at  REAL NOT NULL,
    finished_at REAL,
    outcome     TEXT NOT NULL DEFAULT 'running',
    input_path  TEXT,
    options     TEXT NOT NULL DEFAULT '{}',
    done        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    items       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS images (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    line            INTEGER NOT NULL,
    img_url         TEXT NOT NULL,
    sku             TEXT,
    ext_id          TEXT,
    extra           TEXT NOT NULL DEFAULT '{}',
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'done', 'failed')),
    error_class     TEXT,
    error_message   TEXT,
    transient       INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    converted_url   TEXT,
    total_count     INTEGER,
    item_count      INTEGER,
    run_id          INTEGER REFERENCES runs(id),
    updated_at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS images_status ON images(status);
CREATE TABLE IF NOT EXISTS items (
    id          INTEGER PRIMARY KEY,
    image_id    INTEGER NOT NULL REFERENCES images(id),
    position    INTEGER NOT NULL,
    item_id     INTEGER,
    title       TEXT,
    price       TEXT,
    product_url TEXT,
    data        TEXT NOT NULL,
    UNIQUE (image_id, position)
);
CREATE INDEX IF NOT EXISTS items_image ON items(image_id);
"""

_TABLES = frozenset({"meta", "runs", "images", "items"})

PARAMS_KEY = "search_params"


class ParamsMismatchError(ValueError):
    """The database was started with other search parameters than this run's."""


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One input image as stored."""

    id: int
    key: str
    line: int
    img_url: str
    sku: str | None
    ext_id: str | None
    extra: dict[str, str]
    status: ImageStatus
    error_class: str | None = None
    error_message: str | None = None
    transient: bool | None = None
    attempts: int = 0
    converted_url: str | None = None


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored item with its source image (for export)."""

    image: ImageRecord
    position: int
    data: dict[str, Any]


@dataclass(slots=True)
class CatalogueChanges:
    """How a catalogue differs from what the database holds (see `Store.update_catalogue`)."""

    #: rows never seen (each a new image to search)
    new: int = 0
    #: of the new rows: a known sku/id whose img_url changed (the new image is searched)
    url_changed: int = 0
    #: known rows whose other columns changed (updated in the database)
    edited: int = 0
    #: stored rows no longer in the catalogue (kept, with their results)
    gone: int = 0
    #: columns the database did not have
    new_columns: list[str] = field(default_factory=list)
    #: columns the database has and the catalogue no longer does
    dropped_columns: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.new or self.edited or self.gone or self.new_columns or self.dropped_columns
        )


@dataclass(slots=True)
class RunCounts:
    """Counts of the images of a database by status, and of its items."""

    pending: int = 0
    done: int = 0
    failed: int = 0
    items: int = 0
    failed_by_class: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.pending + self.done + self.failed


def _image(row: sqlite3.Row) -> ImageRecord:
    transient = row["transient"]
    return ImageRecord(
        id=row["id"],
        key=row["key"],
        line=row["line"],
        img_url=row["img_url"],
        sku=row["sku"],
        ext_id=row["ext_id"],
        extra=json.loads(row["extra"]),
        status=row["status"],
        error_class=row["error_class"],
        error_message=row["error_message"],
        transient=None if transient is None else bool(transient),
        attempts=row["attempts"],
        converted_url=row["converted_url"],
    )


class Store:
    """A results database. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        """Open (and with `create`, initialise) a results database.

        A file that is not a results database (another program's SQLite file) is refused
        instead of having tables added to it, and `create=False` (export) also refuses a
        new, empty file: ValueError naming `--db`.
        """
        self.path = Path(path)
        # isolation_level=None: no implicit transactions; `transaction()` opens them.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        listed = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = {row[0] for row in listed}
        ours = tables & _TABLES
        # A results database has all of our tables; a new one has no table at all. Anything
        # else is somebody else's database: never add tables to it.
        if ours != _TABLES and (tables or not create):
            self._db.close()
            raise ValueError(f"--db: {self.path} is not a tmapi-search results database")
        self._create_schema()

    def _create_schema(self) -> None:
        # executescript commits on its own; the statements are idempotent.
        self._db.executescript(SCHEMA)

    # -- plumbing ----------------------------------------------------------------
    def transaction(self) -> _Transaction:
        """`with store.transaction():` one atomic unit (BEGIN IMMEDIATE ... COMMIT)."""
        return _Transaction(self._db)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- the search parameters of this database ---------------------------------
    def check_params(self, params: Mapping[str, Any]) -> None:
        """Record `params` on first use; raise ParamsMismatchError if they differ later."""
        wanted = json.dumps(dict(params), sort_keys=True)
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (PARAMS_KEY,)).fetchone()
        if row is None:
            with self.transaction():
                self._db.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (PARAMS_KEY, wanted))
            return
        if row["value"] != wanted:
            before = json.loads(row["value"])
            diffs = [
                f"{name}={before.get(name)!r} (now {value!r})"
                for name, value in sorted(dict(params).items())
                if before.get(name) != value
            ]
            raise ParamsMismatchError(
                f"--db: {self.path} holds results searched with "
                + ", ".join(diffs or ["other parameters"])
                + "; use the same options to resume it, or a new --db"
            )

    def params(self) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (PARAMS_KEY,)).fetchone()
        return None if row is None else dict(json.loads(row["value"]))

    # -- runs ----------------------------------------------------------------------
    def start_run(self, input_path: str, options: Mapping[str, Any]) -> int:
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO runs(started_at, input_path, options) VALUES (?, ?, ?)",
                (time.time(), input_path, json.dumps(dict(options), sort_keys=True)),
            )
        run_id = cursor.lastrowid
        assert run_id is not None
        return run_id

    def finish_run(self, run_id: int, outcome: str) -> None:
        with self.transaction():
            self._db.execute(
                """UPDATE runs SET finished_at = ?, outcome = ?,
                     done = (SELECT count(*) FROM images WHERE run_id = ? AND status = 'done'),
                     failed = (SELECT count(*) FROM images WHERE run_id = ? AND status = 'failed'),
                     items = (SELECT count(*) FROM items JOIN images ON images.id = items.image_id
                              WHERE images.run_id = ? AND images.status = 'done')
                   WHERE id = ?""",
                (time.time(), outcome, run_id, run_id, run_id, run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.execute("SELECT * FROM runs ORDER BY id")]

    # -- images ----------------------------------------------------------------------
    def add_images(self, rows: Iterable[tuple[str, int, str, str | None, str | None, str]]) -> int:
        """Insert input images (key, line, img_url, sku, ext_id, extra JSON) not yet known.

        Returns how many were new. Images already in the database keep their status.
        """
        now = time.time()
        with self.transaction():
            before = self._db.total_changes
            self._db.executemany(
                """INSERT INTO images(key, line, img_url, sku, ext_id, extra, updated_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING""",
                [(*row, now) for row in rows],
            )
            return self._db.total_changes - before

    def update_catalogue(
        self, rows: Sequence[tuple[str, int, str, str | None, str | None, str]]
    ) -> CatalogueChanges:
        """Bring the stored rows in line with the catalogue, before `add_images`.

        A known row (same sku/id and img_url) takes the catalogue's current columns and
        line, so exports show the catalogue as it is now; its status and items are kept.
        Returns what changed; new rows are only counted (add_images inserts them).
        """
        changes = CatalogueChanges()
        if not rows:
            return changes
        stored = {
            row["key"]: (row["line"], json.loads(row["extra"]))
            for row in self._db.execute("SELECT key, line, extra FROM images")
        }
        if not stored:
            return changes  # a first run: nothing to compare with
        urls_by_ident: dict[tuple[str, str], set[str]] = {}
        for row in self._db.execute("SELECT sku, ext_id, img_url FROM images"):
            if row["sku"] or row["ext_id"]:
                ident = (row["sku"] or "", row["ext_id"] or "")
                urls_by_ident.setdefault(ident, set()).add(row["img_url"])
        before_columns = self.extra_columns()
        updates = []
        now_columns: dict[str, None] = {}
        for key, line, img_url, sku, ext_id, extra_json in rows:
            extra = json.loads(extra_json)
            now_columns.update(dict.fromkeys(extra))
            known = stored.get(key)
            if known is None:
                changes.new += 1
                urls = urls_by_ident.get((sku or "", ext_id or ""))
                if (sku or ext_id) and urls and img_url not in urls:
                    changes.url_changed += 1
                continue
            if known[1] != extra:
                changes.edited += 1
            if known != (line, extra):
                updates.append((line, extra_json, time.time(), key))
        changes.gone = len(stored.keys() - {row[0] for row in rows})
        changes.new_columns = [name for name in now_columns if name not in before_columns]
        changes.dropped_columns = [name for name in before_columns if name not in now_columns]
        if updates:
            with self.transaction():
                self._db.executemany(
                    "UPDATE images SET line = ?, extra = ?, updated_at = ? WHERE key = ?",
                    updates,
                )
        return changes

    def images_to_do(self, keys: Sequence[str], *, retry_failed: bool = False) -> list[ImageRecord]:
        """Of the images with these keys, those a run must search, in input order.

        Pending ones, failed ones whose error was transient, and (with `retry_failed`)
        every failed one. Done images are never searched again.
        """
        rows = self._db.execute(
            "SELECT * FROM images WHERE status IN ('pending', 'failed') ORDER BY line, id"
        ).fetchall()
        wanted = set(keys)
        todo = []
        for row in rows:
            if row["key"] not in wanted:
                continue
            if row["status"] == "failed" and not (retry_failed or row["transient"]):
                continue
            todo.append(_image(row))
        return todo

    def image(self, image_id: int) -> ImageRecord:
        row = self._db.execute("SELECT * FROM images WHERE id = ?", (image_id,)).fetchone()
        if row is None:
            raise KeyError(image_id)
        return _image(row)

    def images(self, status: ImageStatus | None = None) -> list[ImageRecord]:
        if status is None:
            rows = self._db.execute("SELECT * FROM images ORDER BY line").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM images WHERE status = ? ORDER BY line", (status,)
            ).fetchall()
        return [_image(row) for row in rows]

    def save_converted(self, image_id: int, converted_url: str) -> None:
        """Keep the converted path of an image at once (the conversion was paid for)."""
        with self.transaction():
            self._db.execute(
                "UPDATE images SET converted_url = ?, updated_at = ? WHERE id = ?",
                (converted_url, time.time(), image_id),
            )

    def save_done(
        self,
        image_id: int,
        run_id: int,
        items: Sequence[Mapping[str, Any]],
        *,
        total_count: int | None,
        attempts: int,
    ) -> None:
        """One transaction: the image's items (each once) and its status `done`."""
        with self.transaction():
            self._db.executemany(
                """INSERT INTO items(image_id, position, item_id, title, price, product_url, data)
                   VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(image_id, position) DO NOTHING""",
                [
                    (
                        image_id,
                        position,
                        item.get("item_id"),
                        item.get("title"),
                        item.get("price"),
                        item.get("product_url"),
                        json.dumps(item, ensure_ascii=False),
                    )
                    for position, item in enumerate(items)
                ],
            )
            self._db.execute(
                """UPDATE images SET status = 'done', error_class = NULL, error_message = NULL,
                       transient = NULL, attempts = attempts + ?, total_count = ?,
                       item_count = ?, run_id = ?, updated_at = ?
                   WHERE id = ?""",
                (attempts, total_count, len(items), run_id, time.time(), image_id),
            )

    def save_failed(
        self,
        image_id: int,
        run_id: int,
        *,
        error_class: str,
        error_message: str,
        transient: bool,
        attempts: int,
    ) -> None:
        """One transaction: the image is `failed`, with the error's class and message."""
        with self.transaction():
            self._db.execute(
                """UPDATE images SET status = 'failed', error_class = ?, error_message = ?,
                       transient = ?, attempts = attempts + ?, run_id = ?, updated_at = ?
                   WHERE id = ?""",
                (
                    error_class,
                    error_message,
                    int(transient),
                    attempts,
                    run_id,
                    time.time(),
                    image_id,
                ),
            )

    # -- reading back ------------------------------------------------------------------
    def counts(self) -> RunCounts:
        counts = RunCounts()
        for row in self._db.execute("SELECT status, count(*) AS n FROM images GROUP BY status"):
            setattr(counts, row["status"], row["n"])
        counts.items = self._db.execute("SELECT count(*) FROM items").fetchone()[0]
        for row in self._db.execute(
            "SELECT error_class, count(*) AS n FROM images WHERE status = 'failed' "
            "GROUP BY error_class ORDER BY n DESC"
        ):
            counts.failed_by_class[row["error_class"] or "?"] = row["n"]
        return counts

    def iter_items(self) -> Iterator[StoredItem]:
        """Every stored item with its image, in input order then result order."""
        cursor = self._db.execute(
            """SELECT images.*, items.position AS item_position, items.data AS item_data
               FROM items JOIN images ON images.id = items.image_id
               ORDER BY images.line, images.id, items.position"""
        )
        for row in cursor:
            yield StoredItem(
                image=_image(row), position=row["item_position"], data=json.loads(row["item_data"])
            )

    def extra_columns(self) -> list[str]:
        """The input's extra column names, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self._db.execute("SELECT extra FROM images ORDER BY line"):
            for name in json.loads(row["extra"]):
                seen.setdefault(name, None)
        return list(seen)


class _Transaction:
    """BEGIN IMMEDIATE on enter; COMMIT on a clean exit, ROLLBACK on an exception."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")
