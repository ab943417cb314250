"""The results database's schema, its migrations, and how it is opened.

Tables (see `SCHEMA`):

- `meta`: the search parameters the database was started with (a database holds the
  results of one search configuration; a run with other parameters is refused), and
  the state of the catalogue readings (`tmapi_search.bulk.ingest`);
- `runs`: one row per run (start, end, how it ended, counts; `tmapi_search.bulk.runs`);
- `images`: one row per input image (its line in the input, `img_url`, `sku`/`id`,
  the input's other columns as JSON), with its `status`: `pending`, `done` or
  `failed` (plus the error's class, message and whether it is transient), the
  converted path when the URL had to be converted (so a rerun never pays for the
  conversion twice), and the totals of its search;
- `items`: each item found, linked to its image; `UNIQUE(image_id, position)`, so an
  item is never stored twice.

Schema changes add columns (`_ADDED_COLUMNS`) and indexes (`_INDEXES`) when a run
opens a database an older version made; read-only opens use what is there.

Read-only opens (`Store(path, readonly=True)`, what export and status use) go
through a `file:...?mode=ro` URI: no journal-mode change, no schema, nothing written,
and a file that is not a results database is refused unchanged. On read-only media a
WAL database is opened `immutable`.

`Database` is the connection and its plumbing (transactions, WAL checkpoints, `meta`);
`tmapi_search.bulk.store.Store` adds what the other modules do with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Self
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "SCHEMA",
    "Database",
    "ImageRecord",
    "ImageStatus",
    "check_usable",
    "is_sqlite_file",
    "normalise_url",
    "open_readonly",
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
    items       INTEGER NOT NULL DEFAULT 0,
    pid         INTEGER,
    host        TEXT,
    calls       INTEGER NOT NULL DEFAULT 0,
    shared      INTEGER NOT NULL DEFAULT 0,
    message     TEXT
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
    updated_at      REAL NOT NULL,
    url_key         TEXT,
    served_by       INTEGER
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
#: Columns added after the first release: added to an older database when `bulk` opens it.
_ADDED_COLUMNS = {
    "runs": {
        "pid": "INTEGER",
        "host": "TEXT",
        "calls": "INTEGER NOT NULL DEFAULT 0",
        "shared": "INTEGER NOT NULL DEFAULT 0",
        "message": "TEXT",
    },
    "images": {
        "url_key": "TEXT",
        "served_by": "INTEGER",
        "converted_at": "REAL",
        "rejected": "INTEGER NOT NULL DEFAULT 0",
        # the catalogue reading (`Ingestion`) that last saw the row: "gone" rows, stale
        # rejected rows and the to-do set are found by it, with no set of every key
        "seen_in": "INTEGER",
        # pages stored of a search not finished yet (see `save_page`): the page to ask
        # for next (NULL: none stored, or the image is done) and the search parameters
        # those pages were fetched with (JSON, `page_params`)
        "next_page": "INTEGER",
        "page_params": "TEXT",
    },
}
#: The error code of a catalogue row rejected while reading it (see `Ingestion`).
_INDEXES = """
CREATE INDEX IF NOT EXISTS images_url_key ON images(url_key);
CREATE INDEX IF NOT EXISTS images_ident ON images(sku, ext_id);
CREATE INDEX IF NOT EXISTS images_todo ON images(seen_in, line) WHERE status != 'done';
CREATE INDEX IF NOT EXISTS images_partial ON images(url_key) WHERE next_page IS NOT NULL;
"""
SQLITE_HEADER = b"SQLite format 3\x00"

PARAMS_KEY = "search_params"
#: meta: the number of the latest catalogue reading (`Ingestion`)
INGESTION_KEY = "ingestion"
#: meta: the latest catalogue reading that completed (JSON: fingerprint, counts)
CATALOGUE_KEY = "catalogue"
#: meta: the extra column names of every row stored, in first-seen order (JSON list)
COLUMNS_KEY = "extra_columns"
#: meta: the number of the latest catalogue reading that completed: the rows it did not
#: see are `gone` (kept when a new reading starts, unlike `CATALOGUE_KEY`)
CURRENT_KEY = "current_reading"
#: SQL: the row `im` is gone (the latest completed reading did not see it); a database of
#: an older version: its last completed reading (`CATALOGUE_KEY`), else none is gone
GONE_SQL = """(coalesce(im.seen_in, 0) < coalesce(
    (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'current_reading'),
    (SELECT json_extract(value, '$.ingestion') FROM meta WHERE key = 'catalogue'), 0))"""


def normalise_url(img_url: str) -> str:
    """The identity of an image URL for sharing one search between rows.

    Surrounding whitespace, the case of the scheme and host, a default port and the
    fragment (never sent to a server) do not make another image; the path and the
    query do. A converted path (`/search/...`) is kept as it is.
    """
    text = img_url.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return text
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    port = parts.port
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


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
    converted_at: float | None = None
    """Unix time of the conversion (None: not converted, or stored by an older version)."""
    url_key: str | None = None
    served_by: int | None = None
    item_count: int | None = None


def _image(row: sqlite3.Row) -> ImageRecord:
    transient = row["transient"]
    keys = row.keys()
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
        converted_at=row["converted_at"] if "converted_at" in keys else None,
        url_key=row["url_key"] if "url_key" in keys else None,
        served_by=row["served_by"] if "served_by" in keys else None,
        item_count=row["item_count"],
    )


def _ro_uri(path: Path, *, immutable: bool = False) -> str:
    # `file:///C:/...` on Windows, `file:///home/...` elsewhere; `?`, `#`, `%` escaped
    uri = path.resolve().as_uri() + "?mode=ro"
    return uri + "&immutable=1" if immutable else uri


def _on_read_only_media(path: Path) -> bool:
    try:
        if hasattr(os, "statvfs") and os.statvfs(path).f_flag & os.ST_RDONLY:  # not on Windows
            return True
        return not os.access(path.resolve().parent, os.W_OK)
    except OSError:
        return False


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (`mode=ro`; `immutable` on read-only media). Writes nothing.

    ValueError (naming `--db`) when the file is not a SQLite database.
    """
    attempts = [False, True] if _on_read_only_media(path) else [False]
    last: sqlite3.Error | None = None
    for immutable in attempts:
        db = sqlite3.connect(_ro_uri(path, immutable=immutable), uri=True, timeout=30.0)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            db.close()
            if "not a database" in str(error) or "malformed" in str(error):
                raise ValueError(f"--db: {path} is not a SQLite database") from None
            last = error
            continue
        db.isolation_level = None
        db.row_factory = sqlite3.Row
        return db
    assert last is not None
    raise last


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def is_sqlite_file(path: Path) -> bool:
    """True when `path` is a regular file that starts with SQLite's header."""
    try:
        with path.open("rb") as handle:
            return handle.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


#: what a new results database is not named: catalogues, exports, reports (a user who
#: takes --db for the output file)
_NOT_DATABASE_SUFFIXES = frozenset(
    {".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".jsonl", ".json", ".html", ".htm"}
)


def check_usable(path: str | Path) -> None:
    """Refuse (ValueError naming `--db`) what `bulk` must not write to, reading only.

    A directory, a missing folder, or a file that is not a results database (another
    program's SQLite file, or not SQLite at all). A missing or empty file is fine,
    unless it is named like a catalogue or an export (`.csv`, `.xlsx` ...).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--db: {path} is a directory, not a results database")
    if not path.parent.is_dir():
        raise ValueError(f"--db: the folder {path.parent} does not exist")
    suffix = path.suffix.lower()
    if suffix in _NOT_DATABASE_SUFFIXES and not path.exists():
        raise ValueError(
            f"--db: {path} would be a new SQLite results database named like a {suffix} "
            f"file; name it .sqlite (--db {path.with_suffix('.sqlite')}), and write "
            f"{suffix} files with export --out"
        )
    if path.exists() and path.stat().st_size > 0:
        probe = open_readonly(path)
        try:
            tables = _tables(probe)
        finally:
            probe.close()
        if tables and tables & _TABLES != _TABLES:
            raise ValueError(f"--db: {path} is not a tmapi-search results database")


class Database:
    """A results database's connection. Use as a context manager, or call `close()`."""

    def __init__(self, path: str | Path, *, create: bool = True, readonly: bool = False) -> None:
        """Open (and with `create`, initialise) a results database.

        A file that is not a results database (another program's SQLite file) is refused
        unchanged instead of having tables added to it; `readonly` (or `create=False`)
        opens an existing results database read-only and also refuses a new, empty
        file: ValueError naming `--db`. sqlite3.Error / OSError when it cannot be read.
        """
        self.path = Path(path)
        self.readonly = readonly or not create
        if self.path.is_dir():
            raise ValueError(f"--db: {self.path} is a directory, not a results database")
        if self.readonly:
            if not self.path.exists():
                raise ValueError(f"--db: {self.path} does not exist")
            self._db = open_readonly(self.path)
            if _tables(self._db) & _TABLES != _TABLES:
                self._db.close()
                raise ValueError(f"--db: {self.path} is not a tmapi-search results database")
            return
        check_usable(self.path)  # look before touching: another program's file keeps every byte
        # isolation_level=None: no implicit transactions; `transaction()` opens them.
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        tables = _tables(self._db)
        if tables and tables & _TABLES != _TABLES:
            self._db.close()
            raise ValueError(f"--db: {self.path} is not a tmapi-search results database")
        self._create_schema()

    def _create_schema(self) -> None:
        # executescript commits on its own; the statements are idempotent.
        self._db.executescript(SCHEMA)
        for table, columns in _ADDED_COLUMNS.items():
            have = {row["name"] for row in self._db.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns.items():
                if name not in have:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")
        self._db.executescript(_INDEXES)
        missing = self._db.execute(
            "SELECT id, img_url FROM images WHERE url_key IS NULL AND NOT rejected"
        )
        updates = [(normalise_url(row["img_url"]), row["id"]) for row in missing]
        if updates:
            with self.transaction():
                self._db.executemany("UPDATE images SET url_key = ? WHERE id = ?", updates)

    def _has_column(self, table: str, column: str) -> bool:
        return any(row["name"] == column for row in self._db.execute(f"PRAGMA table_info({table})"))

    # -- plumbing ----------------------------------------------------------------
    def transaction(self) -> _Transaction:
        """`with store.transaction():` one atomic unit (BEGIN IMMEDIATE ... COMMIT)."""
        return _Transaction(self._db)

    @contextlib.contextmanager
    def background_checkpoints(self, every: float = 0.5) -> Iterator[None]:
        """While inside: the WAL is checkpointed by a thread with its own connection,
        every `every` seconds (PASSIVE: it never waits for, nor blocks, this connection's
        writes), instead of by the commit that crosses SQLite's threshold (1,000 pages):
        that commit would copy the pages and fsync on the caller's thread, 5-46 ms here.
        Durability is unchanged (synchronous=NORMAL: a commit is durable once
        checkpointed, and the WAL holds it until then); a checkpoint that fails is tried
        again by the next. After: SQLite's own checkpoints again. Read-only: nothing.
        """
        if self.readonly:
            yield
            return
        stop = threading.Event()

        def checkpoints() -> None:
            try:
                conn = sqlite3.connect(self.path, timeout=30.0)
            except sqlite3.Error:  # pragma: no cover - the file was just opened
                return
            try:
                while not stop.wait(every):
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()

        self._db.execute("PRAGMA wal_autocheckpoint=0")
        thread = threading.Thread(target=checkpoints, name="tmapi-wal-checkpoints", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()
            with contextlib.suppress(sqlite3.Error):  # a closed or broken database
                self._db.execute("PRAGMA wal_autocheckpoint=1000")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- meta --------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str | None) -> None:
        """Within a transaction: set (or, with None, delete) a meta value."""
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )


class _Transaction:
    """BEGIN IMMEDIATE on enter; COMMIT on a clean exit, ROLLBACK on an exception."""

    __slots__ = ("_db",)

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
            except sqlite3.Error:
                self._rollback()  # e.g. a full disk at COMMIT: leave no transaction open
                raise
        else:
            self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")
