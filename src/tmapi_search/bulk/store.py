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

Rows the catalogue reader rejected (blank or non-http(s) `img_url`, too many cells) are
`images` rows too, `rejected` = 1: `failed` with error class `InvalidInput` and the
reason, never searched (`images_to_do` and `settled_for` skip them), and replaced as a
whole by each reading's rejected rows (`Ingestion`), so a row fixed in the catalogue
stops being one and is searched as a new row.

A catalogue is read in batches by an `Ingestion` (`start_ingestion`): every row it sees
is stamped `seen_in` = the reading's number (kept in `meta`), so that rows no longer in
the catalogue, stale rejected rows and the rows to search are found by that stamp, with
no set of every key in memory. The rows a run must search are paged out through a
partial index (`images_todo`: rows not done, by reading and line; `pending_page`). A
reading that completes records the catalogue's fingerprint and the extra column names
in `meta` (`last_catalogue`, `stored_columns`).

Rows with the same normalised image URL (`url_key`) share one search: the first one's
items are copied to the others in the same transaction, and `served_by` names the row
whose paid search served them (see `normalise_url`).

Durability: every finished image is one transaction (its items and its new status
together). An image searched over several pages stores each page but the last as it
comes (`save_page`: its items and `next_page`, the page to ask for next, with
`page_params`, the search parameters they were fetched with), and the last one with
its status `done`. A process killed at any point leaves each image either `done` with
all its items, or not done with the pages stored so far (none for a one-page search);
a rerun continues those at `next_page` (`partial_for`), never mixing pages of other
search parameters (`check_page_params`). The API token is never written here.

Schema changes add columns (`_ADDED_COLUMNS`) and indexes (`_INDEXES`) when `bulk`
opens a database an older version made; read-only opens use what is there.

Read-only opens (`Store(path, readonly=True)`, what `export` and `status` use) go
through a `file:...?mode=ro` URI: no journal-mode change, no schema, nothing written,
and a file that is not a results database is refused unchanged. On read-only media a
WAL database is opened `immutable`.

`account()` is the per-input account of a database: each input row with its status
(`ok`, `no_match`, `failed`, `pending`), error code and message and item count.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "INVALID_INPUT",
    "SCHEMA",
    "AccountStatus",
    "CatalogueChanges",
    "ImageRecord",
    "InputAccount",
    "ParamsMismatchError",
    "PartialPages",
    "RunCounts",
    "Store",
    "StoredItem",
    "check_usable",
    "is_sqlite_file",
    "normalise_url",
    "open_readonly",
]

ImageStatus = Literal["pending", "done", "failed"]
#: An input row's account: items found, searched with no match, failed, not searched yet.
AccountStatus = Literal["ok", "no_match", "failed", "pending"]

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
INVALID_INPUT = "InvalidInput"
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

#: the per-input account (see `_account`): the serving row's line by a self-join
_ACCOUNT_SQL = """SELECT im.id, im.line, im.img_url, im.sku, im.ext_id, im.extra, im.status,
    im.error_class, im.error_message, im.attempts, im.item_count, srv.line AS served_by_line
    FROM images AS im LEFT JOIN images AS srv ON srv.id = im.served_by
    ORDER BY im.line, im.id"""
#: one image's items, by the UNIQUE (image_id, position) index: no sort
_ITEMS_SQL = "SELECT position, data FROM items WHERE image_id = ? ORDER BY position"
_ITEMS_BYTES_SQL = (
    "SELECT position, CAST(data AS BLOB) FROM items WHERE image_id = ? ORDER BY position"
)
#: the rows of one account status (`account(status)`)
_ACCOUNT_WHERE = {
    "ok": "im.status = 'done' AND im.item_count",
    "no_match": "im.status = 'done' AND NOT coalesce(im.item_count, 0)",
    "failed": "im.status = 'failed'",
    "pending": "im.status = 'pending'",
}
#: the same for a database older than shared searches (no `served_by` column)
_ACCOUNT_SQL_UNSHARED = """SELECT im.id, im.line, im.img_url, im.sku, im.ext_id, im.extra,
    im.status, im.error_class, im.error_message, im.attempts, im.item_count,
    NULL AS served_by_line
    FROM images AS im ORDER BY im.line, im.id"""


#: a part of the input rows, in input order (`Store.iter_account_bytes`)
Part = tuple[Literal["upto", "after"], tuple[int, int]] | None


class ParamsMismatchError(ValueError):
    """The database was started with other search parameters than this run's."""


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


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored item with its source image (for export)."""

    image: ImageRecord
    position: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InputAccount:
    """What became of one input row: the public per-input account of a database.

    `status`: `ok` (searched, items found), `no_match` (searched, nothing found),
    `failed` (with `error_code`, the error's class, and `error_message`) or `pending`
    (not searched yet; `error_code`/`error_message` say why when a call was tried, e.g.
    a connection failure). `served_by` is the line of the row whose search served this
    one (same image URL), None when it was its own. `item_count`: the items stored; for
    a `failed` or `pending` row, those of the pages stored before its search stopped
    (several pages per image), 0 for most.
    """

    line: int
    img_url: str
    sku: str | None
    ext_id: str | None
    extra: dict[str, str]
    status: AccountStatus
    error_code: str | None
    error_message: str | None
    item_count: int
    attempts: int
    served_by: int | None
    image_id: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "img_url": self.img_url,
            "sku": self.sku,
            "id": self.ext_id,
            "status": self.status,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "item_count": self.item_count,
            "attempts": self.attempts,
            "served_by_line": self.served_by,
        }


@dataclass(slots=True)
class CatalogueChanges:
    """How a catalogue differs from what the database holds (see `Ingestion`)."""

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
    no_match: int = 0
    shared: int = 0
    partial: int = 0
    """Rows not done that hold some pages of their search (resumed at the next page)."""
    failed_by_class: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.pending + self.done + self.failed


@dataclass(frozen=True, slots=True)
class PartialPages:
    """The pages stored of an unfinished search (`Store.partial_for`)."""

    image_id: int
    """The row holding them."""
    next_page: int
    """The first page not stored yet."""
    stored: int
    """Items stored (positions 0 .. stored - 1)."""
    total_count: int | None
    page_params: str | None


def _encode(
    items: Sequence[Mapping[str, Any]], first_position: int = 0
) -> list[tuple[int, Any, Any, Any, Any, str]]:
    """Items as `items` rows (without the image id), from `first_position` on."""
    return [
        (
            position,
            _sql_value(item.get("item_id")),
            _sql_value(item.get("title")),
            _sql_value(item.get("price")),
            _sql_value(item.get("product_url")),
            json.dumps(item, ensure_ascii=False),
        )
        for position, item in enumerate(items, start=first_position)
    ]


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


def _account(row: sqlite3.Row) -> InputAccount:
    """One row of `Store._account_sql()` as its account."""
    stored = row[6]
    if stored == "done":
        status: AccountStatus = "ok" if row[10] else "no_match"
    else:
        status = stored
    unsettled = status in ("failed", "pending")
    return InputAccount(
        line=row[1],
        img_url=row[2],
        sku=row[3],
        ext_id=row[4],
        extra=json.loads(row[5]),
        status=status,
        error_code=row[7] if unsettled else None,
        error_message=row[8] if unsettled else None,
        item_count=row[10] or 0,  # a row not done may hold pages already paid for
        attempts=row[9],
        served_by=row[11],
        image_id=row[0],
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


def check_usable(path: str | Path) -> None:
    """Refuse (ValueError naming `--db`) what `bulk` must not write to, reading only.

    A directory, a missing folder, or a file that is not a results database (another
    program's SQLite file, or not SQLite at all). A missing or empty file is fine.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"--db: {path} is a directory, not a results database")
    if not path.parent.is_dir():
        raise ValueError(f"--db: the folder {path.parent} does not exist")
    if path.exists() and path.stat().st_size > 0:
        probe = open_readonly(path)
        try:
            tables = _tables(probe)
        finally:
            probe.close()
        if tables and tables & _TABLES != _TABLES:
            raise ValueError(f"--db: {path} is not a tmapi-search results database")


_INSERT_ITEM = """INSERT INTO items(image_id, position, item_id, title, price, product_url, data)
    VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(image_id, position) DO NOTHING"""
_MARK_DONE = """UPDATE images SET status = 'done', error_class = NULL, error_message = NULL,
        transient = NULL, attempts = attempts + ?, total_count = ?, item_count = ?, run_id = ?,
        updated_at = ?, served_by = ?, next_page = NULL, page_params = NULL
    WHERE id = ?"""
#: a row's items copied to another row (rows sharing one search)
_COPY_ITEMS = """INSERT INTO items(image_id, position, item_id, title, price, product_url, data)
    SELECT ?, position, item_id, title, price, product_url, data FROM items WHERE image_id = ?
    ORDER BY position ON CONFLICT(image_id, position) DO NOTHING"""


class Store:
    """A results database. Use as a context manager, or call `close()`."""

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
    def start_run(
        self,
        input_path: str,
        options: Mapping[str, Any],
        *,
        pid: int | None = None,
        host: str | None = None,
    ) -> int:
        with self.transaction():
            cursor = self._db.execute(
                "INSERT INTO runs(started_at, input_path, options, pid, host) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    time.time(),
                    input_path,
                    json.dumps(dict(options), sort_keys=True),
                    pid,
                    host,
                ),
            )
        run_id = cursor.lastrowid
        assert run_id is not None
        return run_id

    def mark_interrupted(self) -> int:
        """Runs still `running` whose process is gone become `interrupted`.

        Call it holding the database's lock (no other run can be live then).
        """
        with self.transaction():
            cursor = self._db.execute(
                "UPDATE runs SET outcome = 'interrupted', finished_at = coalesce("
                "(SELECT max(updated_at) FROM images WHERE images.run_id = runs.id), started_at),"
                " done = (SELECT count(*) FROM images WHERE run_id = runs.id AND status = 'done'),"
                " failed = (SELECT count(*) FROM images WHERE run_id = runs.id"
                " AND status = 'failed'),"
                " message = coalesce(message, 'its process ended without finishing the run')"
                " WHERE outcome = 'running'"
            )
        return cursor.rowcount

    def finish_run(
        self,
        run_id: int,
        outcome: str,
        *,
        calls: int | None = None,
        shared: int | None = None,
        message: str | None = None,
    ) -> None:
        with self.transaction():
            self._db.execute(
                """UPDATE runs SET finished_at = ?, outcome = ?,
                     done = (SELECT count(*) FROM images WHERE run_id = ? AND status = 'done'),
                     failed = (SELECT count(*) FROM images WHERE run_id = ? AND status = 'failed'),
                     items = (SELECT count(*) FROM items JOIN images ON images.id = items.image_id
                              WHERE images.run_id = ? AND images.status = 'done'),
                     calls = coalesce(?, calls), shared = coalesce(?, shared),
                     message = coalesce(?, message)
                   WHERE id = ?""",
                (time.time(), outcome, run_id, run_id, run_id, calls, shared, message, run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._db.execute("SELECT * FROM runs ORDER BY id")]

    # -- images ----------------------------------------------------------------------
    def add_images(self, rows: Iterable[tuple[str, int, str, str | None, str | None, str]]) -> int:
        """Insert input images (key, line, img_url, sku, ext_id, extra JSON) not yet known.

        Returns how many were new. Images already in the database keep their status.
        """
        now = time.time()
        rows = list(rows)
        with self.transaction():
            before = self._db.total_changes
            self._db.executemany(
                """INSERT INTO images(key, line, img_url, sku, ext_id, extra, updated_at, url_key)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO NOTHING""",
                [(*row, now, normalise_url(row[2])) for row in rows],
            )
            added = self._db.total_changes - before
            known = self._meta(COLUMNS_KEY)
            if known is not None:  # keep the column list right for rows stored this way
                names: dict[str, None] = dict.fromkeys(json.loads(known))
                for row in rows:
                    names.update(dict.fromkeys(json.loads(row[5])))
                self._set_meta(COLUMNS_KEY, json.dumps(list(names), ensure_ascii=False))
            return added

    # -- streamed catalogue readings ----------------------------------------------------
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

    def stored_columns(self) -> list[str]:
        """The extra column names of the stored rows, in first-seen order.

        Kept in `meta` by each catalogue reading (no scan of every row's JSON); a
        database written by an older version falls back to `extra_columns()`.
        """
        known = self._meta(COLUMNS_KEY)
        if known is None:
            return self.extra_columns()
        return [str(name) for name in json.loads(known)]

    def last_catalogue(self) -> dict[str, Any] | None:
        """The latest catalogue reading that completed: fingerprint, ingestion, counts."""
        value = self._meta(CATALOGUE_KEY)
        return None if value is None else dict(json.loads(value))

    def start_ingestion(
        self, fingerprint: str, columns: Sequence[str], *, retry_failed: bool = False
    ) -> Ingestion:
        """Begin reading a catalogue into the database, batch by batch (see `Ingestion`)."""
        return Ingestion(self, fingerprint, columns, retry_failed=retry_failed)

    def pending_page(
        self, ingestion: int, after_line: int, limit: int, *, retry_failed: bool = False
    ) -> list[ImageRecord]:
        """The next `limit` rows of a reading a run must search, after line `after_line`.

        Pending rows, failed ones whose error was transient (every failed one with
        `retry_failed`), never rejected rows; in input order. Selected through the
        partial index `images_todo` (rows not done), not by a scan.
        """
        rows = self._db.execute(
            "SELECT * FROM images WHERE status != 'done' AND seen_in = ? AND line > ? "
            "AND NOT rejected AND (status = 'pending' OR transient OR ?) "
            "ORDER BY seen_in, line LIMIT ?",
            (ingestion, after_line, int(retry_failed), limit),
        ).fetchall()
        return [_image(row) for row in rows]

    def pending_count(self, ingestion: int, *, retry_failed: bool = False) -> int:
        """How many rows `pending_page` would hand out from the start (same index)."""
        row = self._db.execute(
            "SELECT count(*) FROM images WHERE status != 'done' AND seen_in = ? "
            "AND NOT rejected AND (status = 'pending' OR transient OR ?)",
            (ingestion, int(retry_failed)),
        ).fetchone()
        return int(row[0])

    def already_finished(
        self, ingestion: int, *, run_id: int | None = None, retry_failed: bool = False
    ) -> int:
        """Rows of a reading settled before run `run_id`: done, or failed for good."""
        row = self._db.execute(
            "SELECT count(*) FROM images WHERE seen_in = ? AND NOT rejected "
            "AND (status = 'done' OR (status = 'failed' AND NOT coalesce(transient, 0) "
            "AND NOT ?)) AND (? IS NULL OR run_id IS NOT ?)",
            (ingestion, int(retry_failed), run_id, run_id),
        ).fetchone()
        return int(row[0])

    def failed_in_run(self, run_id: int) -> list[str]:
        """The error classes of the rows this run marked failed (one entry per row)."""
        return [
            str(row[0] or "?")
            for row in self._db.execute(
                "SELECT error_class FROM images WHERE run_id = ? AND status = 'failed' "
                "AND NOT rejected",
                (run_id,),
            )
        ]

    def images_to_do(self, keys: Sequence[str], *, retry_failed: bool = False) -> list[ImageRecord]:
        """Of the images with these keys, those a run must search, in input order.

        Pending ones, failed ones whose error was transient, and (with `retry_failed`)
        every failed one. Done images are never searched again.
        """
        rows = self._db.execute(
            "SELECT * FROM images WHERE status IN ('pending', 'failed') AND NOT rejected "
            "ORDER BY line, id"
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

    def settled_for(self, url_key: str, *, retry_failed: bool = False) -> ImageRecord | None:
        """A row with this image URL whose search is settled: done (or failed for good).

        Its result serves another row with the same URL without a second paid call.
        """
        row = self._db.execute(
            "SELECT * FROM images WHERE url_key = ? AND NOT rejected AND (status = 'done' OR "
            "(status = 'failed' AND transient = 0 AND NOT ?)) "
            "ORDER BY status = 'done' DESC, line LIMIT 1",
            (url_key, int(retry_failed)),
        ).fetchone()
        return None if row is None else _image(row)

    def converted_for(self, url_key: str, *, max_age: float | None = None) -> str | None:
        """A converted path already paid for, for this image URL (any row).

        With `max_age` (seconds), only a path converted at most that long ago (converted
        paths age; one stored without a time counts as old).
        """
        since = -1.0 if max_age is None else time.time() - max_age
        row = self._db.execute(
            "SELECT converted_url FROM images WHERE url_key = ? AND converted_url IS NOT NULL "
            "AND (? < 0 OR converted_at >= ?) ORDER BY converted_at DESC LIMIT 1",
            (url_key, since, since),
        ).fetchone()
        return None if row is None else str(row[0])

    def save_converted(
        self, image_ids: int | Sequence[int], converted_url: str, *, now: float | None = None
    ) -> None:
        """Keep the converted path of images at once, with its time (it was paid for)."""
        ids = [image_ids] if isinstance(image_ids, int) else list(image_ids)
        now = time.time() if now is None else now
        with self.transaction():
            self._db.executemany(
                "UPDATE images SET converted_url = ?, converted_at = ?, updated_at = ? "
                "WHERE id = ?",
                [(converted_url, now, now, image_id) for image_id in ids],
            )

    def _run_calls(self, run_id: int, calls: int | None) -> None:
        if calls is not None:
            self._db.execute("UPDATE runs SET calls = ? WHERE id = ?", (calls, run_id))

    def save_done(
        self,
        image_id: int,
        run_id: int,
        items: Sequence[Mapping[str, Any]],
        *,
        total_count: int | None,
        attempts: int,
        shared_with: Sequence[int] = (),
        served_by: int | None = None,
        calls: int | None = None,
        first_position: int = 0,
    ) -> None:
        """One transaction: the image's items (each once) and its status `done`.

        `items`: the items not stored yet, from position `first_position` on (the
        image's earlier pages were stored by `save_page`: its last page completes it).
        `shared_with`: other rows with the same image URL; they get the same items
        (every page), `served_by` = this image. `served_by` marks this image itself as
        served by an earlier row's search (no call of its own). `calls`: the run's paid
        calls so far.
        """
        now = time.time()
        encoded = _encode(items, first_position)
        count = first_position + len(items)
        targets = [(image_id, served_by, attempts)] + [
            (other, image_id, 0) for other in shared_with
        ]
        with self.transaction():
            if served_by is not None:  # served whole by another row's search: only its items
                self._db.execute("DELETE FROM items WHERE image_id = ?", (image_id,))
            if encoded:
                self._db.executemany(_INSERT_ITEM, [(image_id, *row) for row in encoded])
            if shared_with:
                # one search, one result: nothing of a sharing row's own stays beside it
                self._db.executemany(
                    "DELETE FROM items WHERE image_id = ?", [(other,) for other in shared_with]
                )
                self._db.executemany(_COPY_ITEMS, [(other, image_id) for other in shared_with])
            self._db.executemany(
                _MARK_DONE,
                [
                    (tries, total_count, count, run_id, now, server, target)
                    for target, server, tries in targets
                ],
            )
            self._run_calls(run_id, calls)

    def save_page(
        self,
        image_id: int,
        run_id: int,
        items: Sequence[Mapping[str, Any]],
        *,
        first_position: int,
        next_page: int,
        page_params: str,
        total_count: int | None,
        attempts: int,
        calls: int | None = None,
    ) -> None:
        """One transaction: a page of an unfinished search, and the page to ask for next.

        Called before the next page is requested, so a page paid for is never lost: a
        run that stops, or a later page that fails, leaves the image not done (pending
        or failed, as before) with the pages stored so far; `partial_for` hands them to
        the next run, which asks for `next_page` on. `page_params`: the search
        parameters the pages were fetched with (`check_page_params`).
        """
        now = time.time()
        with self.transaction():
            self._db.executemany(
                _INSERT_ITEM, [(image_id, *row) for row in _encode(items, first_position)]
            )
            self._db.execute(
                "UPDATE images SET next_page = ?, page_params = ?, total_count = ?, "
                "item_count = ?, attempts = attempts + ?, run_id = ?, updated_at = ? "
                "WHERE id = ?",
                (
                    next_page,
                    page_params,
                    total_count,
                    first_position + len(items),
                    attempts,
                    run_id,
                    now,
                    image_id,
                ),
            )
            self._run_calls(run_id, calls)

    def has_partial_pages(self) -> bool:
        """Some image not done holds pages already paid for (partial index)."""
        row = self._db.execute(
            "SELECT 1 FROM images WHERE next_page IS NOT NULL LIMIT 1"  # (done: NULL)
        ).fetchone()
        return row is not None

    def check_page_params(self, page_params: str) -> None:
        """Refuse (ParamsMismatchError) to resume pages fetched with other parameters.

        As `check_params` does for a whole database: stored pages are never mixed
        with pages of another search (another page size, sort, filter, API).
        """
        row = self._db.execute(
            "SELECT page_params FROM images WHERE next_page IS NOT NULL "
            "AND page_params IS NOT ? LIMIT 1",
            (page_params,),
        ).fetchone()
        if row is None:
            return
        before = json.loads(row[0] or "{}")
        now = json.loads(page_params)
        diffs = [
            f"{name}={before.get(name)!r} (now {now.get(name)!r})"
            for name in sorted(set(before) | set(now))
            if before.get(name) != now.get(name)
        ]
        raise ParamsMismatchError(
            f"--db: {self.path} holds pages of unfinished images searched with "
            + ", ".join(diffs or ["other parameters"])
            + "; use the same options to resume them, or a new --db"
        )

    def partial_for(self, url_key: str, image_id: int) -> PartialPages | None:
        """The pages stored for this image URL by a search not finished yet, if any.

        The row `image_id`'s own first, else any row with the URL (rows sharing one
        search: the pages belong to the URL's search, whichever row resumes it).
        """
        row = self._db.execute(
            "SELECT id, next_page, page_params, total_count, "
            "(SELECT count(*) FROM items WHERE image_id = images.id) AS stored "
            "FROM images WHERE url_key = ? AND next_page IS NOT NULL AND status != 'done' "
            "ORDER BY id = ? DESC, updated_at DESC LIMIT 1",
            (url_key, image_id),
        ).fetchone()
        if row is None:
            return None
        return PartialPages(
            image_id=row["id"],
            next_page=row["next_page"],
            stored=row["stored"],
            total_count=row["total_count"],
            page_params=row["page_params"],
        )

    def take_pages(self, source_id: int, image_id: int) -> None:
        """One transaction: the stored pages of row `source_id` move to row `image_id`.

        The row that resumes a URL's search holds its pages (its items, the next page);
        the other row keeps none (it gets every page when the search is done).
        """
        with self.transaction():
            self._db.execute("DELETE FROM items WHERE image_id = ?", (image_id,))
            self._db.execute(
                "UPDATE items SET image_id = ? WHERE image_id = ?", (image_id, source_id)
            )
            self._db.execute(
                "UPDATE images SET (next_page, page_params, total_count, item_count) = "
                "(SELECT next_page, page_params, total_count, item_count FROM images "
                "WHERE id = ?), updated_at = ? WHERE id = ?",
                (source_id, time.time(), image_id),
            )
            self._db.execute(
                "UPDATE images SET next_page = NULL, page_params = NULL, item_count = NULL "
                "WHERE id = ?",
                (source_id,),
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
        shared_with: Sequence[int] = (),
        served_by: int | None = None,
        calls: int | None = None,
    ) -> None:
        """One transaction: the image is `failed`, with the error's class and message."""
        now = time.time()
        targets = [(image_id, served_by, attempts)] + [
            (other, image_id, 0) for other in shared_with
        ]
        with self.transaction():
            self._db.executemany(
                """UPDATE images SET status = 'failed', error_class = ?, error_message = ?,
                       transient = ?, attempts = attempts + ?, run_id = ?, updated_at = ?,
                       served_by = ?
                   WHERE id = ?""",
                [
                    (error_class, error_message, int(transient), tries, run_id, now, server, target)
                    for target, server, tries in targets
                ],
            )
            self._run_calls(run_id, calls)

    def save_pending_error(
        self,
        image_ids: Sequence[int],
        run_id: int,
        *,
        error_class: str,
        error_message: str,
        attempts: int,
        calls: int | None = None,
    ) -> None:
        """The images stay `pending` (a rerun searches them), with why the call did not end."""
        now = time.time()
        with self.transaction():
            self._db.executemany(
                """UPDATE images SET error_class = ?, error_message = ?, transient = 1,
                       attempts = attempts + ?, run_id = ?, updated_at = ?
                   WHERE id = ? AND status = 'pending'""",
                [
                    (error_class, error_message, attempts if n == 0 else 0, run_id, now, image_id)
                    for n, image_id in enumerate(image_ids)
                ],
            )
            self._run_calls(run_id, calls)

    def copy_result(self, source: ImageRecord, image_ids: Sequence[int], run_id: int) -> None:
        """Rows served by an earlier row's settled search (same image URL): no call."""
        if not image_ids:
            return
        if source.status == "done":
            items = [
                json.loads(row[0])
                for row in self._db.execute(
                    "SELECT data FROM items WHERE image_id = ? ORDER BY position", (source.id,)
                )
            ]
            total = self._db.execute(
                "SELECT total_count FROM images WHERE id = ?", (source.id,)
            ).fetchone()[0]
            for image_id in image_ids:
                self.save_done(
                    image_id, run_id, items, total_count=total, attempts=0, served_by=source.id
                )
        else:
            for image_id in image_ids:
                self.save_failed(
                    image_id,
                    run_id,
                    error_class=source.error_class or "?",
                    error_message=source.error_message or "",
                    transient=bool(source.transient),
                    attempts=0,
                    served_by=source.id,
                )

    # -- reading back ------------------------------------------------------------------
    def counts(self) -> RunCounts:
        counts = RunCounts()
        for row in self._db.execute("SELECT status, count(*) AS n FROM images GROUP BY status"):
            setattr(counts, row["status"], row["n"])
        counts.items = self._db.execute("SELECT count(*) FROM items").fetchone()[0]
        counts.no_match = self._db.execute(
            "SELECT count(*) FROM images WHERE status = 'done' AND coalesce(item_count, 0) = 0"
        ).fetchone()[0]
        if self.readonly and not self._has_column("images", "served_by"):
            counts.shared = 0
        else:
            counts.shared = self._db.execute(
                "SELECT count(*) FROM images WHERE served_by IS NOT NULL"
            ).fetchone()[0]
        if self._has_column("images", "next_page"):
            counts.partial = self._db.execute(
                "SELECT count(*) FROM images WHERE next_page IS NOT NULL"  # (done: NULL)
            ).fetchone()[0]
        for row in self._db.execute(
            "SELECT error_class, count(*) AS n FROM images WHERE status = 'failed' "
            "GROUP BY error_class ORDER BY n DESC"
        ):
            counts.failed_by_class[row["error_class"] or "?"] = row["n"]
        return counts

    def iter_items(self) -> Iterator[StoredItem]:
        """Every stored item with its image, in input order then result order (streamed,
        like `iter_account_texts`: only the images are sorted)."""
        reader = self._db.cursor()
        for row in self._db.execute("SELECT * FROM images ORDER BY line, id"):
            items = reader.execute(_ITEMS_SQL, (row["id"],)).fetchall()
            if items:
                image = _image(row)
                for position, data in items:
                    yield StoredItem(image=image, position=position, data=json.loads(data))

    def _account_sql(self) -> str:
        """The per-input account, in input order; `served_by` as the serving row's line.

        The serving row's line comes from a self-join (no map of every id in memory); a
        database older than shared searches (no `served_by` column) has none.
        """
        if self.readonly and not self._has_column("images", "served_by"):
            return _ACCOUNT_SQL_UNSHARED
        return _ACCOUNT_SQL

    def account(self, status: AccountStatus | None = None) -> Iterator[InputAccount]:
        """The per-input account, in input order: every row, its status, code, message.

        `status` keeps only the rows with that status (e.g. "failed"). Streamed from a
        cursor: nothing is held but the current row.
        """
        sql = self._account_sql()
        if status is not None:  # only that status's rows are read (see `_account`)
            sql = sql.replace("ORDER BY", f"WHERE {_ACCOUNT_WHERE[status]} ORDER BY")
        for row in self._db.execute(sql):
            entry = _account(row)
            if status is None or entry.status == status:
                yield entry

    def iter_account_texts(self) -> Iterator[tuple[InputAccount, list[tuple[int, str]]]]:
        """Every input row with its items as stored: (account, [(position, JSON text)]).

        In input order then result order. Streamed: one cursor over the rows (only the
        rows are sorted, never the items' data), and each row's items read by the
        (image_id, position) index when its turn comes, so at most one row's items are
        held at a time.
        """
        return self._iter_accounts(_ITEMS_SQL)

    def iter_account_bytes(
        self, part: Part = None
    ) -> Iterator[tuple[InputAccount, list[tuple[int, bytes]]]]:
        """`iter_account_texts`, each item's JSON as its stored UTF-8 bytes (not decoded:
        an export that copies it, or parses it with orjson, has no use for a str).

        `part`: ("upto", (line, id)) for the rows up to that row (in input order,
        included), ("after", (line, id)) for those after it; None for every row.
        """
        encoding = self._db.execute("PRAGMA encoding").fetchone()[0]
        if encoding == "UTF-8":
            return self._iter_accounts(_ITEMS_BYTES_SQL, part)
        return (  # a UTF-16 database (made by another tool): its texts, encoded here
            (account, [(position, text.encode()) for position, text in items])
            for account, items in self._iter_accounts(_ITEMS_SQL, part)
        )

    def item_total(self) -> int:
        """How many items the database holds (every row's)."""
        return int(self._db.execute("SELECT count(*) FROM items").fetchone()[0])

    def split_point(self) -> tuple[int, int] | None:
        """The (line, id) of the input row that ends the first half of the export's rows
        (items, and 1 for a row without), in input order; None when there is no row."""
        row = self._db.execute(
            """SELECT line, id FROM (
                   SELECT line, id,
                          sum(max(coalesce(item_count, 0), 1)) OVER (ORDER BY line, id) AS upto,
                          sum(max(coalesce(item_count, 0), 1)) OVER () AS whole
                   FROM images)
               WHERE upto * 2 >= whole ORDER BY line, id LIMIT 1"""
        ).fetchone()
        return None if row is None else (int(row[0]), int(row[1]))

    def _iter_accounts(
        self, items_sql: str, part: Part = None
    ) -> Iterator[tuple[InputAccount, list[Any]]]:
        sql = self._account_sql()
        params: tuple[int, ...] = ()
        if part is not None:
            side, (line, image_id) = part
            where = "(im.line, im.id) <= (?, ?)" if side == "upto" else "(im.line, im.id) > (?, ?)"
            sql = sql.replace("ORDER BY", f"WHERE {where} ORDER BY")
            params = (line, image_id)
        reader = self._db.cursor()
        for row in self._db.execute(sql, params):
            account = _account(row)
            items = reader.execute(items_sql, (account.image_id,)).fetchall()
            yield account, items

    def iter_account_items(
        self,
    ) -> Iterator[tuple[InputAccount, int | None, dict[str, Any] | None]]:
        """Every input row with each of its items, or once with None when it has none.

        In input order then result order: what an export that accounts for every row
        writes (see `tmapi_search.bulk.export`). Streamed.
        """
        for account, items in self.iter_account_texts():
            if not items:
                yield account, None, None
            for position, data in items:
                yield account, position, json.loads(data)

    def extra_columns(self) -> list[str]:
        """The input's extra column names, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self._db.execute("SELECT extra FROM images ORDER BY line"):
            for name in json.loads(row["extra"]):
                seen.setdefault(name, None)
        return list(seen)


def _sql_value(value: Any) -> Any:
    """A value for one of `items`' lookup columns (item_id, title, price, product_url).

    The whole item is in `data`; these are conveniences. What SQLite cannot hold as it
    is (a list, an object, an integer beyond 64 bits: an odd answer of the API) is kept
    as its JSON text, so that saving a result the user paid for never fails on it.
    """
    kind = type(value)
    if kind is str or kind is float or value is None:
        return value
    if kind is int and -(2**63) <= value < 2**63:
        return value
    return json.dumps(value, ensure_ascii=False)


_ImageRow = tuple[str, int, str, str | None, str | None, str]
_RejectedRow = tuple[int, str, str | None, str | None, str, str]


class Ingestion:
    """One reading of a catalogue into the database, batch by batch (`Store.start_ingestion`).

    Each batch is one transaction: its keys are looked up (the UNIQUE index), new rows
    inserted, known rows (same sku/id and img_url) given the catalogue's current line
    and columns (status and items kept), every row stamped `seen_in` = this reading's
    number; a key this reading has already seen is a duplicate (returned, not stored).
    Rejected rows are stored as `failed` `InvalidInput` rows, stamped too; `finish()`
    drops the rejected rows of earlier readings (a row since fixed is an ordinary row
    now), counts the rows gone, and records the catalogue's fingerprint, so that the
    same catalogue given again needs no reading. An unfinished reading (the process
    stopped) leaves every committed batch in place and records no fingerprint: the
    next run reads the catalogue again.

    `changes` is what the catalogue changed, from a first reading on: new
    rows (of them, a known sku/id with a new img_url), edited, gone, new and dropped
    columns.
    """

    def __init__(
        self, store: Store, fingerprint: str, columns: Sequence[str], *, retry_failed: bool
    ) -> None:
        self.store = store
        self._db = store._db
        self.fingerprint = fingerprint
        self.columns = list(columns)
        self.retry_failed = retry_failed
        self.changes = CatalogueChanges()
        self.rows = 0
        """Rows stored (new or known), duplicates and rejected rows not included."""
        self.todo = 0
        """Of those, rows a run must search (as `Store.pending_page` selects them)."""
        self.rejected = 0
        self.duplicates = 0
        self.last_line = 0
        self.finished = False
        self.before_columns = store.stored_columns()
        with store.transaction():
            number = int(store._meta(INGESTION_KEY) or 0) + 1
            store._set_meta(INGESTION_KEY, str(number))
            store._set_meta(CATALOGUE_KEY, None)
            self.base_id = int(
                self._db.execute("SELECT coalesce(max(id), 0) FROM images").fetchone()[0]
            )
            self.had_rows = (
                self._db.execute("SELECT 1 FROM images WHERE NOT rejected LIMIT 1").fetchone()
                is not None
            )
        self.number = number

    def add_batch(
        self, rows: Sequence[_ImageRow], rejected: Sequence[_RejectedRow] = ()
    ) -> list[tuple[int, int]]:
        """Store a batch in one transaction; returns its duplicates: (index in `rows`, first line).

        `rows` as `InputImage.db_row()`, `rejected` as `BadRow.db_row()`.
        """
        now = time.time()
        number = self.number
        duplicates: list[tuple[int, int]] = []
        first_in_batch: dict[str, int] = {}
        unique: list[tuple[int, _ImageRow]] = []
        for index, row in enumerate(rows):
            first = first_in_batch.get(row[0])
            if first is not None:
                duplicates.append((index, first))
                continue
            first_in_batch[row[0]] = row[1]
            unique.append((index, row))
        changes = self.changes
        with self.store.transaction():
            stored = {
                found["key"]: found
                for found in self._db.execute(
                    "SELECT id, key, line, extra, seen_in, status, transient FROM images "
                    "WHERE key IN (SELECT value FROM json_each(?)) AND NOT rejected",
                    (json.dumps([row[0] for _i, row in unique]),),
                )
            }
            inserts = []
            updates = []
            stamps = []
            for index, row in unique:
                key, line, img_url, sku, ext_id, extra_json = row
                known = stored.get(key)
                if known is None:
                    inserts.append((*row, now, normalise_url(img_url), number))
                    self.todo += 1
                    if self.had_rows:
                        changes.new += 1
                        if (sku or ext_id) and self._known_ident(sku, ext_id):
                            changes.url_changed += 1
                    continue
                if known["seen_in"] == number:
                    duplicates.append((index, known["line"]))
                    continue
                extra = json.loads(extra_json)
                before = json.loads(known["extra"])
                if self.had_rows and before != extra:
                    changes.edited += 1
                if (known["line"], before) != (line, extra):
                    updates.append((line, extra_json, now, number, known["id"]))
                else:
                    stamps.append((number, known["id"]))
                status = known["status"]
                if status == "pending" or (
                    status == "failed" and (self.retry_failed or known["transient"])
                ):
                    self.todo += 1
            if inserts:
                self._db.executemany(
                    """INSERT INTO images(key, line, img_url, sku, ext_id, extra, updated_at,
                                          url_key, seen_in)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    inserts,
                )
            if updates:
                self._db.executemany(
                    "UPDATE images SET line = ?, extra = ?, updated_at = ?, seen_in = ? "
                    "WHERE id = ?",
                    updates,
                )
            if stamps:
                self._db.executemany("UPDATE images SET seen_in = ? WHERE id = ?", stamps)
            if rejected:
                self._db.executemany(
                    """INSERT INTO images(key, line, img_url, sku, ext_id, extra, status,
                                          error_class, error_message, transient, updated_at,
                                          rejected, seen_in)
                       VALUES (?, ?, ?, ?, ?, ?, 'failed', ?, ?, 0, ?, 1, ?)
                       ON CONFLICT(key) DO UPDATE SET line = excluded.line,
                           img_url = excluded.img_url, sku = excluded.sku,
                           ext_id = excluded.ext_id, extra = excluded.extra, status = 'failed',
                           error_class = excluded.error_class,
                           error_message = excluded.error_message, transient = 0,
                           updated_at = excluded.updated_at, rejected = 1,
                           seen_in = excluded.seen_in""",
                    [
                        (
                            json.dumps(["rejected", line]),
                            line,
                            img_url,
                            sku,
                            ext_id,
                            extra,
                            INVALID_INPUT,
                            reason,
                            now,
                            number,
                        )
                        for line, img_url, sku, ext_id, extra, reason in rejected
                    ],
                )
        self.rows += len(rows) - len(duplicates)
        self.rejected += len(rejected)
        self.duplicates += len(duplicates)
        lines = [row[1] for row in rows] + [bad[0] for bad in rejected]
        if lines:
            self.last_line = max(self.last_line, *lines)
        return sorted(duplicates)

    def _known_ident(self, sku: str | None, ext_id: str | None) -> bool:
        """A row stored before this reading has this sku/id (index `images_ident`)."""
        return (
            self._db.execute(
                "SELECT 1 FROM images WHERE sku IS ? AND ext_id IS ? AND id <= ? "
                "AND NOT rejected LIMIT 1",
                (sku, ext_id, self.base_id),
            ).fetchone()
            is not None
        )

    def finish(self, extra: Mapping[str, Any] | None = None) -> CatalogueChanges:
        """The catalogue was read to its end: one transaction to close the reading."""
        number = self.number
        changes = self.changes
        with self.store.transaction():
            self._db.execute(
                "DELETE FROM images WHERE rejected = 1 AND seen_in IS NOT ?", (number,)
            )
            if self.had_rows:
                changes.gone = int(
                    self._db.execute(
                        "SELECT count(*) FROM images WHERE NOT rejected AND seen_in IS NOT ?",
                        (number,),
                    ).fetchone()[0]
                )
                if self.rows:
                    changes.new_columns = [
                        name for name in self.columns if name not in self.before_columns
                    ]
                    changes.dropped_columns = [
                        name for name in self.before_columns if name not in self.columns
                    ]
            union = dict.fromkeys(self.before_columns)
            union.update(dict.fromkeys(self.columns))
            self.store._set_meta(COLUMNS_KEY, json.dumps(list(union), ensure_ascii=False))
            record = {
                "fingerprint": self.fingerprint,
                "ingestion": number,
                "rows": self.rows,
                "rejected": self.rejected,
                "duplicates": self.duplicates,
                "finished_at": time.time(),
                **(extra or {}),
            }
            self.store._set_meta(CATALOGUE_KEY, json.dumps(record, ensure_ascii=False))
        self.finished = True
        return changes


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
