"""Catalogue ingestion: a catalogue read into the results database, batch by batch.

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
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tmapi_search.bulk.schema import (
    CATALOGUE_KEY,
    COLUMNS_KEY,
    CURRENT_KEY,
    INGESTION_KEY,
    Database,
    ImageRecord,
    _image,
    normalise_url,
)

__all__ = ["INVALID_INPUT", "CatalogueChanges", "IngestMixin", "Ingestion"]

#: The error code of a catalogue row rejected while reading it (see `Ingestion`).
INVALID_INPUT = "InvalidInput"


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


class IngestMixin(Database):
    """Catalogue rows into the database, and the rows a run must search."""

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

    def extra_columns(self) -> list[str]:
        """The input's extra column names, in first-seen order."""
        seen: dict[str, None] = {}
        for row in self._db.execute("SELECT extra FROM images ORDER BY line"):
            for name in json.loads(row["extra"]):
                seen.setdefault(name, None)
        return list(seen)


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
        self, store: IngestMixin, fingerprint: str, columns: Sequence[str], *, retry_failed: bool
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
            self.store._set_meta(CURRENT_KEY, str(number))
        self.finished = True
        return changes
