"""A catalogue being read into the results database, one batch (one transaction) at a time.

The run reads until there is something to search, starts the searches, and reads the
rest in the same event loop while they run (`CatalogueReader.step` between turns).
Rows that cannot be searched are stored as failed `InvalidInput` rows (the first 20 are
kept for the report, `RowsSkipped`); a duplicate row (the same key twice) is reported
and not stored twice.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path
from typing import Any

from tmapi_search.bulk.events import (
    AlreadyFinished,
    CatalogueChanged,
    CatalogueRead,
    ProgressHandler,
    Reading,
    RowsSkipped,
)
from tmapi_search.bulk.ingest import Ingestion
from tmapi_search.bulk.inputs import BadRow, InputStream, duplicate
from tmapi_search.bulk.store import Store

__all__ = ["BATCH_ROWS", "RUN_BATCH_ROWS", "CatalogueReader", "report_already"]

#: Catalogue rows stored per transaction while reading, before the run starts ...
BATCH_ROWS = 2000
#: ... and once it runs (a batch holds up the event loop, and the calls with it).
RUN_BATCH_ROWS = 500
#: Rows skipped (or warned about) kept for the report, of each kind.
SHOWN_ROWS = 20


def _silent(event: object) -> None:
    return None


def report_already(
    store: Store, on_progress: ProgressHandler, number: int, run_id: int | None, retry: bool
) -> None:
    """`AlreadyFinished`: rows of reading `number` settled before run `run_id`."""
    already = store.already_finished(number, run_id=run_id, retry_failed=retry)
    if already:
        on_progress(AlreadyFinished(store.path, already))


class CatalogueReader:
    """The catalogue being read into the database, a batch (one transaction) at a time."""

    def __init__(self, path: Path, stream: InputStream, on_progress: ProgressHandler) -> None:
        self.path = path
        self.stream = stream
        self.on_progress = on_progress
        self._events: Any = iter(stream)
        self._head: list[Any] = []
        self.ingestion: Ingestion | None = None
        self.finished = False
        #: why the reading stopped before the end (a row that cannot be read)
        self.error: str | None = None
        self.bad: list[BadRow] = []  # the first few, for the report
        self.bad_count = 0
        self.warnings: list[BadRow] = []
        self.warning_count = 0
        self.started = time.monotonic()

    def has_image(self) -> bool:
        """Read (and keep) rows up to the first searchable one; False when there is none."""
        for event in self._events:
            self._head.append(event)
            if event[0] == "image":
                return True
        for kind, row in self._head:
            if kind == "warning":
                self.warning_count += 1
                self.warnings.extend([row][: SHOWN_ROWS - len(self.warnings)])
            else:
                self.bad_count += 1
                self.bad.extend([row][: SHOWN_ROWS - len(self.bad)])
        return False

    def start(self, store: Store, retry_failed: bool) -> None:
        self.ingestion = store.start_ingestion(
            self.stream.fingerprint, self.stream.extra_columns, retry_failed=retry_failed
        )
        self._events = itertools.chain(self._head, self._events)
        self._head = []

    @property
    def _reading(self) -> Ingestion:
        assert self.ingestion is not None, "start() first"
        return self.ingestion

    @property
    def number(self) -> int:
        return int(self._reading.number)

    @property
    def todo(self) -> int:
        return int(self._reading.todo)

    @property
    def reading(self) -> bool:
        return self.ingestion is not None and not self.finished

    def step(self, size: int = BATCH_ROWS) -> None:
        """Read and store one batch; at the end of the file, close the reading."""
        ingestion = self._reading
        images: list[Any] = []
        bad: list[BadRow] = []
        warnings: list[BadRow] = []
        count = 0
        for kind, row in itertools.islice(self._events, size):
            count += 1
            if kind == "image":
                images.append(row)
            elif kind == "warning":
                warnings.append(row)
            else:
                bad.append(row)
        duplicates = ingestion.add_batch(
            [image.db_row() for image in images], [row.db_row() for row in bad]
        )
        for index, first in duplicates:
            bad.append(duplicate(images[index], first))
        self.bad_count += len(bad)
        self.bad.extend(sorted(bad, key=lambda r: r.line)[: SHOWN_ROWS - len(self.bad)])
        self.warning_count += len(warnings)
        self.warnings.extend(warnings[: SHOWN_ROWS - len(self.warnings)])
        if count < size:
            ingestion.finish({"number_columns": self.stream.number_columns()})
            self.finished = True
        self.on_progress(Reading(self.stream.rows_read, done=self.finished, todo=self.todo))

    def skipped(self) -> RowsSkipped | None:
        """The rows skipped or warned about so far (None: none)."""
        if not (self.bad_count or self.warning_count):
            return None
        return RowsSkipped(
            self.path,
            bad=tuple(self.bad),
            bad_count=self.bad_count,
            warnings=tuple(self.warnings),
            warning_count=self.warning_count,
        )

    def report_end(self, store: Store, run_id: int | None) -> None:
        """The catalogue was read to its end: what was in it, what changed, what is done."""
        ingestion = self._reading
        self.on_progress(
            CatalogueRead(self.path, self.stream.rows_read, time.monotonic() - self.started)
        )
        skipped = self.skipped()
        if skipped is not None:
            self.on_progress(skipped)
        if ingestion.changes:
            previous = _previous_catalogue(store, run_id)
            if previous is not None and Path(previous).name == self.path.name:
                previous = None
            self.on_progress(CatalogueChanged(self.path, ingestion.changes, previous=previous))
        report_already(store, self.on_progress, self.number, run_id, ingestion.retry_failed)


def _previous_catalogue(store: Store, run_id: int | None) -> str | None:
    """The catalogue file of the database's last run before `run_id` (None: no run)."""
    earlier = [run for run in store.runs() if run["id"] != run_id]
    return str(earlier[-1]["input_path"]) if earlier else None
