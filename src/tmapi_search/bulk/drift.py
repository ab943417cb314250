"""Contract drift seen by bulk runs, kept in the results database, and read back.

The client reports each way an answer strays from `openapi.yaml` as a `DriftEvent`
(`tmapi_search.drift`). During a bulk run, `DriftRecorder` takes them (and passes each
on to the client's own hook, so the INFO line still appears), adds them up per path and
kind in memory, and writes them at the end of the run into the `drift` table: one row
per run, operation, path and kind, with the count, when it was first and last seen, and
an example value (long text cut). `read_drift(db)` sums them up over runs: what
`tmapi-search drift --db DB` prints.

Drift is a diagnosis, not paid work: the table is written once per run, on a connection
of its own; a write that fails is logged and the run's results are untouched.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tmapi_search.bulk.errors import StorageError, UsageError
from tmapi_search.drift import DriftEvent, DriftHook

if TYPE_CHECKING:
    from tmapi_search.client import AsyncTmapiClient, TmapiClient

__all__ = ["DRIFT_SCHEMA", "DriftRecorder", "DriftSummary", "read_drift"]

logger = logging.getLogger("tmapi_search.bulk")

DRIFT_SCHEMA = """
CREATE TABLE IF NOT EXISTS drift (
    run_id     INTEGER NOT NULL,
    operation  TEXT NOT NULL,
    path       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    expected   TEXT NOT NULL,
    count      INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen  REAL NOT NULL,
    example    TEXT NOT NULL,
    PRIMARY KEY (run_id, operation, path, kind)
)
"""

_UPSERT = """
INSERT INTO drift (run_id, operation, path, kind, expected, count, first_seen, last_seen, example)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, operation, path, kind) DO UPDATE SET
    count = count + excluded.count,
    last_seen = max(last_seen, excluded.last_seen),
    example = excluded.example
"""


@dataclass(slots=True)
class _Seen:
    expected: str
    count: int
    first_seen: float
    last_seen: float
    example: str


class DriftRecorder:
    """The `on_drift` hook of a bulk run: counts events per path and kind, then stores them.

    `with recorder.installed(client): ...` puts it in front of the client's hook for the
    duration of the block (each event still reaches the client's hook) and writes the
    counts when the block ends.
    """

    def __init__(self, db: str | Path, run_id: int) -> None:
        self.db = Path(db)
        self.run_id = run_id
        self.seen: dict[tuple[str, str, str], _Seen] = {}
        self._lock = threading.Lock()
        self._next: DriftHook | None = None

    def __call__(self, event: DriftEvent) -> None:
        now = time.time()
        key = (event.operation, event.path, event.kind)
        with self._lock:
            seen = self.seen.get(key)
            if seen is None:
                self.seen[key] = _Seen(event.expected, event.count, now, now, event.example)
            else:
                seen.count += event.count
                seen.last_seen = now
        if self._next is not None:
            self._next(event)

    @contextlib.contextmanager
    def installed(self, client: TmapiClient | AsyncTmapiClient) -> Iterator[DriftRecorder]:
        self._next = client.on_drift
        client.on_drift = self
        try:
            yield self
        finally:
            client.on_drift = self._next
            self.save()

    def save(self) -> None:
        """Write the counts so far into the `drift` table (and forget them)."""
        with self._lock:
            rows = [
                (
                    self.run_id,
                    op,
                    path,
                    kind,
                    s.expected,
                    s.count,
                    s.first_seen,
                    s.last_seen,
                    s.example,
                )
                for (op, path, kind), s in self.seen.items()
            ]
            self.seen.clear()
        if not rows:
            return
        try:
            with contextlib.closing(sqlite3.connect(self.db, timeout=30.0)) as db, db:
                db.execute(DRIFT_SCHEMA)
                db.executemany(_UPSERT, rows)
        except sqlite3.Error as error:
            logger.warning("bulk: cannot save the contract drift to %s: %s", self.db, error)


@dataclass(frozen=True, slots=True)
class DriftSummary:
    """One path and kind of drift over the runs of a results database."""

    operation: str
    path: str
    kind: str
    expected: str
    count: int
    first_seen: float
    last_seen: float
    example: str
    runs: list[int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_drift(db: str | Path) -> list[DriftSummary]:
    """The drift recorded in a results database, summed over runs; [] when there is none.

    Sorted by count (most first), then path. `UsageError` (a ValueError) when `db` is
    missing or not a results database, `StorageError` when it cannot be read; the file
    is opened read-only.
    """
    path = Path(db)
    if not path.is_file():
        raise UsageError(f"--db: {path} does not exist")
    try:
        with path.open("rb") as head:
            if head.read(16) != b"SQLite format 3\x00":
                raise UsageError(f"--db: {path} is not a tmapi-search results database")
        rows, examples = _read(path)
    except (sqlite3.Error, OSError) as error:
        raise StorageError(f"--db: cannot read {path}: {error}") from error
    found = [
        DriftSummary(
            operation=op,
            path=p,
            kind=kind,
            expected=expected,
            count=count,
            first_seen=first,
            last_seen=last,
            example=examples[(op, p, kind)],
            runs=sorted({int(r) for r in str(runs).split(",")}),
        )
        for op, p, kind, expected, count, first, last, runs in rows
    ]
    found.sort(key=lambda s: (-s.count, s.path, s.kind))
    return found


def _read(path: Path) -> tuple[list[Any], dict[tuple[str, str, str], str]]:
    uri = path.resolve().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "images" not in tables or "runs" not in tables:
            raise UsageError(f"--db: {path} is not a tmapi-search results database")
        if "drift" not in tables:
            return [], {}
        rows = conn.execute(
            """SELECT operation, path, kind, max(expected), sum(count), min(first_seen),
                      max(last_seen), group_concat(run_id)
               FROM drift GROUP BY operation, path, kind"""
        ).fetchall()
        examples = {
            (row[0], row[1], row[2]): row[3]
            for row in conn.execute(
                "SELECT operation, path, kind, example FROM drift ORDER BY last_seen"
            )
        }
    return rows, examples
