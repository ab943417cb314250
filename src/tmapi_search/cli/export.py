"""`tmapi-search export`: the stored results as CSV, JSONL or XLSX, every input row accounted for.

The database is opened read-only (never changed, works on read-only media). `--out` is
written atomically (temporary file + rename), never over the database or any SQLite
file, and never over an existing file without `--force`; `--out -` (or no `--out`)
writes to standard output. Every OS error is one line naming the path (exit 6).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import sys
import traceback
from collections import Counter
from pathlib import Path
from typing import IO, Annotated, NoReturn, cast

import typer
from rich.markup import escape

from tmapi_search.cli.app import (
    Config,
    ExportFormat,
    app,
    die,
    get_config,
    redact_for,
    stderr,
)
from tmapi_search.cli.exit_codes import (
    EXIT_STORAGE,
    EXIT_USAGE,
    epilog,
)


def _os_error(config: Config, what: str, error: BaseException) -> NoReturn:
    if config.verbose:
        stderr.print(escape(redact_for(traceback.format_exc(), config)), style="dim")
    cause = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    die(config, EXIT_STORAGE, f"{what}: {cause}")


def _summary(count: int, by_status: Counter[str]) -> str:
    names = ["ok", "no_match", "failed", "pending"] + (["gone"] if by_status["gone"] else [])
    parts = [f"{by_status[name]} {name}" for name in names]
    return f"{count} row(s): " + ", ".join(parts)


# -- export -----------------------------------------------------------------------
@app.command(epilog=epilog(EXIT_STORAGE))
def export(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk`.")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            help="Output format (default: from --out's extension, .csv .tsv .jsonl .xlsx; "
            "csv on standard output).",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Output file; '-' or none: standard output."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out if it exists (never a SQLite file).")
    ] = False,
    include_gone: Annotated[
        bool,
        typer.Option(
            "--include-gone",
            help="Also write the rows the catalogue no longer has (status gone).",
        ),
    ] = False,
    bom: Annotated[
        bool | None,
        typer.Option(
            "--bom/--no-bom",
            show_default=False,
            help="Start CSV with a UTF-8 byte-order mark, so Excel reads it as UTF-8 "
            "(default: yes with --out, no on standard output).",
        ),
    ] = None,
) -> None:
    """Write every input row: one row per item found, one per row without (with its status)."""
    from tmapi_search.bulk.activity import writing_now
    from tmapi_search.bulk.atomic import OutputRefusedError, atomic_write, check_output
    from tmapi_search.bulk.export import export as export_records
    from tmapi_search.bulk.export import format_for
    from tmapi_search.bulk.store import Store
    from tmapi_search.cli.signals import sigterm_interrupts

    config = get_config(ctx)
    target = None if out in (None, "-") else Path(out)
    try:
        fmt = ExportFormat(format_for(out, None if fmt is None else fmt.value))
    except ValueError as error:
        die(config, EXIT_USAGE, str(error))
    if target is None and fmt is ExportFormat.xlsx and sys.stdout.isatty():
        die(config, EXIT_USAGE, "--format xlsx writes a workbook: give --out FILE.xlsx")
    if target is not None:
        try:
            check_output(target, db, force=force)
        except OutputRefusedError as error:
            die(config, EXIT_USAGE, str(error))
    try:
        store = Store(db, readonly=True)
    except ValueError as error:
        die(config, EXIT_USAGE, str(error))
    except (sqlite3.Error, OSError) as error:
        _os_error(config, f"--db: cannot read {db}", error)
    counts: Counter[str] = Counter()
    gone = 0
    with contextlib.suppress(sqlite3.Error, OSError):
        note = writing_now(db, store)
        if note is not None:
            stderr.print(note, style="yellow", markup=False)
        gone = 0 if include_gone else store.counts().gone
    with store, sigterm_interrupts():
        if target is None:
            try:
                # UTF-8 bytes (or a workbook) whatever the terminal's or the locale's encoding
                sys.stdout.flush()
                count = export_records(
                    store,
                    fmt.value,
                    sys.stdout.buffer,
                    bom=bool(bom),
                    counts=counts,
                    include_gone=include_gone,
                )
                sys.stdout.buffer.flush()
            except BrokenPipeError:  # `| head`: the reader has what it wanted
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                raise typer.Exit(0) from None
            except OSError as error:
                _os_error(config, "cannot write to standard output", error)
            except sqlite3.Error as error:
                _os_error(config, f"--db: cannot read {db}", error)
            stderr.print(_summary(count, counts) + _left_out(gone), markup=False)
            return
        try:
            with atomic_write(target, binary=True, force=force) as handle:
                count = export_records(
                    store,
                    fmt.value,
                    cast(IO[bytes], handle),
                    bom=bom is not False,
                    counts=counts,
                    spool_dir=target.parent,  # CSV's temporary body: beside the output
                    include_gone=include_gone,
                )
        except FileExistsError:
            die(config, EXIT_USAGE, f"--out: {target} exists; add --force to replace it")
        except OSError as error:
            _os_error(config, f"--out: cannot write {target}", error)
        except sqlite3.Error as error:
            _os_error(config, f"--db: cannot read {db}", error)
    stderr.print(f"wrote {_summary(count, counts)} to {target}{_left_out(gone)}", markup=False)


def _left_out(gone: int) -> str:
    if not gone:
        return ""
    return f" ({gone} row(s) no longer in the catalogue left out: --include-gone writes them)"
