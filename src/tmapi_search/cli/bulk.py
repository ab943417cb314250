"""`tmapi-search bulk`: a whole catalogue into SQLite, resumable, with a progress bar.

One writer per database: the run holds `<db>.lock` (see `tmapi_search.bulk.lock`) from
before its first write to its end; a second run is refused (exit 2) or, with `--wait`,
waits. A storage failure stops the paid calls at once (exit 6), a dead API stops the
run (exit 5) with the images it did not search left pending.

The catalogue is streamed: read and stored a batch at a time (one transaction each),
the searches starting on the first batch while the rest is read in the same event
loop; a catalogue read to its end before is not read again when given unchanged (its
fingerprint is in the database).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import socket
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from tmapi_client.models.language import Language
from tmapi_client.models.sort import Sort

from tmapi_search.cli.app import (
    ApiOpt,
    ApiVersion,
    Config,
    Dropship,
    Factory,
    FreeShip,
    LanguageOpt,
    NewArrival,
    NoConvert,
    PageSize,
    PriceEnd,
    PriceStart,
    SortOpt,
    Verified,
    api_errors,
    app,
    check_api_options,
    die,
    get_config,
    redact_for,
    search_options,
    stderr,
    stdout,
)
from tmapi_search.cli.exit_codes import (
    API_CALL,
    EXIT_API,
    EXIT_BILLING,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
    epilog,
)
from tmapi_search.cli.signals import sigterm_interrupts


# -- bulk -----------------------------------------------------------------------------
def _concurrency(value: str) -> int | None:
    if value.strip().lower() == "auto":
        return None
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise typer.BadParameter(f"must be 'auto' or a whole number >= 1, got {value!r}")
    return number


def _check_concurrency(value: str) -> str:
    _concurrency(value)  # raised here, click names the option in its message
    return value


@app.command(epilog=epilog(*API_CALL, EXIT_STORAGE))
def bulk(
    ctx: typer.Context,
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="Catalogue with an img_url column (sku/id and other columns carried "
            "along): .csv/.tsv/.txt (encoding and delimiter detected) or .xlsx; or a text "
            "file with one image URL per line.",
        ),
    ],
    db: Annotated[
        Path, typer.Option("--db", help="SQLite file for the results (created or resumed).")
    ],
    max_items_per_image: Annotated[
        int, typer.Option("--max-items-per-image", min=1, help="Items to keep per image.")
    ] = 20,
    page_size: PageSize = 20,
    language: LanguageOpt = Language.EN,
    sort: SortOpt = Sort.DEFAULT,
    support_dropshipping: Dropship = False,
    is_factory: Factory = False,
    verified_supplier: Verified = False,
    free_shipping: FreeShip = False,
    new_arrival: NewArrival = False,
    no_convert: NoConvert = False,
    concurrency: Annotated[
        str,
        typer.Option(
            "--concurrency",
            callback=_check_concurrency,
            help="Calls in flight: a number, or 'auto' (find the account's cap: additive "
            "increase while calls succeed, multiplicative decrease on 503).",
        ),
    ] = "auto",
    max_concurrency: Annotated[
        int, typer.Option("--max-concurrency", min=1, help="Upper bound for --concurrency auto.")
    ] = 64,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Also retry images that failed for good (e.g. 422)."),
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show the live progress bar.")
    ] = True,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="Sheet of an .xlsx catalogue (default: first).")
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option("--encoding", help="Encoding of a text catalogue (default: detected)."),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            help="Delimiter of a text catalogue: a character or tab/comma/semicolon/pipe "
            "(default: sniffed among , ; tab |).",
        ),
    ] = None,
    image_column: Annotated[
        str | None,
        typer.Option(
            "--image-column",
            help="The column holding the image URLs (default: recognised by name: img_url, "
            "image, image url, photo, picture, 图片链接, 主图 ...).",
        ),
    ] = None,
    sku_column: Annotated[
        str | None,
        typer.Option(
            "--sku-column",
            help="The column identifying a row (default: recognised by name: sku, item "
            "code, product code, 商品编码, 货号, 编码).",
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="If another bulk run holds --db, wait for it to end instead of refusing.",
        ),
    ] = False,
    max_connection_failures: Annotated[
        int | None,
        typer.Option(
            "--max-connection-failures",
            min=1,
            show_default=False,
            help="Stop the run after this many calls in a row got no answer (connection "
            "refused or cut, timeout). Default: twice the calls in flight.",
        ),
    ] = None,
    api: ApiOpt = ApiVersion.v1,
    price_start: PriceStart = None,
    price_end: PriceEnd = None,
    converted_ttl: Annotated[
        float,
        typer.Option(
            "--converted-ttl",
            min=0,
            help="Minutes a stored converted path is reused before the image is converted "
            "again (field reports: paths stay valid >= ~70 min).",
        ),
    ] = 60.0,
) -> None:
    """Search every image of a catalogue into SQLite; resumable (run it again to resume)."""
    from tmapi_search.bulk.inputs import InputError, open_input
    from tmapi_search.bulk.runner import BulkSettings

    config = get_config(ctx)
    check_api_options(config, api, page_size, price_start, price_end, no_convert, language.value)
    fixed = _concurrency(concurrency)
    if fixed is not None and fixed > max_concurrency:
        max_concurrency = fixed
    options = search_options(
        page_size,
        language,
        sort,
        support_dropshipping,
        is_factory,
        verified_supplier,
        free_shipping,
        new_arrival,
    )
    if api is ApiVersion.v2:
        from tmapi_search.validation import check_price_range

        start, end = check_price_range(price_start, price_end)  # checked above: no error
        options = {**options, "price_start": start, "price_end": end}
    try:
        stream = open_input(
            input_path,
            encoding=encoding,
            delimiter=delimiter,
            sheet=sheet,
            image_column=image_column,
            sku_column=sku_column,
        )
    except InputError as error:
        die(config, EXIT_USAGE, str(error))
    if "detected" in stream.read_as:
        stderr.print(f"read {input_path} as {stream.read_as} (--encoding to change)", markup=False)
    if stream.image_column is not None and stream.image_column.lower() != "img_url":
        stderr.print(stream.describe_columns(), markup=False)
    catalogue = _Catalogue(input_path, stream)
    try:
        has_image = catalogue.has_image()  # reads up to the first searchable row, nothing stored
    except InputError as error:
        die(config, EXIT_USAGE, str(error))
    if not has_image:
        catalogue.report_rows()
        die(config, EXIT_USAGE, f"INPUT: {input_path} has no image URL to search")
    settings = BulkSettings(
        search=options,
        max_items_per_image=max_items_per_image,
        concurrency=fixed,
        max_concurrency=max_concurrency,
        max_retries=config.max_retries,
        convert=False if no_convert else "auto",
        retry_failed=retry_failed,
        max_connection_failures=max_connection_failures,
        api=api.value,
        converted_ttl=converted_ttl * 60,
    )
    with stream:
        code = _run_bulk(config, input_path, db, catalogue, settings, progress, wait)
    raise typer.Exit(code)


def _run_bulk(
    config: Config,
    input_path: Path,
    db: Path,
    catalogue: _Catalogue,
    settings: Any,
    show_progress: bool,
    wait: bool = False,
) -> int:
    from tmapi_search.bulk.lock import DatabaseBusyError, RunLock
    from tmapi_search.bulk.store import Store, check_usable

    # refuse a directory or another program's file before creating anything beside it
    try:
        check_usable(db)
    except ValueError as error:
        die(config, EXIT_USAGE, str(error))
    except (sqlite3.Error, OSError) as error:
        die(config, EXIT_STORAGE, f"--db: cannot read {db}: {_cause(error)}")
    lock = RunLock(db)

    def on_wait(holder: Any) -> None:
        stderr.print(f"waiting: {db} is in use by another bulk run ({holder.describe()})")

    try:
        lock.acquire(wait=wait, on_wait=on_wait)
    except DatabaseBusyError as error:
        die(config, EXIT_USAGE, str(error))
    except OSError as error:
        die(config, EXIT_STORAGE, f"--db: cannot lock {lock.path}: {_cause(error)}")
    with lock:
        try:
            store = Store(db)
        except ValueError as error:
            die(config, EXIT_USAGE, str(error))
        except (sqlite3.Error, OSError) as error:
            die(config, EXIT_STORAGE, f"--db: cannot open {db}: {_cause(error)}")
        with store:
            return _run_locked(
                config, input_path, db, catalogue, settings, show_progress, store, lock
            )


def _cause(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _run_locked(
    config: Config,
    input_path: Path,
    db: Path,
    catalogue: _Catalogue,
    settings: Any,
    show_progress: bool,
    store: Any,
    lock: Any,
) -> int:
    from tmapi_search.bulk.inputs import InputError
    from tmapi_search.bulk.runner import BulkRunner, BulkStats, PendingFeed
    from tmapi_search.bulk.store import ParamsMismatchError
    from tmapi_search.client import AsyncTmapiClient

    search_params = {**settings.search, "max_items_per_image": settings.max_items_per_image}
    if settings.api != "v1":  # v1 databases keep their parameters as before
        search_params["api"] = settings.api
    display = _ProgressDisplay(enabled=show_progress and stderr.is_terminal)
    try:
        stale = store.mark_interrupted()
        if stale:
            stderr.print(
                f"{db}: {stale} earlier run(s) ended without finishing (process gone); "
                "marked interrupted, resuming",
                style="yellow",
            )
        try:
            store.check_params(search_params)
        except ParamsMismatchError as error:
            die(config, EXIT_USAGE, str(error))
        last = store.last_catalogue()
        if last is not None and last.get("fingerprint") == catalogue.stream.fingerprint:
            # the same bytes read the same way: its rows are all in the database already
            catalogue.stream.close()
            number = int(last["ingestion"])
            stderr.print(
                f"{input_path} is unchanged since it was last read ({last.get('rows', 0)} "
                f"row(s), {last.get('rejected', 0)} rejected, {last.get('duplicates', 0)} "
                "duplicate(s)): not read again, resuming from the database",
                markup=False,
            )
            _print_already(store, db, number, None, settings.retry_failed)
            display.todo = store.pending_count(number, retry_failed=settings.retry_failed)
        else:
            catalogue.start(store, settings.retry_failed, display)
            number = catalogue.number
            # read until there is something to search (or the end): with nothing to do,
            # no run is started and no client made, as before
            display.start()
            with sigterm_interrupts():
                while not catalogue.finished and catalogue.todo == 0:
                    catalogue.step()
            if catalogue.finished:
                catalogue.report_end(store, db, None)
        if not store.pending_page(number, 0, 1, retry_failed=settings.retry_failed):
            display.stop()
            _print_summary(store, db, None)
            return _exit_for([], "completed", None)
    except InputError as error:  # a row the csv module cannot read, say
        display.stop()
        die(config, EXIT_USAGE, f"{error}; nothing was sent")
    except KeyboardInterrupt:
        display.stop()
        stderr.print(
            f"interrupted while reading {input_path}: nothing was sent; what was read is "
            "stored, run the same command again to resume",
            style="yellow",
        )
        return EXIT_INTERRUPTED
    except (sqlite3.Error, OSError) as error:
        display.stop()
        die(config, EXIT_STORAGE, f"cannot save to {db}: {_cause(error)}; nothing was sent")
    except BaseException:
        display.stop()
        raise
    with api_errors(config):
        client = AsyncTmapiClient(
            **config.client_kwargs(), max_concurrency=settings.max_concurrency
        )
    try:
        run_id = store.start_run(
            str(input_path),
            {
                "concurrency": settings.concurrency or "auto",
                "max_concurrency": settings.max_concurrency,
                "max_retries": settings.max_retries,
            },
            pid=os.getpid(),
            host=socket.gethostname(),
        )
        lock.describe(run_id=run_id)
    except (sqlite3.Error, OSError) as error:
        die(config, EXIT_STORAGE, f"cannot save to {db}: {_cause(error)}; nothing was sent")
    runner = BulkRunner(client, store, settings, on_change=display.update)
    feed = PendingFeed(store, number, retry_failed=settings.retry_failed)

    async def read_on() -> None:
        """The rest of the catalogue, a batch at a time, while the runner searches."""
        try:
            if not catalogue.reading:
                return  # read already (or not at all: unchanged since the last run)
            # the first paid call goes out before reading on (it needs a few turns of
            # the event loop, each of which would otherwise wait for a batch)
            started = time.monotonic()
            while runner.stats.calls == 0 and time.monotonic() - started < 1.0:
                if runner.stopping or runner.stats.finished is not None:
                    break
                await asyncio.sleep(0.01)
            while catalogue.reading and not runner.stopping:
                began = time.monotonic()
                try:
                    catalogue.step(RUN_BATCH_ROWS)
                except InputError as error:
                    catalogue.error = str(error)
                    runner.stop(
                        "interrupted",
                        f"{error}; stopped (the rows before it are stored): fix the "
                        "catalogue, then run the same command again",
                    )
                    return
                except (sqlite3.Error, OSError) as error:
                    runner.storage_failed(
                        error if isinstance(error, sqlite3.Error) else sqlite3.Error(_cause(error))
                    )
                    return
                feed.notify()
                if catalogue.finished:
                    catalogue.report_end(store, db, run_id)
                # A batch holds the event loop; a call needs many turns of it (a slot,
                # the connection, the answer, each hand-over of the limiter's lock among
                # 100+ workers). With calls under way, reading takes at most about two
                # thirds of the time, so they are not starved (1 call/s, measured).
                busy = runner.limiter.in_flight or runner.limiter.waiting
                await asyncio.sleep((time.monotonic() - began) / 2 if busy else 0)
        finally:
            feed.close()

    async def main() -> BulkStats:
        loop = asyncio.get_running_loop()
        signals_seen = 0

        def on_signal(signum: int) -> None:
            nonlocal signals_seen
            signals_seen += 1
            name = signal.Signals(signum).name
            if signals_seen == 1:
                stderr.print(
                    f"{name}: stopping; calls in flight may finish "
                    f"(up to {settings.grace:.0f} s; again to stop at once)",
                    style="yellow",
                )
                runner.stop("interrupted", f"stopped by {name}")
            else:
                runner.abandon()

        handled = []
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
                loop.add_signal_handler(signum, on_signal, signum)
                handled.append(signum)
        reader = asyncio.create_task(read_on())
        try:
            async with client:
                return await runner.run(feed, run_id)
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            for signum in handled:
                loop.remove_signal_handler(signum)

    with display:
        stats = asyncio.run(main())
    outcome = "failed" if runner.outcome == "storage" else runner.outcome
    if runner.outcome == "storage":
        lock.free_reserve()  # the disk is full: room for the run's final state
    if catalogue.reading and catalogue.error is None:
        stderr.print(
            f"stopped while reading {input_path}: {catalogue.stream.rows_read} row(s) read "
            "and stored; the same command reads it again and resumes",
            style="yellow",
        )
    try:
        store.finish_run(
            run_id,
            outcome,
            calls=stats.calls,
            shared=stats.shared,
            message=redact_for(runner.stop_reason, config) if runner.stop_reason else None,
        )
        failed_now = store.failed_in_run(run_id)
        _print_summary(store, db, stats)
    except sqlite3.Error as error:
        if runner.outcome != "storage":
            die(config, EXIT_STORAGE, f"cannot save to {db}: {_cause(error)}")
        failed_now = []
    if runner.outcome == "storage":
        die(
            config,
            EXIT_STORAGE,
            f"{runner.stop_reason} ({stats.calls} paid call(s) this run, {stats.done} "
            f"image(s) saved); free space, then run the same command again to resume",
        )
    if runner.stop_reason:
        style = "red" if runner.outcome in ("billing", "auth", "network") else "yellow"
        stderr.print(escape(redact_for(runner.stop_reason, config)), style=style)
    if catalogue.error is not None:
        return EXIT_USAGE
    return _exit_for(failed_now, runner.outcome, stats)


def _print_already(store: Any, db: Path, number: int, run_id: int | None, retry: bool) -> None:
    already = store.already_finished(number, run_id=run_id, retry_failed=retry)
    if already:
        stderr.print(f"resuming {db}: {already} image(s) already finished, skipped")


#: Catalogue rows stored per transaction while reading, before the run starts ...
BATCH_ROWS = 2000
#: ... and once it runs (a batch holds up the event loop, and the calls with it).
RUN_BATCH_ROWS = 500


class _Catalogue:
    """The catalogue being read into the database, a batch (one transaction) at a time."""

    def __init__(self, path: Path, stream: Any) -> None:
        self.path = path
        self.stream = stream
        self._events = iter(stream)
        self._head: list[Any] = []
        self.ingestion: Any = None
        self.display: _ProgressDisplay | None = None
        self.finished = False
        #: why the reading stopped before the end (a row that cannot be read)
        self.error: str | None = None
        self.bad: list[Any] = []  # the first few, for the report
        self.bad_count = 0
        self.warnings: list[Any] = []
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
                self.warnings.extend([row][: 20 - len(self.warnings)])
            else:
                self.bad_count += 1
                self.bad.extend([row][: 20 - len(self.bad)])
        return False

    def start(self, store: Any, retry_failed: bool, display: _ProgressDisplay) -> None:
        self.ingestion = store.start_ingestion(
            self.stream.fingerprint, self.stream.extra_columns, retry_failed=retry_failed
        )
        self.display = display
        self._events = itertools.chain(self._head, self._events)
        self._head = []

    @property
    def number(self) -> int:
        return int(self.ingestion.number)

    @property
    def todo(self) -> int:
        return int(self.ingestion.todo)

    @property
    def reading(self) -> bool:
        return self.ingestion is not None and not self.finished

    def step(self, size: int = BATCH_ROWS) -> None:
        """Read and store one batch; at the end of the file, close the reading."""
        from tmapi_search.bulk.inputs import duplicate

        images: list[Any] = []
        bad: list[Any] = []
        warnings: list[Any] = []
        count = 0
        for kind, row in itertools.islice(self._events, size):
            count += 1
            if kind == "image":
                images.append(row)
            elif kind == "warning":
                warnings.append(row)
            else:
                bad.append(row)
        duplicates = self.ingestion.add_batch(
            [image.db_row() for image in images], [row.db_row() for row in bad]
        )
        for index, first in duplicates:
            bad.append(duplicate(images[index], first))
        self.bad_count += len(bad)
        self.bad.extend(sorted(bad, key=lambda r: r.line)[: 20 - len(self.bad)])
        self.warning_count += len(warnings)
        self.warnings.extend(warnings[: 20 - len(self.warnings)])
        if count < size:
            self.ingestion.finish({"number_columns": self.stream.number_columns()})
            self.finished = True
        if self.display is not None:
            self.display.reading(self.stream.rows_read, done=self.finished, todo=self.todo)

    def report_rows(self) -> None:
        for warning in self.warnings:
            stderr.print(f"warning: {escape(str(warning))}", style="yellow")
        if self.warning_count > len(self.warnings):
            stderr.print(
                f"warning: ... and {self.warning_count - len(self.warnings)} more short row(s)",
                style="yellow",
            )
        if self.bad_count:
            stderr.print(f"skipped {self.bad_count} bad row(s) of {self.path}:", style="yellow")
            for row in self.bad:
                stderr.print(f"  {escape(str(row))}", style="yellow")
            if self.bad_count > len(self.bad):
                stderr.print(f"  ... and {self.bad_count - len(self.bad)} more", style="yellow")

    def report_end(self, store: Any, db: Path, run_id: int | None) -> None:
        """The catalogue was read to its end: what was in it, what changed, what is done."""
        elapsed = time.monotonic() - self.started
        if (self.display is None or not self.display.enabled) and (
            self.stream.rows_read >= BATCH_ROWS or elapsed >= 1.0
        ):
            stderr.print(
                f"read {self.path}: {self.stream.rows_read} row(s) in {elapsed:.1f} s",
                markup=False,
            )
        self.report_rows()
        changes = self.ingestion.changes
        if changes:
            stderr.print(_describe_changes(self.path, changes), style="yellow", markup=False)
        _print_already(store, db, self.number, run_id, self.ingestion.retry_failed)


def _describe_changes(input_path: Path, changes: Any) -> str:
    parts = []
    if changes.new:
        part = f"{changes.new} new row(s), searched"
        if changes.url_changed:
            part += (
                f" ({changes.url_changed} of them a known sku/id with a new image: the new "
                "one is searched; the old one's results are kept but no longer shown)"
            )
        parts.append(part)
    if changes.edited:
        parts.append(f"{changes.edited} row(s) with edited columns, updated")
    if changes.gone:
        parts.append(
            f"{changes.gone} row(s) of the database no longer in it (gone: kept with their "
            "results, left out of export, report and status counts; --include-gone shows them)"
        )
    if changes.new_columns:
        parts.append("new column(s) " + ", ".join(changes.new_columns))
    if changes.dropped_columns:
        parts.append("column(s) no longer in it " + ", ".join(changes.dropped_columns))
    return f"{input_path} changed since the last run: " + "; ".join(parts)


def _exit_for(failed_now: Sequence[str], outcome: str, stats: Any) -> int:
    """The exit code; `failed_now`: the error classes of the rows failed by this run."""
    if outcome == "storage":
        return EXIT_STORAGE
    if outcome in ("billing", "auth"):
        return EXIT_BILLING
    if outcome == "interrupted":
        return EXIT_INTERRUPTED
    if outcome == "network":
        return EXIT_NETWORK
    if failed_now:
        network = {"APIConnectionError", "APITimeoutError"}
        if all(name in network for name in failed_now):
            return EXIT_NETWORK
        return EXIT_API
    if stats is not None and stats.left_pending:
        return EXIT_NETWORK  # some calls got no answer: those images stay pending
    return EXIT_OK


def _print_summary(store: Any, db: Path, stats: Any) -> None:
    counts = store.counts()
    line = (
        f"{db}: {counts.done} done, {counts.failed} failed, {counts.pending} pending "
        f"of {counts.total} images; {counts.items} items stored"
    )
    if stats is not None:
        line += (
            f" (this run: {stats.done} done, {stats.failed} failed in {stats.elapsed:.1f} s, "
            f"{stats.rate:.1f} images/s, {stats.calls} calls, {stats.refused_503} refused by 503)"
        )
    stdout.print(line, markup=False)
    if stats is not None and stats.shared:
        stdout.print(
            f"{stats.shared} row(s) served by a shared search (same image URL as another row, "
            "no call of their own)",
            markup=False,
        )
    if stats is not None and stats.repeats_stopped:
        stdout.print(
            f"{stats.repeats_stopped} image(s): paging stopped at a page that brought no new "
            "offer (the API repeated the offers already stored): no further page paid for",
            markup=False,
        )
    if counts.failed_by_class:
        detail = ", ".join(f"{name} x{n}" for name, n in counts.failed_by_class.items())
        stdout.print(f"failed: {detail}", markup=False)


class _ProgressDisplay:
    """A rich progress line: rows read so far, then done / failed / retrying / in flight.

    The total grows while the catalogue is read (rows handed to the run so far).
    Disabled (a pipe, `--no-progress`): nothing is drawn.
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self._progress = Progress(
            TextColumn("[bold]bulk"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn(
                "[green]{task.fields[done]} done[/] [red]{task.fields[failed]} failed[/] "
                "[yellow]{task.fields[retrying]} retrying[/] "
                "{task.fields[in_flight]}/{task.fields[limit]} in flight"
            ),
            TextColumn("{task.fields[rate]:.1f} img/s"),
            TextColumn("ETA {task.fields[eta]}"),
            TextColumn("{task.fields[read]}"),
            TimeElapsedColumn(),
            console=stderr,
            transient=False,
        )
        self._task: TaskID | None = None
        self._started = False
        self._read = ""
        self._reading = False
        #: rows to search known so far (from the reading, or counted in the database)
        self.todo = 0

    def start(self) -> None:
        if not self.enabled or self._started:
            return
        self._started = True
        self._progress.start()
        self._task = self._progress.add_task(
            "bulk",
            total=None,
            count="0",
            done=0,
            failed=0,
            retrying=0,
            in_flight=0,
            limit=0,
            rate=0.0,
            eta="-",
            read=self._read,
        )

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._progress.stop()

    def __enter__(self) -> _ProgressDisplay:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reading(self, rows: int, *, done: bool, todo: int = 0) -> None:
        """Rows of the catalogue read so far (`done`: all of them), `todo` of them to search."""
        self._reading = not done
        self.todo = todo
        self._read = f"read {rows:,} rows" + ("" if done else "...")
        if self._task is not None:
            self._progress.update(self._task, read=self._read)

    def update(self, stats: Any) -> None:
        if self._task is None:
            return
        finished = stats.done + stats.failed
        rate = stats.rate
        total = max(stats.total, self.todo)
        left = max(total - finished, 0)
        eta = f"{left / rate:.0f}s" if rate > 0 and not self._reading else "-"
        self._progress.update(
            self._task,
            total=max(total, 1),
            completed=finished,
            count=f"{finished}/{total}" + ("+" if self._reading else ""),
            done=stats.done,
            failed=stats.failed,
            retrying=stats.retrying,
            in_flight=stats.in_flight,
            limit=stats.limit,
            rate=rate,
            eta=eta,
            read=self._read,
        )
