"""One catalogue run, from the catalogue's header to the run's summary (`run_catalogue`).

In order: the options are checked; the catalogue is opened and read up to its first
searchable row (nothing is stored before); the database is checked, locked (one writer:
`tmapi_search.bulk.lock`) and opened; runs whose process died are marked `interrupted`;
the search parameters are checked against the database's; the catalogue is read, a batch
(one transaction) at a time, until there is something to search -- or not read at all
when it is unchanged since its last complete reading (its fingerprint is in the
database). With nothing to search, no run is started and no client made. Otherwise the
searches start on the first batch while the rest is read in the same event loop, and
the run ends with its outcome saved and summed up (`RunSummary`).

The paid-work rules hold here as in the runner: a storage failure stops the spending at
once (`outcome="storage"`), a dead API stops the run (`"network"`), a signal (with
`handle_signals`) stops it the way Ctrl-C does (`"interrupted"`: calls in flight may
finish, a second signal abandons them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from tmapi_search.auth import Secret, redact
from tmapi_search.bulk.errors import CatalogueError, LockedError, StorageError, UsageError
from tmapi_search.bulk.events import (
    CatalogueOpened,
    CatalogueUnchanged,
    DeadRunsMarked,
    ProgressEvent,
    ProgressHandler,
    Reading,
    ReadingStopped,
    Searching,
    Stopping,
    Waiting,
)
from tmapi_search.bulk.inputs import InputError, open_input
from tmapi_search.bulk.options import RunOptions
from tmapi_search.bulk.reading import RUN_BATCH_ROWS, CatalogueReader, report_already
from tmapi_search.bulk.runner import BulkRunner, BulkStats, PendingFeed
from tmapi_search.bulk.signals import sigterm_interrupts
from tmapi_search.bulk.store import Store, check_usable
from tmapi_search.bulk.summary import Counts, RunSummary

__all__ = ["CatalogueRun", "Credentials", "cause"]

logger = logging.getLogger("tmapi_search.bulk")


def cause(error: BaseException) -> str:
    """An OS or SQLite error in a few words (`No space left on device`)."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


@dataclass(frozen=True, slots=True)
class Credentials:
    """How the run's own client reaches the API; the token is in no repr (error trackers
    record every frame's locals, and this is the only place the engine keeps it)."""

    api_token: str | Secret | None = field(default=None, repr=False)
    base_url: str | None = None
    auth: str | None = None


def _guarded(handler: ProgressHandler | None) -> Callable[[ProgressEvent], None]:
    """`on_progress`, never allowed to break a run: an exception in it is logged, once."""
    if handler is None:
        return lambda event: None
    failed = False

    def emit(event: ProgressEvent) -> None:
        nonlocal failed
        try:
            handler(event)
        except Exception:
            if not failed:
                failed = True
                logger.exception("bulk: on_progress raised; the run goes on")

    return emit


class CatalogueRun:
    """A run in two steps: `prepare()` (synchronous: up to the first paid call), `search()`.

    Use it as a context manager: the lock, the database and the catalogue are closed on
    exit, whatever happened.
    """

    def __init__(
        self,
        input_path: str | Path,
        db: str | Path,
        options: RunOptions,
        *,
        credentials: Credentials | None = None,
        client: Any = None,
        on_progress: ProgressHandler | None = None,
        handle_signals: bool = False,
    ) -> None:
        self.input_path = Path(input_path)
        self.db = Path(db)
        self.options = options
        self._credentials = credentials or Credentials()
        self._client = client
        self.emit = _guarded(on_progress)
        self.handle_signals = handle_signals
        self._stack = contextlib.ExitStack()
        self.store: Store | None = None
        self.lock: Any = None
        self.reader: CatalogueReader | None = None
        self.number = 0

    def __enter__(self) -> CatalogueRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _signals(self) -> contextlib.AbstractContextManager[None]:
        return sigterm_interrupts() if self.handle_signals else contextlib.nullcontext()

    # -- up to the first paid call --------------------------------------------------------
    def prepare(self) -> RunSummary | None:
        """Everything before the first paid call; a summary when there is nothing to search."""
        self.options.check()
        settings = self.options.settings()
        path = self.input_path
        stream = open_input(
            path,
            encoding=self.options.encoding,
            delimiter=self.options.delimiter,
            sheet=self.options.sheet,
            image_column=self.options.image_column,
            sku_column=self.options.sku_column,
        )
        self._stack.enter_context(stream)
        named = stream.image_column is not None and stream.image_column.lower() != "img_url"
        self.emit(
            CatalogueOpened(path, stream.read_as, stream.describe_columns() if named else None)
        )
        reader = self.reader = CatalogueReader(path, stream, self.emit)
        if not reader.has_image():  # reads up to the first searchable row, nothing stored
            skipped = reader.skipped()
            if skipped is not None:
                self.emit(skipped)
            raise CatalogueError(f"INPUT: {path} has no image URL to search")
        store = self._open_locked()
        try:
            stale = store.mark_interrupted()
            if stale:
                self.emit(DeadRunsMarked(self.db, stale))
            store.check_params(self.options.search_params())
            last = store.last_catalogue()
            if last is not None and last.get("fingerprint") == stream.fingerprint:
                # the same bytes read the same way: its rows are all in the database already
                stream.close()
                self.number = int(last["ingestion"])
                self.emit(
                    CatalogueUnchanged(
                        path,
                        int(last.get("rows", 0)),
                        int(last.get("rejected", 0)),
                        int(last.get("duplicates", 0)),
                    )
                )
                report_already(store, self.emit, self.number, None, settings.retry_failed)
                todo = store.pending_count(self.number, retry_failed=settings.retry_failed)
                self.emit(Reading(stream.rows_read, done=True, todo=todo))
            else:
                reader.start(store, settings.retry_failed)
                self.number = reader.number
                # read until there is something to search (or the end): with nothing to
                # do, no run is started and no client made
                with self._signals():
                    while not reader.finished and reader.todo == 0:
                        reader.step()
                if reader.finished:
                    reader.report_end(store, None)
            if not store.pending_page(self.number, 0, 1, retry_failed=settings.retry_failed):
                return self._summary("completed")
        except InputError as error:  # a row the csv module cannot read, say
            raise CatalogueError(f"{error}; nothing was sent") from error
        except KeyboardInterrupt:
            event = ReadingStopped(path, stream.rows_read, before_any_call=True)
            self.emit(event)
            return self._summary("interrupted", message=str(event))
        except (sqlite3.Error, OSError) as error:
            raise StorageError(
                f"cannot save to {self.db}: {cause(error)}; nothing was sent"
            ) from error
        return None

    def _open_locked(self) -> Store:
        """Check, lock and open the database (refusing another program's file unchanged)."""
        from tmapi_search.bulk.lock import DatabaseBusyError, RunLock

        db = self.db
        try:
            check_usable(db)
        except ValueError as error:
            raise UsageError(str(error)) from None
        except (sqlite3.Error, OSError) as error:
            raise StorageError(f"--db: cannot read {db}: {cause(error)}") from error
        lock = RunLock(db)
        try:
            lock.acquire(
                wait=self.options.wait,
                on_wait=lambda holder: self.emit(Waiting(db, holder.describe())),
            )
        except DatabaseBusyError as error:
            raise LockedError(str(error)) from None
        except OSError as error:
            raise StorageError(f"--db: cannot lock {lock.path}: {cause(error)}") from error
        self.lock = self._stack.enter_context(lock)
        try:
            store = Store(db)
        except ValueError as error:
            raise UsageError(str(error)) from None
        except (sqlite3.Error, OSError) as error:
            raise StorageError(f"--db: cannot open {db}: {cause(error)}") from error
        self.store = self._stack.enter_context(store)
        return store

    def _summary(self, outcome: Any, **fields: Any) -> RunSummary:
        assert self.store is not None
        return RunSummary(
            db=self.db, outcome=outcome, counts=Counts.of(self.store.counts()), **fields
        )

    # -- the searches -------------------------------------------------------------------
    async def search(self) -> RunSummary:
        """Search what `prepare()` left to do, reading the rest of the catalogue meanwhile."""
        from tmapi_search.client import AsyncTmapiClient

        store, reader, db = self.store, self.reader, self.db
        assert store is not None and reader is not None
        settings = self.options.settings()
        client = self._client
        if client is None:
            timeout: Any = {} if self.options.timeout is None else {"timeout": self.options.timeout}
            client = AsyncTmapiClient(
                api_token=self._credentials.api_token,
                base_url=self._credentials.base_url,
                auth=cast(Any, self._credentials.auth),
                max_retries=self.options.max_retries,
                max_concurrency=settings.max_concurrency,
                **timeout,
            )
        try:
            run_id = store.start_run(
                str(self.input_path),
                {
                    "concurrency": settings.concurrency or "auto",
                    "max_concurrency": settings.max_concurrency,
                    "max_retries": settings.max_retries,
                },
                pid=os.getpid(),
                host=socket.gethostname(),
            )
            self.lock.describe(run_id=run_id)
        except (sqlite3.Error, OSError) as error:
            if self._client is None:
                await client.aclose()
            raise StorageError(f"cannot save to {db}: {cause(error)}; nothing was sent") from error

        def on_change(stats: BulkStats) -> None:
            self.emit(
                Searching(
                    done=stats.done,
                    failed=stats.failed,
                    retrying=stats.retrying,
                    in_flight=stats.in_flight,
                    limit=stats.limit,
                    total=stats.total,
                    calls=stats.calls,
                    rate=stats.rate,
                    elapsed=stats.elapsed,
                )
            )

        runner = BulkRunner(client, store, settings, on_change=on_change)
        feed = PendingFeed(store, self.number, retry_failed=settings.retry_failed)
        try:
            with self._signal_handlers(runner, settings.grace):
                reading = asyncio.create_task(self._read_on(runner, feed, run_id))
                try:
                    if self._client is None:
                        async with client:
                            stats = await runner.run(feed, run_id)
                    else:
                        stats = await runner.run(feed, run_id)
                finally:
                    reading.cancel()
                    await asyncio.gather(reading, return_exceptions=True)
        except BaseException:  # cancelled, or an error nobody expected: the run ends here
            with contextlib.suppress(sqlite3.Error):
                store.finish_run(
                    run_id,
                    "interrupted",
                    calls=runner.stats.calls,
                    shared=runner.stats.shared,
                    message="the run was cancelled",
                )
            raise
        return self._finish(runner, stats, run_id)

    @contextlib.contextmanager
    def _signal_handlers(self, runner: BulkRunner, grace: float) -> Iterator[None]:
        """SIGINT/SIGTERM stop the run (a second one abandons the calls in flight)."""
        if not self.handle_signals:
            yield
            return
        loop = asyncio.get_running_loop()
        seen = 0

        def on_signal(signum: int) -> None:
            nonlocal seen
            seen += 1
            name = signal.Signals(signum).name
            if seen == 1:
                self.emit(Stopping(name, grace))
                runner.stop("interrupted", f"stopped by {name}")
            else:
                runner.abandon()

        handled = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            # not on Windows, nor outside the main thread
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, on_signal, signum)
                handled.append(signum)
        try:
            yield
        finally:
            for signum in handled:
                loop.remove_signal_handler(signum)

    async def _read_on(self, runner: BulkRunner, feed: PendingFeed, run_id: int) -> None:
        """The rest of the catalogue, a batch at a time, while the runner searches."""
        reader, store = self.reader, self.store
        assert reader is not None and store is not None
        try:
            if not reader.reading:
                return  # read already (or not at all: unchanged since the last run)
            # the first paid call goes out before reading on (it needs a few turns of
            # the event loop, each of which would otherwise wait for a batch)
            started = time.monotonic()
            while runner.stats.calls == 0 and time.monotonic() - started < 1.0:
                if runner.stopping or runner.stats.finished is not None:
                    break
                await asyncio.sleep(0.01)
            while reader.reading and not runner.stopping:
                began = time.monotonic()
                try:
                    reader.step(RUN_BATCH_ROWS)
                except InputError as error:
                    reader.error = str(error)
                    runner.stop(
                        "interrupted",
                        f"{error}; stopped (the rows before it are stored): fix the "
                        "catalogue, then run the same command again",
                    )
                    return
                except (sqlite3.Error, OSError) as error:
                    runner.storage_failed(
                        error if isinstance(error, sqlite3.Error) else sqlite3.Error(cause(error))
                    )
                    return
                feed.notify()
                if reader.finished:
                    reader.report_end(store, run_id)
                # A batch holds the event loop; a call needs many turns of it (a slot,
                # the connection, the answer, each hand-over of the limiter's lock among
                # 100+ workers). With calls under way, reading takes at most about two
                # thirds of the time, so they are not starved (1 call/s, measured).
                busy = runner.limiter.in_flight or runner.limiter.waiting
                await asyncio.sleep((time.monotonic() - began) / 2 if busy else 0)
        finally:
            feed.close()

    def _finish(self, runner: BulkRunner, stats: BulkStats, run_id: int) -> RunSummary:
        """Save the run's end and sum it up."""
        store, reader = self.store, self.reader
        assert store is not None and reader is not None
        storage = runner.outcome == "storage"
        if storage:
            self.lock.free_reserve()  # the disk is full: room for the run's final state
        if reader.reading and reader.error is None:
            self.emit(ReadingStopped(self.input_path, reader.stream.rows_read))
        message = None
        if runner.stop_reason:
            message = redact(runner.stop_reason, self._credentials.api_token)
        errors: dict[str, int] = {}
        try:
            store.finish_run(
                run_id,
                "failed" if storage else runner.outcome,
                calls=stats.calls,
                shared=stats.shared,
                message=message,
            )
            for name in store.failed_in_run(run_id):
                errors[name] = errors.get(name, 0) + 1
        except sqlite3.Error as error:
            if not storage:
                raise StorageError(f"cannot save to {self.db}: {cause(error)}") from error
        try:
            counts = Counts.of(store.counts())
        except sqlite3.Error:
            counts = Counts()
        return RunSummary(
            db=self.db,
            outcome=runner.outcome,
            counts=counts,
            run_id=run_id,
            message=message,
            calls=stats.calls,
            done_now=stats.done,
            failed_now=stats.failed,
            errors_now=errors,
            shared_now=stats.shared,
            left_pending=stats.left_pending,
            repeats_stopped=stats.repeats_stopped,
            refused_503=stats.refused_503,
            elapsed=stats.elapsed,
            rate=stats.rate,
            catalogue_error=reader.error,
        )
