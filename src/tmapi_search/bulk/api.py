"""The catalogue engine's Python API: what each `tmapi-search` catalogue command calls.

- `run_catalogue(input, db, ...)` / `await arun_catalogue(...)`: search every image of
  a catalogue into a SQLite results database (resumable: call it again to resume);
  returns a `RunSummary`.
- `export_results(db, out, format=...)`: every input row as CSV, JSONL or XLSX.
- `read_status(db)`: counts, runs, failed and pending rows (`Status`).
- `write_report(db, out)`: the HTML report.

Results are values and failures exceptions (`tmapi_search.bulk.errors`): nothing is
printed and nothing exits. Progress goes to `on_progress` as events
(`tmapi_search.bulk.events`). The API token is given as `api_token=` (or the client's
own), never written anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, cast

from tmapi_search.auth import Secret
from tmapi_search.bulk.errors import OutputError, StorageError, UsageError
from tmapi_search.bulk.events import ProgressHandler
from tmapi_search.bulk.options import RunOptions
from tmapi_search.bulk.run import CatalogueRun, Credentials, cause
from tmapi_search.bulk.summary import Counts, RunRecord, RunSummary, Status

if TYPE_CHECKING:
    from tmapi_search.bulk.pricing import Terms
    from tmapi_search.bulk.report import ReportSummary
    from tmapi_search.bulk.store import Store
    from tmapi_search.client import AsyncTmapiClient

__all__ = [
    "ExportFormat",
    "ExportSummary",
    "arun_catalogue",
    "export_results",
    "read_status",
    "run_catalogue",
    "write_report",
]

ExportFormat = Literal["csv", "tsv", "jsonl", "xlsx"]


def _run(
    input: str | Path,
    db: str | Path,
    *,
    credentials: Credentials,
    client: AsyncTmapiClient | None,
    on_progress: ProgressHandler | None,
    handle_signals: bool,
    options: dict[str, Any],
) -> CatalogueRun:
    return CatalogueRun(
        input,
        db,
        RunOptions(**options),
        credentials=credentials,
        client=client,
        on_progress=on_progress,
        handle_signals=handle_signals,
    )


def run_catalogue(
    input: str | Path,
    db: str | Path,
    *,
    api_token: str | Secret | None = None,
    base_url: str | None = None,
    auth: str | None = None,
    client: AsyncTmapiClient | None = None,
    on_progress: ProgressHandler | None = None,
    handle_signals: bool = False,
    **options: Any,
) -> RunSummary:
    """Search every image of the catalogue `input` into the results database `db`.

    Resumable: called again with the same catalogue and options, it searches only what
    is left (done rows are never paid for again). `options` are `RunOptions`' fields,
    the CLI's options under the same names (`max_items_per_image=5`, `concurrency=8`,
    `api="v2"`, `retry_failed=True`, ...). `api_token`, `base_url` and `auth` default
    to `TMAPI_TOKEN`, `TMAPI_BASE_URL`, `TMAPI_AUTH`; or pass your own `client`
    (an `AsyncTmapiClient`, left open). `on_progress` gets each event
    (`tmapi_search.bulk.events`). With `handle_signals`, SIGINT/SIGTERM stop the run
    as Ctrl-C stops the CLI (calls in flight finish; a second signal abandons them).

    Returns a `RunSummary` whatever the outcome (`summary.raise_for_outcome()` raises
    when the run stopped early). Raises `UsageError` (bad options, catalogue,
    database; `LockedError` when another run holds it) and `StorageError` before any
    call; the SDK's errors when the client cannot be made (no token, say). In a
    running event loop (a notebook), use `await arun_catalogue(...)`.
    """
    credentials = Credentials(api_token, base_url, auth)
    del api_token  # from here on only in `credentials`, whose repr hides it
    with _run(
        input,
        db,
        credentials=credentials,
        client=client,
        on_progress=on_progress,
        handle_signals=handle_signals,
        options=options,
    ) as run:
        return run.prepare() or asyncio.run(run.search())


async def arun_catalogue(
    input: str | Path,
    db: str | Path,
    *,
    api_token: str | Secret | None = None,
    base_url: str | None = None,
    auth: str | None = None,
    client: AsyncTmapiClient | None = None,
    on_progress: ProgressHandler | None = None,
    handle_signals: bool = False,
    **options: Any,
) -> RunSummary:
    """`run_catalogue`, awaitable: the searches run in the caller's event loop.

    The reading up to the first searchable row runs before the first await (it blocks
    the loop that long: the catalogue's first batch). Cancelling the task ends the run
    (`interrupted`); calls in flight are abandoned and their images stay pending.
    """
    credentials = Credentials(api_token, base_url, auth)
    del api_token  # from here on only in `credentials`, whose repr hides it
    with _run(
        input,
        db,
        credentials=credentials,
        client=client,
        on_progress=on_progress,
        handle_signals=handle_signals,
        options=options,
    ) as run:
        return run.prepare() or await run.search()


# -- reading a database back ------------------------------------------------------------
def _open_readonly(db: Path) -> Store:
    from tmapi_search.bulk.store import Store

    try:
        return Store(db, readonly=True)
    except ValueError as error:
        raise UsageError(str(error)) from None
    except (sqlite3.Error, OSError) as error:
        raise StorageError(f"--db: cannot read {db}: {cause(error)}") from error


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What `export_results` wrote: `rows` lines (or sheet rows), by the input rows' status."""

    rows: int
    by_status: dict[str, int] = field(default_factory=dict)
    out: Path | None = None
    """The file written (None: a stream)."""
    gone_left_out: int = 0
    """Rows the catalogue no longer has, left out (`include_gone` writes them)."""
    running: str | None = None
    """Set when a bulk run was writing the database (which, and the rows still pending):
    the export holds what was saved so far."""

    def describe(self) -> str:
        """`12 row(s): 9 ok, 1 no_match, 1 failed, 1 pending`."""
        names = ["ok", "no_match", "failed", "pending"]
        names += ["gone"] if self.by_status.get("gone") else []
        parts = [f"{self.by_status.get(name, 0)} {name}" for name in names]
        left_out = (
            f" ({self.gone_left_out} row(s) no longer in the catalogue left out: "
            "--include-gone writes them)"
            if self.gone_left_out
            else ""
        )
        return f"{self.rows} row(s): " + ", ".join(parts) + left_out


def _format_of(out: Any, format: str | None) -> ExportFormat:
    from tmapi_search.bulk.export import format_for

    try:
        return format_for(out if isinstance(out, str | Path) else None, format)
    except ValueError as error:
        raise UsageError(str(error)) from None


def export_results(
    db: str | Path,
    out: str | Path | IO[bytes],
    *,
    format: ExportFormat | None = None,
    force: bool = False,
    bom: bool | None = None,
    handle_signals: bool = False,
    terms: Terms | None = None,
    shortlist: int = 3,
    all_columns: bool = False,
    include_gone: bool = False,
) -> ExportSummary:
    """Write every input row of `db` to `out`: one row per item found, one per row without.

    The rows of the catalogue as last read: the rows it no longer has (`gone`) are left
    out, or with `include_gone` written too, with the status `gone`.

    `out`: a path (written atomically: a temporary file renamed at the end; never over
    the database or any SQLite file, never over an existing file without `force`), or
    a binary stream (`sys.stdout.buffer`). `format`: csv, tsv, jsonl or xlsx (default:
    from `out`'s extension; a `format` that contradicts it, or an extension that names
    none without `format`, is a `UsageError`; a stream: csv). `bom`: start CSV with a
    UTF-8 byte-order mark for Excel (default: yes for a file, no for a stream). The
    database is opened read-only. Each match carries its `decision` group at `terms`
    (`bulk.pricing.Terms`: quantity, currency, sell price) with its score and
    `shortlist` place. xlsx: the workbook for people (Decisions and Suppliers sheets),
    or with `all_columns` every field.

    Raises `UsageError` (not a results database; `OutputError`: `out` refused) or
    `StorageError` (a file cannot be read or written).
    """
    from tmapi_search.bulk.activity import writing_now
    from tmapi_search.bulk.atomic import OutputRefusedError, atomic_write, check_output
    from tmapi_search.bulk.export import export as export_records
    from tmapi_search.bulk.signals import sigterm_interrupts

    db = Path(db)
    target = Path(out) if isinstance(out, str | Path) else None
    if target is not None:
        try:
            check_output(target, db, force=force)
        except OutputRefusedError as error:
            raise OutputError(str(error)) from None
    fmt = _format_of(out, format)
    store = _open_readonly(db)
    counts: Counter[str] = Counter()
    decisions: dict[str, Any] = {
        "terms": terms,
        "shortlist": shortlist,
        "all_columns": all_columns,
    }
    signals = sigterm_interrupts() if handle_signals else contextlib.nullcontext()
    try:
        running = writing_now(db, store)
        gone = 0 if include_gone else store.counts().gone
    except sqlite3.Error as error:
        store.close()
        raise StorageError(f"--db: cannot read {db}: {cause(error)}") from error
    with store, signals:
        if target is None:
            stream = cast(IO[bytes], out)
            try:
                count = export_records(
                    store,
                    fmt,
                    stream,
                    bom=bool(bom),
                    counts=counts,
                    include_gone=include_gone,
                    **decisions,
                )
                stream.flush()
            except BrokenPipeError:
                raise
            except OSError as error:
                name = getattr(stream, "name", None)
                where = "standard output" if name in ("<stdout>", 1) else str(name or "the stream")
                raise StorageError(f"cannot write to {where}: {cause(error)}") from error
            except sqlite3.Error as error:
                raise StorageError(f"--db: cannot read {db}: {cause(error)}") from error
            return ExportSummary(count, dict(counts), None, gone, running)
        try:
            with atomic_write(target, binary=True, force=force) as handle:
                count = export_records(
                    store,
                    fmt,
                    cast(IO[bytes], handle),
                    bom=bom is not False,
                    counts=counts,
                    spool_dir=target.parent,  # CSV's temporary body: beside the output
                    include_gone=include_gone,
                    **decisions,
                )
        except FileExistsError:
            raise OutputError(f"--out: {target} exists; add --force to replace it") from None
        except OSError as error:
            raise StorageError(f"--out: cannot write {target}: {cause(error)}") from error
        except sqlite3.Error as error:
            raise StorageError(f"--db: cannot read {db}: {cause(error)}") from error
    return ExportSummary(count, dict(counts), target, gone, running)


#: How a run's stored outcome reads as a state.
_STATES = {
    "completed": "done",
    "interrupted": "interrupted",
    "failed": "failed",
    "network": "failed",
    "billing": "failed",
    "auth": "failed",
    "error": "failed",
}


def _state(run: dict[str, Any], holder: Any) -> str:
    """`running` only while the run's process holds the lock; a dead one is `interrupted`."""
    outcome = str(run.get("outcome") or "running")
    if outcome == "running":
        live = holder is not None and (
            holder.run_id == run["id"]
            or (holder.pid == run.get("pid") and holder.host == run.get("host"))
        )
        return "running" if live else "interrupted"
    return _STATES.get(outcome, outcome)


def read_status(db: str | Path, *, limit: int | None = 50) -> Status:
    """What the results database `db` holds: counts, every run, failed and pending rows.

    Read-only (nothing created or changed). `limit`: failed and pending rows listed of
    each (None: all; the counts always count all). A run is `running` only while its
    process holds the database's lock.
    """
    from tmapi_search.bulk.activity import writing_now
    from tmapi_search.bulk.lock import live_holder

    db = Path(db)
    store = _open_readonly(db)
    try:
        with store:
            holder = live_holder(db)
            running = writing_now(db, store) if holder is not None else None
            runs = store.runs()
            counts = store.counts()
            failed = list(islice(store.account("failed"), limit))
            pending = list(islice(store.account("pending"), limit))
    except sqlite3.Error as error:
        raise StorageError(f"--db: cannot read {db}: {cause(error)}") from error
    records = [
        RunRecord(
            id=run["id"],
            state=_state(run, holder),
            outcome=run.get("outcome"),
            started_at=run.get("started_at"),
            finished_at=run.get("finished_at"),
            pid=run.get("pid"),
            host=run.get("host"),
            calls=run.get("calls", 0),
            done=run.get("done", 0),
            failed=run.get("failed", 0),
            shared=run.get("shared", 0),
            message=run.get("message"),
        )
        for run in runs
    ]
    return Status(
        db=db,
        counts=Counts.of(counts),
        runs=records,
        running=running,
        failed_rows=failed,
        pending_rows=pending,
    )


#: what an HTML report is not named: data files (a user who wanted an export; the
#: database and SQLite files are refused by `check_output`, naming them as such)
_DATA_SUFFIXES = frozenset({".csv", ".tsv", ".jsonl", ".json", ".xlsx", ".xlsm", ".xls"})


def write_report(
    db: str | Path,
    out: str | Path,
    *,
    top: int = 5,
    force: bool = False,
    terms: Terms | None = None,
    shortlist: int = 3,
    include_gone: bool = False,
) -> ReportSummary:
    """Write the HTML report of `db` to `out`: each input's photo beside the offers found.

    One self-contained file, written atomically; `top`: matches shown per input row (and
    its `shortlist`, see `bulk.shortlist`); `terms` (`bulk.pricing.Terms`): the quantity,
    currency and sell price the cards' prices and margins are computed at.
    The rows the catalogue no longer has (`gone`) are left out, or with `include_gone`
    shown too, marked.
    Raises `UsageError` (not a results database, `top` < 1; `OutputError`: `out` exists
    without `force`, is the database, or is named like a data file: `.csv`, `.xlsx` ...)
    or `StorageError`.
    """
    from tmapi_search.bulk.atomic import OutputRefusedError
    from tmapi_search.bulk.report import write_report as write

    db, out = Path(db), Path(out)
    if out.suffix.lower() in _DATA_SUFFIXES:
        raise OutputError(
            f"--out: {out} is named like a {out.suffix} file, and the report is one HTML "
            f"page: name it .html (--out {out.with_suffix('.html')}); for a spreadsheet, "
            "use export --out"
        )
    try:
        return write(
            db, out, top=top, force=force, terms=terms, shortlist=shortlist,
            include_gone=include_gone,
        )  # fmt: skip
    except OutputRefusedError as error:
        raise OutputError(str(error)) from None
    except ValueError as error:
        raise UsageError(str(error)) from None
    except sqlite3.Error as error:
        raise StorageError(f"--db: cannot read {db}: {error}") from error
    except OSError as error:
        raise StorageError(f"--out: cannot write {out}: {error.strerror or error}") from error
