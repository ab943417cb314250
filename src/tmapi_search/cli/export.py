"""`tmapi-search export`: the stored results as CSV, JSONL or an Excel workbook."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Annotated

import typer

from tmapi_search.cli.app import (
    ExportFormat,
    app,
    die,
    get_config,
    stderr,
)
from tmapi_search.cli.exit_codes import (
    EXIT_USAGE,
    epilog,
)


# -- export -----------------------------------------------------------------------
@app.command(epilog=epilog())
def export(
    ctx: typer.Context,
    db: Annotated[Path, typer.Option("--db", help="SQLite file written by `bulk`.")],
    fmt: Annotated[
        ExportFormat, typer.Option("--format", help="Output format.", case_sensitive=False)
    ] = ExportFormat.csv,
    out: Annotated[
        Path | None, typer.Option("--out", help="Output file (default: standard output).")
    ] = None,
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
    """Write every stored item, one row each, with its source image and input columns."""
    from tmapi_search.bulk.export import export as export_items
    from tmapi_search.bulk.store import Store

    config = get_config(ctx)
    if not db.is_file():
        die(config, EXIT_USAGE, f"--db: {db} does not exist")
    try:
        store = Store(db, create=False)
    except ValueError as error:
        die(config, EXIT_USAGE, str(error))
    except sqlite3.Error as error:
        die(config, EXIT_USAGE, f"--db: cannot read {db}: {error}")
    if out is None and fmt is ExportFormat.xlsx and sys.stdout.isatty():
        die(config, EXIT_USAGE, "--format xlsx writes a workbook: give --out FILE.xlsx")
    with store:
        if out is None:
            # UTF-8 bytes whatever the terminal's or the locale's encoding
            sys.stdout.flush()
            count = export_items(store, fmt.value, sys.stdout.buffer, bom=bool(bom))
            sys.stdout.buffer.flush()
        else:
            with out.open("wb") as handle:
                count = export_items(store, fmt.value, handle, bom=bom is not False)
            stderr.print(f"wrote {count} item(s) to {out}", markup=False)
