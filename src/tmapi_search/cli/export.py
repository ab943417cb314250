"""`tmapi-search export`: the stored results as CSV or JSONL."""

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
    with store:
        if out is None:
            count = export_items(store, fmt.value, sys.stdout)
        else:
            with out.open("w", encoding="utf-8", newline="") as handle:
                count = export_items(store, fmt.value, handle)
            stderr.print(f"wrote {count} item(s) to {out}")
